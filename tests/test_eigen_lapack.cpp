// TopEigen (the trial loop's eigen-solver: Householder, root-free QL, inverse iteration with
// a residual check and Eigen's QR as the fallback) against LAPACK's dsyev on adversarial
// symmetric matrices, d = 2..100: Wilkinson W+, graded (entries 1e-15 .. 1e15), clustered
// (1 +- 1e-12), near-rank-deficient, and block-diagonal with identical blocks.
//
// Tolerances. Both solvers are normwise backward stable: each returns the exact eigenvalues
// of A + E with ||E|| <= c d eps ||A|| (Householder reduction, then QL / QR), so by Weyl's
// inequality their eigenvalues differ by at most 2 c d eps ||A||; we allow 16 d eps ||A||
// (c = 8, generous for these d). Eigenvalues of a graded matrix are not relatively accurate
// for either solver, so the comparison is relative to ||A||, not to |lambda_i|. Eigenvectors
// of a cluster are not determined, only the invariant subspace is: the top-k subspaces are
// compared by the distance of their orthogonal projectors, which by Davis-Kahan is at most
// ||E|| / gap_k per solver, gap_k = lambda_k - lambda_{k+1}; we allow 64 d eps ||A|| / gap_k
// and test only the k whose relative gap exceeds 1e-8 (below that the subspace is
// ill-conditioned for any solver).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "phasecube/estimators.hpp"

extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                       double* w, double* work, const int* lwork, int* info);

