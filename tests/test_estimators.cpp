// Estimators and metrics on population covariances (exact answers) and under rotations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/model.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/theory.hpp"
#include "test_support.hpp"

using namespace phasecube;
using phasecube::testing::cell;

namespace {

CrossModalFit fit_population(const CellParams& p) {
  const PopulationCovariance pop = population_covariance(p);
  CrossModalFit fit;
  fit.fit(pop.sxx.asDiagonal(), pop.syy.asDiagonal(), pop.sxy.asDiagonal(), p.k);
  return fit;
}

Eigen::VectorXd sorted_desc(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  std::vector<double> v(a.data(), a.data() + a.size());
  v.insert(v.end(), b.data(), b.data() + b.size());
  std::sort(v.rbegin(), v.rend());
  return Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

Eigen::MatrixXd random_rotation(int d, Stream& rng) {
  Eigen::MatrixXd g(d, d);
  for (int j = 0; j < d; ++j)
    for (int i = 0; i < d; ++i) g(i, j) = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  return qr.householderQ();
}

// A grid of parameter sets with unequal variances per coordinate.
std::vector<CellParams> population_cases() {
  return {
      cell({{"d", {6}}, {"k", {2}}, {"kappa", {1.5, 1}}, {"gamma_x", {0.5, 1}}, {"nu", {0.3}}}),
      cell({{"d", {7}},
            {"k", {3}},
            {"kappa", {2}},
            {"kappa_decay", {0.7}},
            {"gamma_y", {0.05}},
            {"gamma_tilde_y", {5, 4, 3, 2}},
            {"nu", {0.6}}}),
      cell({{"d", {5}},
            {"k", {1}},
            {"kappa", {0.4}},
            {"gamma_tilde_x", {1, 2, 0.5, 3}},
            {"nu", {0.9}}}),
  };
}

}  // namespace

TEST(Estimators, PopulationSingularValuesAreTheClosedForms) {
  for (const CellParams& p : population_cases()) {
    const Theory t = theory(p);
    const CrossModalFit fit = fit_population(p);
    const Eigen::VectorXd ca = sorted_desc(t.rho, t.nu);
    const Eigen::VectorXd cp = sorted_desc(t.tau, t.xi);
    const Eigen::VectorXd cp_rev = sorted_desc(t.tau_rev, t.xi_rev);
    for (int i = 0; i < p.d; ++i) {
      EXPECT_NEAR(fit.ca().values(i), ca(i), 1e-10) << "CA singular value " << i;
      EXPECT_NEAR(fit.cp().values(i), cp(i), 1e-10) << "CP singular value " << i;
      EXPECT_NEAR(fit.cp_rev().values(i), cp_rev(i), 1e-10) << "CPrev singular value " << i;
    }
  }
}

TEST(Estimators, PopulationDistanceIsZeroExactlyWhenDeltaExceedsOne) {
  for (const CellParams& p : population_cases()) {
    const Theory t = theory(p);
    const CrossModalFit fit = fit_population(p);
    const double ca = score_subspace(fit.ca().encoder, p.k).distance;
    const double cp = score_subspace(fit.cp().encoder, p.k).distance;
    const double cp_rev = score_subspace(fit.cp_rev().encoder, p.k).distance;
    if (t.delta_ca > 1)
      EXPECT_NEAR(ca, 0.0, 1e-12);
    else
      EXPECT_GT(ca, 0.1);
    if (t.delta_cp > 1)
      EXPECT_NEAR(cp, 0.0, 1e-12);
    else
      EXPECT_GT(cp, 0.1);
    if (t.delta_cp_rev > 1)
      EXPECT_NEAR(cp_rev, 0.0, 1e-12);
    else
      EXPECT_GT(cp_rev, 0.1);
  }
}

TEST(Estimators, PopulationCpPredictorRiskIsTheBestRankKRisk) {
  // Delta_CP > 1: the CP predictor is B = diag(kappa^2 / (kappa^2 + gamma_x)) on the signal
  // coordinates, whose risk is sum_i (kappa^2 + gamma_y - kappa^4/(kappa^2 + gamma_x)) plus
  // the nuisance variance of y.
  const CellParams p = cell({{"d", {4}},
                             {"k", {2}},
                             {"kappa", {2}},
                             {"gamma_x", {0.5}},
                             {"gamma_y", {0.3}},
                             {"gamma_tilde_y", {2}},
                             {"nu", {0.2}}});
  ASSERT_GT(theory(p).delta_cp, 1);
  const CrossModalFit fit = fit_population(p);
  const PopulationCovariance pop = population_covariance(p);
  const double per_signal = 4 + 0.3 - 16 / 4.5;
  EXPECT_NEAR(prediction_risk(fit.cp_predictor(), pop), 2 * per_signal + 2 * 2, 1e-10);
  // Against y_signal = (s, 0): kappa^2 - kappa^4/(kappa^2 + gamma_x) per coordinate.
  EXPECT_NEAR(signal_risk(fit.cp_predictor(), pop, p.kappa), 2 * (4 - 16 / 4.5), 1e-10);
  // CA+probe with the same (exact) subspace gives the same predictor.
  EXPECT_NEAR(prediction_risk(fit.ca_probe(), pop), prediction_risk(fit.cp_predictor(), pop),
              1e-10);
  // The zero predictor's risk is tr Syy.
  EXPECT_NEAR(prediction_risk(Eigen::MatrixXd::Zero(4, 4), pop), pop.syy.sum(), 1e-14);
}

TEST(Estimators, EncoderNormIsTwiceSumOfInverseCorrelations) {
  const CellParams p = cell({{"d", {5}}, {"k", {2}}, {"kappa", {1, 2}}, {"nu", {0.1}}});
  const Theory t = theory(p);
  const CrossModalFit fit = fit_population(p);
  EXPECT_NEAR(fit.ca_encoder_norm(), 2 * (1 / t.rho(0) + 1 / t.rho(1)), 1e-10);
  EXPECT_GE(fit.ca_encoder_norm(), 2 / std::min(t.rho(0), t.rho(1)));
}

TEST(Estimators, MetricsAreRotationInvariant) {
  const CellParams p = cell({{"d", {8}},
                             {"k", {3}},
                             {"kappa", {1.2}},
                             {"gamma_y", {0.2}},
                             {"gamma_tilde_y", {3}},
                             {"nu", {0.4}},
                             {"n", {300}}});
  CovarianceSampler sampler(coordinate_blocks(p), p.n, SamplerKind::Direct);
  const PopulationCovariance pop = population_covariance(p);
  for (std::uint64_t trial = 0; trial < 5; ++trial) {
    Stream rng(1, 2, trial);
    Eigen::MatrixXd s;
    sampler.draw(rng, s);
    const int d = p.d;
    Stream rot_rng(77, 0, trial);
    const Eigen::MatrixXd qx = random_rotation(d, rot_rng), qy = random_rotation(d, rot_rng);
    Eigen::MatrixXd q = Eigen::MatrixXd::Zero(2 * d, 2 * d);
    q.topLeftCorner(d, d) = qx;
    q.bottomRightCorner(d, d) = qy;
    const Eigen::MatrixXd s_rot = q * s * q.transpose();

    CrossModalFit a, b;
    a.fit_joint_covariance(s, p.k);
    b.fit_joint_covariance(s_rot, p.k);
    // Rotated encoders map back with Q^T; predictors with Qy^T B Qx.
    struct Pair {
      const Subspace& plain;
      const Subspace& rotated;
      const Eigen::MatrixXd& q;
    };
    for (const Pair& m :
         {Pair{a.ca(), b.ca(), qx}, Pair{a.cp(), b.cp(), qx}, Pair{a.cp_rev(), b.cp_rev(), qy}}) {
      const SubspaceScore s0 = score_subspace(m.plain.encoder, p.k);
      const SubspaceScore s1 = score_subspace(m.q.transpose() * m.rotated.encoder, p.k);
      EXPECT_NEAR(s0.distance, s1.distance, 1e-9);
      EXPECT_EQ(s0.recovered, s1.recovered);
      for (int i = 0; i < p.k; ++i) EXPECT_NEAR(s0.overlap(i), s1.overlap(i), 1e-9);
      for (int i = 0; i < d; ++i) EXPECT_NEAR(m.plain.values(i), m.rotated.values(i), 1e-9);
      EXPECT_NEAR(spectral_gap(m.plain.values, p.k), spectral_gap(m.rotated.values, p.k), 1e-8);
    }
    EXPECT_NEAR(a.ca_encoder_norm(), b.ca_encoder_norm(), 1e-9);
    const Eigen::MatrixXd bcp = qy.transpose() * b.cp_predictor() * qx;
    const Eigen::MatrixXd bpr = qy.transpose() * b.ca_probe() * qx;
    EXPECT_NEAR(prediction_risk(a.cp_predictor(), pop), prediction_risk(bcp, pop), 1e-9);
    EXPECT_NEAR(signal_risk(a.cp_predictor(), pop, p.kappa), signal_risk(bcp, pop, p.kappa), 1e-9);
    EXPECT_NEAR(prediction_risk(a.ca_probe(), pop), prediction_risk(bpr, pop), 1e-9);
    EXPECT_NEAR(signal_risk(a.ca_probe(), pop, p.kappa), signal_risk(bpr, pop, p.kappa), 1e-9);
  }
}

TEST(Estimators, JointInterpolatesBetweenCpAndCa) {
  // A cell where CA and CP disagree (CA only): lambda = 0 is CP exactly, large lambda is CA.
  const CellParams p = cell({{"d", {6}},
                             {"k", {2}},
                             {"kappa", {1}},
                             {"gamma_y", {0.05}},
                             {"gamma_tilde_y", {5}},
                             {"nu", {0.5}}});
  ASSERT_EQ(theory(p).regime, Regime::CaOnly);
  const CrossModalFit fit = fit_population(p);
  const double cp = score_subspace(fit.cp().encoder, p.k).distance;
  EXPECT_GT(cp, 0.5);
  EXPECT_NEAR(score_subspace(fit.joint(0).encoder, p.k).distance, cp, 1e-12);
  EXPECT_NEAR(score_subspace(fit.joint(1e4).encoder, p.k).distance, 0.0, 1e-12);
  for (int i = 0; i < p.d; ++i)
    EXPECT_NEAR(fit.joint(0).values(i), fit.cp().values(i) * fit.cp().values(i), 1e-12);
}

TEST(Estimators, SingularCovariancesUsePseudoInverse) {
  // A zero-variance nuisance coordinate in x (gamma_tilde_x = 0) and a zero signal coordinate
  // (kappa = gamma_x = 0): Sxx is singular. Everything stays finite.
  const CellParams p = cell({{"d", {5}},
                             {"k", {2}},
                             {"kappa", {1, 0}},
                             {"gamma_x", {0.5, 0}},
                             {"gamma_tilde_x", {1, 0, 1}},
                             {"nu", {0.3}}});
  const PopulationCovariance pop = population_covariance(p);
  Whitener w;
  w.compute(pop.sxx.asDiagonal().toDenseMatrix());
  EXPECT_TRUE(w.used_pseudo_inverse());
  const Eigen::MatrixXd g = w.matrix();
  // G^T G = Sxx^+ : diag(1/1.5, 0, 1, 0, 1).
  const Eigen::VectorXd expect = (Eigen::VectorXd(5) << 1 / 1.5, 0, 1, 0, 1).finished();
  EXPECT_LT(((g.transpose() * g).diagonal() - expect).norm(), 1e-12);
  const CrossModalFit fit = fit_population(p);
  EXPECT_TRUE(fit.ca().values.allFinite());
  EXPECT_TRUE(fit.ca().encoder.allFinite());
  EXPECT_TRUE(std::isfinite(prediction_risk(fit.ca_probe(), pop)));
  // Signal coordinate 1 is identically zero: it cannot be recovered.
  const SubspaceScore sc = score_subspace(fit.ca().encoder, p.k);
  EXPECT_NEAR(sc.overlap(1), 0.0, 1e-12);
  EXPECT_NEAR(sc.overlap(0), 1.0, 1e-12);
}

TEST(Metrics, SubspaceDistanceAndOverlaps) {
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(4, 2);
  e(0, 0) = 1;
  e(1, 1) = 1;
  e(2, 1) = 1;  // second column at 45 degrees between e_2 and e_3
  const SubspaceScore s = score_subspace(e, 2);
  EXPECT_NEAR(s.overlap(0), 1.0, 1e-15);
  EXPECT_NEAR(s.overlap(1), 0.5, 1e-15);
  EXPECT_NEAR(s.distance, 1 - 1.5 / 2, 1e-15);
  EXPECT_EQ(s.recovered, 1);
  // Dependent and zero columns add nothing to the span.
  Eigen::MatrixXd dep(4, 3);
  dep << 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0;
  const SubspaceScore t = score_subspace(dep, 2);
  EXPECT_NEAR(t.distance, 0.5, 1e-15);
  EXPECT_EQ(spectral_gap((Eigen::VectorXd(3) << 2, 1, 0.5).finished(), 2), 2.0);
  EXPECT_TRUE(std::isinf(spectral_gap((Eigen::VectorXd(3) << 2, 1, 0).finished(), 2)));
  EXPECT_TRUE(std::isnan(spectral_gap((Eigen::VectorXd(3) << 2, 0, 0).finished(), 2)));
}

TEST(Metrics, DistanceBetweenSubspaces) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(4, 2), b = Eigen::MatrixXd::Zero(4, 2);
  a(0, 0) = 2;  // span(e1, e2), with non-orthonormal columns
  a(0, 1) = 1;
  a(1, 1) = 3;
  b(1, 0) = 1;  // span(e2, (e3 + e4)/sqrt 2)
  b(2, 1) = 1;
  b(3, 1) = 1;
  EXPECT_NEAR(subspace_distance(a, a, 2), 0.0, 1e-15);
  EXPECT_NEAR(subspace_distance(a, b, 2), 0.5, 1e-15);  // shares one of two directions
  EXPECT_NEAR(subspace_distance(a, b, 2), subspace_distance(b, a, 2), 1e-15);
  // The distance to the truth is score_subspace's distance.
  EXPECT_NEAR(subspace_distance(b, Eigen::MatrixXd::Identity(4, 2), 2),
              score_subspace(b, 2).distance, 1e-15);
}

