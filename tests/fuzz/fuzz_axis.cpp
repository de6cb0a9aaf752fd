// Fuzz target: the [axes] grammar (linspace(a, b, m), logspace(a, b, m), lists) and the
// number lists of [model] values.
// Properties: at least one value, every value finite; a list printed as the resolved config
// prints it reads back bitwise.
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sweep/config_text.hpp"

namespace {

using namespace phasecube;

void check_values(const std::string& spec, const std::vector<double>& v) {
  if (v.empty()) fuzz::broken("no values from '" + spec + "'");
  for (double x : v)
    if (!std::isfinite(x)) fuzz::broken("a non-finite value from '" + spec + "'");
}

// Printing and rereading is what resolved configs do with [model] lists; long lists are
// skipped to keep each run fast.
void check_round_trip(const std::vector<double>& v) {
  if (v.size() > 1000) return;
  const std::string text = format_list(v);
  if (parse_number_list("model.x", text) != v) fuzz::broken("'" + text + "' does not read back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string spec(reinterpret_cast<const char*>(data), size);
  fuzz::expect_input_errors([&] {
    const std::vector<double> v = parse_axis("axes.x", spec);
    check_values(spec, v);
    check_round_trip(v);
  });
  fuzz::expect_input_errors([&] {
    const std::vector<double> v = parse_number_list("model.x", spec);
    check_values(spec, v);
    check_round_trip(v);
  });
  return 0;
}
