#include "app/diagnose_replicates.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "app/cli.hpp"
#include "app/diagnose_cli.hpp"
#include "phasecube/error.hpp"
#include "support/text.hpp"
#include "sweep/parallel.hpp"

namespace po = boost::program_options;

namespace phasecube {

const char* const kUncertaintyHelp = R"(
Uncertainty (--replicates R): the whole procedure, with the same options, on R resamples of
the rows (x, y and labels together). Labelled and unlabelled rows are resampled separately,
each in proportion to its share, so a resample of m rows has round(m n_labelled / n)
labelled ones (all of them when m = n); with every row labelled this is the paper authors'
scheme. --resample subsample[:m] (the default) takes m rows without replacement, m a count
of rows (default (1 - 1/e) n rounded, the expected distinct rows of a bootstrap);
bootstrap[:m] m rows with replacement (default n). A bootstrap's repeated rows can fall in
both a training and a test fold, which inflates the cross-validated R^2: hence subsample by
default, as the authors' final study. A column constant in a resample is dropped in that
replicate, and --pca clamped there as on the full data. Replicate r draws its rows and folds
from its own Philox stream (the fold seed, replicate counter r + 1): the same bits for any
OMP_NUM_THREADS. Reported: the verdict (the full data's) with its support, the replicates
that agree with it, and the majority verdict; the fraction of replicates per regime and "no
signal" (they sum to 1); per Delta and estimate the median and 2.5/25/75/97.5th percentiles
(linear interpolation, NumPy's default np.percentile) over the replicates where it is not
NaN (NaN: no signal in that step, counted apart), and a flag per Delta whose 2.5-97.5%
interval straddles 1. --epsilon-grid e1,e2,... (whitening regularisations, as --whiten-reg)
and --n-grid n1,n2,... (rows) give the epsilon x n table: per n, R resamples of n rows (one
subsample without replacement when R = 0), every epsilon on the same rows; a missing grid is
--whiten-reg or all rows.
)";

void add_uncertainty_options(po::options_description& opts) {
  opts.add_options()  //
      ("replicates", po::value<std::string>()->default_value("0"),
       "resampling replicates of the procedure (0: the single run only)")  //
      ("resample", po::value<std::string>(),
       "rows of a replicate: subsample[:m] (m without replacement; the default) or "
       "bootstrap[:m] (with replacement)")  //
      ("epsilon-grid", po::value<std::string>(),
       "sensitivity table: whitening regularisations e1,e2,... (default --whiten-reg)")  //
      ("n-grid", po::value<std::string>(), "sensitivity table: rows n1,n2,... (default all)");
}

namespace {

constexpr long long kIntMax = std::numeric_limits<int>::max();

// "a,b,c" -> its items; an empty list or item is refused.
std::vector<std::string> items(const std::string& option, const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (out.back().empty())
      throw InputError(option + " '" + text + "': expected a comma-separated list of values");
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void parse_resample(const std::string& text, UncertaintyOptions& u) {
  const std::size_t colon = text.find(':');
  const std::string scheme = text.substr(0, colon);
  if (scheme != "bootstrap" && scheme != "subsample")
    throw InputError("--resample '" + text +
                     "': expected subsample, subsample:m, bootstrap or bootstrap:m");
  u.bootstrap = scheme == "bootstrap";
  if (colon != std::string::npos)
    u.size = cli::integer("--resample " + scheme + ":m", text.substr(colon + 1), 2, kIntMax);
}

}  // namespace

UncertaintyOptions uncertainty_options(const po::variables_map& vm) {
  UncertaintyOptions u;
  u.replicates = static_cast<int>(cli::integer(vm, "replicates", 0, kIntMax - 1));
  if (vm.count("resample")) {
    if (u.replicates == 0)
      throw InputError("--resample needs --replicates R >= 1 (the grid alone uses one subsample)");
    parse_resample(vm["resample"].as<std::string>(), u);
  }
  if (vm.count("epsilon-grid"))
    for (const std::string& e : items("--epsilon-grid", vm["epsilon-grid"].as<std::string>()))
      u.epsilons.push_back(cli::real("--epsilon-grid", e, 0));
  if (vm.count("n-grid"))
    for (const std::string& e : items("--n-grid", vm["n-grid"].as<std::string>()))
      u.sizes.push_back(cli::integer("--n-grid", e, 2, kIntMax));
  return u;
}

namespace {

Eigen::Index labelled_count(const LabelTable& t) {
  return static_cast<Eigen::Index>(std::count(t.labelled.begin(), t.labelled.end(), true));
}

Eigen::Index replicate_size(const UncertaintyOptions& u, Eigen::Index n) {
  if (u.size > 0) return static_cast<Eigen::Index>(u.size);
  if (u.bootstrap) return n;
  return default_subsample_size(n);
}

void check_size(const std::string& what, Eigen::Index size, const LabelTable& t, int folds) {
  const auto n = static_cast<Eigen::Index>(t.labelled.size());
  if (size > n)
    throw InputError(what + ": " + std::to_string(size) + " rows, more than the data's " +
                     std::to_string(n));
  const Eigen::Index l = resampled_labelled(n, labelled_count(t), size);
  if (l < folds)
    throw InputError(what + ": " + std::to_string(size) + " rows hold " + std::to_string(l) +
                     " labelled ones, fewer than --folds " + std::to_string(folds));
}

// One replicate: the rows, columns constant in them dropped, --pca clamped, the procedure.
DiagnoseResult run_replicate(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                             const LabelTable& t, const std::vector<Eigen::Index>& rows,
                             DiagnoseOptions o) {
  ResampledData r = take_rows(x, y, t.values, t.labelled, rows);
  Eigen::MatrixXd &xr = r.x, &yr = r.y;
  for (Eigen::MatrixXd* view : {&xr, &yr}) {
    const auto constant = constant_columns(*view);
    if (constant.size() == static_cast<std::size_t>(view->cols()))
      throw InputError("every column of " + std::string(view == &xr ? "x" : "y") +
                       " is constant in the resample");
    if (!constant.empty()) *view = drop_columns(*view, constant);
  }
  clamp_pca(xr, yr, o);
  return diagnose(std::move(xr), std::move(yr), r.labels, r.labelled, o);
}

// A resample's rows (drawn from the stream with counter word `stream`) and the epsilons run
// on them: each run's outcome goes to (*runs[i].second)[replicate].
struct Job {
  Eigen::Index size;
  bool replace;
  std::uint64_t stream;  // the counter's replicate word
  std::vector<std::pair<double, std::vector<ReplicateOutcome>*>> runs;
  std::size_t replicate;
};

struct NoWorkspace {};

void run_jobs(std::vector<Job>& jobs, const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
              const LabelTable& t, const DiagnoseOptions& o) {
  std::vector<std::string> errors(jobs.size());
  parallel_trials<NoWorkspace>(jobs.size(), 1, nullptr, [&](NoWorkspace&, std::size_t j) {
    Job& job = jobs[j];
    Stream rng(o.fold_seed, o.stream_cell, o.stream_trial, StreamPurpose::DiagnoseResample,
               job.stream);
    const std::vector<Eigen::Index> rows = resample_rows(t.labelled, job.size, job.replace, rng);
    for (auto& [epsilon, outcomes] : job.runs) {
      DiagnoseOptions ro = o;
      ro.whiten_reg = epsilon;
      ro.stream_replicate = job.stream;
      try {
        (*outcomes)[job.replicate] = replicate_outcome(run_replicate(x, y, t, rows, ro));
      } catch (const InputError& e) {
        errors[j] = "replicate " + std::to_string(job.replicate) + " (" + std::to_string(job.size) +
                    " rows, epsilon " + format_number(epsilon) + "): " + e.message();
        return;
      }
    }
  });
  // The first failing job by index, whatever the threads did first.
  for (const std::string& e : errors)
    if (!e.empty()) throw InputError(e);
}

}  // namespace

void check_uncertainty(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const LabelTable& labels,
                       const DiagnoseOptions& o, const UncertaintyOptions& u) {
  const auto n = static_cast<Eigen::Index>(labels.labelled.size());
  // The full data's procedure and one replicate (with its copy of the rows) per thread.
  check_dimensions(x, y, labels, o, 1 + 2 * omp_get_max_threads());
  if (u.replicates > 0) check_size("--resample", replicate_size(u, n), labels, o.folds);
  // Every run's outcome and job are held until the end (the JSON lists the replicates').
  const auto reps = static_cast<double>(std::max(u.replicates, 1));
  const double runs =
      u.replicates + static_cast<double>(std::max<std::size_t>(u.epsilons.size(), 1)) *
                         static_cast<double>(std::max<std::size_t>(u.sizes.size(), 1)) * reps;
  check_memory(runs * 2 * sizeof(ReplicateOutcome),
               "--replicates " + std::to_string(u.replicates) + " over the epsilon x n table");
  for (const long long s : u.sizes)
    check_size("--n-grid " + std::to_string(s), static_cast<Eigen::Index>(s), labels, o.folds);
}

DiagnoseUncertainty diagnose_uncertainty(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                         const LabelTable& labels, const DiagnoseOptions& o,
                                         const DiagnoseResult& point, const UncertaintyOptions& u) {
  const auto n = static_cast<Eigen::Index>(labels.labelled.size());
  const Eigen::Index nl = labelled_count(labels);
  DiagnoseUncertainty out;
  out.replicates = u.replicates;
  out.bootstrap = u.bootstrap;
  out.rows = u.replicates > 0 ? replicate_size(u, n) : 0;
  out.labelled = resampled_labelled(n, nl, out.rows);
  std::vector<Job> jobs;
  const auto reps = static_cast<std::size_t>(u.replicates);
  std::vector<ReplicateOutcome> replicate_set(reps);
  for (std::size_t r = 0; r < reps; ++r)
    jobs.push_back({out.rows, u.bootstrap, r + 1, {{o.whiten_reg, &replicate_set}}, r});
  // The table: every epsilon x every n, one job per (n, replicate) running every epsilon.
  const bool table = !u.epsilons.empty() || !u.sizes.empty();
  const std::vector<double> eps =
      u.epsilons.empty() ? std::vector<double>{o.whiten_reg} : u.epsilons;
  std::vector<long long> sizes = u.sizes;
  if (sizes.empty()) sizes.push_back(n);
  out.table_replicates = u.replicates;
  out.table_bootstrap = u.replicates > 0 && u.bootstrap;
  const std::size_t per_cell = std::max<std::size_t>(reps, 1);
  std::vector<std::vector<ReplicateOutcome>> cells(table ? eps.size() * sizes.size() : 0,
                                                   std::vector<ReplicateOutcome>(per_cell));
  for (std::size_t j = 0; table && j < sizes.size(); ++j)
    for (std::size_t r = 0; r < per_cell; ++r) {
      Job job{
          static_cast<Eigen::Index>(sizes[j]), out.table_bootstrap, reps > 0 ? r + 1 : 0, {}, r};
      for (std::size_t i = 0; i < eps.size(); ++i)
        job.runs.emplace_back(eps[i], &cells[i * sizes.size() + j]);
      jobs.push_back(std::move(job));
    }
  run_jobs(jobs, x, y, labels, o);
  const int verdict = verdict_code(point);
  if (reps > 0) out.summary = summarise_replicates(replicate_set, verdict);
  out.outcomes = std::move(replicate_set);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const auto size = static_cast<Eigen::Index>(sizes[i % sizes.size()]);
    out.table.push_back({eps[i / sizes.size()], size, resampled_labelled(n, nl, size),
                         summarise_replicates(cells[i], verdict)});
  }
  return out;
}

}  // namespace phasecube
