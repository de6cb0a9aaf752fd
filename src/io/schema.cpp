#include "io/schema.hpp"

#include <limits>

#include "io/binding_schema.hpp"
#include "phasecube/binding.hpp"

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

CubeSchema CubeSchema::two_modality(bool diagnose) {
  CubeSchema s;
  s.theory_code_ = "theory_regime";
  s.empirical_code_ = "empirical_regime";
  s.record_size_ = kRecordSize;  // the diagnose slots exist (at their fill) without [diagnose]
  const std::size_t count = diagnose ? kRecordSize : kNumVariables;
  for (std::size_t i = 0; i < count; ++i) {
    CubeVariable var;
    var.spec = record_spec(i);
    var.offset = i;
    var.required = i < kNumVariables;  // the diagnose ones only with [diagnose]
    s.variables_.push_back(var);
  }
  return s;
}

CubeSchema CubeSchema::binding(int modalities) {
  CubeSchema s;
  s.kind_ = kBindingSchema;
  s.theory_code_ = "theory_winner";
  s.empirical_code_ = "empirical_winner";
  s.modalities_ = modalities;
  s.root_attributes_ = {{"methods", kBindingMethodList}, {"winner_codes", kWinnerCodes}};
  const BindingLayout layout(modalities);
  s.record_size_ = layout.size();
  for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
    CubeVariable var;
    var.spec = kBindingVariables[v];
    var.offset = layout.offset(v);
    var.width = layout.width(v);
    const std::string_view name = var.spec.name;
    if (name == "best_pair_first" || name == "best_pair_second")
      var.code_max = modalities - 1;
    else
      var.code_max = kNoWinner;
    if (name == "theory_winner" || name == "empirical_winner") var.flag_meanings = kWinnerCodes;
    s.variables_.push_back(var);
  }
  return s;
}

const CubeVariable* CubeSchema::find(std::string_view name) const {
  for (const CubeVariable& v : variables_)
    if (v.spec.name == name) return &v;
  return nullptr;
}

}  // namespace phasecube
