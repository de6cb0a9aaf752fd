// Checkpoint cost of the streaming cube writer (issue 15): CubeWriter::write_cells into a
// working cube of 10^7 cells (the default methods' 41-value record), for two checkpoint
// sizes. The time per checkpoint is proportional to the cells it writes, not to the cube:
//   build/tests/bench/bench_cube [--benchmark_filter=...]      (the cube lives in $TMPDIR)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "io/cube.hpp"
#include "sweep/methods/registry.hpp"

namespace {

using namespace phasecube;
namespace fs = std::filesystem;

void Checkpoint(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  const CubeSchema schema = MethodPlan<TwoModalityModel>({}, SectionUse::Off, 0).schema();
  RunInfo info;
  std::vector<double> kappa(2500), nu(4000);
  std::iota(kappa.begin(), kappa.end(), 1.0);
  std::iota(nu.begin(), nu.end(), 1.0);
  info.axes = {{"kappa", "", kappa}, {"nu", "", nu}};
  info.config_text = "[model]\n";
  info.trials = 1;
  info.sampler = "auto";
  const fs::path dir = fs::temp_directory_path() / ("bench_cube_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "cube.h5").string();
  CubeWriter writer(path, info, schema, true);
  std::vector<double> records(batch * schema.record_size(), 0.5);
  for (std::size_t i = 0; i < batch; ++i)
    records[i * schema.record_size() + schema.find("done")->offset] = 1;
  std::vector<std::size_t> cells(batch);
  std::size_t next = 0;
  for (auto _ : state) {
    std::iota(cells.begin(), cells.end(), next);  // the next cells in order, as chunks arrive
    next += batch;
    writer.write_cells(cells, records);
  }
  state.counters["cells_per_s"] =
      benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
  state.counters["cube_cells"] = 1e7;
  fs::remove_all(dir);
}
// 50 checkpoints of each size: at most 1.6 x 10^6 of the 10^7 cells.
BENCHMARK(Checkpoint)->Arg(1 << 12)->Arg(1 << 15)->Iterations(50)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
