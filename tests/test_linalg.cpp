// Small dense kernels and the symmetric eigen-solver of the trial loop (linalg.hpp,
// TopEigen), against Eigen's reference implementations; the factor-based fit against the
// covariance-based one.
#include <gtest/gtest.h>

#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/linalg.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/model.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "test_support.hpp"

using namespace phasecube;
using phasecube::testing::cell;

namespace {

Eigen::MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, Stream& rng) {
  Eigen::MatrixXd g(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) g(i, j) = rng.normal();
  return g;
}

Eigen::MatrixXd rotation(int d, Stream& rng) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(gaussian(d, d, rng));
  return qr.householderQ();
}

// Symmetric test matrices: random, and degenerate ones.
std::vector<Eigen::MatrixXd> test_matrices(int d, Stream& rng) {
  std::vector<Eigen::MatrixXd> out;
  const Eigen::MatrixXd g = gaussian(d, d, rng);
  out.push_back(g + g.transpose());                            // indefinite
  out.push_back(g * g.transpose());                            // positive definite
  out.push_back(Eigen::MatrixXd::Zero(d, d));                  // zero
  out.push_back(2.5 * Eigen::MatrixXd::Identity(d, d));        // one repeated eigenvalue
  const Eigen::MatrixXd x = gaussian(d, std::min(2, d), rng);  // rank <= 2
  out.push_back(x * x.transpose());
  Eigen::VectorXd w(d);  // clusters 3 (x3), 1 (x2), 0 (rest), rotated
  for (int i = 0; i < d; ++i) w(i) = i < 3 ? 3.0 : i < 5 ? 1.0 : 0.0;
  const Eigen::MatrixXd q = rotation(d, rng);
  out.push_back(q * w.asDiagonal() * q.transpose());
  return out;
}

// Upper triangle filled with garbage: the solver must read the lower one only.
Eigen::MatrixXd lower_only(const Eigen::MatrixXd& a) {
  Eigen::MatrixXd b = a;
  b.triangularView<Eigen::StrictlyUpper>().setConstant(1e300);
  return b;
}

}  // namespace

TEST(Linalg, EigenvaluesMatchEigenOnRandomAndDegenerateMatrices) {
  Stream rng(7, 0, 0);
  for (int d : {1, 2, 3, 5, 20, 50, 100}) {
    int index = 0;
    for (const Eigen::MatrixXd& a : test_matrices(d, rng)) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ref(a, Eigen::EigenvaluesOnly);
      const Eigen::VectorXd want = ref.eigenvalues().reverse();
      const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
      Eigen::MatrixXd work = a;
      Eigen::VectorXd diag, sub, tau, p, w;
      tridiagonalize(work, diag, sub, tau, p, w);
      // Q T Q^T reproduces a.
      Eigen::MatrixXd q = Eigen::MatrixXd::Identity(d, d);
      apply_householder_q(work, tau, q);
      Eigen::MatrixXd t = diag.asDiagonal();
      for (int i = 0; i + 1 < d; ++i) t(i + 1, i) = t(i, i + 1) = sub(i);
      EXPECT_LT((q * t * q.transpose() - a).norm(), 1e-12 * d * scale) << d << " " << index;
      EXPECT_LT((q.transpose() * q - Eigen::MatrixXd::Identity(d, d)).norm(), 1e-13 * d);
      ASSERT_TRUE(tridiagonal_eigenvalues(diag, sub));
      EXPECT_LT((diag - want).cwiseAbs().maxCoeff(), 1e-10 * scale) << d << " " << index;
      ++index;
    }
  }
}

