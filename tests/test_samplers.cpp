// The two samplers (DESIGN 1.4) must agree in distribution with each other and with the
// population covariance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/model.hpp"
#include "phasecube/sampler.hpp"
#include "test_support.hpp"

using namespace phasecube;
using phasecube::testing::cell;

namespace {

struct Draws {
  std::vector<double> top_cca, cp_distance;
  Eigen::MatrixXd mean_s;
};

Draws simulate(const CellParams& p, SamplerKind kind, std::uint64_t seed, int trials) {
  CovarianceSampler sampler(coordinate_blocks(p), p.n, kind);
  CrossModalFit fit;
  Draws out;
  out.mean_s = Eigen::MatrixXd::Zero(2 * p.d, 2 * p.d);
  Eigen::MatrixXd s;
  for (int t = 0; t < trials; ++t) {
    Stream rng(seed, 0, static_cast<std::uint64_t>(t));
    sampler.draw(rng, s);
    out.mean_s += s / trials;
    fit.fit_joint_covariance(s, p.k);
    out.top_cca.push_back(fit.ca().values(0));
    out.cp_distance.push_back(score_subspace(fit.cp().encoder, p.k).distance);
  }
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double variance(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

// Two-sample Kolmogorov-Smirnov statistic.
double ks_statistic(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / static_cast<double>(a.size()) -
                              static_cast<double>(j) / static_cast<double>(b.size())));
  }
  return d;
}

}  // namespace

TEST(Samplers, CholeskyOfSingularBlock) {
  // nu = 1: the nuisance block [[a, sqrt(ab)], [sqrt(ab), b]] has rank 1.
  Eigen::MatrixXd a(2, 2);
  a << 4, 6, 6, 9;
  const Eigen::MatrixXd c = cholesky_psd(a);
  EXPECT_NEAR((c * c.transpose() - a).norm(), 0.0, 1e-14);
  EXPECT_EQ(c(1, 1), 0.0);
  Eigen::MatrixXd z = Eigen::MatrixXd::Zero(2, 2);
  EXPECT_EQ(cholesky_psd(z).norm(), 0.0);
}

TEST(Samplers, AgreeInDistribution) {
  // n = 200, d = 6, 2000 trials each, a cell near the CA boundary so the statistics vary.
  const CellParams p = cell({{"d", {6}},
                             {"k", {2}},
                             {"n", {200}},
                             {"kappa", {0.8}},
                             {"gamma_y", {0.3}},
                             {"gamma_tilde_y", {2}},
                             {"nu", {0.35}}});
  const int trials = 2000;
  const Draws w = simulate(p, SamplerKind::Wishart, 11, trials);
  const Draws d = simulate(p, SamplerKind::Direct, 12, trials);
  for (const auto& [a, b, name] : {std::tuple{&w.top_cca, &d.top_cca, "top canonical correlation"},
                                   std::tuple{&w.cp_distance, &d.cp_distance, "CP distance"}}) {
    const double se = std::sqrt(variance(*a) / trials + variance(*b) / trials);
    EXPECT_LT(std::fabs(mean(*a) - mean(*b)), 4 * se) << name;
    // KS critical value at alpha = 0.001: sqrt(-ln(0.0005) / 2) sqrt(2 / trials).
    EXPECT_LT(ks_statistic(*a, *b), std::sqrt(-std::log(0.0005) / 2) * std::sqrt(2.0 / trials))
        << name;
    EXPECT_GT(variance(*a), 0.0) << name;
  }
}

TEST(Samplers, BothAreUnbiasedForThePopulationCovariance) {
  const CellParams p = cell({{"d", {4}},
                             {"k", {1}},
                             {"n", {50}},
                             {"kappa", {1.5}},
                             {"gamma_x", {0.4}},
                             {"gamma_tilde_x", {2}},
                             {"nu", {0.7}}});
  const PopulationCovariance pop = population_covariance(p);
  Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(8, 8);
  sigma.topLeftCorner(4, 4) = pop.sxx.asDiagonal();
  sigma.bottomRightCorner(4, 4) = pop.syy.asDiagonal();
  sigma.topRightCorner(4, 4) = pop.sxy.asDiagonal();
  sigma.bottomLeftCorner(4, 4) = pop.sxy.asDiagonal();
  const int trials = 4000;
  for (SamplerKind kind : {SamplerKind::Wishart, SamplerKind::Direct}) {
    const Draws dr = simulate(p, kind, 3, trials);
    // Var(S_ij) = (Sigma_ij^2 + Sigma_ii Sigma_jj) / n for a Wishart/n entry.
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) {
        const double se =
            std::sqrt((sigma(i, j) * sigma(i, j) + sigma(i, i) * sigma(j, j)) / p.n / trials);
        EXPECT_NEAR(dr.mean_s(i, j), sigma(i, j), 5 * se)
            << sampler_name(kind) << " " << i << "," << j;
      }
  }
}

