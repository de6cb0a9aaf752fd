#pragma once
// The method registry: every method of each model, in cube order (registry.cpp has one
// registration line per method), the selection `[run] methods` makes, and the cube schema
// of a selection.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/cube.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube {

template <class Model>
std::span<const MethodEntry<Model>* const> registered_methods();

// The estimator names of a model in registry order: what `[run] methods` accepts.
template <class Model>
std::vector<std::string_view> estimator_names();

// How a Section entry's variables enter a schema: not at all, as written by a run whose config
// has the section, or as a reader takes them (when present).
enum class SectionUse { Off, On, Optional };

// The entries a run computes and the cube they make: the selected estimators (`methods`:
// names in registry order; empty: the default_on estimators), the derived entries whose inputs are
// all selected, the Section entries when `sections` is not Off; then the counters trials_done and
// done. For a model with a `modality` dimension, `modalities` is its length (M_max).
template <class Model>
class MethodPlan {
 public:
  MethodPlan(const std::vector<std::string>& methods, SectionUse sections, int modalities);
  const CubeSchema& schema() const { return schema_; }
  const std::vector<const MethodEntry<Model>*>& entries() const { return entries_; }
  // Record offsets of entry i's variables, in its `variables` order.
  const std::size_t* offsets(std::size_t i) const { return offsets_[i].data(); }
  // Doubles a trial of a cell with `modalities` modalities measures, over every entry.
  std::size_t trial_width(int modalities) const;
  // Whether any entry needs the trial's fit (else no sample is drawn), the data matrix, or
  // is not rotation-invariant.
  bool needs_fit() const;
  bool needs_data() const;
  bool rotation_sensitive() const;
  // "run.methods: <name> <why>" for the first selected entry that cannot run in cell p, else
  // empty.
  std::string cell_error(const typename Model::Cell& p) const;
  // Whether the trials rotate x and y: `rotate`, or for auto a rotation-sensitive entry.
  bool rotates(Rotate rotate) const {
    return needs_data() &&
           (rotate == Rotate::On || (rotate == Rotate::Auto && rotation_sensitive()));
  }

 private:
  CubeSchema schema_;
  std::vector<const MethodEntry<Model>*> entries_;
  std::vector<std::vector<std::size_t>> offsets_;
};

// `[run] methods = a, b, ...` for `Model`: known estimator names, each once, at least one,
// returned in registry order (empty when exactly the default_on ones are listed). Throws
// InputError naming `key` and listing the estimators.
template <class Model>
std::vector<std::string> parse_methods(const std::string& key, const std::string& text);
// The methods a run computes as "a,b,c" (empty `methods`: the default_on estimators).
template <class Model>
std::string methods_text(const std::vector<std::string>& methods);

// "a,b,c": the root attribute `methods` and the resolved config's value.
std::string join_methods(const std::vector<std::string>& names);

// The schema of a stored cube (read_cube's resolver): its kind's model, its stored methods
// (none stored: the default_on estimators), Section variables optional.
CubeSchema stored_schema(const StoredKind& stored);
// io's one reader with the registry's schemas: what inspect, validate and --resume read.
CubeContents read_cube(const std::string& path, CubeParts parts = CubeParts::All);

}  // namespace phasecube
