#pragma once
// The sweep layer: drives every cell of a grid into one cube, in one process or across MPI
// ranks. Rank 0 is the master: it cuts the grid into chunks of cells, hands them out on
// demand, computes cells itself between messages, and is the only writer of the cube.
#include <iosfwd>
#include <string>

#include "phasecube/config.hpp"

namespace phasecube {

namespace mpi {
class Session;
}

struct SweepOptions {
  std::string output;  // resolved output path
  bool overwrite = false;
  bool resume = false;       // finish the cells a previous run of the same config left undone
  bool theory_only = false;  // `phasecube theory`: closed forms only
  std::string command_line;  // recorded in the cube
};

// Exit status after SIGTERM, SIGINT or SIGUSR1: the cube holds every cell that arrived, with
// status "partial"; rerun with --resume to finish it.
inline constexpr int kExitInterrupted = 3;

// Closed forms for every cell, one process, no MPI.
void run_theory(const Config& config, const SweepOptions& options, std::ostream& log);

// The Monte Carlo sweep on every rank of `session`. Returns 0 when the cube is complete, or
// kExitInterrupted after a stop signal. Rank 0 throws InputError for a bad --resume (other
// ranks then return 2). A failure on any rank of a multi-rank job aborts the whole job.
int run_sweep(const Config& config, const SweepOptions& options, const mpi::Session& session,
              std::ostream& log);

// SIGTERM, SIGINT and SIGUSR1 (SLURM's warning before a time limit) request a stop.
void install_stop_handlers();

}  // namespace phasecube
