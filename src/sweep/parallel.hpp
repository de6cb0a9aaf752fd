#pragma once
// The Monte Carlo trial loop of a cell on the OpenMP team (cell.cpp, for every model).
//
// No exception may leave an OpenMP region (it would call std::terminate: SIGABRT with a
// half-written run). Every throw inside, also from building a thread's workspace, is caught;
// the first one is kept and rethrown on the calling thread after the region. After a failure
// the remaining trials are skipped. Every thread still reaches the work-sharing loop (a
// thread that skipped it would leave the others waiting at its barrier).
#include <Eigen/Dense>
#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/infonce.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/sampler.hpp"

namespace phasecube {

// Every method's per-trial buffers and outputs. A thread's first trial sizes them, the
// others reuse them: the trial loop does not allocate (tests/test_no_alloc.cpp).
struct TrialScratch {
  MetricScratch metrics;
  SubspaceScore score;
  EstimatorScratch estimators;
  Eigen::MatrixXd cp_predictor, ca_probe;  // d x d predictors
  Subspace joint, pls;
  InfoNceTrainer infonce;           // its weights, Adam moments and batch buffers
  Eigen::MatrixXd infonce_encoder;  // W in the model's frame, as columns (d x k)
  // Binding: every modality's encoder per method, and one of the best pair.
  std::vector<Eigen::MatrixXd> anchor, centroid, all_pairs;
  Eigen::MatrixXd pair;
};

// The data of a trial for the entries that need it: x and y (n x d, rows are samples), rotated
// as X qx^T and Y qy^T when `rotated`. The signal subspace in that frame is spanned by the
// first k columns of qx (qy), so an x-side encoder W (k x d rows) is W qx in the model's frame.
struct TrialData {
  Eigen::MatrixXd joint;  // n x 2d as drawn, modality-major columns
  Eigen::MatrixXd x, y, qx, qy;
  bool rotated = false;
};

// One thread's workspace, allocated once per cell and reused by every trial: the sampler,
// the sample, the fit (CrossModalFit or BindingFit) and the scratch of what follows it.
template <class Fit>
struct TrialWorkspace {
  TrialWorkspace(const std::vector<Eigen::MatrixXd>& blocks, int n, SamplerKind kind)
      : sampler(blocks, n, kind) {}
  CovarianceSampler sampler;
  Fit fit;
  Eigen::MatrixXd s;
  TrialScratch scratch;
  TrialData data;  // trials of methods that need the data matrix
};

// Runs trial(workspace, t) for t = 0 .. trials-1 (trials in any order and on any thread;
// results must be written by trial index). Each thread builds one Workspace from `args` and
// reuses it for its trials; `chunk` trials are handed out at a time. Stops early (returns
// normally) when `cancel` is set.
template <class Workspace, class Trial, class... Args>
void parallel_trials(std::size_t trials, int chunk, const std::atomic<bool>* cancel, Trial&& trial,
                     const Args&... args) {
  std::exception_ptr failure;
  std::atomic<bool> failed(false);
  auto keep = [&] {
#pragma omp critical(phasecube_trial_failure)
    if (!failure) failure = std::current_exception();
    failed.store(true, std::memory_order_relaxed);
  };
#pragma omp parallel
  {
    std::optional<Workspace> workspace;
    try {
      workspace.emplace(args...);
    } catch (...) {
      keep();
    }
#pragma omp for schedule(dynamic, chunk)
    for (std::size_t t = 0; t < trials; ++t) {
      if (!workspace || failed.load(std::memory_order_relaxed)) continue;
      if (cancel && cancel->load(std::memory_order_relaxed)) continue;
      try {
        trial(*workspace, t);
      } catch (...) {
        keep();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace phasecube
