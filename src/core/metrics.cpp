#include "phasecube/metrics.hpp"

#include <cmath>
#include <limits>

namespace phasecube {

Eigen::Index orthonormal_basis(const Eigen::MatrixXd& encoder, Eigen::MatrixXd& q,
                               Eigen::VectorXd& v) {
  // Modified Gram-Schmidt, applied twice ("twice is enough"); a column left with a
  // negligible norm adds nothing to the span.
  q.resize(encoder.rows(), encoder.cols());
  Eigen::Index rank = 0;
  for (Eigen::Index c = 0; c < encoder.cols(); ++c) {
    v = encoder.col(c);
    const double norm0 = v.norm();
    if (!(norm0 > 0) || !std::isfinite(norm0)) continue;
    for (int pass = 0; pass < 2; ++pass)
      for (Eigen::Index j = 0; j < rank; ++j) v -= q.col(j).dot(v) * q.col(j);
    const double norm = v.norm();
    if (norm <= 1e-10 * norm0) continue;
    q.col(rank++) = v / norm;
  }
  return rank;
}

void score_subspace(const Eigen::MatrixXd& encoder, int k, MetricScratch& scratch,
                    SubspaceScore& out) {
  const Eigen::Index rank = orthonormal_basis(encoder, scratch.qa, scratch.v);
  out.overlap = scratch.qa.topLeftCorner(k, rank).rowwise().squaredNorm();
  out.distance = 1.0 - out.overlap.sum() / k;
  out.recovered = static_cast<int>((out.overlap.array() >= kRecoveredOverlap).count());
}

SubspaceScore score_subspace(const Eigen::MatrixXd& encoder, int k) {
  MetricScratch scratch;
  SubspaceScore out;
  score_subspace(encoder, k, scratch, out);
  return out;
}

double subspace_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int k,
                         MetricScratch& scratch) {
  const Eigen::Index ra = orthonormal_basis(a, scratch.qa, scratch.v);
  const Eigen::Index rb = orthonormal_basis(b, scratch.qb, scratch.v);
  scratch.overlaps.noalias() = scratch.qa.leftCols(ra).transpose() * scratch.qb.leftCols(rb);
  return 1.0 - scratch.overlaps.squaredNorm() / k;
}

double subspace_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int k) {
  MetricScratch scratch;
  return subspace_distance(a, b, k, scratch);
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
  const auto k2 = kappa.array().square().matrix();  // an expression: no allocation
  return k2.sum() - 2.0 * b.diagonal().head(k).dot(k2) + quadratic_term(b, pop.sxx);
}

}  // namespace phasecube