TEST(Linalg, TopEigenVectorsSpanTheTopInvariantSubspace) {
  Stream rng(8, 0, 0);
  for (int d : {4, 20, 60}) {
    for (int k : {1, 3}) {
      int index = 0;
      for (const Eigen::MatrixXd& a : test_matrices(d, rng)) {
        TopEigen top;
        top.compute(lower_only(a), k);
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ref(a);
        const Eigen::VectorXd want = ref.eigenvalues().reverse();
        const double scale = std::max(1.0, want.cwiseAbs().maxCoeff());
        ASSERT_EQ(top.values().size(), d);
        EXPECT_LT((top.values() - want).cwiseAbs().maxCoeff(), 1e-10 * scale);
        const Eigen::MatrixXd& v = top.vectors();
        ASSERT_EQ(v.cols(), k);
        // Orthonormal, and a V = V diag(values): right even inside a cluster.
        EXPECT_LT((v.transpose() * v - Eigen::MatrixXd::Identity(k, k)).norm(), 1e-10);
        const Eigen::MatrixXd residual = a * v - v * top.values().head(k).asDiagonal();
        EXPECT_LT(residual.norm(), 1e-10 * scale) << d << " " << k << " " << index;
        // Where the top-k subspace is unique (a gap after value k), it is Eigen's.
        if (want(k - 1) - want(k) > 1e-6 * scale) {
          const Eigen::MatrixXd u = ref.eigenvectors().rightCols(k);
          EXPECT_LT((v * v.transpose() - u * u.transpose()).norm(), 1e-10) << d << " " << index;
        }
        ++index;
      }
    }
  }
}

TEST(Linalg, BatchedEigenSolvesEqualSingleOnesBitwise) {
  Stream rng(10, 0, 0);
  std::vector<Eigen::MatrixXd> mats = test_matrices(20, rng);
  const std::vector<Eigen::MatrixXd> more = test_matrices(7, rng);  // mixed sizes
  mats.insert(mats.end(), more.begin(), more.end());
  std::vector<TopEigen> batch(mats.size()), single(mats.size());
  std::vector<TopEigen*> solvers;
  std::vector<const Eigen::MatrixXd*> inputs;
  for (std::size_t j = 0; j < mats.size(); ++j) {
    solvers.push_back(&batch[j]);
    inputs.push_back(&mats[j]);
    single[j].compute(mats[j], 2);
  }
  TopEigen::compute_batch(solvers.data(), inputs.data(), static_cast<int>(mats.size()), 2);
  for (std::size_t j = 0; j < mats.size(); ++j) {
    EXPECT_TRUE(batch[j].values() == single[j].values()) << j;
    EXPECT_TRUE(batch[j].vectors() == single[j].vectors()) << j;
  }
}

TEST(Linalg, KernelsMatchEigen) {
  Stream rng(9, 0, 0);
  for (int d : {1, 3, 20, 41}) {
    const Eigen::MatrixXd a = gaussian(d, d + 3, rng);
    Eigen::MatrixXd c;
    syrk(a, false, c);
    EXPECT_LT((c - a * a.transpose()).norm(), 1e-12 * c.norm());
    Eigen::MatrixXd l = gaussian(d, d, rng);
    l.diagonal() = l.diagonal().cwiseAbs().array() + 1.0;
    const Eigen::MatrixXd lo = l.triangularView<Eigen::Lower>();  // l keeps junk above
    syrk(l, true, c);
    EXPECT_LT((c - lo * lo.transpose()).norm(), 1e-12 * c.norm());
    const Eigen::MatrixXd x = gaussian(d, 4, rng);
    Eigen::MatrixXd out;
    lower_multiply(l, x, out);
    EXPECT_LT((out - lo * x).norm(), 1e-12 * out.norm());
    Eigen::MatrixXd y = x;
    lower_solve(l, y);
    EXPECT_LT((lo * y - x).norm(), 1e-10 * x.norm());
    y = x;
    lower_transpose_solve(l, y);
    EXPECT_LT((lo.transpose() * y - x).norm(), 1e-10 * x.norm());
    const Eigen::MatrixXd s = lo * lo.transpose();
    Eigen::MatrixXd chol;
    ASSERT_TRUE(cholesky_lower(s, 1e-10, chol));
    EXPECT_LT((chol - lo).norm(), 1e-10 * lo.norm());
    EXPECT_EQ(chol.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().norm(), 0.0);
  }
  // Singular (rank 2 in 4 dimensions) and zero-variance matrices are refused.
  const Eigen::MatrixXd x = gaussian(4, 2, rng);
  Eigen::MatrixXd chol;
  EXPECT_FALSE(cholesky_lower(x * x.transpose(), 1e-10, chol));
  Eigen::MatrixXd z = Eigen::MatrixXd::Identity(3, 3);
  z(1, 1) = 0;
  EXPECT_FALSE(cholesky_lower(z, 1e-10, chol));
}

