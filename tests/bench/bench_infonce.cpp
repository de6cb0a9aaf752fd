// The InfoNCE trainer on one core (issue goal: <= 2 ms per Adam step at d = 20, k = 3,
// B = 1024). Run: build/tests/bench/bench_infonce
//   step/B: one Adam step (batch draw, loss, gradient, update) at batch B;
//   train: one full training with the defaults (tau 0.1, B 1024, lr 1e-2, up to 5000 steps,
//   patience 300), items_per_second = trainings/s.
// Data: the issue's setting (d = 20, k = 3, kappa = 3, 2, 1.5, n = 5000) at nu = 0.5.
#include <benchmark/benchmark.h>

#include "phasecube/diagnose.hpp"
#include "phasecube/infonce.hpp"

using namespace phasecube;

namespace {

ModelData issue_data() {
  ParamValues v = default_param_values();
  v["d"] = {20};
  v["k"] = {3};
  v["n"] = {5000};
  v["kappa"] = {3, 2, 1.5};
  v["gamma_x"] = {0.5};
  v["gamma_y"] = {0.05};
  v["gamma_tilde_x"] = {1};
  v["gamma_tilde_y"] = {50};
  v["nu"] = {0.5};
  Stream rng(1, 0, 0, StreamPurpose::DiagnoseData);
  return draw_model_data(make_cell(v), 5000, rng);
}

void step(benchmark::State& state) {
  const ModelData data = issue_data();
  const int batch = static_cast<int>(state.range(0));
  InfoNceTrainer t;
  Stream init(1, 0, 0, StreamPurpose::InfoNceInit), batches(1, 0, 0, StreamPurpose::InfoNceBatches);
  Eigen::MatrixXd w0(3, 20), v0(3, 20);
  for (double& e : w0.reshaped()) e = init.normal() / std::sqrt(20.0);
  for (double& e : v0.reshaped()) e = init.normal() / std::sqrt(20.0);
  t.start(w0, v0);
  std::vector<int> rows(static_cast<size_t>(batch));
  for (auto _ : state) {
    for (int& r : rows) r = static_cast<int>(batches.next_u64() % 5000);
    benchmark::DoNotOptimize(t.step(data.x, data.y, rows.data(), batch, 0.1, 1e-2));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["B"] = batch;
}

void train(benchmark::State& state) {
  const ModelData data = issue_data();
  InfoNceTrainer t;
  std::uint64_t trial = 0;
  double steps = 0;
  for (auto _ : state) {
    Stream init(1, 0, trial, StreamPurpose::InfoNceInit);
    Stream batches(1, 0, trial++, StreamPurpose::InfoNceBatches);
    steps += t.train(data.x, data.y, 3, InfoNceSettings{}, init, batches).steps;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["steps"] = steps / static_cast<double>(state.iterations());
}

}  // namespace

BENCHMARK(step)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(train)->Unit(benchmark::kSecond)->Iterations(3);
BENCHMARK_MAIN();
