#pragma once
// Shared by the GoogleTest suites: a validated cell from the defaults plus overrides.
#include "phasecube/model.hpp"

namespace phasecube::testing {

inline CellParams cell(const ParamValues& overrides) {
  ParamValues v = default_param_values();
  for (const auto& [key, value] : overrides) v[key] = value;
  return make_cell(v);
}

}  // namespace phasecube::testing
