// One cell end to end: determinism across threads, degenerate cells, consistency at large n.
#include <gtest/gtest.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

#include "phasecube/theory.hpp"
#include "sweep/cell.hpp"
#include "sweep/parallel.hpp"
#include "test_support.hpp"

using namespace phasecube;
using phasecube::testing::cell;

namespace {
RunSettings settings(long trials, SamplerKind sampler = SamplerKind::Auto) {
  RunSettings r;
  r.trials = trials;
  r.seed = 42;
  r.sampler = sampler;
  return r;
}
double get(const CellRecord& r, std::string_view name) {
  return r[name];
}
}  // namespace

TEST(Cell, BitwiseIdenticalForAnyThreadCount) {
  const CellParams p = cell({{"d", {8}}, {"k", {2}}, {"n", {100}}, {"nu", {0.4}}});
  for (SamplerKind kind : {SamplerKind::Wishart, SamplerKind::Direct}) {
    omp_set_num_threads(1);
    const CellRecord one = simulate_cell(p, settings(37, kind), 5);
    omp_set_num_threads(2);
    const CellRecord two = simulate_cell(p, settings(37, kind), 5);
    const CellRecord again = simulate_cell(p, settings(37, kind), 5);
    const std::size_t bytes = one.values().size() * sizeof(double);
    ASSERT_EQ(two.values().size(), one.values().size());
    EXPECT_EQ(std::memcmp(one.values().data(), two.values().data(), bytes), 0);
    EXPECT_EQ(std::memcmp(two.values().data(), again.values().data(), bytes), 0);
    // A different cell index is a different stream.
    const CellRecord other = simulate_cell(p, settings(37, kind), 6);
    EXPECT_NE(get(one, "ca_distance_mean"), get(other, "ca_distance_mean"));
  }
}

TEST(Cell, ConsistentAtLargeN) {
  // Delta_CA = 1.38 > 1 and Delta_CP = 0.63 < 1: CA recovers, CP does not.
  const CellParams p = cell({{"d", {6}},
                             {"k", {2}},
                             {"n", {200000}},
                             {"kappa", {1}},
                             {"gamma_y", {0.05}},
                             {"gamma_tilde_y", {5}},
                             {"nu", {0.5}}});
  ASSERT_EQ(theory(p).regime, Regime::CaOnly);
  const CellRecord r = simulate_cell(p, settings(40), 0);
  EXPECT_LT(get(r, "ca_distance_mean"), 0.01);
  EXPECT_GT(get(r, "cp_distance_mean"), 0.9);
  EXPECT_EQ(get(r, "ca_recovery_rate"), 1.0);
  EXPECT_EQ(get(r, "cp_recovery_rate"), 0.0);
  EXPECT_EQ(get(r, "ca_recovered_dims_mean"), 2.0);
  EXPECT_EQ(get(r, "empirical_regime"), static_cast<double>(Regime::CaOnly));
  EXPECT_EQ(get(r, "theory_regime"), static_cast<double>(Regime::CaOnly));
  EXPECT_EQ(get(r, "trials_done"), 40.0);
  EXPECT_EQ(get(r, "done"), 1.0);
  // CPrev has Delta 1.95 and recovers too.
  EXPECT_LT(get(r, "cp_rev_distance_mean"), 0.01);
  // Gap of CA: rho / nu = 1.38 in population.
  EXPECT_NEAR(get(r, "ca_gap_mean"), theory(p).delta_ca, 0.02);
}