namespace {

using phasecube::TopEigen;
constexpr double kEps = std::numeric_limits<double>::epsilon();

struct Lapack {
  Eigen::VectorXd values;   // descending
  Eigen::MatrixXd vectors;  // columns in the same order
};

Lapack lapack_eigen(const Eigen::MatrixXd& a) {
  const int n = static_cast<int>(a.rows());
  Eigen::MatrixXd v = a;
  Eigen::VectorXd w(n);
  int info = 0, lwork = -1;
  double query = 0;
  dsyev_("V", "L", &n, v.data(), &n, w.data(), &query, &lwork, &info);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dsyev_("V", "L", &n, v.data(), &n, w.data(), work.data(), &lwork, &info);
  EXPECT_EQ(info, 0);
  return {w.reverse(), v.rowwise().reverse()};
}

Eigen::MatrixXd projector(const Eigen::MatrixXd& basis) {
  return basis * basis.transpose();
}

Eigen::MatrixXd random_orthogonal(int d, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd g(d, d);
  for (int j = 0; j < d; ++j)
    for (int i = 0; i < d; ++i) g(i, j) = normal(rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  return qr.householderQ();
}

// Q diag(values) Q^T with a random orthogonal Q.
Eigen::MatrixXd with_spectrum(const Eigen::VectorXd& values, std::mt19937_64& rng) {
  const Eigen::MatrixXd q = random_orthogonal(static_cast<int>(values.size()), rng);
  Eigen::MatrixXd a = q * values.asDiagonal() * q.transpose();
  return (a + a.transpose()) / 2;
}

// W_d^+: tridiagonal, diagonal |m - i| (m = (d-1)/2), off-diagonal 1. Its top eigenvalues come
// in pairs that agree to ~1e-14 for d = 21 and closer as d grows.
Eigen::MatrixXd wilkinson(int d) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
  const double m = (d - 1) / 2.0;
  for (int i = 0; i < d; ++i) {
    a(i, i) = std::fabs(m - i);
    if (i + 1 < d) a(i, i + 1) = a(i + 1, i) = 1.0;
  }
  return a;
}

// D B D, B random symmetric, D = diag(10^t), t evenly from -7.5 to 7.5: entries span
// 1e-15 .. 1e15.
Eigen::MatrixXd graded(int d, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd b(d, d);
  for (int j = 0; j < d; ++j)
    for (int i = 0; i <= j; ++i) b(i, j) = b(j, i) = normal(rng);
  Eigen::VectorXd s(d);
  for (int i = 0; i < d; ++i) s(i) = std::pow(10.0, d == 1 ? 0.0 : -7.5 + 15.0 * i / (d - 1));
  return s.asDiagonal() * b * s.asDiagonal();
}

// A cluster of c eigenvalues within 1e-12 of 1, the rest spread over [-0.5, 0.5].
Eigen::MatrixXd clustered(int d, int c, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(-1, 1);
  Eigen::VectorXd values(d);
  for (int i = 0; i < d; ++i) values(i) = i < c ? 1.0 + 1e-12 * unit(rng) : 0.5 * unit(rng);
  return with_spectrum(values, rng);
}

// X X^T with X d x r (rank r < d), plus a symmetric perturbation of 1e-14.
Eigen::MatrixXd near_rank_deficient(int d, int r, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(d, r), e(d, d);
  for (int j = 0; j < r; ++j)
    for (int i = 0; i < d; ++i) x(i, j) = normal(rng);
  for (int j = 0; j < d; ++j)
    for (int i = 0; i <= j; ++i) e(i, j) = e(j, i) = 1e-14 * normal(rng);
  return x * x.transpose() + e;
}

// blockdiag(B, ..., B): every eigenvalue of B repeated `copies` times exactly.
Eigen::MatrixXd identical_blocks(int block, int copies, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd b(block, block);
  for (int j = 0; j < block; ++j)
    for (int i = 0; i <= j; ++i) b(i, j) = b(j, i) = normal(rng);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(block * copies, block * copies);
  for (int c = 0; c < copies; ++c) a.block(c * block, c * block, block, block) = b;
  return a;
}

// Computes that fell back to Eigen's solver, and all computes, of the current test: printed,
// since the fallback may be taken (the results are checked either way).
struct Count {
  long fallbacks = 0, computes = 0;
  ~Count() { std::printf("TopEigen fallbacks: %ld of %ld computes\n", fallbacks, computes); }
};
Count* g_count = nullptr;

void compare(const Eigen::MatrixXd& a, const std::string& name) {
  SCOPED_TRACE(name + ", d = " + std::to_string(a.rows()));
  const int d = static_cast<int>(a.rows());
  const Lapack ref = lapack_eigen(a);
  const double norm =
      std::max(ref.values.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
  std::vector<int> ks;
  for (int k = 1; k < d; ++k) {
    const double gap = ref.values(k - 1) - ref.values(k);
    if (gap > 1e-8 * norm) ks.push_back(k);
  }
  for (int k : ks) {
    TopEigen eig;
    eig.compute(a, k);
    if (g_count) {
      g_count->fallbacks += eig.fallbacks();
      ++g_count->computes;
    }
    const double value_tol = 16 * d * kEps * norm;
    ASSERT_EQ(eig.values().size(), d);
    for (int i = 0; i < d; ++i)
      ASSERT_NEAR(eig.values()(i), ref.values(i), value_tol) << "eigenvalue " << i << ", k " << k;
    const Eigen::MatrixXd v = eig.vectors();
    ASSERT_LE((v.transpose() * v - Eigen::MatrixXd::Identity(k, k)).norm(), 64 * d * kEps);
    const double gap = ref.values(k - 1) - ref.values(k);
    const double distance = (projector(v) - projector(ref.vectors.leftCols(k))).norm();
    ASSERT_LE(distance, 64 * d * kEps * norm / gap) << "top-" << k << " subspace";
  }
}

TEST(EigenLapack, Wilkinson) {
  Count count;
  g_count = &count;
  std::mt19937_64 rng(11);
  for (int d : {3, 5, 21, 41, 61, 81, 99}) {
    compare(wilkinson(d), "Wilkinson W+");
    const Eigen::MatrixXd q = random_orthogonal(d, rng);
    compare(q * wilkinson(d) * q.transpose(), "rotated Wilkinson W+");
  }
}

TEST(EigenLapack, Graded) {
  Count count;
  g_count = &count;
  std::mt19937_64 rng(12);
  for (int d = 2; d <= 100; d += (d < 10 ? 1 : 9)) compare(graded(d, rng), "graded");
}

TEST(EigenLapack, Clustered) {
  Count count;
  g_count = &count;
  std::mt19937_64 rng(13);
  for (int d = 2; d <= 100; d += (d < 10 ? 1 : 9))
    for (int c : {2, std::max(2, d / 3)})
      if (c <= d) compare(clustered(d, c, rng), "cluster of " + std::to_string(c));
}

TEST(EigenLapack, NearRankDeficient) {
  Count count;
  g_count = &count;
  std::mt19937_64 rng(14);
  for (int d = 2; d <= 100; d += (d < 10 ? 1 : 9))
    for (int r : {1, std::max(1, d / 2)})
      if (r < d) compare(near_rank_deficient(d, r, rng), "rank " + std::to_string(r));
}

TEST(EigenLapack, IdenticalBlocks) {
  Count count;
  g_count = &count;
  std::mt19937_64 rng(15);
  for (int block : {1, 2, 5, 10})
    for (int copies : {2, 3, 10})
      if (block * copies >= 2 && block * copies <= 100)
        compare(identical_blocks(block, copies, rng), std::to_string(copies) + " blocks");
}

}  // namespace
