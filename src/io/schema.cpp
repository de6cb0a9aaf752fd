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

void CubeSchema::add(const VariableSpec& spec, bool required) {
  CubeVariable v;
  v.spec = spec;
  if (spec.code_max == kModalityCode) v.spec.code_max = modalities_ - 1;
  v.offset = record_size_;
  v.width = spec.per_modality ? static_cast<std::size_t>(modalities_) : 1;
  v.required = required;
  record_size_ += v.width;
  variables_.push_back(v);
}

void CubeSchema::set_codes(std::string_view theory, std::string_view empirical) {
  theory_code_ = theory;
  empirical_code_ = empirical;
}

const CubeVariable* CubeSchema::find(std::string_view name) const {
  for (const CubeVariable& v : variables_)
    if (v.spec.name == name) return &v;
  return nullptr;
}

std::vector<double> CubeSchema::fill_record() const {
  std::vector<double> r(record_size_);
  for (const CubeVariable& v : variables_)
    for (std::size_t i = 0; i < v.width; ++i) r[v.offset + i] = fill_value(v.spec.type);
  return r;
}

}  // namespace phasecube