TEST(Cell, DegenerateCellsStayFinite) {  // every estimator, pls too
  const ParamValues cases[] = {
      {{"kappa", {0}}},                                      // no signal at all
      {{"nu", {0}}},                                         // no nuisance correlation
      {{"nu", {1}}},                                         // singular nuisance blocks
      {{"kappa", {0}}, {"gamma_x", {0}}, {"gamma_y", {0}}},  // identically zero signal
      {{"gamma_x", {0}}, {"gamma_y", {0}}, {"nu", {1}}},     // perfectly shared everything
      {{"n", {5}}, {"d", {10}}},                             // n < d, direct sampler
      {{"n", {1}}},                                          // a single sample
  };
  for (const auto& c : cases) {
    const CellParams p = cell(c);
    RunSettings run = settings(8);
    run.methods = {"ca", "cp", "cp_rev", "probe", "joint", "pls"};
    const CellRecord r = simulate_cell(p, run, 3);
    for (const char* v :
         {"ca_distance_mean", "cp_distance_mean", "cp_rev_distance_mean", "ca_recovery_rate",
          "cp_risk_mean", "cp_signal_risk_mean", "ca_probe_risk_mean", "ca_probe_signal_risk_mean",
          "ca_distance_std", "pls_distance_mean", "pls_recovery_rate"}) {
      EXPECT_TRUE(std::isfinite(get(r, v))) << v;
    }
    EXPECT_FALSE(std::isnan(get(r, "theory_delta_pls")));  // +inf at nu = 0
    const double dist = get(r, "ca_distance_mean");
    EXPECT_GE(dist, -1e-12);
    EXPECT_LE(dist, 1 + 1e-12);
  }
}

TEST(Cell, ZeroSignalIsNeverRecovered) {
  const CellParams p = cell({{"kappa", {0}}, {"nu", {0.5}}, {"n", {5000}}});
  const CellRecord r = simulate_cell(p, settings(20), 0);
  EXPECT_EQ(get(r, "ca_recovery_rate"), 0.0);
  EXPECT_EQ(get(r, "cp_recovery_rate"), 0.0);
  EXPECT_EQ(get(r, "empirical_regime"), 0.0);
  // Risk of CP against y_signal = (s, 0) with s = 0 is tr(B Sxx B^T) >= 0 and small.
  EXPECT_GE(get(r, "cp_signal_risk_mean"), 0.0);
}

TEST(Cell, SingleTrialHasUndefinedStd) {
  const CellRecord r = simulate_cell(cell({}), settings(1), 0);
  EXPECT_TRUE(std::isnan(get(r, "ca_distance_std")));
  EXPECT_TRUE(std::isfinite(get(r, "ca_distance_mean")));
}

TEST(Cell, AutoSamplerChoice) {
  EXPECT_EQ(resolve_sampler(SamplerKind::Auto, cell({{"n", {20}}, {"d", {10}}})),
            SamplerKind::Wishart);
  EXPECT_EQ(resolve_sampler(SamplerKind::Auto, cell({{"n", {19}}, {"d", {10}}})),
            SamplerKind::Direct);
  EXPECT_EQ(resolve_sampler(SamplerKind::Direct, cell({{"n", {5000}}})), SamplerKind::Direct);
}

TEST(Cell, JointVariablesInterpolateBetweenCpAndCa) {
  // CA only (Delta_CA 1.38, Delta_CP 0.63) at large n.
  ParamValues v = {{"d", {6}},     {"k", {2}},          {"n", {200000}},
                   {"kappa", {1}}, {"gamma_y", {0.05}}, {"gamma_tilde_y", {5}},
                   {"nu", {0.5}}};
  const CellRecord cp_like = simulate_cell(cell(v), settings(10), 0);
  // lambda = 0 is CP itself.
  EXPECT_EQ(get(cp_like, "joint_distance_mean"), get(cp_like, "cp_distance_mean"));
  EXPECT_EQ(get(cp_like, "joint_cp_distance_mean"), 0.0);
  EXPECT_GT(get(cp_like, "joint_ca_distance_mean"), 0.9);
  v["lambda"] = {1000};
  const CellRecord ca_like = simulate_cell(cell(v), settings(10), 0);
  EXPECT_LT(get(ca_like, "joint_distance_mean"), 0.01);
  EXPECT_EQ(get(ca_like, "joint_recovery_rate"), 1.0);
  EXPECT_LT(get(ca_like, "joint_ca_distance_mean"), 0.01);
  EXPECT_GT(get(ca_like, "joint_cp_distance_mean"), 0.9);
}

