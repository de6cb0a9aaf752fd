// The Monte Carlo trial loop does not allocate (issue 12; with pls selected, issue 13): a
// thread's first trial sizes the buffers of the sampler, the fits, the estimators and the
// metrics (TrialScratch), and every later trial reuses them. So a cell of 2T trials makes
// exactly as many heap allocations as one of T trials (the per-cell ones: record, outcome
// array, workspaces).
//
// Heap allocations are counted by interposing malloc, calloc and realloc: Eigen allocates
// with malloc (a replaced operator new would miss it), and operator new ends in malloc.
// The test has an executable of its own, so nothing else runs on the counting allocator.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

#include "phasecube/infonce.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/cell.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define PHASECUBE_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHASECUBE_SANITIZER_ALLOCATOR 1
#endif
#endif

namespace {
std::atomic<long> heap_allocations{0};
}  // namespace

// AddressSanitizer brings its own allocator: there the interposition is left out (and the
// tests skip).
#ifndef PHASECUBE_SANITIZER_ALLOCATOR
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);

void* malloc(std::size_t size) noexcept {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  heap_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
}
#endif

using namespace phasecube;

namespace {

template <class Run>
long allocations_of(Run&& run) {
  const long before = heap_allocations.load();
  run();
  return heap_allocations.load() - before;
}

void require_counting_allocator() {
#ifdef PHASECUBE_SANITIZER_ALLOCATOR
  GTEST_SKIP() << "AddressSanitizer replaces malloc: allocations are not counted";
#else
  // The interposition works: one std::malloc is one count.
  void* p = nullptr;
  const long n = allocations_of([&] { p = std::malloc(64); });
  std::free(p);
  ASSERT_EQ(n, 1);
#endif
}

// Allocations of a cell of `trials` trials, on one thread (with several, which threads get
// a first trial would depend on the schedule).
long cell_allocations(const CellParams& p, RunSettings run, long trials) {
  run.trials = trials;
  const MethodPlan<TwoModalityModel> plan(run.methods, SectionUse::Off, 0);
  std::vector<double> r(plan.schema().record_size());
  const long n =
      allocations_of([&] { simulate_cell<TwoModalityModel>(p, run, 5, plan, nullptr, r.data()); });
  EXPECT_EQ(r[plan.schema().find("trials_done")->offset], static_cast<double>(trials));
  return n;
}

long binding_allocations(const BindingParams& p, RunSettings run, long trials) {
  run.trials = trials;
  const MethodPlan<BindingModel> plan(run.methods, SectionUse::Off, p.m);
  std::vector<double> r(plan.schema().record_size());
  const long n =
      allocations_of([&] { simulate_cell<BindingModel>(p, run, 5, plan, nullptr, r.data()); });
  EXPECT_EQ(r[plan.schema().find("trials_done")->offset], static_cast<double>(trials));
  return n;
}

struct CellCase {
  const char* what;
  int d, k, n;
  double lambda;
  SamplerKind sampler;
};

}  // namespace

TEST(NoAllocation, TwoModalityTrialsAfterTheFirstDoNotAllocate) {
  require_counting_allocator();
  omp_set_num_threads(1);
  const CellCase cases[] = {
      {"wishart", 20, 3, 5000, 0.0, SamplerKind::Wishart},
      {"wishart, joint(lambda)", 12, 2, 400, 0.7, SamplerKind::Wishart},
      {"direct", 10, 2, 300, 0.0, SamplerKind::Direct},
      {"direct, n < d (pseudo-inverse whitening)", 8, 2, 5, 0.5, SamplerKind::Direct},
  };
  for (const CellCase& c : cases) {
    ParamValues v = default_param_values();
    v["d"] = {static_cast<double>(c.d)};
    v["k"] = {static_cast<double>(c.k)};
    v["n"] = {static_cast<double>(c.n)};
    v["kappa"] = {1.5};
    v["nu"] = {0.4};
    v["lambda"] = {c.lambda};
    const CellParams p = make_cell(v);
    // The default selection, and every estimator with pls (not a default one; issue 13).
    for (const std::vector<std::string>& methods :
         {std::vector<std::string>{},
          std::vector<std::string>{"ca", "cp", "cp_rev", "probe", "joint", "pls"}}) {
      RunSettings run;
      run.sampler = c.sampler;
      run.methods = methods;
      cell_allocations(p, run, 2);  // warm-up: the OpenMP team, lazily built statics
      const long t = cell_allocations(p, run, 8), t2 = cell_allocations(p, run, 16);
      EXPECT_EQ(t2, t) << c.what << (methods.empty() ? "" : ", with pls") << ": "
                       << static_cast<double>(t2 - t) / 8 << " allocations per trial";
    }
  }
}

TEST(NoAllocation, BindingTrialsAfterTheFirstDoNotAllocate) {
  require_counting_allocator();
  omp_set_num_threads(1);
  struct Case {
    const char* what;
    int m, d, n;
    SamplerKind sampler;
  };
  const Case cases[] = {
      {"wishart", 3, 8, 1000, SamplerKind::Wishart},
      {"direct", 4, 6, 20, SamplerKind::Direct},
      {"direct, n < d (pseudo-inverse whitening)", 3, 8, 5, SamplerKind::Direct},
  };
  for (const Case& c : cases) {
    ParamValues v = default_binding_values();
    v["modalities"] = {static_cast<double>(c.m)};
    v["d"] = {static_cast<double>(c.d)};
    v["n"] = {static_cast<double>(c.n)};
    v["gamma"] = {4, 0.3};
    const BindingParams p = make_binding_cell(v);
    RunSettings run;
    run.sampler = c.sampler;
    binding_allocations(p, run, 2);
    const long t = binding_allocations(p, run, 8), t2 = binding_allocations(p, run, 16);
    EXPECT_EQ(t2, t) << c.what << ": " << static_cast<double>(t2 - t) / 8
                     << " allocations per trial";
  }
}

TEST(NoAllocation, InfoNceTrainingsAfterTheFirstDoNotAllocate) {
  require_counting_allocator();
  Stream data(1, 0, 0);
  Eigen::MatrixXd x(400, 8), y(400, 8);
  for (double& e : x.reshaped()) e = data.normal();
  for (double& e : y.reshaped()) e = data.normal() + 0.1 * e;
  InfoNceTrainer t;
  InfoNceSettings s;
  s.batch = 128;  // gw = dzx^T xb and friends: Eigen products of a realistic size
  s.max_steps = 30;
  // Both softmax paths, k = 3 (fused kernels) and k = 2 (general), reusing one trainer.
  for (const double tau : {0.1, 0.001}) {
    for (const int k : {3, 2}) {
      s.tau = tau;
      auto train = [&](std::uint64_t trial) {
        Stream init(1, 0, trial, StreamPurpose::InfoNceInit);
        Stream batches(1, 0, trial, StreamPurpose::InfoNceBatches);
        t.train(x, y, k, s, init, batches);
      };
      train(0);
      EXPECT_EQ(allocations_of([&] { train(1); }), 0) << "tau " << tau << " k " << k;
    }
  }
}