TEST(Linalg, WishartDrawIsTheFactorsProduct) {
  const CellParams p = cell({{"d", {5}}, {"k", {2}}, {"n", {30}}, {"nu", {0.6}}});
  CovarianceSampler sampler(coordinate_blocks(p), p.n, SamplerKind::Wishart);
  Eigen::MatrixXd s, b;
  Stream r1(3, 1, 4), r2(3, 1, 4);
  sampler.draw(r1, s);
  sampler.draw_factor(r2, b);
  EXPECT_EQ(b.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().norm(), 0.0);
  EXPECT_LT((s - b * b.transpose() / p.n).norm(), 1e-14 * s.norm());
}

TEST(Linalg, FactorFitEqualsCovarianceFit) {
  // Regular cells and singular ones (zero-variance x coordinate, nu = 1: singular Syy
  // direction), which take the covariance fallback.
  const std::vector<CellParams> cells = {
      cell({{"d", {20}}, {"k", {3}}, {"n", {500}}, {"kappa", {1.5}}, {"nu", {0.4}}}),
      cell({{"d", {6}}, {"k", {2}}, {"n", {12}}, {"kappa", {0.5}}, {"nu", {0.9}}}),
      cell({{"d", {4}}, {"k", {1}}, {"n", {40}}, {"gamma_tilde_x", {1, 0, 1}}}),
      cell({{"d", {4}}, {"k", {1}}, {"n", {40}}, {"nu", {1}}}),
  };
  for (const CellParams& p : cells) {
    CovarianceSampler sampler(coordinate_blocks(p), p.n, SamplerKind::Wishart);
    for (std::uint64_t t = 0; t < 5; ++t) {
      Stream rng(5, 2, t);
      Eigen::MatrixXd b;
      sampler.draw_factor(rng, b);
      CrossModalFit by_factor, by_covariance;
      by_factor.fit_factor(b, p.n, p.k);
      by_covariance.fit_joint_covariance(b * b.transpose() / p.n, p.k);
      // Squared singular values (sqrt would amplify rounding of zeros to 1e-8); subspaces
      // where they are unique: with nu = 1 every nuisance canonical correlation is 1, so
      // the top-k CA subspace is any k directions of a larger eigenspace.
      const auto gap = [&](const Subspace& x) { return x.values(p.k - 1) - x.values(p.k); };
      const auto same = [&](const Subspace& x, const Subspace& y, const char* what) {
        const Eigen::VectorXd x2 = x.values.array().square(), y2 = y.values.array().square();
        EXPECT_LT((x2 - y2).cwiseAbs().maxCoeff(), 1e-10) << what << " d=" << p.d;
        if (gap(y) > 1e-6) {
          EXPECT_LT(subspace_distance(x.encoder, y.encoder, p.k), 1e-10) << what << " d=" << p.d;
        }
      };
      same(by_factor.ca(), by_covariance.ca(), "ca");
      same(by_factor.cp(), by_covariance.cp(), "cp");
      same(by_factor.cp_rev(), by_covariance.cp_rev(), "cp_rev");
      same(by_factor.joint(0.7), by_covariance.joint(0.7), "joint");
      same(by_factor.pls(), by_covariance.pls(), "pls");  // Sxy = Rx Byl^T from the factor
      EXPECT_NEAR(by_factor.ca_encoder_norm(), by_covariance.ca_encoder_norm(),
                  1e-9 * by_covariance.ca_encoder_norm());
      EXPECT_LT((by_factor.cp_predictor() - by_covariance.cp_predictor()).norm(), 1e-10);
      if (gap(by_covariance.ca()) > 1e-6) {
        EXPECT_LT((by_factor.ca_probe() - by_covariance.ca_probe()).norm(), 1e-10);
      }
    }
  }
}
