#pragma once
// The cell layer: the one driver of a grid cell for every model. Closed forms of the selected
// methods, then T Monte Carlo trials OpenMP-parallel over trials (each selected method
// measuring every trial), reduced in trial order: the record is bitwise identical for any
// thread count.
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "phasecube/binding.hpp"
#include "phasecube/model.hpp"
#include "sweep/config.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {

// The sampler a cell of M modalities of dimension d with n samples uses: `auto` is Wishart
// when n >= M d, direct otherwise.
SamplerKind resolve_sampler(SamplerKind requested, int n, int modalities, int d);
inline SamplerKind resolve_sampler(SamplerKind requested, const CellParams& p) {
  return resolve_sampler(requested, p.n, 2, p.d);
}
// The sampler a cell of `plan`'s methods uses: direct when a method needs the data matrix.
template <class Model>
SamplerKind cell_sampler(const MethodPlan<Model>& plan, SamplerKind requested, int n,
                         int modalities, int d);

// Every slot of `plan`'s schema at its fill value, then the closed forms of the selected
// methods, into out[0, record_size()).
template <class Model>
void theory_record(const typename Model::Cell& cell, const RunSettings& run,
                   const MethodPlan<Model>& plan, double* out);

// Closed forms plus `run.trials` Monte Carlo trials into out[0, record_size()). The random
// stream of trial t is keyed by (run.seed, cell_index) and counted from t, so it does not
// depend on who runs it. Returns false, abandoning the cell within one trial, as soon as
// `cancel` becomes true.
template <class Model>
bool simulate_cell(const typename Model::Cell& cell, const RunSettings& run,
                   std::uint64_t cell_index, const MethodPlan<Model>& plan,
                   const std::atomic<bool>* cancel, double* out);

// Bytes simulate_cell holds per trial until the cell is reduced (memory.hpp).
template <class Model>
std::size_t trial_outcome_bytes(const MethodPlan<Model>& plan, int modalities) {
  return plan.trial_width(modalities) * sizeof(double);
}

// One cell's record with the schema that lays it out, read by variable name (tests,
// benchmarks and tools that simulate single cells).
class CellRecord {
 public:
  explicit CellRecord(std::shared_ptr<const CubeSchema> schema)
      : schema_(std::move(schema)), values_(schema_->fill_record()) {}
  // The value of variable `name` (at `modality`); throws std::out_of_range when the record's
  // cube has no such variable.
  double operator[](std::string_view name) const { return values_[slot(name, 0)]; }
  double at(std::string_view name, int modality = 0) const { return values_[slot(name, modality)]; }
  bool has(std::string_view name) const { return schema_->find(name) != nullptr; }
  const CubeSchema& schema() const { return *schema_; }
  std::vector<double>& values() { return values_; }
  const std::vector<double>& values() const { return values_; }

 private:
  std::size_t slot(std::string_view name, int modality) const;
  std::shared_ptr<const CubeSchema> schema_;
  std::vector<double> values_;
};

// The record of one cell as a run with `run`'s methods and [diagnose] computes it (binding:
// a cube of the cell's own M modalities).
CellRecord simulate_cell(const CellParams& p, const RunSettings& run, std::uint64_t cell_index);
CellRecord simulate_cell(const BindingParams& p, const RunSettings& run, std::uint64_t cell_index);
CellRecord theory_record(const CellParams& p, const RunSettings& run = {});
CellRecord theory_record(const BindingParams& p, const RunSettings& run = {});

}  // namespace phasecube
