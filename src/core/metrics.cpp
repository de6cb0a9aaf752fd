#include "phasecube/metrics.hpp"

#include <cmath>
#include <limits>

namespace phasecube {

Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& encoder) {
  // Modified Gram-Schmidt, applied twice ("twice is enough"); a column left with a
  // negligible norm adds nothing to the span.
  const Eigen::Index d = encoder.rows();
  Eigen::MatrixXd q(d, encoder.cols());
  Eigen::Index rank = 0;
  for (Eigen::Index c = 0; c < encoder.cols(); ++c) {
    Eigen::VectorXd v = encoder.col(c);
    const double norm0 = v.norm();
    if (!(norm0 > 0) || !std::isfinite(norm0)) continue;
    for (int pass = 0; pass < 2; ++pass)
      for (Eigen::Index j = 0; j < rank; ++j) v -= q.col(j).dot(v) * q.col(j);
    const double norm = v.norm();
    if (norm <= 1e-10 * norm0) continue;
    q.col(rank++) = v / norm;
  }
  return q.leftCols(rank);
}

SubspaceScore score_subspace(const Eigen::MatrixXd& encoder, int k) {
  const Eigen::MatrixXd q = orthonormal_basis(encoder);
  SubspaceScore s;
  s.overlap = q.topRows(k).rowwise().squaredNorm();
  s.distance = 1.0 - s.overlap.sum() / k;
  s.recovered = static_cast<int>((s.overlap.array() >= kRecoveredOverlap).count());
  return s;
}

double subspace_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int k) {
  const Eigen::MatrixXd qa = orthonormal_basis(a), qb = orthonormal_basis(b);
  return 1.0 - (qa.transpose() * qb).squaredNorm() / k;
}

double spectral_gap(const Eigen::VectorXd& values_desc, int k) {
  const double hi = values_desc(k - 1), lo = values_desc(k);
  if (lo > 0) return hi / lo;
  return hi > 0 ? std::numeric_limits<double>::infinity()
                : std::numeric_limits<double>::quiet_NaN();
}

namespace {
// tr(B Sxx B^T) for diagonal Sxx.
double quadratic_term(const Eigen::MatrixXd& b, const Eigen::VectorXd& sxx) {
  return (b.array().square().rowwise() * sxx.transpose().array()).sum();
}
}  // namespace

double prediction_risk(const Eigen::MatrixXd& b, const PopulationCovariance& pop) {
  return pop.syy.sum() - 2.0 * b.diagonal().dot(pop.sxy) + quadratic_term(b, pop.sxx);
}

double signal_risk(const Eigen::MatrixXd& b, const PopulationCovariance& pop,
                   const Eigen::VectorXd& kappa) {
  const Eigen::Index k = kappa.size();
  const Eigen::VectorXd k2 = kappa.array().square();
  return k2.sum() - 2.0 * b.diagonal().head(k).dot(k2) + quadratic_term(b, pop.sxx);
}

}  // namespace phasecube
