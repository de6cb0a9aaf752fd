#pragma once
// Methods as plug-ins (DESIGN section 5). An estimator of the engine is one MethodEntry in a
// file of its own under src/sweep/methods/, listed once in registry.cpp. An entry declares
// its cube variables, its closed form, what it needs per trial and two functions: measure
// (one trial into `outcomes` doubles) and reduce (a cell's trials, in trial order, into its
// variables). The one cell driver (cell.cpp) runs the selected entries of the run's model;
// the cube schema is the selected entries' variables plus the driver's counters.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "io/schema.hpp"
#include "phasecube/binding.hpp"
#include "phasecube/estimators.hpp"
#include "phasecube/model.hpp"
#include "phasecube/theory.hpp"
#include "sweep/config.hpp"
#include "sweep/parallel.hpp"

namespace phasecube {

// How an entry is switched on. Estimator: by `[run] methods` (default: every estimator of the
// model that is `default_on`). Derived: when every entry it `reads` is on (it reads their
// variables, e.g. the simulated regime from CA's and CP's recovery rates). Section: when the config
// has the section named by the entry (`[diagnose]`).
enum class MethodKind { Estimator, Derived, Section };

// What an entry needs per trial: Nothing (derived entries: no per-trial work), the trial's
// fitted sample covariances (Fit), the data matrix itself (Data: a trained objective; the
// trial then draws the n x 2d data with the direct sampler and every Fit method of the trial
// uses that data's covariance, so methods are paired) or a draw of its own from its own stream
// purpose (OwnDraw: the diagnose procedure).
enum class MethodNeeds { Nothing, Fit, Data, OwnDraw };

// The slots of one entry's variables in a cell's record, by the entry's own variable index
// (its `variables` order); per-modality variables take `modality`.
class MethodSlots {
 public:
  MethodSlots(double* record, const std::size_t* offsets) : record_(record), offsets_(offsets) {}
  double& operator()(std::size_t var, int modality = 0) const {
    return record_[offsets_[var] + static_cast<std::size_t>(modality)];
  }

 private:
  double* record_;
  const std::size_t* offsets_;
};

// Reads any variable of the cell's record by name (derived entries): NaN when the cube has
// no such variable.
class RecordReader {
 public:
  RecordReader(const CubeSchema& schema, const double* record) : schema_(schema), record_(record) {}
  double operator()(std::string_view name, int modality = 0) const {
    const CubeVariable* v = schema_.find(name);
    return v ? record_[v->offset + static_cast<std::size_t>(modality)]
             : std::numeric_limits<double>::quiet_NaN();
  }

 private:
  const CubeSchema& schema_;
  const double* record_;
};

// One entry's measurements of a cell: `trials` rows by trial index, `stride` doubles apart
// (every selected entry's outcomes of a trial are one row).
class TrialOutcomes {
 public:
  TrialOutcomes(const double* data, std::size_t trials, std::size_t stride)
      : data_(data), trials_(trials), stride_(stride) {}
  std::size_t trials() const { return trials_; }
  double operator()(std::size_t trial, std::size_t slot) const {
    return data_[trial * stride_ + slot];
  }
  // Mean and standard deviation (n - 1; NaN for one trial) of a slot, summed in trial order:
  // the same bits whatever thread measured each trial.
  double mean(std::size_t slot) const {
    double sum = 0;
    for (std::size_t t = 0; t < trials_; ++t) sum += (*this)(t, slot);
    return sum / static_cast<double>(trials_);
  }
  double std_dev(std::size_t slot) const {
    if (trials_ < 2) return std::numeric_limits<double>::quiet_NaN();
    const double m = mean(slot);
    double ss = 0;
    for (std::size_t t = 0; t < trials_; ++t) ss += ((*this)(t, slot) - m) * ((*this)(t, slot) - m);
    return std::sqrt(ss / static_cast<double>(trials_ - 1));
  }

 private:
  const double* data_;
  std::size_t trials_, stride_;
};

// The two models of the engine. A model names its cell, its closed forms, its fit and what a
// method sees of a cell (CellContext) and of one trial (TrialContext).
struct TwoModalityModel {
  using Cell = CellParams;
  using Fit = CrossModalFit;
  static int modalities(const CellParams&) { return 2; }
  struct CellContext {
    const CellParams& p;
    const Theory& theory;
    const PopulationCovariance& pop;
    const RunSettings& run;
    std::uint64_t cell_index;
  };
  struct TrialContext {
    const CellContext& cell;
    const CrossModalFit& fit;
    TrialScratch& scratch;
    std::uint64_t trial;
    const TrialData* data;  // entries that need Data; null otherwise
  };
};

struct BindingModel {
  using Cell = BindingParams;
  using Fit = BindingFit;
  static int modalities(const BindingParams& p) { return p.m; }
  struct CellContext {
    const BindingParams& p;
    const BindingTheory& theory;
    const RunSettings& run;
    std::uint64_t cell_index;
  };
  struct TrialContext {
    const CellContext& cell;
    BindingFit& fit;  // its encoders reuse the fit's buffers
    TrialScratch& scratch;
    std::uint64_t trial;
  };
};

template <class Model>
struct MethodEntry {
  using CellContext = typename Model::CellContext;
  using TrialContext = typename Model::TrialContext;

  std::string_view name = {};  // `[run] methods` name; the cube's root `methods` lists estimators
  MethodKind kind = MethodKind::Estimator;
  // Estimators: whether a run without `[run] methods` computes it. False for methods added
  // after the default set was fixed (pls), so that today's cubes keep exactly their variables.
  bool default_on = true;
  std::span<const VariableSpec> variables = {};  // the cube variables it owns, in cube order
  MethodNeeds needs = MethodNeeds::Fit;
  // False for a method whose result depends on the data's frame (Adam's per-coordinate steps):
  // `[run] rotate = auto` then rotates x and y in its trials.
  bool rotation_invariant = true;
  // Doubles one trial measures (times the cell's modality count when per_modality_outcomes).
  std::size_t outcomes = 0;
  bool per_modality_outcomes = false;
  std::span<const std::string_view> reads = {};  // Derived: the entries whose variables it reads
  std::string_view section = {};                 // Section: the config section that switches it on
  // Its closed-form variables of a cell (theory cubes have only these); may be null.
  void (*closed_form)(const CellContext&, MethodSlots) = nullptr;
  // One trial into out[0, width); null when it needs Nothing.
  void (*measure)(const TrialContext&, double* out) = nullptr;
  // The cell's Monte Carlo variables from its trials (trial order) and, for derived entries,
  // the variables of the entries before it in the registry.
  void (*reduce)(const CellContext&, const TrialOutcomes&, const RecordReader&,
                 MethodSlots) = nullptr;
  // Multiply-adds of one trial beyond the sample and the fit (the chunking's cost estimate,
  // cost.hpp); null: negligible next to them.
  double (*trial_cost)(const typename Model::Cell&) = nullptr;
  // Why the method cannot run in a cell that is otherwise valid (the config refuses the grid
  // before anything is written); null or an empty answer: it can.
  std::string (*cell_error)(const typename Model::Cell&) = nullptr;
};

using TwoModalityMethod = MethodEntry<TwoModalityModel>;
using BindingMethodEntry = MethodEntry<BindingModel>;

}  // namespace phasecube
