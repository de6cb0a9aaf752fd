#include "sweep/sweep.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <new>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "io/cube.hpp"
#include "io/output.hpp"
#include "phasecube/model.hpp"
#include "phasecube/version.hpp"
#include "sweep/cell.hpp"
#include "sweep/config_text.hpp"
#include "sweep/grid.hpp"
#include "sweep/mpi.hpp"

namespace phasecube {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Set by a stop signal (stop.hpp); read by the trial loops (cancelling the cell in progress)
// and by the drivers.
std::atomic<bool>& g_stop = stop_flag();

// What a job needs of a model beyond its methods: its cells from a grid's values, its cost
// (cost.hpp) and its parameter table's text for an axis.
template <class Model>
struct JobModel;

template <>
struct JobModel<TwoModalityModel> {
  static CellParams cell(const ParamValues& values) { return make_cell(values); }
  static double fit_pairs(int) { return 1; }  // CA/CP: one pair of d x d problems
  static std::string axis_long_name(const std::string& name) {
    const IndexedName in = parse_indexed_name(name);
    for (const ParamSpec& p : kModelParams)
      if (p.name == in.base) return indexed_doc(p.doc, index_count(p.shape), in.index);
    return name;
  }
  static constexpr const char* kCells = "";
};

template <>
struct JobModel<BindingModel> {
  static BindingParams cell(const ParamValues& values) { return make_binding_cell(values); }
  static double fit_pairs(int m) { return static_cast<double>(m) * m; }
  static std::string axis_long_name(const std::string& name) {
    const IndexedName in = parse_indexed_name(name);
    if (const auto* spec = find_binding_param(in.base))
      return indexed_doc(spec->doc, index_count(spec->shape), in.index);
    return name;
  }
  static constexpr const char* kCells = " binding";
};

using Chunk = std::vector<std::size_t>;

// Cuts the cells still to do into chunks: `chunk_cells` each when set, else chunks of about
// 1/16 of a rank's share of the estimated cost, so unequal cells (an n or d axis) balance
// dynamically. The costliest chunks go first (longest-processing-time order).
std::deque<Chunk> plan_chunks(const SweepJob& job, const std::vector<std::size_t>& todo,
                              int ranks) {
  const RunSettings& run = job.run();
  std::vector<std::pair<double, Chunk>> chunks;
  if (run.chunk_cells > 0) {
    for (std::size_t i = 0; i < todo.size(); i += run.chunk_cells) {
      const std::size_t end = std::min<std::size_t>(todo.size(), i + run.chunk_cells);
      chunks.emplace_back(0.0, Chunk(todo.begin() + static_cast<std::ptrdiff_t>(i),
                                     todo.begin() + static_cast<std::ptrdiff_t>(end)));
    }
  } else {
    std::vector<double> cost(todo.size());
    double total = 0;
    for (std::size_t i = 0; i < todo.size(); ++i) total += cost[i] = job.cell_cost(todo[i]);
    const double target = total / (16.0 * ranks);
    Chunk current;
    double current_cost = 0;
    for (std::size_t i = 0; i < todo.size(); ++i) {
      if (!current.empty() && current_cost + cost[i] > target) {
        chunks.emplace_back(current_cost, std::move(current));
        current.clear();
        current_cost = 0;
      }
      current.push_back(todo[i]);
      current_cost += cost[i];
    }
    if (!current.empty()) chunks.emplace_back(current_cost, std::move(current));
    std::stable_sort(chunks.begin(), chunks.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
  }
  std::deque<Chunk> out;
  for (auto& c : chunks) out.push_back(std::move(c.second));
  return out;
}

// The chunks still to hand out: the planned chunks of plan_chunks when at most kPlannedCells
// cells are to do (each cell's cost balanced), else chunks cut lazily from the done map in
// cell order, so a grid of 10^8 cells costs no list of them. A chunk given back by a stopping
// worker goes first.
class ChunkQueue {
 public:
  ChunkQueue(const SweepJob& job, const std::vector<bool>& done, int ranks) : done_(done) {
    const auto todo = static_cast<std::size_t>(std::count(done.begin(), done.end(), false));
    if (todo <= kPlannedCells) {
      std::vector<std::size_t> cells;
      cells.reserve(todo);
      for (std::size_t c = 0; c < done.size(); ++c)
        if (!done[c]) cells.push_back(c);
      queue_ = plan_chunks(job, cells, ranks);
      next_ = done.size();
      return;
    }
    // A chunk's result message stays within kMaxMessageDoubles.
    const std::size_t most = std::max<std::size_t>(1, kMaxMessageDoubles / (job.record_size() + 1));
    const std::size_t share = todo / (16 * static_cast<std::size_t>(ranks));
    lazy_cells_ = job.run().chunk_cells > 0 ? static_cast<std::size_t>(job.run().chunk_cells)
                                            : std::clamp<std::size_t>(share, 1, most);
  }
  bool empty() {
    skip_done();
    return queue_.empty() && next_ == done_.size();
  }
  Chunk pop() {  // not empty()
    if (!queue_.empty()) {
      Chunk c = std::move(queue_.front());
      queue_.pop_front();
      return c;
    }
    Chunk c;
    for (skip_done(); next_ < done_.size() && c.size() < lazy_cells_; ++next_)
      if (!done_[next_]) c.push_back(next_);
    return c;
  }
  void push_front(Chunk c) { queue_.push_front(std::move(c)); }

 private:
  static constexpr std::size_t kPlannedCells = std::size_t{1} << 20;
  static constexpr std::size_t kMaxMessageDoubles = std::size_t{1} << 19;
  // Cells past next_ were never handed out: only --resume marked them done.
  void skip_done() {
    while (next_ < done_.size() && done_[next_]) ++next_;
  }
  const std::vector<bool>& done_;
  std::deque<Chunk> queue_;
  std::size_t next_ = 0, lazy_cells_ = 1;
};

// Progress of the master: one updating line on a terminal, a line every 5 s otherwise
// (SLURM logs).
class Progress {
 public:
  Progress(std::ostream& log, std::size_t total, std::size_t done_before, long trials)
      : log_(log),
        total_(total),
        done_before_(done_before),
        trials_(trials),
        tty_(::isatty(STDERR_FILENO) != 0) {}

  void update(std::size_t done, bool force = false) {
    const double since = seconds_since(last_);
    if (!force && since < (tty_ ? 0.5 : 5.0)) return;
    last_ = Clock::now();
    const double elapsed = seconds_since(start_);
    const double new_cells = static_cast<double>(done - done_before_);
    const double rate = elapsed > 0 ? new_cells * static_cast<double>(trials_) / elapsed : 0;
    const double eta =
        new_cells > 0 ? elapsed / new_cells * static_cast<double>(total_ - done) : NAN;
    char line[200];
    std::snprintf(line, sizeof line, "phasecube: %zu/%zu cells (%.1f%%), %.0f trials/s, ETA %s",
                  done, total_, 100.0 * static_cast<double>(done) / static_cast<double>(total_),
                  rate, std::isfinite(eta) ? format_eta(eta).c_str() : "?");
    if (tty_)
      log_ << '\r' << line << "\033[K" << (done == total_ || force ? "\n" : "") << std::flush;
    else
      log_ << line << '\n' << std::flush;
  }

 private:
  static std::string format_eta(double s) {
    char b[32];
    if (s < 120)
      std::snprintf(b, sizeof b, "%.0f s", s);
    else if (s < 7200)
      std::snprintf(b, sizeof b, "%.1f min", s / 60);
    else
      std::snprintf(b, sizeof b, "%.1f h", s / 3600);
    return b;
  }
  std::ostream& log_;
  std::size_t total_, done_before_;
  long trials_;
  bool tty_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
};

// A model as a job of the driver: its grid's cells through the one cell driver, the
// selected methods' plan laying out the records.
template <class Model>
class ModelJob final : public GridJob {
 public:
  ModelJob(const Config& config, const SweepOptions& options, int ranks)
      : ModelJob(config, options, ranks,
                 MethodPlan<Model>(
                     config.run.methods,
                     config.run.diagnose && !options.theory_only ? SectionUse::On : SectionUse::Off,
                     config.max_modalities)) {}

  std::size_t cell_count() const override { return grid_.cell_count(); }
  double cell_cost(std::size_t cell) const override {
    const auto p = params(cell);
    const int m = Model::modalities(p);
    const bool wishart =
        cell_sampler(plan_, config_.run.sampler, p.n, m, p.d) == SamplerKind::Wishart;
    double methods = 0;  // what the methods add per trial (a trained objective: most of it)
    for (const auto* e : plan_.entries())
      if (e->trial_cost) methods += e->trial_cost(p);
    return phasecube::cell_cost(config_.run.trials, m, p.d, p.n, wishart,
                                JobModel<Model>::fit_pairs(m)) +
           static_cast<double>(config_.run.trials) * methods;
  }
  bool simulate(std::size_t cell, const std::atomic<bool>& cancel, double* out) const override {
    return simulate_cell<Model>(params(cell), config_.run, cell, plan_, &cancel, out);
  }
  MemoryNeed memory_need(int threads) const override {
    return phasecube::memory_need(config_, threads);
  }

 private:
  // The cell as computed, with every check of make_cell. The up-front validation
  // (config_text::check_cells) refuses every bad cell, so a failure here is a bug in its read
  // sets: stop the run with one line (exit 1, before this cell's record exists).
  typename Model::Cell params(std::size_t cell) const {
    try {
      return JobModel<Model>::cell(grid_.values(cell));
    } catch (const ParamError& e) {
      throw std::logic_error("cell " + std::to_string(cell) + " failed its check when computed (" +
                             e.key + ": " + e.what() + config_text::cell_context(grid_, cell) +
                             ") although validation passed it: a phasecube bug, please report");
    }
  }

 protected:
  void theory_record(std::size_t cell, double* out) const override {
    phasecube::theory_record<Model>(params(cell), config_.run, plan_, out);
  }
  std::string results_mismatch(const std::string& stored_text,
                               const std::string& source) const override {
    return phasecube::results_mismatch(config_, config_from_text(stored_text, source));
  }

 private:
  ModelJob(const Config& config, const SweepOptions& options, int ranks, MethodPlan<Model> plan)
      : GridJob(plan.schema(),
                make_run_info(config.axes, config.fixed, config.resolved_text(), config.run,
                              options, ranks, JobModel<Model>::axis_long_name),
                config.run, options),
        config_(config),
        plan_(std::move(plan)),
        grid_(config.fixed, config.axes) {}
  const Config& config_;
  MethodPlan<Model> plan_;
  Grid grid_;
};

// The master's state: which cells are done (a bit per cell) and what of them has reached the
// cube on disk (the job buffers finished cells; checkpoint() streams them into the cube).
class Master {
 public:
  Master(SweepJob& job, const SweepOptions& options, std::ostream& log)
      : job_(job), options_(options), log_(log) {}

  // Creates the working cube, or with --resume and an existing cube takes over its finished
  // cells. Throws InputError when the cube was made by a different config.
  void open() {
    SweepJob::Previous prev = job_.open_cube();
    done_ = std::move(prev.done);
    done_.resize(job_.cell_count(), false);
    done_count_ = static_cast<std::size_t>(std::count(done_.begin(), done_.end(), true));
    previous_wall_ = prev.wall_seconds;
    saved_cells_ = done_count_;
    if (prev.resumed)
      log_ << "phasecube: resuming " << options_.output << ": " << done_count() << " of "
           << done_.size() << " cells already done\n";
  }

  const std::vector<bool>& done() const { return done_; }
  std::size_t done_count() const { return done_count_; }
  bool is_done(std::size_t cell) const { return done_[cell]; }
  bool complete() const { return done_count_ == done_.size(); }
  std::size_t cell_count() const { return done_.size(); }

  void store(std::size_t cell, const double* record) {
    if (done_[cell]) return;  // computed twice (a chunk given back by a stopping worker)
    job_.store(cell, record);
    ++done_count_;
    done_[cell] = true;
  }

  // Writes the buffered cells into the cube now, or when the buffer is full or 5 s have
  // passed since the last time: a checkpoint costs what it writes, not the cube.
  void checkpoint(bool force) {
    if (!force && job_.buffered() < kBufferedCells &&
        seconds_since(last_checkpoint_) < kCheckpointSeconds)
      return;
    guarded("", [&] { job_.checkpoint(); });
    saved_cells_ = done_count_;
    last_checkpoint_ = Clock::now();
  }
  // The last checkpoint, then the cube in its final layout.
  void finish() {
    checkpoint(true);
    guarded(" (status running)",
            [&] { job_.finish(complete(), previous_wall_ + seconds_since(start_)); });
  }

 private:
  static constexpr std::size_t kBufferedCells = std::size_t{1} << 15;
  static constexpr double kCheckpointSeconds = 5.0;
  // Runs a write; a disk failure says what the cube on disk holds and how to go on.
  template <class F>
  void guarded(const char* status, F write) {
    try {
      write();
    } catch (const OutputFault& e) {
      throw OutputFault(std::string(e.what()) + ": " + options_.output + " holds " +
                        std::to_string(saved_cells_) + " of " + std::to_string(cell_count()) +
                        " cells" + status + "; rerun with --resume to finish it");
    }
  }

  SweepJob& job_;
  const SweepOptions& options_;
  std::ostream& log_;
  std::vector<bool> done_;
  std::size_t done_count_ = 0;
  double previous_wall_ = 0;
  std::size_t saved_cells_ = 0;  // done cells in the cube on disk
  Clock::time_point start_ = Clock::now(), last_checkpoint_ = Clock::now();
};

// Result messages: [cell, record...] per cell, flattened as doubles. A cell index is exact
// as a double below 2^53, which run_sweep_job requires of every grid.
constexpr std::size_t kMaxCells = std::size_t{1} << 53;

// The worker computes a cell straight into its message: [cell, record (size doubles)].
bool append_result(std::vector<double>& msg, const SweepJob& job, std::size_t cell) {
  const std::size_t at = msg.size();
  msg.push_back(static_cast<double>(cell));
  msg.resize(at + 1 + job.record_size());
  if (job.simulate(cell, g_stop, msg.data() + at + 1)) return true;
  msg.resize(at);
  return false;
}

// Calls f(cell, record) for each result of a message, refusing a message that is not whole
// records of cells of the grid (it would index past the records).
template <class F>
void for_each_result(const std::vector<double>& msg, const SweepJob& job, F f) {
  const std::size_t stride = job.record_size() + 1;
  if (msg.size() % stride != 0)
    throw std::runtime_error("MPI: a result message of " + std::to_string(msg.size()) +
                             " values is not whole records of " + std::to_string(stride));
  for (std::size_t i = 0; i < msg.size(); i += stride) {
    const double cell = msg[i];
    if (!(cell >= 0 && cell < static_cast<double>(job.cell_count()) && cell == std::floor(cell)))
      throw std::runtime_error("MPI: a result message names cell " + std::to_string(cell) +
                               ", outside the grid");
    f(static_cast<std::size_t>(cell), msg.data() + i + 1);
  }
}

// Seconds the master waits for workers to report after a stop, before aborting the job
// (the cube is saved first, so nothing is lost either way). SLURM allows ~30 s after TERM.
constexpr double kStopGraceSeconds = 6.0;

// Nothing started (a bad --resume or a stop signal before the first chunk): each worker is
// sent a Stop and answers with an empty Final.
void release_workers(int ranks) {
  for (int w = 1; w < ranks; ++w) mpi::send(std::vector<std::uint64_t>{}, w, mpi::Tag::Stop);
  for (int w = 1; w < ranks; ++w) mpi::receive_doubles(*mpi::probe(w, mpi::Tag::Final, true));
}

// The master with the finished cells of a previous cube (--resume) taken over.
Master start_master(SweepJob& job, const SweepOptions& options, int ranks, std::ostream& log) {
  try {
    Master master(job, options, log);
    // A stop signal from here on is a stop of the run: the cube exists (exit 3, partial).
    master.open();
    return master;
  } catch (const InputError&) {
    release_workers(ranks);
    throw;
  } catch (const Stopped&) {
    release_workers(ranks);
    throw;
  }
}

// The workers as the master sees them: the chunks each one holds and what it has answered.
// Each worker holds up to two chunks, so it never waits for a master busy with a cell.
class WorkerPool {
 public:
  WorkerPool(const SweepJob& job, Master& master, ChunkQueue& queue, int ranks)
      : job_(job), master_(master), queue_(queue) {
    for (int w = 1; w < ranks; ++w) workers_[w];
  }

  // Tops worker w up to two chunks; a Stop once the queue is empty or a stop signal came.
  void send_work(int w) {
    Worker& wk = workers_[w];
    if (wk.finished) return;  // it sent its Final (e.g. its own stop signal): gone
    while (wk.outstanding.size() < kPrefetch && !queue_.empty() && !g_stop.load()) {
      Chunk c = queue_.pop();
      sends_.post(std::vector<std::uint64_t>(c.begin(), c.end()), w, mpi::Tag::Work);
      wk.outstanding.push_back(std::move(c));
    }
    if (wk.outstanding.empty() && !wk.stop_sent && (queue_.empty() || g_stop.load())) {
      sends_.post({}, w, mpi::Tag::Stop);
      wk.stop_sent = true;
    }
  }
  void send_work() {
    for (auto& [w, _] : workers_) send_work(w);
  }

  // Stores the cells of a Result or a Final. After a Final the worker is gone: whatever it
  // did not finish goes back to the front of the queue.
  void handle(const mpi::Incoming& m) {
    const std::vector<double> msg = mpi::receive_doubles(m);
    Worker& wk = workers_[m.source];
    for_each_result(msg, job_, [&](std::size_t cell, const double* r) { master_.store(cell, r); });
    if (m.tag == mpi::Tag::Result) {
      if (!wk.outstanding.empty()) wk.outstanding.erase(wk.outstanding.begin());
      send_work(m.source);
      return;
    }
    wk.finished = true;
    for (const Chunk& c : wk.outstanding) {
      Chunk rest;
      for (std::size_t cell : c)
        if (!master_.is_done(cell)) rest.push_back(cell);
      if (!rest.empty()) queue_.push_front(std::move(rest));
    }
    wk.outstanding.clear();
  }
  void handle_waiting() {
    while (auto m = mpi::probe(-1, std::nullopt, false)) handle(*m);
  }

  // Waits (bounded, polling so that signals are seen) for one message and handles it.
  void wait_for_one(double seconds) {
    const auto t0 = Clock::now();
    while (!g_stop.load() && seconds_since(t0) < seconds) {
      if (auto m = mpi::probe(-1, std::nullopt, false)) {
        handle(*m);
        return;
      }
      ::usleep(1000);
    }
  }

  // After a stop: a Stop to every worker, then their Finals, for at most `seconds`.
  void stop_all(double seconds) {
    for (auto& [w, wk] : workers_)
      if (!wk.stop_sent) {
        sends_.post({}, w, mpi::Tag::Stop);
        wk.stop_sent = true;
      }
    const auto t0 = Clock::now();
    while (!all_finished() && seconds_since(t0) < seconds) {
      if (auto m = mpi::probe(-1, std::nullopt, false))
        handle(*m);
      else
        ::usleep(1000);
    }
  }

  bool all_finished() const {
    return std::all_of(workers_.begin(), workers_.end(),
                       [](const auto& w) { return w.second.finished; });
  }

 private:
  static constexpr std::size_t kPrefetch = 2;
  struct Worker {
    std::vector<Chunk> outstanding;
    bool stop_sent = false, finished = false;
  };
  const SweepJob& job_;
  Master& master_;
  ChunkQueue& queue_;
  std::map<int, Worker> workers_;
  mpi::SendQueue sends_;  // declared after `workers_`: destroyed (all sends done) first
};

// The master's loop: between the workers' messages it computes cells of its own from the
// queue; when it has none left it waits for the workers. Returns false after a stop signal.
bool serve_and_compute(SweepJob& job, Master& master, ChunkQueue& queue, WorkerPool& pool,
                       Progress& progress) {
  Chunk own;
  std::size_t own_pos = 0;
  std::vector<double> own_record(job.record_size());
  for (;;) {
    pool.handle_waiting();
    progress.update(master.done_count());
    master.checkpoint(false);
    if (g_stop.load()) return false;
    if (own_pos == own.size() && !queue.empty()) {
      own = queue.pop();
      own_pos = 0;
    }
    if (own_pos < own.size()) {
      const std::size_t cell = own[own_pos];
      if (job.simulate(cell, g_stop, own_record.data())) {
        master.store(cell, own_record.data());
        ++own_pos;
      }
      continue;
    }
    if (pool.all_finished()) return true;
    pool.send_work();
    pool.wait_for_one(0.2);
  }
}

int run_master(SweepJob& job, const SweepOptions& options, int ranks, std::ostream& log) {
  Master master = start_master(job, options, ranks, log);  // the cube exists from the start
  ChunkQueue queue(job, master.done(), ranks);
  Progress progress(log, master.cell_count(), master.done_count(), job.run().trials);
  WorkerPool pool(job, master, queue, ranks);
  pool.send_work();
  const bool interrupted = !serve_and_compute(job, master, queue, pool, progress);
  if (interrupted) {
    // Save what has arrived before anything else: under mpirun a SIGTERM is followed by a
    // SIGKILL after ~1 s (odls_base_sigkill_timeout), and a dead worker never reports.
    master.checkpoint(true);
    pool.stop_all(kStopGraceSeconds);
  }
  master.finish();
  progress.update(master.done_count(), true);
  if (!interrupted && master.complete()) {
    log << "phasecube: wrote " << options.output << " (" << master.cell_count() << " cells)\n";
    return 0;
  }
  log << "phasecube: stopped; " << options.output << " holds " << master.done_count() << " of "
      << master.cell_count() << " cells (status partial); rerun with --resume to finish it\n";
  if (!pool.all_finished()) {
    // A worker that never reports has most likely died: a failure, not a clean stop.
    log << "phasecube: a worker did not report within " << kStopGraceSeconds
        << " s of the stop (a rank may have died); aborting the job; the cube is saved\n";
    mpi::abort(1);
  }
  return kExitInterrupted;
}

int run_worker(const SweepJob& job) {
  mpi::PendingSend pending;
  std::vector<double> done_cells;  // results not yet sent (the chunk in progress)
  for (;;) {
    const mpi::Incoming m = *mpi::probe(0, std::nullopt, true);
    if (m.tag == mpi::Tag::Stop) {
      mpi::receive_u64(m);
      break;
    }
    const std::vector<std::uint64_t> chunk = mpi::receive_u64(m);
    bool stop = false;
    for (std::uint64_t cell : chunk) {
      if (g_stop.load() || mpi::probe(0, mpi::Tag::Stop, false)) {
        stop = true;
        break;
      }
      append_result(done_cells, job, cell);
    }
    if (stop) break;
    pending.start(std::move(done_cells), 0, mpi::Tag::Result);
    done_cells.clear();
  }
  pending.wait();
  // Last word to the master: the cells finished since the last result, then nothing more.
  mpi::send(done_cells, 0, mpi::Tag::Final);
  // Work sent before the Stop is still queued here; receive it so MPI_Finalize is clean.
  while (auto m = mpi::probe(0, std::nullopt, false)) mpi::receive_u64(*m);
  return g_stop.load() ? kExitInterrupted : 0;
}

}  // namespace

RunInfo make_run_info(const std::vector<Axis>& axes, const ParamValues& fixed,
                      std::string config_text, const RunSettings& run, const SweepOptions& options,
                      int ranks, std::string (*axis_long_name)(const std::string&)) {
  RunInfo info;
  info.axes = axes;
  for (const Axis& a : axes) info.axis_long_names.push_back(axis_long_name(a.name));
  info.fixed = fixed;
  info.config_text = std::move(config_text);
  info.seed = run.seed;
  info.trials = options.theory_only ? 0 : run.trials;
  info.sampler = sampler_name(run.sampler);
  info.command_line = options.command_line;
  info.mpi_ranks = ranks;
  info.threads = omp_get_max_threads();
  info.theory_only = options.theory_only;
  return info;
}

double GridJob::check_resumable(const std::string& path) const {
  const CubeContents old = read_cube(path, CubeParts::Header);
  auto kind = [](std::string_view k) {
    return k.empty() ? std::string("two-modality") : std::string(k);
  };
  if (old.kind != schema_.kind())
    throw InputError("--resume: " + path + " is a " + kind(old.kind) +
                     " cube, the config makes a " + kind(schema_.kind()) + " cube");
  const double wall = resumable_wall_seconds(old.number_attributes, path);
  const std::string diff =
      results_mismatch(stored_config_text(old.string_attributes, path), path + " (stored config)");
  if (!diff.empty() || old.modalities != schema_.modalities())
    throw InputError("--resume: the config differs from the one stored in " + path + ": " +
                     (diff.empty() ? "the modality dimension differs" : diff));
  check_resumed_grid(old.axes, old.number_attributes, info_.axes, run_.trials, path);
  // The cube is this run's. Every value of one of up to 2^22 cells is checked too, block by
  // block (seconds, memory one block); a bigger one is taken on its header, so that start-up
  // does not grow with the grid (its cells were checked as they were computed).
  constexpr std::size_t kFullCheckCells = std::size_t{1} << 22;
  if (cell_count() <= kFullCheckCells)
    read_cube_blocks(path, stored_schema, [](const CubeContents&, const CubeBlock&) {});
  return wall;
}

SweepJob::Previous GridJob::open_cube() {
  Previous prev;
  std::error_code ec;
  if (options_.resume && std::filesystem::exists(options_.output, ec)) {
    prev.wall_seconds = check_resumable(options_.output);
    writer_.emplace(CubeWriter::resume(options_.output, info_, schema_));
    prev.done = writer_->done_cells();
    prev.resumed = true;
    return prev;
  }
  // The command line refused an existing output without --overwrite or --resume.
  writer_.emplace(options_.output, info_, schema_, true);
  prev.done.assign(cell_count(), false);
  return prev;
}

void GridJob::store(std::size_t cell, const double* record) {
  buffer_cells_.push_back(cell);
  buffer_records_.insert(buffer_records_.end(), record, record + record_size());
}

void GridJob::checkpoint() {
  if (buffer_cells_.empty()) return;
  writer_->write_cells(buffer_cells_, buffer_records_);
  buffer_cells_.clear();
  buffer_records_.clear();
}

void GridJob::finish(bool complete, double wall_seconds) {
  checkpoint();
  writer_->finish(complete, wall_seconds);
  writer_.reset();
}

void GridJob::write_theory(double seconds_before) {
  const auto t0 = Clock::now();
  const std::size_t done = schema_.find("done")->offset, size = record_size();
  auto block = [&](std::span<const std::size_t> cells, double* out) {
    std::exception_ptr error;
    const auto n = static_cast<std::ptrdiff_t>(cells.size());
#pragma omp parallel for schedule(dynamic, 64)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      try {
        theory_record(cells[static_cast<std::size_t>(i)], out + static_cast<std::size_t>(i) * size);
        out[static_cast<std::size_t>(i) * size + done] = 1;  // all a theory cube computes
      } catch (...) {
#pragma omp critical(theory_error)
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    if (g_stop.load())  // the cube is built in a temporary: nothing reaches the output
      throw Stopped("stopped by a signal before the theory cube was complete; nothing written");
    return true;
  };
  write_cube(options_.output, info_, schema_, block, true,
             [&] { return seconds_before + seconds_since(t0); });
}

void run_theory_job(GridJob& job, const SweepOptions& options, std::ostream& log,
                    const char* cells_kind) {
  job.write_theory(0);
  log << "phasecube: wrote " << options.output << " (" << job.cell_count() << cells_kind
      << " cells, closed forms only)\n";
}

namespace {
template <class Model>
void run_model_theory(const Config& config, const SweepOptions& options, std::ostream& log) {
  ModelJob<Model> job(config, options, 1);
  run_theory_job(job, options, log, JobModel<Model>::kCells);
}
template <class Model>
int run_model_sweep(const Config& config, const SweepOptions& options, const mpi::Session& session,
                    std::ostream& log) {
  ModelJob<Model> job(config, options, session.size());
  return run_sweep_job(job, options, session, log);
}
}  // namespace

void run_theory(const Config& config, const SweepOptions& options, std::ostream& log) {
  if (config.binding()) return run_model_theory<BindingModel>(config, options, log);
  run_model_theory<TwoModalityModel>(config, options, log);
}

double resumable_wall_seconds(const std::map<std::string, std::vector<double>>& attributes,
                              const std::string& path) {
  // A `phasecube theory` cube marks every cell done: resuming it would finish nothing.
  const auto theory = attributes.find("theory_only");
  if (theory != attributes.end() && !theory->second.empty() && theory->second[0] == 1)
    throw InputError("--resume: " + path +
                     " is a theory-only cube (phasecube theory); pass --overwrite to replace it");
  // Cells of another numerics_version would differ from this build's: never mix them.
  const auto numerics = attributes.find("numerics_version");
  if (numerics == attributes.end() || numerics->second.size() != 1)
    throw InputError("--resume: " + path + " has no numerics_version (written by an older " +
                     "phasecube), this build has numerics_version " +
                     std::to_string(kNumericsVersion) +
                     ": its cells could differ; pass --overwrite to start afresh");
  if (numerics->second[0] != kNumericsVersion)
    throw InputError("--resume: " + path + " has numerics_version " +
                     format_number(numerics->second[0]) + ", this build has " +
                     std::to_string(kNumericsVersion) +
                     ": its cells would differ from new ones; pass --overwrite to start afresh");
  const auto wall = attributes.find("wall_seconds");
  if (wall != attributes.end() && !wall->second.empty() && std::isfinite(wall->second[0]))
    return wall->second[0];
  return 0;
}

void check_resumed_grid(const std::vector<Axis>& cube_axes,
                        const std::map<std::string, std::vector<double>>& attributes,
                        const std::vector<Axis>& axes, long trials, const std::string& path) {
  if (const std::string diff = axes_mismatch(cube_axes, axes); !diff.empty())
    throw InputError("--resume: " + path + " does not hold its stored config's grid: " + diff);
  // The reader checked trials is one integer.
  if (const double stored = attributes.at("trials").at(0); stored != static_cast<double>(trials))
    throw InputError("--resume: " + path +
                     " has attribute trials = " + std::to_string(static_cast<long long>(stored)) +
                     ", its stored config " + std::to_string(trials));
}

const std::string& stored_config_text(const std::map<std::string, std::string>& attributes,
                                      const std::string& path) {
  const auto text = attributes.find("config");
  if (text == attributes.end()) throw InputError("--resume: " + path + " has no stored config");
  return text->second;
}

int run_sweep(const Config& config, const SweepOptions& options, const mpi::Session& session,
              std::ostream& log) {
  if (config.binding()) return run_model_sweep<BindingModel>(config, options, session, log);
  return run_model_sweep<TwoModalityModel>(config, options, session, log);
}

namespace {
// Rank 0's last checks before it writes (it holds the records and alone writes the cube): the
// memory estimate, then the output's lock, taken last so that a run refused for memory leaves
// even the output's directory untouched. Every rank learns the verdict: InputError on rank 0,
// false elsewhere.
bool take_output(const SweepJob& job, const SweepOptions& options, const mpi::Session& session,
                 std::optional<OutputLock>& lock) {
  std::string refusal;
  if (session.rank() == 0) {
    try {
      require_memory(job.memory_need(omp_get_max_threads()), memory_available());
      lock.emplace(options.output);
    } catch (const InputError& e) {
      refusal = e.message();
    }
  }
  if (mpi::broadcast_flag(refusal.empty())) return true;
  if (session.rank() == 0) throw InputError(refusal);
  return false;
}
}  // namespace

int run_sweep_job(SweepJob& job, const SweepOptions& options, const mpi::Session& session,
                  std::ostream& log) {
  if (job.cell_count() >= kMaxCells)  // every rank finds it: all exit 2
    throw InputError("the grid has " + std::to_string(job.cell_count()) +
                     " cells; at most 2^53 can be run");
  std::optional<OutputLock> lock;  // held until the cube's last snapshot is written
  if (!take_output(job, options, session, lock)) return 2;
  try {
    if (session.rank() == 0) return run_master(job, options, session.size(), log);
    return run_worker(job);
  } catch (const InputError&) {
    throw;
  } catch (const Stopped&) {
    throw;
  } catch (const std::exception& e) {
    if (session.size() > 1) {
      const bool oom = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
      log << "phasecube: fatal on rank " << session.rank() << ": "
          << (oom ? "out of memory (std::bad_alloc)" : e.what()) << "\n";
      mpi::abort(1);
    }
    throw;
  }
}

}  // namespace phasecube
