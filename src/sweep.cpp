#include "phasecube/sweep.hpp"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <vector>

#include "phasecube/cell.hpp"
#include "phasecube/cube.hpp"
#include "phasecube/grid.hpp"

namespace phasecube {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

void run_serial_sweep(const Config& config, const SweepOptions& options, std::ostream& log) {
  const auto t0 = Clock::now();
  const Grid grid(config);
  RunInfo info;
  info.axes = config.axes;
  info.fixed = config.fixed;
  info.config_text = config.resolved_text();
  info.seed = config.run.seed;
  info.trials = options.theory_only ? 0 : config.run.trials;
  info.sampler = sampler_name(config.run.sampler);
  info.command_line = options.command_line;
  info.mpi_ranks = 1;
  info.threads = omp_get_max_threads();
  info.theory_only = options.theory_only;
  CubeWriter cube(options.output, info, options.overwrite);

  // Cells are written in batches: few HDF5 calls, and a killed run loses at most one batch.
  constexpr double kFlushSeconds = 5.0;
  const std::size_t total = grid.cell_count();
  std::vector<std::size_t> batch_cells;
  std::vector<CellRecord> batch;
  auto last_flush = Clock::now();
  auto flush = [&] {
    cube.write_cells(batch_cells, batch);
    batch_cells.clear();
    batch.clear();
    last_flush = Clock::now();
  };
  for (std::size_t c = 0; c < total; ++c) {
    const CellParams p = grid.cell(c);
    batch_cells.push_back(c);
    batch.push_back(options.theory_only ? theory_record(p) : simulate_cell(p, config.run, c));
    if (seconds_since(last_flush) >= kFlushSeconds || c + 1 == total) {
      flush();
      if (!options.theory_only) {
        const double elapsed = seconds_since(t0);
        const double done = static_cast<double>(c + 1);
        char line[160];
        std::snprintf(line, sizeof line, "phasecube: %zu/%zu cells, %.0f trials/s, ETA %.0f s",
                      c + 1, total, done * static_cast<double>(config.run.trials) / elapsed,
                      elapsed / done * static_cast<double>(total - c - 1));
        log << line << '\n' << std::flush;
      }
    }
  }
  cube.finish(true, seconds_since(t0));
  log << "phasecube: wrote " << options.output << " (" << total << " cells, " << seconds_since(t0)
      << " s)\n";
}

}  // namespace phasecube
