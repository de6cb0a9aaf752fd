#pragma once
// Metrics (DESIGN 1.3), in the canonical basis where the signal subspace is span(e_1..e_k).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "phasecube/model.hpp"

namespace phasecube {

// An overlap o_i >= this counts signal direction i as recovered.
inline constexpr double kRecoveredOverlap = 0.8;

struct SubspaceScore {
  double distance = 1.0;    // 1 - (1/k) sum cos^2(theta_i), 0 perfect, 1 orthogonal
  int recovered = 0;        // #{i <= k : o_i >= 0.8}
  Eigen::VectorXd overlap;  // o_i = |projection of e_i onto the recovered subspace|^2
};

// Buffers of the subspace metrics, reused across calls: one per thread in the trial loop
// (TrialScratch in parallel.hpp), so that scoring a trial does not allocate.
struct MetricScratch {
  Eigen::MatrixXd qa, qb, overlaps;
  Eigen::VectorXd v;
};

// Scores the span of `encoder`'s columns against span(e_1..e_k), into `out`. Columns that
// are zero or linearly dependent (degenerate whitening) simply do not add to the span.
void score_subspace(const Eigen::MatrixXd& encoder, int k, MetricScratch& scratch,
                    SubspaceScore& out);
SubspaceScore score_subspace(const Eigen::MatrixXd& encoder, int k);  // own scratch (tests)

// Orthonormal basis of the column span (dependent or zero columns dropped): the first
// `rank` (returned) columns of q. `v` is scratch.
Eigen::Index orthonormal_basis(const Eigen::MatrixXd& encoder, Eigen::MatrixXd& q,
                               Eigen::VectorXd& v);

// 1 - (1/k) ||Qa^T Qb||_F^2 between the spans of two encoders: 0 for the same k-dimensional
// subspace, 1 for orthogonal ones (the distance to the truth is the case b = e_1..e_k).
double subspace_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int k,
                         MetricScratch& scratch);
double subspace_distance(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, int k);

// The projector distance ||P_Uhat - P_U||_F / sqrt(2k) of a k-dimensional estimate whose
// subspace distance is `distance`: ||P_Uhat - P_U||_F^2 = 2k - 2 sum cos^2 = 2k distance, so it
// is sqrt(distance) per trial (the mean over trials is not sqrt of the mean distance).
inline double projector_distance(double distance) {
  return std::sqrt(std::max(0.0, distance));
}

// sigma_k / sigma_(k+1) of descending singular values: +inf when sigma_(k+1) = 0 < sigma_k,
// NaN when both are 0 (no spectrum to separate).
double spectral_gap(const Eigen::VectorXd& values_desc, int k);

// Exact population risk E|target - B x|^2 = target_power - 2 tr(B E[x target^T]) + tr(B Sxx B^T)
// for the model's diagonal population covariances.
double prediction_risk(const Eigen::MatrixXd& b, const PopulationCovariance& pop);
// The same against y_signal = (s, 0): target power sum kappa_i^2, E[x y_signal^T] = diag(kappa^2,
// 0).
double signal_risk(const Eigen::MatrixXd& b, const PopulationCovariance& pop,
                   const Eigen::VectorXd& kappa);

}  // namespace phasecube
