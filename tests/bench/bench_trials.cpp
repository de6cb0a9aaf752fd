// Trials per second per core for one cell (issue goals: >= 20,000/s Wishart at d = 20,
// >= 500/s direct at n = 5000). Run: build/tests/bench/bench_trials
// Reported as items_per_second (= trials/s) on one thread. binding/M/D: one binding cell
// of M modalities in dimension d (n = 1000, Wishart, the four binding methods).
#include <benchmark/benchmark.h>
#include <omp.h>

#include "sweep/cell.hpp"

using namespace phasecube;

namespace {

void trials(benchmark::State& state, SamplerKind sampler) {
  omp_set_num_threads(1);
  ParamValues v = default_param_values();
  v["d"] = {static_cast<double>(state.range(0))};
  v["k"] = {3};
  v["n"] = {static_cast<double>(state.range(1))};
  v["kappa"] = {1.5};
  v["nu"] = {0.4};
  const CellParams p = make_cell(v);
  RunSettings run;
  run.trials = 64;
  run.sampler = sampler;
  // As a job runs cells: one plan (the methods and their record layout), one record buffer.
  const MethodPlan<TwoModalityModel> plan(run.methods, SectionUse::Off, 0);
  std::vector<double> record(plan.schema().record_size());
  std::uint64_t cell = 0;
  for (auto _ : state) {
    simulate_cell<TwoModalityModel>(p, run, cell++, plan, nullptr, record.data());
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations() * run.trials);
  state.counters["d"] = static_cast<double>(p.d);
  state.counters["n"] = p.n;
}

void binding(benchmark::State& state) {
  omp_set_num_threads(1);
  ParamValues v = default_binding_values();
  v["modalities"] = {static_cast<double>(state.range(0))};
  v["d"] = {static_cast<double>(state.range(1))};
  v["k"] = {2};
  v["n"] = {1000};
  v["gamma"] = {4, 0.3};
  const BindingParams p = make_binding_cell(v);
  RunSettings run;
  run.trials = 64;
  run.sampler = SamplerKind::Wishart;
  const MethodPlan<BindingModel> plan(run.methods, SectionUse::Off, p.m);
  std::vector<double> record(plan.schema().record_size());
  std::uint64_t cell = 0;
  for (auto _ : state) {
    simulate_cell<BindingModel>(p, run, cell++, plan, nullptr, record.data());
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations() * run.trials);
  state.counters["M"] = p.m;
  state.counters["d"] = p.d;
}

}  // namespace

BENCHMARK_CAPTURE(trials, wishart, SamplerKind::Wishart)
    ->Args({20, 5000})
    ->Args({10, 5000})
    ->Args({50, 5000})
    ->Args({100, 5000})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(trials, direct, SamplerKind::Direct)
    ->Args({20, 5000})
    ->Args({10, 5000})
    ->Args({50, 5000})
    ->Args({100, 5000})
    ->Unit(benchmark::kMillisecond);

BENCHMARK(binding)->Args({3, 8})->Args({3, 20})->Args({5, 20})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