TEST(Estimators, SymmetricEigenMatchesEigenSolverBitwise) {
  // SymmetricEigen replays SelfAdjointEigenSolver::compute with a kept workspace: the same
  // bits (a different Eigen version whose compute() changed fails here, not in the cubes).
  Stream rng(31, 0, 0);
  SymmetricEigen reused;  // one solver across sizes and calls, as in the trial loop
  for (int d : {1, 2, 3, 4, 7, 16, 33}) {
    for (int rank : {d, std::max(1, d / 2)}) {  // full rank and PSD with zero eigenvalues
      Eigen::MatrixXd f(d, rank);
      for (int j = 0; j < rank; ++j)
        for (int i = 0; i < d; ++i) f(i, j) = rng.normal();
      const Eigen::MatrixXd a = f * f.transpose();
      const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> want(a);
      for (int call = 0; call < 2; ++call) {
        reused.compute(a);
        ASSERT_EQ(reused.info(), Eigen::Success);
        EXPECT_EQ(reused.eigenvalues(), want.eigenvalues()) << d << " " << rank;
        EXPECT_EQ(reused.eigenvectors(), want.eigenvectors()) << d << " " << rank;
      }
    }
  }
}

namespace {
// The population joint covariance [Sxx Sxy; Syx Syy] (modality-major, 2d x 2d).
Eigen::MatrixXd joint_population(const CellParams& p) {
  const PopulationCovariance pop = population_covariance(p);
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(2 * p.d, 2 * p.d);
  s.topLeftCorner(p.d, p.d) = pop.sxx.asDiagonal();
  s.bottomRightCorner(p.d, p.d) = pop.syy.asDiagonal();
  s.topRightCorner(p.d, p.d) = pop.sxy.asDiagonal();
  s.bottomLeftCorner(p.d, p.d) = pop.sxy.asDiagonal();
  return s;
}

// CA only, not PLS: a loud correlated nuisance of y (Delta_CA 1.38, Delta_PLS 0.89).
CellParams loud_nuisance_cell() {
  return cell({{"d", {6}},
               {"k", {2}},
               {"kappa", {1}},
               {"gamma_y", {0.05}},
               {"gamma_tilde_y", {5}},
               {"nu", {0.5}}});
}

// PLS only, not CA: noisy signal coordinates (Delta_CA 0.02, Delta_PLS 2).
CellParams noisy_signal_cell() {
  return cell({{"d", {6}}, {"k", {2}}, {"gamma_x", {100}}, {"gamma_y", {100}}});
}

// PLS cells: population_cases() (the second recovers 2 of 3 directions), the two above and
// decaying kappa.
std::vector<CellParams> pls_cases() {
  std::vector<CellParams> cases = population_cases();
  cases.push_back(loud_nuisance_cell());
  cases.push_back(noisy_signal_cell());
  cases.push_back(  // kappa^2 = 4, 1, 0.25 > eta = 0.2
      cell({{"d", {8}}, {"k", {3}}, {"kappa", {2}}, {"kappa_decay", {0.5}}, {"nu", {0.2}}}));
  return cases;
}
}  // namespace

