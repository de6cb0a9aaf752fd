// The registration lines: one X(name) per method, in cube order (a method's file defines
// `name_method`). Adding a method is its file, a line here and its file in CMakeLists.txt.
#include "sweep/methods/registry.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <type_traits>

#include "io/binding_schema.hpp"
#include "sweep/config_text.hpp"

#define PHASECUBE_TWO_MODALITY_METHODS(X) \
  X(ca) X(cp) X(cp_rev) X(probe) X(joint) X(pls) X(infonce) X(regime) X(regime_rev) X(diagnose)
#define PHASECUBE_BINDING_METHODS(X) X(anchor) X(centroid) X(best_pair) X(all_pairs) X(winner)

namespace phasecube {

namespace methods {
#define PHASECUBE_DECLARE_TWO(name) extern const TwoModalityMethod name##_method;
#define PHASECUBE_DECLARE_BINDING(name) extern const BindingMethodEntry name##_method;
PHASECUBE_TWO_MODALITY_METHODS(PHASECUBE_DECLARE_TWO)
PHASECUBE_BINDING_METHODS(PHASECUBE_DECLARE_BINDING)
}  // namespace methods

namespace {
#define PHASECUBE_POINTER(name) &methods::name##_method,
constexpr std::array kTwoModality = {PHASECUBE_TWO_MODALITY_METHODS(PHASECUBE_POINTER)};
constexpr std::array kBinding = {PHASECUBE_BINDING_METHODS(PHASECUBE_POINTER)};
#undef PHASECUBE_POINTER

// What a model's cube is called and which entries' variables are its codes.
template <class Model>
struct CubeKind;
template <>
struct CubeKind<TwoModalityModel> {
  static constexpr std::string_view kind = "", theory = "theory_regime",
                                    empirical = "empirical_regime";
};
template <>
struct CubeKind<BindingModel> {
  static constexpr std::string_view kind = kBindingSchema, theory = "theory_winner",
                                    empirical = "empirical_winner";
};

// Empty `methods` (no `[run] methods`): the default_on estimators.
template <class Model>
bool selected(const MethodEntry<Model>& e, const std::vector<std::string>& methods) {
  if (methods.empty()) return e.default_on;
  return std::find(methods.begin(), methods.end(), e.name) != methods.end();
}

template <class Model>
bool switched_on(const MethodEntry<Model>& e, const std::vector<std::string>& methods,
                 SectionUse sections) {
  const auto all = registered_methods<Model>();
  switch (e.kind) {
    case MethodKind::Estimator:
      return selected(e, methods);
    case MethodKind::Derived:
      return std::all_of(e.reads.begin(), e.reads.end(), [&](std::string_view name) {
        return std::any_of(all.begin(), all.end(),
                           [&](const auto* r) { return r->name == name && selected(*r, methods); });
      });
    case MethodKind::Section:
      return sections != SectionUse::Off;
  }
  return false;
}

}  // namespace

template <>
std::span<const TwoModalityMethod* const> registered_methods<TwoModalityModel>() {
  return kTwoModality;
}
template <>
std::span<const BindingMethodEntry* const> registered_methods<BindingModel>() {
  return kBinding;
}

template <class Model>
std::vector<std::string_view> estimator_names() {
  std::vector<std::string_view> names;
  for (const auto* e : registered_methods<Model>())
    if (e->kind == MethodKind::Estimator) names.push_back(e->name);
  return names;
}

namespace {
// The estimators a run without `[run] methods` computes, in registry order.
template <class Model>
std::vector<std::string> default_estimators() {
  std::vector<std::string> names;
  for (const auto* e : registered_methods<Model>())
    if (e->kind == MethodKind::Estimator && e->default_on) names.emplace_back(e->name);
  return names;
}
}  // namespace

std::string join_methods(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) {
    if (!s.empty()) s += ',';  // appended, not `"," + name`: GCC 12's false -Wrestrict
    s += n;
  }
  return s;
}

template <class Model>
MethodPlan<Model>::MethodPlan(const std::vector<std::string>& methods, SectionUse sections,
                              int modalities)
    : schema_(CubeKind<Model>::kind, modalities) {
  std::vector<std::string> estimators;
  bool theory = false, empirical = false;
  for (const auto* e : registered_methods<Model>()) {
    if (!switched_on(*e, methods, sections)) continue;
    if (e->needs == MethodNeeds::Data && std::is_same_v<Model, BindingModel>)
      throw std::logic_error("method " + std::string(e->name) +
                             ": the binding driver does not draw the data matrix");
    if (e->kind == MethodKind::Estimator) estimators.emplace_back(e->name);
    std::vector<std::size_t> offsets;
    for (const VariableSpec& v : e->variables) {
      schema_.add(v, e->kind != MethodKind::Section || sections == SectionUse::On);
      offsets.push_back(schema_.variables().back().offset);
      theory = theory || v.name == CubeKind<Model>::theory;
      empirical = empirical || v.name == CubeKind<Model>::empirical;
    }
    entries_.push_back(e);
    offsets_.push_back(std::move(offsets));
  }
  schema_.add(kTrialsDone);
  schema_.add(kDone);
  schema_.set_codes(theory ? CubeKind<Model>::theory : "",
                    empirical ? CubeKind<Model>::empirical : "");
  schema_.add_root_attribute("methods", join_methods(estimators));
  if (std::is_same_v<Model, BindingModel>)
    schema_.add_root_attribute("winner_codes", std::string(kWinnerCodes));
}

