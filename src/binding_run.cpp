// Binding cells (closed forms + Monte Carlo) and the binding job of the sweep driver.
#include "phasecube/binding_run.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <ostream>

#include "phasecube/grid.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/mpi.hpp"
#include "phasecube/parallel.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/sweep.hpp"

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

BindingCubeInfo binding_info(const BindingConfig& config, const SweepOptions& options, int ranks) {
  BindingCubeInfo info;
  info.axes = config.axes;
  info.fixed = config.fixed;
  info.config_text = config.resolved_text();
  info.run = config.run;
  info.command_line = options.command_line;
  info.mpi_ranks = ranks;
  info.threads = omp_get_max_threads();
  info.theory_only = options.theory_only;
  if (options.theory_only) info.run.trials = 0;
  return info;
}

// The binding cube as a job of the sweep driver (sweep.hpp): records of layout.size() doubles.
class BindingJob final : public SweepJob {
 public:
  BindingJob(const BindingConfig& config, const SweepOptions& options, int ranks)
      : config_(config),
        options_(options),
        layout_(config.max_modalities),
        grid_(config.fixed, config.axes),
        info_(binding_info(config, options, ranks)) {}

  std::size_t cell_count() const override { return grid_.cell_count(); }
  std::size_t record_size() const override { return layout_.size(); }
  const RunSettings& run() const override { return config_.run; }
  // Multiply-adds per trial, roughly: the M d x M d sample covariance, then one SVD per
  // modality pair.
  double cell_cost(std::size_t cell) const override {
    const BindingParams p = make_binding_cell(grid_.values(cell));
    const double md = static_cast<double>(p.m) * p.d, d = p.d;
    const double sample = p.n >= p.m * p.d ? md * md * md / 6 + 30 * md * md
                                           : static_cast<double>(p.n) * md * (md / 2 + 10);
    return static_cast<double>(config_.run.trials) *
           (sample + 40 * d * d * d * static_cast<double>(p.m * p.m));
  }
  bool simulate(std::size_t cell, const std::atomic<bool>& cancel, double* out) const override {
    const std::vector<double> r = simulate_binding_cell(make_binding_cell(grid_.values(cell)),
                                                        config_.run, cell, layout_, &cancel);
    if (r.empty()) return false;
    std::copy(r.begin(), r.end(), out);
    return true;
  }

  void init_records() override {
    records_.resize(grid_.cell_count());
    for (std::size_t c = 0; c < records_.size(); ++c) {
      throw_if_stopped();
      records_[c] = binding_theory_record(make_binding_cell(grid_.values(c)), layout_);
    }
  }
  void store(std::size_t cell, const double* record) override {
    records_[cell].assign(record, record + layout_.size());
  }
  Previous take_previous(const std::string& path) override {
    const BindingCubeContents old = read_binding_cube(path);
    Previous prev;
    prev.wall_seconds = resumable_wall_seconds(old.number_attributes, path);
    const BindingConfig stored = binding_config_from_text(
        stored_config_text(old.string_attributes, path), path + " (stored config)");
    const std::string diff = binding_results_mismatch(config_, stored);
    if (!diff.empty() || old.modalities != layout_.modalities())
      throw InputError("--resume: the config differs from the one stored in " + path + ": " +
                       (diff.empty() ? "the modality dimension differs" : diff));
    check_resumed_grid(old.axes, old.number_attributes, config_.axes, config_.run.trials, path);
    const auto& old_done = old.variables.at("done");
    prev.done.assign(records_.size(), false);
    for (std::size_t c = 0; c < records_.size(); ++c) {
      if (old_done[c] != 1) continue;
      for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
        const auto& values = old.variables.at(std::string(kBindingVariables[v].name));
        const std::size_t w = layout_.width(v);
        for (std::size_t i = 0; i < w; ++i) records_[c][layout_.offset(v) + i] = values[c * w + i];
      }
      prev.done[c] = true;
    }
    return prev;
  }
  void write_snapshot(bool complete, double wall_seconds) override {
    write_binding_cube(options_.output, info_, layout_, records_, complete, wall_seconds);
  }
  MemoryNeed memory_need(int threads) const override {
    return phasecube::memory_need(config_, threads);
  }

 private:
  const BindingConfig& config_;
  const SweepOptions& options_;
  BindingLayout layout_;
  Grid grid_;
  BindingCubeInfo info_;
  std::vector<std::vector<double>> records_;
};

}  // namespace

void run_binding_theory(const BindingConfig& config, const SweepOptions& options,
                        std::ostream& log) {
  const auto t0 = std::chrono::steady_clock::now();
  const BindingLayout layout(config.max_modalities);
  const Grid grid(config.fixed, config.axes);
  std::vector<std::vector<double>> records(grid.cell_count());
  for (std::size_t c = 0; c < records.size(); ++c) {
    throw_if_stopped();
    records[c] = binding_theory_record(make_binding_cell(grid.values(c)), layout);
    records[c][layout.offset(BVar::done)] = 1;  // the cell holds everything a theory cube has
  }
  throw_if_stopped();
  write_binding_cube(options.output, binding_info(config, options, 1), layout, records, true,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  log << "phasecube: wrote " << options.output << " (" << records.size()
      << " binding cells, closed forms only)\n";
}

int run_binding(const BindingConfig& config, const SweepOptions& options,
                const mpi::Session& session, std::ostream& log) {
  BindingJob job(config, options, session.size());
  return run_sweep_job(job, options, session, log);
}

}  // namespace phasecube