TEST(Samplers, SingularPopulationGivesExactZeros) {
  // gamma_tilde_x = 0 on a nuisance coordinate: that x coordinate is identically zero.
  const CellParams p = cell({{"d", {3}}, {"k", {1}}, {"n", {40}}, {"gamma_tilde_x", {1, 0}}});
  for (SamplerKind kind : {SamplerKind::Wishart, SamplerKind::Direct}) {
    CovarianceSampler sampler(coordinate_blocks(p), p.n, kind);
    Stream rng(1, 1, 1);
    Eigen::MatrixXd s;
    sampler.draw(rng, s);
    EXPECT_EQ(s.row(2).norm(), 0.0);
    EXPECT_EQ(s.col(2).norm(), 0.0);
    EXPECT_GT(s(3, 3), 0.0);
  }
}

// The data matrix of a trial: its scatter / n is the direct sampler's covariance of the same
// stream (the same normals in the same order), up to rounding.
TEST(Samplers, DataMatrixScatterIsTheDirectCovarianceOfTheSameStream) {
  const CellParams p = cell({{"d", {5}}, {"k", {2}}, {"n", {300}}, {"nu", {0.7}}});
  CovarianceSampler a(coordinate_blocks(p), p.n, SamplerKind::Direct);
  CovarianceSampler b(coordinate_blocks(p), p.n, SamplerKind::Direct);
  Eigen::MatrixXd s, data;
  Stream r1(3, 4, 5), r2(3, 4, 5);
  a.draw(r1, s);
  b.draw_data(r2, data);
  ASSERT_EQ(data.rows(), 300);
  ASSERT_EQ(data.cols(), 10);
  const Eigen::MatrixXd scatter = data.transpose() * data / 300.0;
  EXPECT_LT((scatter - s).cwiseAbs().maxCoeff(), 1e-12 * s.cwiseAbs().maxCoeff());
  // The two streams were consumed alike: the next draws agree too.
  EXPECT_EQ(r1.normal(), r2.normal());
  CovarianceSampler w(coordinate_blocks(p), p.n, SamplerKind::Wishart);
  EXPECT_THROW(w.draw_data(r1, data), std::logic_error);
}

// Haar rotations: orthogonal to rounding, reproducible from the stream, E[q_ij^2] = 1/d.
TEST(Samplers, HaarRotationIsOrthogonalAndUniform) {
  constexpr int d = 4, draws = 2000;
  Eigen::MatrixXd q, again;
  double sum = 0, sum_sq = 0;
  for (int t = 0; t < draws; ++t) {
    Stream rng(11, 0, static_cast<std::uint64_t>(t), StreamPurpose::Rotation);
    draw_haar_rotation(rng, d, q);
    ASSERT_LT((q.transpose() * q - Eigen::MatrixXd::Identity(d, d)).cwiseAbs().maxCoeff(), 1e-13);
    sum += q(0, 0);
    sum_sq += q(2, 1) * q(2, 1);
  }
  // Var(q_ij) = 1/d; Var(q_ij^2) = 3/(d(d+2)) - 1/d^2 = 1/16: 5 standard errors.
  EXPECT_NEAR(sum / draws, 0.0, 5 * std::sqrt(0.25 / draws));
  EXPECT_NEAR(sum_sq / draws, 0.25, 5 * std::sqrt(0.0625 / draws));
  Stream a(1, 2, 3, StreamPurpose::Rotation), b(1, 2, 3, StreamPurpose::Rotation);
  draw_haar_rotation(a, d, q);
  draw_haar_rotation(b, d, again);
  EXPECT_EQ(q, again);
}