// Issue 13: PLS as a method, not in the default selection. Two seeded cells on either side of
// the two boundaries: noisy signal coordinates (Delta_CA 0.24, Delta_PLS 5: PLS recovers, CA
// fails) and a loud correlated nuisance of y (Delta_CA 1.38, Delta_PLS 0.89: the reverse).
TEST(Cell, PlsRecoversWhereCaFailsAndTheReverse) {
  RunSettings run = settings(20);
  run.methods = {"ca", "pls"};
  const CellParams noisy_signal = cell({{"d", {10}},
                                        {"k", {2}},
                                        {"n", {20000}},
                                        {"gamma_x", {20}},
                                        {"gamma_y", {20}},
                                        {"nu", {0.2}}});
  const CellParams loud_nuisance = cell({{"d", {6}},
                                         {"k", {2}},
                                         {"n", {20000}},
                                         {"gamma_y", {0.05}},
                                         {"gamma_tilde_y", {5}},
                                         {"nu", {0.5}}});
  const CellRecord a = simulate_cell(noisy_signal, run, 0);
  EXPECT_NEAR(get(a, "theory_delta_ca"), (1.0 / 21) / 0.2, 1e-12);
  EXPECT_NEAR(get(a, "theory_delta_pls"), 5.0, 1e-12);
  EXPECT_EQ(get(a, "theory_r_pls"), 2.0);
  EXPECT_EQ(get(a, "pls_recovery_rate"), 1.0);
  EXPECT_EQ(get(a, "pls_recovered_dims_mean"), 2.0);
  EXPECT_LT(get(a, "pls_distance_mean"), 0.05);
  EXPECT_GT(get(a, "ca_distance_mean"), 0.5);
  EXPECT_EQ(get(a, "ca_recovery_rate"), 0.0);
  // sigma_k / sigma_k+1 of Sxy: 5 on the population; the top sample nuisance value is biased up.
  EXPECT_GT(get(a, "pls_gap_mean"), 2.0);
  EXPECT_LT(get(a, "pls_gap_mean"), 5.0);
  const CellRecord b = simulate_cell(loud_nuisance, run, 1);
  EXPECT_NEAR(get(b, "theory_delta_pls"), 1 / (0.5 * std::sqrt(5.0)), 1e-12);
  EXPECT_EQ(get(b, "theory_r_pls"), 0.0);
  EXPECT_EQ(get(b, "ca_recovery_rate"), 1.0);
  EXPECT_EQ(get(b, "pls_recovery_rate"), 0.0);
  EXPECT_GT(get(b, "pls_distance_mean"), 0.9);
  EXPECT_FALSE(a.has("cp_distance_mean"));
  EXPECT_FALSE(a.has("theory_regime"));  // regime reads ca and cp
}

// The pls variables: bitwise the same for 1 and 2 threads, both samplers, and whatever else
// is selected; absent from a default run, whose variables they do not change.
TEST(Cell, PlsBitwiseIdenticalForAnyThreadCountAndSelection) {
  const CellParams p = cell({{"d", {8}}, {"k", {2}}, {"n", {100}}, {"nu", {0.4}}});
  const char* vars[] = {"theory_delta_pls", "theory_r_pls",      "pls_distance_mean",
                        "pls_distance_std", "pls_recovery_rate", "pls_recovered_dims_mean",
                        "pls_gap_mean"};
  for (SamplerKind kind : {SamplerKind::Wishart, SamplerKind::Direct}) {
    RunSettings alone = settings(37, kind), all = settings(37, kind);
    alone.methods = {"pls"};
    all.methods = {"ca", "cp", "cp_rev", "probe", "joint", "pls"};
    omp_set_num_threads(1);
    const CellRecord one = simulate_cell(p, alone, 5);
    const CellRecord defaults = simulate_cell(p, settings(37, kind), 5);
    omp_set_num_threads(2);
    const CellRecord two = simulate_cell(p, alone, 5);
    const CellRecord with_all = simulate_cell(p, all, 5);
    for (const char* v : vars) {
      const double x = get(one, v), y = get(two, v), z = get(with_all, v);
      EXPECT_EQ(std::memcmp(&x, &y, sizeof x), 0) << v;
      EXPECT_EQ(std::memcmp(&x, &z, sizeof x), 0) << v;
      EXPECT_FALSE(defaults.has(v)) << v;
    }
    EXPECT_TRUE(std::isfinite(get(one, "pls_distance_mean")));
    EXPECT_GT(get(one, "pls_distance_std"), 0.0);
    // The default run's variables are the full selection's, bit for bit.
    for (const CubeVariable& v : defaults.schema().variables()) {
      const double x = defaults[v.spec.name], y = with_all[v.spec.name];
      EXPECT_EQ(std::memcmp(&x, &y, sizeof x), 0) << v.spec.name;
    }
  }
}

