// Binding cells (closed forms + Monte Carlo) and the binding job of the sweep driver.
#include "sweep/binding_run.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <ostream>

#include "phasecube/metrics.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "sweep/grid.hpp"
#include "sweep/mpi.hpp"
#include "sweep/parallel.hpp"
#include "sweep/sweep.hpp"

namespace phasecube {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double& slot(std::vector<double>& r, const BindingLayout& l, BVar v, int m = 0) {
  return r[l.offset(v) + static_cast<std::size_t>(m)];
}

constexpr BVar kDistance[kBindingMethods] = {
    BVar::anchor_distance_mean, BVar::centroid_distance_mean, BVar::best_pair_distance_mean,
    BVar::all_pairs_distance_mean};
constexpr BVar kRate[kBindingMethods] = {BVar::anchor_recovery_rate, BVar::centroid_recovery_rate,
                                         BVar::best_pair_recovery_rate,
                                         BVar::all_pairs_recovery_rate};
constexpr BVar kDims[kBindingMethods] = {
    BVar::anchor_recovered_dims_mean, BVar::centroid_recovered_dims_mean,
    BVar::best_pair_recovered_dims_mean, BVar::all_pairs_recovered_dims_mean};
constexpr BVar kWorstDistance[kBindingMethods] = {
    BVar::anchor_worst_distance, BVar::centroid_worst_distance, BVar::best_pair_worst_distance,
    BVar::all_pairs_worst_distance};
constexpr BVar kWorstRate[kBindingMethods] = {
    BVar::anchor_worst_recovery_rate, BVar::centroid_worst_recovery_rate,
    BVar::best_pair_worst_recovery_rate, BVar::all_pairs_worst_recovery_rate};

using BindingWorkspace = TrialWorkspace<BindingFit>;

}  // namespace

std::vector<double> binding_theory_record(const BindingParams& p, const BindingLayout& l) {
  std::vector<double> r(l.size());
  for (std::size_t v = 0; v < kNumBindingVariables; ++v)
    for (std::size_t i = 0; i < l.width(v); ++i)
      r[l.offset(v) + i] = fill_value(kBindingVariables[v].type);
  const BindingTheory t = binding_theory(p);
  for (int m = 0; m < p.m; ++m) {
    slot(r, l, BVar::theory_delta_anchor, m) = t.delta_anchor(m);
    slot(r, l, BVar::theory_delta_all_pairs, m) = t.delta_all_pairs(m);
  }
  slot(r, l, BVar::theory_delta_centroid) = t.delta_centroid;
  slot(r, l, BVar::theory_delta_best_pair) = t.delta_best_pair;
  slot(r, l, BVar::best_pair_first) = t.best_a;
  slot(r, l, BVar::best_pair_second) = t.best_b;
  slot(r, l, BVar::theory_winner) = t.winner;
  return r;
}

std::vector<double> simulate_binding_cell(const BindingParams& p, const RunSettings& run,
                                          std::uint64_t cell_index, const BindingLayout& l,
                                          const std::atomic<bool>* cancel) {
  std::vector<double> r = binding_theory_record(p, l);
  const BindingTheory t = binding_theory(p);
  SamplerKind kind = run.sampler;
  if (kind == SamplerKind::Auto)
    kind = p.n >= p.m * p.d ? SamplerKind::Wishart : SamplerKind::Direct;
  const auto blocks = binding_blocks(p);
  const auto trials = static_cast<std::size_t>(run.trials);
  const std::size_t m = static_cast<std::size_t>(p.m);
  // Per trial, each [method][modality]: distance, then full recovery, then recovered dims.
  const std::size_t block = kBindingMethods * m, stride = 3 * block;
  std::vector<double> out(trials * stride, kNaN);
  auto trial = [&](BindingWorkspace& w, std::size_t tr) {
    Stream rng(run.seed, cell_index, tr);
    w.sampler.draw(rng, w.s);
    BindingFit& fit = w.fit;
    fit.fit(w.s, p.m, p.k);
    double* o = out.data() + tr * stride;
    TrialScratch& scratch = w.scratch;
    auto put = [&](int meth, int mod, const Eigen::MatrixXd& enc) {
      SubspaceScore& sc = scratch.score;
      score_subspace(enc, p.k, scratch.metrics, sc);
      const std::size_t i = static_cast<std::size_t>(meth) * m + static_cast<std::size_t>(mod);
      o[i] = sc.distance;
      o[block + i] = sc.recovered == p.k ? 1.0 : 0.0;
      o[2 * block + i] = sc.recovered;
    };
    fit.anchor_encoders(p.anchor, scratch.anchor);
    fit.centroid_encoders(scratch.centroid);
    fit.all_pairs_encoders(scratch.all_pairs);
    for (int a = 0; a < p.m; ++a) {
      put(0, a, scratch.anchor[static_cast<std::size_t>(a)]);
      put(1, a, scratch.centroid[static_cast<std::size_t>(a)]);
      put(3, a, scratch.all_pairs[static_cast<std::size_t>(a)]);
    }
    fit.pair_encoder(t.best_a, t.best_b, scratch.pair);
    put(2, t.best_a, scratch.pair);
    fit.pair_encoder(t.best_b, t.best_a, scratch.pair);
    put(2, t.best_b, scratch.pair);
  };
  parallel_trials<BindingWorkspace>(trials, 2, cancel, trial, blocks, p.n, kind);
  if (cancel && cancel->load()) return {};

  std::array<std::vector<bool>, kBindingMethods> recovers;
  for (int meth = 0; meth < kBindingMethods; ++meth) {
    auto& rec = recovers[static_cast<std::size_t>(meth)];
    rec.assign(m, false);
    double worst_d = -1, worst_r = 2;
    int bound = 0;
    for (int a = 0; a < p.m; ++a) {
      const bool binds = meth != 2 || a == t.best_a || a == t.best_b;
      if (!binds) continue;
      const std::size_t i = static_cast<std::size_t>(meth) * m + static_cast<std::size_t>(a);
      double dsum = 0, fsum = 0, rsum = 0;
      for (std::size_t tr = 0; tr < trials; ++tr) {  // trial order: thread-independent bits
        dsum += out[tr * stride + i];
        fsum += out[tr * stride + block + i];
        rsum += out[tr * stride + 2 * block + i];
      }
      const double dist = dsum / static_cast<double>(trials);
      const double rate = fsum / static_cast<double>(trials);
      slot(r, l, kDistance[meth], a) = dist;
      slot(r, l, kRate[meth], a) = rate;
      slot(r, l, kDims[meth], a) = rsum / static_cast<double>(trials);
      worst_d = std::max(worst_d, dist);
      worst_r = std::min(worst_r, rate);
      ++bound;
      rec[static_cast<std::size_t>(a)] = rate >= 0.5;
    }
    if (bound > 0) {
      slot(r, l, kWorstDistance[meth]) = worst_d;
      slot(r, l, kWorstRate[meth]) = worst_r;
    }
  }
  slot(r, l, BVar::empirical_winner) = binding_winner(recovers);
  slot(r, l, BVar::trials_done) = static_cast<double>(trials);
  slot(r, l, BVar::done) = 1;
  return r;
}

