// Binding cells (closed forms + Monte Carlo) and the one-process driver of a binding run.
#include "phasecube/binding_run.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <exception>
#include <filesystem>
#include <limits>
#include <ostream>

#include "phasecube/grid.hpp"
#include "phasecube/metrics.hpp"
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
  std::exception_ptr failure;

#pragma omp parallel
  {
    CovarianceSampler sampler(blocks, p.n, kind);
    BindingFit fit;
    Eigen::MatrixXd s;
#pragma omp for schedule(dynamic, 2)
    for (std::size_t tr = 0; tr < trials; ++tr) {
      if (cancel && cancel->load(std::memory_order_relaxed)) continue;
      try {
        Stream rng(run.seed, cell_index, tr);
        sampler.draw(rng, s);
        fit.fit(s, p.m, p.k);
        double* o = out.data() + tr * stride;
        auto put = [&](int meth, int mod, const Eigen::MatrixXd& enc) {
          const SubspaceScore sc = score_subspace(enc, p.k);
          const std::size_t i = static_cast<std::size_t>(meth) * m + static_cast<std::size_t>(mod);
          o[i] = sc.distance;
          o[block + i] = sc.recovered == p.k ? 1.0 : 0.0;
          o[2 * block + i] = sc.recovered;
        };
        const auto anchor = fit.anchor_encoders(p.anchor);
        const auto centroid = fit.centroid_encoders();
        const auto all_pairs = fit.all_pairs_encoders();
        for (int a = 0; a < p.m; ++a) {
          put(0, a, anchor[static_cast<std::size_t>(a)]);
          put(1, a, centroid[static_cast<std::size_t>(a)]);
          put(3, a, all_pairs[static_cast<std::size_t>(a)]);
        }
        put(2, t.best_a, fit.pair_encoder(t.best_a, t.best_b));
        put(2, t.best_b, fit.pair_encoder(t.best_b, t.best_a));
      } catch (...) {
#pragma omp critical(phasecube_binding_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
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

// Set by SIGTERM, SIGINT or SIGUSR1 during a binding run: the cell in progress is abandoned
// within one trial, the cube saved (status partial), and the run exits with status 3.
std::atomic<bool> g_binding_stop{false};
extern "C" void on_binding_stop(int) {
  g_binding_stop.store(true);
}

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

}  // namespace

int run_binding(const BindingConfig& config, const SweepOptions& options, std::ostream& log) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const BindingLayout layout(config.max_modalities);
  const Grid grid(config.fixed, config.axes);
  BindingCubeInfo info;
  info.axes = config.axes;
  info.fixed = config.fixed;
  info.config_text = config.resolved_text();
  info.run = config.run;
  info.command_line = options.command_line;
  info.threads = omp_get_max_threads();
  info.theory_only = options.theory_only;
  if (options.theory_only) info.run.trials = 0;

  std::vector<std::vector<double>> records(grid.cell_count());
  for (std::size_t c = 0; c < records.size(); ++c)
    records[c] = binding_theory_record(make_binding_cell(grid.values(c)), layout);
  auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  if (options.theory_only) {
    for (auto& rec : records) rec[layout.offset(BVar::done)] = 1;
    write_binding_cube(options.output, info, layout, records, true, seconds());
    log << "phasecube: wrote " << options.output << " (" << records.size()
        << " binding cells, closed forms only)\n";
    return 0;
  }
  // --resume: take over the finished cells of a cube made by the same config.
  std::vector<bool> done(records.size(), false);
  std::error_code ec;
  if (options.resume && std::filesystem::exists(options.output, ec)) {
    const BindingCubeContents old = read_binding_cube(options.output);
    const auto theory = old.number_attributes.find("theory_only");
    if (theory != old.number_attributes.end() && !theory->second.empty() && theory->second[0] == 1)
      throw InputError("--resume: " + options.output +
                       " is a theory-only cube (phasecube theory); pass --overwrite to replace it");
    const BindingConfig stored = binding_config_from_text(old.string_attributes.at("config"),
                                                          options.output + " (stored config)");
    const std::string diff = binding_results_mismatch(config, stored);
    if (!diff.empty() || old.modalities != layout.modalities())
      throw InputError("--resume: the config differs from the one stored in " + options.output +
                       ": " + (diff.empty() ? "the modality dimension differs" : diff));
    const auto& old_done = old.variables.at("done");
    std::size_t taken = 0;
    for (std::size_t c = 0; c < records.size(); ++c) {
      if (old_done[c] != 1) continue;
      for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
        const auto& values = old.variables.at(std::string(kBindingVariables[v].name));
        const std::size_t w = layout.width(v);
        for (std::size_t i = 0; i < w; ++i) records[c][layout.offset(v) + i] = values[c * w + i];
      }
      done[c] = true;
      ++taken;
    }
    log << "phasecube: resuming " << options.output << ": " << taken << " of " << records.size()
        << " binding cells already done\n";
  }
  struct sigaction sa {};
  sa.sa_handler = on_binding_stop;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &sa, nullptr);

  // The cube exists (closed forms, status partial) from the start, then every ~10 s.
  write_binding_cube(options.output, info, layout, records, false, seconds());
  auto last = Clock::now();
  for (std::size_t c = 0; c < records.size(); ++c) {
    if (done[c]) continue;
    auto r = simulate_binding_cell(make_binding_cell(grid.values(c)), config.run, c, layout,
                                   &g_binding_stop);
    if (g_binding_stop.load()) {
      write_binding_cube(options.output, info, layout, records, false, seconds());
      log << "phasecube: stopped; " << options.output
          << " holds the finished binding cells (status partial); rerun with --resume to finish "
             "it\n";
      return kExitInterrupted;
    }
    records[c] = std::move(r);
    if (std::chrono::duration<double>(Clock::now() - last).count() > 10) {
      write_binding_cube(options.output, info, layout, records, false, seconds());
      log << "phasecube: " << c + 1 << "/" << records.size() << " binding cells\n";
      last = Clock::now();
    }
  }
  write_binding_cube(options.output, info, layout, records, true, seconds());
  log << "phasecube: wrote " << options.output << " (" << records.size()
      << " binding cells, M <= " << config.max_modalities << ")\n";
  return 0;
}

}  // namespace phasecube
