#include "io/schema.hpp"

#include <limits>

namespace phasecube {

double fill_value(VarType t) {
  switch (t) {
    case VarType::Float64:
      return std::numeric_limits<double>::quiet_NaN();
    case VarType::Int8:
      return -1;  // regime codes: -1 = not computed
    case VarType::Int32:
    case VarType::UInt8:
      return 0;  // counters and flags start at zero
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace phasecube