// Issue 11 item 8: an allocation failure inside the OpenMP trial region (here: building a
// thread's workspace, (2d)^2 doubles, under an address-space limit) reaches the caller as
// std::bad_alloc instead of std::terminate (SIGABRT). In a child process: the limit must not
// touch the test runner.
TEST(CellDeathTest, OutOfMemoryInsideTheTrialRegionReachesTheCaller) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "address-space limits (RLIMIT_AS) cannot apply under AddressSanitizer, whose "
                  "shadow memory reserves terabytes; the Release build runs this test";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto run_under_limit = [] {
    omp_set_num_threads(2);
    // The team's threads (and their stacks) exist before the limit is set.
#pragma omp parallel
    { (void)omp_get_thread_num(); }
    const CellParams p = cell({{"d", {3000}}, {"k", {1}}, {"n", {10}}});
    std::FILE* statm = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!statm || std::fscanf(statm, "%lu", &pages) != 1) std::_Exit(10);
    std::fclose(statm);
    // 128 MB above what the process maps now; one workspace alone needs ~600 MB.
    const rlim_t limit = pages * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (128u << 20);
    const rlimit lim{limit, limit};
    if (setrlimit(RLIMIT_AS, &lim) != 0) std::_Exit(11);
    try {
      simulate_cell(p, settings(4, SamplerKind::Direct), 0);
    } catch (const std::bad_alloc&) {
      std::fputs("caught std::bad_alloc\n", stderr);
      std::_Exit(3);
    }
    std::_Exit(0);
  };
  EXPECT_EXIT(run_under_limit(), ::testing::ExitedWithCode(3), "caught std::bad_alloc");
}

// The trial loop's exception handling itself, deterministically: a failure building one
// thread's workspace, or in one trial, is rethrown on the caller; the others are skipped.
TEST(ParallelTrials, FirstFailureIsRethrownAfterTheRegion) {
  struct FailsOnLastThread {
    explicit FailsOnLastThread(int) {
      if (omp_get_thread_num() == omp_get_num_threads() - 1) throw std::bad_alloc();
    }
  };
  omp_set_num_threads(2);
  EXPECT_THROW(parallel_trials<FailsOnLastThread>(
                   100, 2, nullptr, [](FailsOnLastThread&, std::size_t) {}, 0),
               std::bad_alloc);
  struct Plain {
    explicit Plain(int) {}
  };
  EXPECT_THROW(parallel_trials<Plain>(
                   1000, 1, nullptr,
                   [&](Plain&, std::size_t t) {
                     if (t == 3) throw std::runtime_error("trial 3");
                   },
                   0),
               std::runtime_error);
  std::vector<int> seen(50, 0);
  parallel_trials<Plain>(
      50, 4, nullptr, [&](Plain&, std::size_t t) { seen[t] += 1; }, 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 50);
}

namespace phasecube {
namespace {

// The projector distance ||P_Uhat - P_U||_F / sqrt(2k) is sqrt(distance) per trial: with one
// trial exactly that; with many, its mean lies between the mean distance (sqrt x >= x on
// [0, 1]) and sqrt of the mean distance (Jensen).
TEST(Cell, ProjectorDistanceIsTheSquareRootOfTheDistancePerTrial) {
  const CellParams p = make_cell([] {
    ParamValues v = default_param_values();
    v["d"] = {6};
    v["n"] = {60};
    v["nu"] = {0.6};
    return v;
  }());
  RunSettings one;
  one.trials = 1;
  one.seed = 9;
  const CellRecord r1 = simulate_cell(p, one, 0);
  for (const char* m : {"ca", "cp", "cp_rev"}) {
    const std::string name(m);
    EXPECT_EQ(r1[name + "_projector_distance_mean"], std::sqrt(r1[name + "_distance_mean"])) << m;
    EXPECT_TRUE(std::isnan(r1[name + "_projector_distance_std"])) << m;  // as every std of 1 trial
  }
  RunSettings many = one;
  many.trials = 40;
  const CellRecord r = simulate_cell(p, many, 0);
  for (const char* m : {"ca", "cp", "cp_rev"}) {
    const std::string name(m);
    const double proj = r[name + "_projector_distance_mean"], dist = r[name + "_distance_mean"];
    EXPECT_GT(proj, dist) << m;
    EXPECT_LT(proj, std::sqrt(dist)) << m;
    // Var(sqrt D) = E D - (E sqrt D)^2, up to the n / (n - 1) of the sample std.
    const double var = (dist - proj * proj) * 40.0 / 39.0;
    EXPECT_NEAR(r[name + "_projector_distance_std"], std::sqrt(var), 1e-9 * std::sqrt(dist)) << m;
  }
}

}  // namespace
}  // namespace phasecube

