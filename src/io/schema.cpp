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

std::string MethodSet::text() const {
  std::string s;
  for (std::size_t i = 0; i < kMethodNames.size(); ++i)
    if (has(static_cast<Method>(i))) {
      if (!s.empty()) s += ',';  // appended, not `"," + name`: GCC 12's false -Wrestrict
      s += kMethodNames[i];
    }
  return s;
}

std::optional<Method> find_method(std::string_view name) {
  for (std::size_t i = 0; i < kMethodNames.size(); ++i)
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  return std::nullopt;
}

std::optional<Method> method_of(const VariableSpec& spec) {
  const std::string_view n = spec.name;
  if (n.starts_with("ca_probe_")) return Method::probe;
  if (n.starts_with("ca_")) return Method::ca;
  if (n.starts_with("cp_rev_")) return Method::cp_rev;
  if (n.starts_with("cp_")) return Method::cp;
  if (n.starts_with("joint_")) return Method::joint;
  return std::nullopt;
}

CubeSchema CubeSchema::two_modality(bool diagnose, MethodSet methods) {
  CubeSchema s;
  s.theory_code_ = "theory_regime";
  s.empirical_code_ = methods.has_regime() ? "empirical_regime" : "";
  s.root_attributes_ = {{"methods", methods.text()}};
  s.record_size_ = kRecordSize;  // the diagnose slots exist (at their fill) without [diagnose]
  const std::size_t count = diagnose ? kRecordSize : kNumVariables;
  for (std::size_t i = 0; i < count; ++i) {
    const VariableSpec& spec = record_spec(i);
    if (const auto m = method_of(spec); m && !methods.has(*m)) continue;
    if (spec.name == "empirical_regime" && !methods.has_regime()) continue;
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
  s.root_attributes_ = {{"methods", std::string(kBindingMethodList)},
                        {"winner_codes", std::string(kWinnerCodes)}};
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
