#pragma once
// The sweep layer: drives every cell of a grid into one cube, in one process or across MPI
// ranks. Rank 0 is the master: it cuts the grid into chunks of cells, hands them out on
// demand, computes cells itself between messages, and is the only writer of the cube.
#include <atomic>
#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/cube.hpp"
#include "support/stop.hpp"
#include "sweep/config.hpp"
#include "sweep/cost.hpp"

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

// Closed forms for every cell, one process, no MPI (either model: binding() picks the job).
void run_theory(const Config& config, const SweepOptions& options, std::ostream& log);

// What the master/worker driver distributes: a grid of cells, each computed into a record of
// record_size() doubles. Every rank holds a job; only rank 0 calls the master-side members
// (open_cube, store, checkpoint, finish), which stream finished cells into the one cube
// writer. GridJob (below) implements those for both models; ModelJob<Model> (sweep.cpp)
// adds a model's cells.
class SweepJob {
 public:
  virtual ~SweepJob() = default;
  virtual std::size_t cell_count() const = 0;
  virtual std::size_t record_size() const = 0;
  virtual const RunSettings& run() const = 0;
  // Relative cost of a cell (what the chunking balances).
  virtual double cell_cost(std::size_t cell) const = 0;
  // The record of `cell` into out[0, record_size()); false when `cancel` abandoned it.
  virtual bool simulate(std::size_t cell, const std::atomic<bool>& cancel, double* out) const = 0;

  // Master side. Creates the working cube at options.output, or with --resume and an existing
  // cube takes it over (InputError when it cannot be resumed: a different config,
  // theory-only); returns which cells it holds done.
  struct Previous {
    std::vector<bool> done;
    bool resumed = false;
    double wall_seconds = 0;  // of the runs that made it
  };
  virtual Previous open_cube() = 0;
  // Buffers a finished cell's record; checkpoint() writes the buffer into the cube (durable).
  virtual void store(std::size_t cell, const double* record) = 0;
  virtual std::size_t buffered() const = 0;
  virtual void checkpoint() = 0;
  // Writes the buffer, then converts the cube to its final layout, status complete or partial.
  virtual void finish(bool complete, double wall_seconds) = 0;
  // What the run needs on `threads` threads (memory.hpp): checked before anything is written.
  virtual MemoryNeed memory_need(int threads) const = 0;
};

// What a cube's root attributes record about a run of either model (`axis_long_name`: the
// model's text for an axis).
RunInfo make_run_info(const std::vector<Axis>& axes, const ParamValues& fixed,
                      std::string config_text, const RunSettings& run, const SweepOptions& options,
                      int ranks, std::string (*axis_long_name)(const std::string&));

// The one job of both models: every cell's record in one flat vector, the cube written by the
// one writer with the job's schema, --resume by the one reader. A model provides its cells
// (count, cost, closed forms, simulation) and the comparison of configs.
class GridJob : public SweepJob {
 public:
  GridJob(CubeSchema schema, RunInfo info, const RunSettings& run, const SweepOptions& options)
      : schema_(std::move(schema)), info_(std::move(info)), run_(run), options_(options) {}
  std::size_t record_size() const override { return schema_.record_size(); }
  const RunSettings& run() const override { return run_; }
  Previous open_cube() override;
  void store(std::size_t cell, const double* record) override;
  std::size_t buffered() const override { return buffer_cells_.size(); }
  void checkpoint() override;
  void finish(bool complete, double wall_seconds) override;
  // `phasecube theory`: every cell's closed forms, each cell done, written once, block by
  // block (OpenMP-parallel within a block).
  void write_theory(double seconds_before);

 protected:
  // The closed forms of `cell` into out[0, record_size()), every other slot at its fill.
  virtual void theory_record(std::size_t cell, double* out) const = 0;
  // The first difference that changes results between this job's config and the config text
  // stored in a cube (`source` names it in errors); empty when none.
  virtual std::string results_mismatch(const std::string& stored_text,
                                       const std::string& source) const = 0;
  const CubeSchema& schema() const { return schema_; }

 private:
  // --resume: the checks that the cube at `path` is this run's (InputError when not).
  double check_resumable(const std::string& path) const;

  CubeSchema schema_;
  RunInfo info_;
  const RunSettings& run_;
  const SweepOptions& options_;
  std::optional<CubeWriter> writer_;
  std::vector<std::size_t> buffer_cells_;  // finished cells not yet in the cube
  std::vector<double> buffer_records_;     // their records, record_size() each
};

// The theory driver of any job: closed forms of every cell into options.output.
void run_theory_job(GridJob& job, const SweepOptions& options, std::ostream& log,
                    const char* cells_kind);

// The checks --resume makes of any cube's root numeric attributes (a theory-only cube is
// refused with InputError); returns its wall_seconds (0 when absent).
double resumable_wall_seconds(const std::map<std::string, std::vector<double>>& attributes,
                              const std::string& path);
// The checks --resume makes of what was read from a cube against the config it resumes
// (already equal to the stored one): the cube's own axes (names, counts, values) and its
// trials attribute are the config's, so its arrays are those of the grid being finished.
void check_resumed_grid(const std::vector<Axis>& cube_axes,
                        const std::map<std::string, std::vector<double>>& attributes,
                        const std::vector<Axis>& axes, long trials, const std::string& path);
// The config text stored in a cube's root string attributes; InputError when absent.
const std::string& stored_config_text(const std::map<std::string, std::string>& attributes,
                                      const std::string& path);

// Any job on every rank of `session`: same contract as run_sweep below.
int run_sweep_job(SweepJob& job, const SweepOptions& options, const mpi::Session& session,
                  std::ostream& log);

// The Monte Carlo sweep on every rank of `session`. Returns 0 when the cube is complete, or
// kExitInterrupted after a stop signal. Rank 0 throws InputError for a bad --resume (other
// ranks then return 2). A failure on any rank of a multi-rank job aborts the whole job.
int run_sweep(const Config& config, const SweepOptions& options, const mpi::Session& session,
              std::ostream& log);

}  // namespace phasecube
