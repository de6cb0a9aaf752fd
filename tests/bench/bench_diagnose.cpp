// `phasecube diagnose` on synthetic data drawn from the model (issue 14 goals, one core:
// n = 2000 labelled rows x d = 512 in <= 1.7 s with the authors' options, 50,000 rows x 512
// with 2000 labelled in <= 10 s; replicates scale across cores).
// Run: build/tests/bench/bench_diagnose [--benchmark_filter=...]
// The side-by-side comparison with the authors' code is tools/bench_diagnose.sh.
//   labelled/N/D/C        N rows, all labelled, d = D, at most C components (0: all)
//   parity/N/D            --parity reference (the authors' choices: 50 components, ...)
//   unlabelled/N/D/M      N rows of which M labelled, all components
//   replicates/R/T        R subsample replicates of 2000 x 64 rows on T threads (wall clock)
#include <benchmark/benchmark.h>
#include <omp.h>

#include "app/diagnose_replicates.hpp"
#include "phasecube/diagnose.hpp"
#include "phasecube/model.hpp"

using namespace phasecube;

namespace {

// A Both-regime cell of dimension d (k = 10 signal directions) and its one-hot labels.
struct Data {
  ModelData views;
  LabelTable labels;
};
Data draw(long n, long d, long labelled) {
  ParamValues v = default_param_values();
  v["d"] = {static_cast<double>(d)};
  v["k"] = {10};
  v["n"] = {static_cast<double>(n)};
  v["kappa"] = {1.5};
  v["nu"] = {0.3};
  const CellParams p = make_cell(v);
  Stream rng(7, 0, 0, StreamPurpose::DiagnoseData);
  Data out{draw_model_data(p, static_cast<int>(n), rng), {}};
  Stream label_rng(7, 0, 0, StreamPurpose::Labels);
  const Eigen::MatrixXd readout = draw_labels(out.views.s, 10, 0.5, label_rng);
  Eigen::MatrixXd classes(n, 1);  // the class of the largest readout, -1 unlabelled
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Index best = 0;
    readout.row(i).maxCoeff(&best);
    classes(i, 0) = i < labelled ? static_cast<double>(best) : -1.0;
  }
  out.labels = make_label_table(classes);
  return out;
}

void run(benchmark::State& state, const Data& data, const DiagnoseOptions& o) {
  omp_set_num_threads(1);
  for (auto _ : state) {
    const DiagnoseResult r =
        diagnose(data.views.x, data.views.y, data.labels.values, data.labels.labelled, o);
    benchmark::DoNotOptimize(r.delta_ca);
  }
  state.counters["n"] = static_cast<double>(data.views.x.rows());
  state.counters["d"] = static_cast<double>(data.views.x.cols());
}

void labelled(benchmark::State& state) {
  DiagnoseOptions o;
  o.components = static_cast<int>(state.range(2));
  run(state, draw(state.range(0), state.range(1), state.range(0)), o);
}

void parity(benchmark::State& state) {
  run(state, draw(state.range(0), state.range(1), state.range(0)), reference_defaults({}));
}

void unlabelled(benchmark::State& state) {
  run(state, draw(state.range(0), state.range(1), state.range(2)), {});
}

void replicates(benchmark::State& state) {
  const Data data = draw(2000, 64, 2000);
  const DiagnoseOptions o;
  const DiagnoseResult point =
      diagnose(data.views.x, data.views.y, data.labels.values, data.labels.labelled, o);
  UncertaintyOptions u;
  u.replicates = static_cast<int>(state.range(0));
  omp_set_num_threads(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    const DiagnoseUncertainty r =
        diagnose_uncertainty(data.views.x, data.views.y, data.labels, o, point, u);
    benchmark::DoNotOptimize(&r);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // replicates per second
}

}  // namespace

BENCHMARK(labelled)
    ->Args({2000, 512, 50})
    ->Args({2000, 512, 0})
    ->Args({2000, 128, 0})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(parity)->Args({2000, 512})->Unit(benchmark::kMillisecond);
BENCHMARK(unlabelled)->Args({50000, 512, 2000})->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(replicates)->Args({16, 1})->Args({16, 2})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