template <class Model>
std::size_t MethodPlan<Model>::trial_width(int modalities) const {
  std::size_t w = 0;
  for (const auto* e : entries_)
    w += e->outcomes * (e->per_modality_outcomes ? static_cast<std::size_t>(modalities) : 1);
  return w;
}

template <class Model>
bool MethodPlan<Model>::needs_fit() const {
  return std::any_of(entries_.begin(), entries_.end(), [](const auto* e) {
    return e->needs == MethodNeeds::Fit || e->needs == MethodNeeds::Data;
  });
}

template <class Model>
bool MethodPlan<Model>::needs_data() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto* e) { return e->needs == MethodNeeds::Data; });
}

template <class Model>
std::string MethodPlan<Model>::cell_error(const typename Model::Cell& p) const {
  for (const auto* e : entries_)
    if (e->cell_error)
      if (std::string why = e->cell_error(p); !why.empty())
        return "run.methods: " + std::string(e->name) + " " + why;
  return {};
}

template <class Model>
bool MethodPlan<Model>::rotation_sensitive() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto* e) { return !e->rotation_invariant; });
}

template <class Model>
std::vector<std::string> parse_methods(const std::string& key, const std::string& text) {
  const std::vector<std::string_view> known = estimator_names<Model>();
  std::string list;
  for (const auto name : known) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  std::vector<bool> chosen(known.size(), false);
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = config_text::trim(std::string_view(text).substr(start, comma - start));
    const auto it = std::find(known.begin(), known.end(), name);
    if (it == known.end())
      throw InputError(
          key + " = " + text + ": " +
          (name.empty() ? std::string("an empty name") : "unknown method '" + name + "'") +
          " (methods: " + list + ")");
    const auto i = static_cast<std::size_t>(it - known.begin());
    if (chosen[i]) throw InputError(key + " = " + text + ": '" + name + "' is listed twice");
    chosen[i] = true;
    start = comma + 1;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < known.size(); ++i)
    if (chosen[i]) names.emplace_back(known[i]);
  if (names == default_estimators<Model>()) names.clear();  // the default set, unwritten
  return names;
}

template <class Model>
std::string methods_text(const std::vector<std::string>& methods) {
  return join_methods(methods.empty() ? default_estimators<Model>() : methods);
}

namespace {

template <class Model>
CubeSchema stored_schema_of(const StoredKind& stored) {
  const std::vector<std::string_view> known = estimator_names<Model>();
  for (const std::string& name : stored.methods)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw SchemaError("attribute 'methods' names an unknown method '" + name + "'");
  if (stored.methods_given && stored.methods.empty())
    throw SchemaError("attribute 'methods' is empty");
  return MethodPlan<Model>(stored.methods, SectionUse::Optional, stored.modalities).schema();
}

}  // namespace

CubeSchema stored_schema(const StoredKind& stored) {
  if (stored.kind.empty()) return stored_schema_of<TwoModalityModel>(stored);
  if (stored.kind == kBindingSchema) return stored_schema_of<BindingModel>(stored);
  throw SchemaError("attribute 'schema' = '" + stored.kind + "' is no kind of cube (" +
                    std::string(kBindingSchema) + ", or none for two modalities)");
}

CubeContents read_cube(const std::string& path, CubeParts parts) {
  return read_cube(path, stored_schema, parts);
}

template std::string methods_text<TwoModalityModel>(const std::vector<std::string>&);
template std::string methods_text<BindingModel>(const std::vector<std::string>&);
template class MethodPlan<TwoModalityModel>;
template class MethodPlan<BindingModel>;
template std::vector<std::string_view> estimator_names<TwoModalityModel>();
template std::vector<std::string_view> estimator_names<BindingModel>();
template std::vector<std::string> parse_methods<TwoModalityModel>(const std::string&,
                                                                  const std::string&);
template std::vector<std::string> parse_methods<BindingModel>(const std::string&,
                                                              const std::string&);

}  // namespace phasecube