// Issue 13: PLS on the population is exact (distance 0) iff Delta_PLS > 1, and recovers
// r_PLS directions otherwise; its singular values are kappa_i^2 and eta_j. Both fit paths: the
// covariances, and the factor (n = 1, B the Cholesky factor of the joint covariance).
TEST(Estimators, PlsOnPopulationIsExactWhenDeltaPlsExceedsOne) {
  int exact = 0, failed = 0;
  for (const CellParams& p : pls_cases()) {
    const Theory t = theory(p);
    const Eigen::MatrixXd s = joint_population(p);
    const Eigen::MatrixXd b = s.llt().matrixL();
    CrossModalFit by_covariance, by_factor;
    by_covariance.fit_joint_covariance(s, p.k);
    by_factor.fit_factor(b, 1, p.k);
    const Eigen::VectorXd want = sorted_desc(t.pls_signal, t.pls_nuisance);
    for (const CrossModalFit* fit : {&by_covariance, &by_factor}) {
      const Subspace pls = fit->pls();
      ASSERT_EQ(pls.encoder.rows(), p.d);
      ASSERT_EQ(pls.encoder.cols(), p.k);
      for (int i = 0; i < p.d; ++i) EXPECT_NEAR(pls.values(i), want(i), 1e-10) << i;
      EXPECT_LT(
          (pls.encoder.transpose() * pls.encoder - Eigen::MatrixXd::Identity(p.k, p.k)).norm(),
          1e-12);
      const SubspaceScore sc = score_subspace(pls.encoder, p.k);
      if (t.delta_pls > 1) {
        EXPECT_NEAR(sc.distance, 0.0, 1e-12) << "Delta_PLS = " << t.delta_pls;
      } else {
        EXPECT_GT(sc.distance, 0.1) << "Delta_PLS = " << t.delta_pls;
      }
      EXPECT_EQ(sc.recovered, t.r_pls) << "Delta_PLS = " << t.delta_pls;
    }
    (t.delta_pls > 1 ? exact : failed) += 1;
  }
  EXPECT_EQ(exact, 3);  // both sides of the boundary are covered
  EXPECT_EQ(failed, 3);
}

// PLS needs no whitening and is not CA: where Delta_CA < 1 < Delta_PLS, CA's population
// subspace is wrong and PLS's exact, and the other way round.
TEST(Estimators, PlsAndCaDisagreeOnThePopulation) {
  const CellParams pls_wins = noisy_signal_cell(), ca_wins = loud_nuisance_cell();
  const CrossModalFit a = fit_population(pls_wins), b = fit_population(ca_wins);
  EXPECT_LT(theory(pls_wins).delta_ca, 1);
  EXPECT_GT(theory(pls_wins).delta_pls, 1);
  EXPECT_NEAR(score_subspace(a.pls().encoder, 2).distance, 0.0, 1e-12);
  EXPECT_GT(score_subspace(a.ca().encoder, 2).distance, 0.5);
  EXPECT_GT(theory(ca_wins).delta_ca, 1);
  EXPECT_LT(theory(ca_wins).delta_pls, 1);
  EXPECT_NEAR(score_subspace(b.ca().encoder, 2).distance, 0.0, 1e-12);
  EXPECT_GT(score_subspace(b.pls().encoder, 2).distance, 0.5);
}