namespace phasecube {
namespace {

// The InfoNCE experiment's cell (the authors' noise-correlation setting, issue 13) with a
// short training, so a test trial takes a fraction of a second.
CellParams infonce_cell(double nu) {
  ParamValues v = default_param_values();
  v["d"] = {20};
  v["k"] = {3};
  v["kappa"] = {3, 2, 1.5};
  v["gamma_x"] = {0.5};
  v["gamma_y"] = {0.05};
  v["gamma_tilde_x"] = {1};
  v["gamma_tilde_y"] = {50};
  v["n"] = {2000};
  v["nu"] = {nu};
  v["infonce_batch"] = {256};
  v["infonce_max_steps"] = {800};
  return make_cell(v);
}

RunSettings infonce_run(long trials, Rotate rotate = Rotate::Auto) {
  RunSettings run;
  run.trials = trials;
  run.seed = 5;
  run.methods = {"ca", "cp", "infonce"};
  run.rotate = rotate;
  return run;
}

// The engine's data-matrix trials end to end: InfoNCE recovers the signal on the clean cell
// and fails at nu = 0.95 (the reviewers' question), scored in the model's frame after the
// Haar rotations; CA and CP of the same trials are computed from the same data.
TEST(InfoNceCell, RecoversTheCleanCellAndFailsAtStrongNuisanceCorrelation) {
  const CellRecord clean = simulate_cell(infonce_cell(0.0), infonce_run(2), 0);
  EXPECT_LT(clean["infonce_projector_distance_mean"], 0.2);
  EXPECT_GT(clean["infonce_steps_mean"], 300);
  EXPECT_TRUE(std::isfinite(clean["infonce_final_loss_mean"]));
  const CellRecord noisy = simulate_cell(infonce_cell(0.95), infonce_run(2), 0);
  EXPECT_GT(noisy["infonce_projector_distance_mean"], 0.5);
  EXPECT_FALSE(noisy.has("pls_distance_mean"));  // only what was selected
  EXPECT_FALSE(noisy.has("cp_rev_distance_mean"));
}

// Bitwise the same for 1 and 2 threads; the rotation changes InfoNCE (Adam is not
// rotation-invariant) but not CA, whose fit sees the unrotated data of the same trial.
TEST(InfoNceCell, ThreadIndependentAndRotationOnlyMovesInfoNce) {
  CellParams p = infonce_cell(0.3);
  p.infonce.max_steps = 40;
  omp_set_num_threads(1);
  const CellRecord one = simulate_cell(p, infonce_run(4), 3);
  omp_set_num_threads(2);
  const CellRecord two = simulate_cell(p, infonce_run(4), 3);
  ASSERT_EQ(one.values().size(), two.values().size());
  EXPECT_EQ(
      std::memcmp(one.values().data(), two.values().data(), one.values().size() * sizeof(double)),
      0);
  const CellRecord unrotated = simulate_cell(p, infonce_run(4, Rotate::Off), 3);
  EXPECT_EQ(unrotated["ca_distance_mean"], one["ca_distance_mean"]);
  EXPECT_EQ(unrotated["cp_distance_mean"], one["cp_distance_mean"]);
  EXPECT_NE(unrotated["infonce_distance_mean"], one["infonce_distance_mean"]);
  // The data trial's CA is the covariance trial's up to rounding: the same normals.
  RunSettings plain = infonce_run(4);
  plain.methods = {"ca"};
  plain.sampler = SamplerKind::Direct;
  const CellRecord covariance = simulate_cell(p, plain, 3);
  EXPECT_NEAR(covariance["ca_distance_mean"], one["ca_distance_mean"], 1e-9);
}

}  // namespace
}  // namespace phasecube
