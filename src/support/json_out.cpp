// The JSON convention of json_out.hpp, applied to a whole document.
#include "support/json_out.hpp"

#include <cmath>
#include <ostream>

namespace phasecube {

namespace {

void spell_non_finite(Json& j) {
  if (j.is_structured()) {
    for (auto& child : j) spell_non_finite(child);
  } else if (j.is_number_float()) {
    const double x = j.get<double>();
    if (std::isnan(x))
      j = "nan";
    else if (std::isinf(x))
      j = x > 0 ? "inf" : "-inf";
  }
}

}  // namespace

void write_json(Json doc, std::ostream& out) {
  spell_non_finite(doc);
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace phasecube