namespace {

// The first difference between two binding configs that changes results; empty when none.
std::string binding_results_mismatch(const BindingConfig& a, const BindingConfig& b) {
  if (a.fixed != b.fixed) return "the fixed [model] values differ";
  if (a.axes.size() != b.axes.size()) return "the number of axes differs";
  for (std::size_t i = 0; i < a.axes.size(); ++i)
    if (a.axes[i].name != b.axes[i].name || a.axes[i].values != b.axes[i].values)
      return "axis " + a.axes[i].name + " differs";
  if (a.run.trials != b.run.trials || a.run.seed != b.run.seed || a.run.sampler != b.run.sampler)
    return "run.trials, run.seed or run.sampler differs";
  return "";
}

std::string binding_axis_long_name(const std::string& name) {
  const IndexedName in = parse_indexed_name(name);
  if (const auto* spec = find_binding_param(in.base)) {
    return indexed_doc(spec->doc, index_count(spec->shape), in.index);
  }
  return name;
}

RunInfo binding_info(const BindingConfig& config, const SweepOptions& options, int ranks) {
  return make_run_info(config.axes, config.fixed, config.resolved_text(), config.run, options,
                       ranks, binding_axis_long_name);
}

// The many-modality model as a job of the sweep driver (sweep.hpp).
class BindingJob final : public GridJob {
 public:
  BindingJob(const BindingConfig& config, const SweepOptions& options, int ranks)
      : GridJob(CubeSchema::binding(config.max_modalities), binding_info(config, options, ranks),
                config.run, options),
        config_(config),
        layout_(config.max_modalities),
        grid_(config.fixed, config.axes) {}

  std::size_t cell_count() const override { return grid_.cell_count(); }
  double cell_cost(std::size_t cell) const override {
    const BindingParams p = make_binding_cell(grid_.values(cell));
    return phasecube::cell_cost(config_.run.trials, p.m, p.d, p.n, p.n >= p.m * p.d,
                                static_cast<double>(p.m * p.m));
  }
  bool simulate(std::size_t cell, const std::atomic<bool>& cancel, double* out) const override {
    const std::vector<double> r = simulate_binding_cell(make_binding_cell(grid_.values(cell)),
                                                        config_.run, cell, layout_, &cancel);
    if (r.empty()) return false;
    std::copy(r.begin(), r.end(), out);
    return true;
  }
  MemoryNeed memory_need(int threads) const override {
    return phasecube::memory_need(config_, threads);
  }

 protected:
  void theory_record(std::size_t cell, double* out) const override {
    const std::vector<double> r =
        binding_theory_record(make_binding_cell(grid_.values(cell)), layout_);
    std::copy(r.begin(), r.end(), out);
  }
  std::string results_mismatch(const std::string& stored_text,
                               const std::string& source) const override {
    return binding_results_mismatch(config_, binding_config_from_text(stored_text, source));
  }

 private:
  const BindingConfig& config_;
  BindingLayout layout_;
  Grid grid_;
};

}  // namespace

void run_binding_theory(const BindingConfig& config, const SweepOptions& options,
                        std::ostream& log) {
  BindingJob job(config, options, 1);
  run_theory_job(job, options, log, " binding");
}

int run_binding(const BindingConfig& config, const SweepOptions& options,
                const mpi::Session& session, std::ostream& log) {
  BindingJob job(config, options, session.size());
  return run_sweep_job(job, options, session, log);
}

}  // namespace phasecube
