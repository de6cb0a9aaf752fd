#include "phasecube/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "phasecube/linalg.hpp"

namespace phasecube {

namespace {
// Relative size below which a pivot or eigenvalue of a covariance counts as zero.
constexpr double kSingularTolerance = 1e-10;

// Pseudo-inverse of a small symmetric PSD matrix, into s.pinv.
void pinv_symmetric(const Eigen::MatrixXd& a, EstimatorScratch& s) {
  const SymmetricEigen& eig = s.gram_eig.compute(a);
  const Eigen::VectorXd& w = eig.eigenvalues();
  const double cutoff = kSingularTolerance * std::max(w.maxCoeff(), 0.0);
  s.inverse.setZero(w.size());
  for (Eigen::Index i = 0; i < w.size(); ++i)
    if (w(i) > cutoff && w(i) > 0) s.inverse(i) = 1.0 / w(i);
  s.scaled.noalias() = eig.eigenvectors() * s.inverse.asDiagonal();
  s.pinv.noalias() = s.scaled * eig.eigenvectors().transpose();
}
}  // namespace

SymmetricEigen& SymmetricEigen::compute(const Eigen::MatrixXd& a) {
  const Eigen::Index n = a.cols();
  if (n <= 1) {  // Eigen's special case, which allocates nothing
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>::compute(a);
    return *this;
  }
  // Eigen 3.4's SelfAdjointEigenSolver::compute(a, ComputeEigenvectors), step by step, with
  // the Householder sequence expanded into m_eivec on the kept workspace.
  m_eivalues.resize(n, 1);
  m_eivec = a.triangularView<Eigen::Lower>();
  double scale = m_eivec.cwiseAbs().maxCoeff();
  if (scale == 0.0) scale = 1.0;
  m_eivec.triangularView<Eigen::Lower>() /= scale;
  m_subdiag.resize(n - 1);
  m_hcoeffs.resize(n - 1);
  Eigen::internal::tridiagonalization_inplace(m_eivec, m_eivalues, m_subdiag, m_hcoeffs, false);
  Eigen::HouseholderSequence<Eigen::MatrixXd, Eigen::VectorXd>(m_eivec, m_hcoeffs)
      .setLength(n - 1)
      .setShift(1)
      .evalTo(m_eivec, householder_);
  m_info = Eigen::internal::computeFromTridiagonal_impl(m_eivalues, m_subdiag, m_maxIterations,
                                                        true, m_eivec);
  m_eivalues *= scale;
  m_isInitialized = true;
  m_eigenvectorsOk = true;
  return *this;
}

void TopEigen::factor_shifted(double shift, double tiny) {
  const Eigen::Index d = diag_.size();
  double c0 = diag_(0) - shift, c1 = d > 1 ? sub_(0) : 0.0;  // current row, cols i and i+1
  for (Eigen::Index i = 0; i + 1 < d; ++i) {
    const double below = sub_(i), next_diag = diag_(i + 1) - shift;
    const double next_sup = i + 2 < d ? sub_(i + 1) : 0.0;
    if (std::fabs(c0) >= std::fabs(below)) {
      if (c0 == 0.0) c0 = tiny;
      const double m = below / c0;
      u0_(i) = c0, u1_(i) = c1, u2_(i) = 0.0;
      swapped_(i) = false;
      mult_(i) = m;
      c0 = next_diag - m * c1;
      c1 = next_sup;
    } else {
      const double m = c0 / below;
      u0_(i) = below, u1_(i) = next_diag, u2_(i) = next_sup;
      swapped_(i) = true;
      mult_(i) = m;
      const double old_c1 = c1;
      c0 = old_c1 - m * next_diag;
      c1 = -m * next_sup;
    }
  }
  u0_(d - 1) = c0;
  // Reciprocal pivots for the solves (divisions off their dependency chains).
  for (Eigen::Index i = 0; i < d; ++i) {
    double pivot = u0_(i);
    if (std::fabs(pivot) < tiny) pivot = pivot < 0 ? -tiny : tiny;
    u0_(i) = 1.0 / pivot;
  }
}

void TopEigen::solve_factored(Eigen::VectorXd& y) const {
  const Eigen::Index d = diag_.size();
  for (Eigen::Index i = 0; i + 1 < d; ++i) {
    const double m = mult_(i);
    if (!swapped_(i)) {
      y(i + 1) -= m * y(i);
    } else {
      const double yi = y(i);
      y(i) = y(i + 1);
      y(i + 1) = yi - m * y(i);
    }
  }
  for (Eigen::Index i = d - 1; i >= 0; --i) {
    double v = y(i);
    if (i + 1 < d) v -= u1_(i) * y(i + 1);
    if (i + 2 < d) v -= u2_(i) * y(i + 2);
    y(i) = v * u0_(i);
  }
}

void TopEigen::compute(const Eigen::MatrixXd& a, int k) {
  TopEigen* self = this;
  const Eigen::MatrixXd* matrix = &a;
  compute_batch(&self, &matrix, 1, k);
}

void TopEigen::compute_batch(TopEigen* const* solvers, const Eigen::MatrixXd* const* a, int count,
                             int k) {
  constexpr int kMax = 4;
  Eigen::VectorXd* values[kMax];
  Eigen::VectorXd* scratch[kMax];
  for (int g = 0; g < count; g += kMax) {
    const int size = std::min(kMax, count - g);
    for (int j = 0; j < size; ++j) {
      TopEigen& e = *solvers[g + j];
      e.reduce(*a[g + j]);
      values[j] = &e.values_;
      scratch[j] = &e.ql_sub_;
    }
    if (!tridiagonal_eigenvalues_batch(values, scratch, size)) {
      for (int j = 0; j < size; ++j) {  // never seen: Eigen's QR as a fallback
        TopEigen& e = *solvers[g + j];
        e.eig_.computeFromTridiagonal(e.diag_, e.sub_, Eigen::EigenvaluesOnly);
        e.values_ = e.eig_.eigenvalues().reverse();
      }
    }
    for (int j = 0; j < size; ++j) solvers[g + j]->top_vectors(k);
  }
}

void TopEigen::reduce(const Eigen::MatrixXd& a) {
  const Eigen::Index d = a.rows();
  work_.resize(d, d);
  work_.triangularView<Eigen::Lower>() = a;
  work_.triangularView<Eigen::StrictlyUpper>() = a.transpose();
  tridiagonalize(work_, diag_, sub_, tau_, p_, w_);
  values_ = diag_;
  ql_sub_ = sub_;
}

void TopEigen::top_vectors(int k) {
  const Eigen::Index d = diag_.size();
  u0_.resize(d), u1_.resize(d), u2_.resize(d), mult_.resize(d), swapped_.resize(d);
  x_.resize(d, k);
  if (start_.rows() != d || start_.cols() < k) {
    // Fixed, generic start vectors: deterministic and, in practice, not orthogonal to any
    // eigenvector. Made once per size, not per call.
    start_.resize(d, k);
    for (Eigen::Index j = 0; j < k; ++j)
      for (Eigen::Index i = 0; i < d; ++i)
        start_(i, j) = 1.0 + 0.3 * std::sin(static_cast<double>(3 * i + 7 * j + 1));
  }
  double tnorm = diag_.cwiseAbs().maxCoeff() + (d > 1 ? 2 * sub_.cwiseAbs().maxCoeff() : 0.0);
  if (!(tnorm > 0)) tnorm = 1.0;  // T = 0: every vector is an eigenvector
  const double eps = std::numeric_limits<double>::epsilon();
  const double tiny = std::max(eps * tnorm, std::numeric_limits<double>::min());
  const double cluster = 1e-3 * tnorm;  // LAPACK's reorthogonalisation threshold
  double shift = 0;
  Eigen::Index cluster_start = 0;
  for (Eigen::Index j = 0; j < k; ++j) {
    double target = values_(j);
    if (j > 0 && values_(j - 1) - values_(j) > cluster) cluster_start = j;
    // Equal shifts would give equal vectors: separate them by a few ulps of ||T||.
    if (j > 0 && shift - target < 10 * eps * tnorm) target = shift - 10 * eps * tnorm;
    shift = target;
    rhs_ = start_.col(j);
    factor_shifted(shift, tiny);  // once per shift, three solves
    for (int iteration = 0; iteration < 3; ++iteration) {
      rhs_ /= rhs_.cwiseAbs().maxCoeff();  // keep the solve in range
      solve_factored(rhs_);
      for (Eigen::Index c = cluster_start; c < j; ++c) rhs_ -= x_.col(c).dot(rhs_) * x_.col(c);
      rhs_.normalize();
    }
    x_.col(j) = rhs_;
  }
  // Not taken on the sweeps' sampled covariances (their cubes are unchanged); graded
  // matrices need it (tests/test_eigen_lapack.cpp). Eigen's QR on the same T instead.
  if (!vectors_accurate(tnorm)) {
    eig_.computeFromTridiagonal(diag_, sub_, Eigen::ComputeEigenvectors);
    values_ = eig_.eigenvalues().reverse();
    x_ = eig_.eigenvectors().rightCols(k).rowwise().reverse();
    ++fallbacks_;
  }
  vectors_ = x_;
  apply_householder_q(work_, tau_, vectors_);
}

bool TopEigen::vectors_accurate(double tnorm) const {
  // Inverse iteration runs a fixed number of steps; a converged vector has a residual and an
  // orthogonality at rounding level (~d eps, LAPACK's dstein), a failed one far above.
  // Checked on T: Q is orthogonal, so the residuals of A's vectors are the same.
  const Eigen::Index d = diag_.size(), k = x_.cols();
  const double tol = kVectorTolerance;
  for (Eigen::Index j = 0; j < k; ++j) {
    const double* x = x_.col(j).data();
    const double lambda = values_(j);
    double r2 = 0;
    for (Eigen::Index i = 0; i < d; ++i) {
      double t = (diag_(i) - lambda) * x[i];
      if (i > 0) t += sub_(i - 1) * x[i - 1];
      if (i + 1 < d) t += sub_(i) * x[i + 1];
      r2 += t * t;
    }
    if (!(r2 <= (tol * tnorm) * (tol * tnorm))) return false;  // also catches NaN
    for (Eigen::Index c = 0; c < j; ++c)
      if (!(std::fabs(x_.col(c).dot(x_.col(j))) <= tol)) return false;
  }
  return true;
}

void Whitener::compute(const Eigen::MatrixXd& s) {
  const Eigen::Index d = s.rows();
  llt_.compute(s);
  pseudo_ = llt_.info() != Eigen::Success;
  if (!pseudo_) {
    // A pivot that is tiny relative to its own variance means the coordinate is (almost)
    // a combination of earlier ones: the covariance is singular and Cholesky is unsafe.
    const Eigen::MatrixXd& l = llt_.matrixLLT();
    for (Eigen::Index i = 0; i < d && !pseudo_; ++i)
      pseudo_ = !(s(i, i) > 0) || l(i, i) * l(i, i) <= kSingularTolerance * s(i, i);
  }
  if (!pseudo_) {
    g_.setIdentity(d, d);
    llt_.matrixL().solveInPlace(g_);  // G = L^-1, G^T G = S^-1
    return;
  }
  eig_.compute(s);
  const Eigen::VectorXd& w = eig_.eigenvalues();
  const double cutoff = kSingularTolerance * std::max(w.maxCoeff(), 0.0);
  inv_sqrt_.setZero(d);
  for (Eigen::Index i = 0; i < d; ++i)
    if (w(i) > cutoff && w(i) > 0) inv_sqrt_(i) = 1.0 / std::sqrt(w(i));
  g_.noalias() = inv_sqrt_.asDiagonal() * eig_.eigenvectors().transpose();  // G^T G = S^+
}

void CrossModalFit::encode(const TopEigen& eig, bool x_side, bool singular_values,
                           Subspace& out) const {
  out.values = eig.values();
  if (singular_values) out.values = out.values.cwiseMax(0.0).cwiseSqrt();
  if (factored_) {  // G = L^-1: G^T v = L^-T v
    out.encoder = eig.vectors();
    lower_transpose_solve(x_side ? lx_ : ly_, out.encoder);
    return;
  }
  const Whitener& w = x_side ? wx_ : wy_;
  if (w.used_pseudo_inverse())
    out.encoder.noalias() = w.matrix().transpose() * eig.vectors();
  else  // G = L^-1 is lower triangular
    out.encoder.noalias() = w.matrix().transpose().triangularView<Eigen::Upper>() * eig.vectors();
}

void CrossModalFit::fit(const Eigen::MatrixXd& sxx, const Eigen::MatrixXd& syy,
                        const Eigen::MatrixXd& sxy, int k) {
  sxx_ = sxx;
  syy_ = syy;
  sxy_ = sxy;
  fit_stored(k);
}

void CrossModalFit::fit_stored(int k) {
  d_ = static_cast<int>(sxx_.rows());
  k_ = k;
  factored_ = false;
  wx_.compute(sxx_);
  wy_.compute(syy_);
  const Eigen::MatrixXd& gx = wx_.matrix();
  const Eigen::MatrixXd& gy = wy_.matrix();
  kx_.noalias() = gx * sxy_;              // whitened x against raw y
  ky_.noalias() = gy * sxy_.transpose();  // whitened y against raw x
  tmp_.noalias() = kx_ * gy.transpose();  // C^ = Gx Sxy Gy^T
  // Symmetric rank updates fill only the lower triangle, all TopEigen reads.
  cct_.setZero(d_, d_);
  cct_.selfadjointView<Eigen::Lower>().rankUpdate(tmp_);
  aat_.setZero(d_, d_);
  aat_.selfadjointView<Eigen::Lower>().rankUpdate(kx_);

  z_.setZero(d_, d_);
  z_.selfadjointView<Eigen::Lower>().rankUpdate(ky_);
  TopEigen* solvers[3] = {&eig_, &eig_cp_, &eig_rev_};
  const Eigen::MatrixXd* matrices[3] = {&cct_, &aat_, &z_};
  TopEigen::compute_batch(solvers, matrices, 3, k);
  encode(eig_, true, true, ca_);
  encode(eig_cp_, true, true, cp_);
  encode(eig_rev_, false, true, cp_rev_);
}

void CrossModalFit::fit_joint_covariance(const Eigen::MatrixXd& s, int k) {
  const Eigen::Index d = s.rows() / 2;
  sxx_ = s.topLeftCorner(d, d);
  syy_ = s.bottomRightCorner(d, d);
  sxy_ = s.topRightCorner(d, d);
  fit_stored(k);
}

void CrossModalFit::fit_factor(const Eigen::MatrixXd& b, int n, int k) {
  const Eigen::Index d = b.rows() / 2;
  const double inv_root_n = 1.0 / std::sqrt(static_cast<double>(n));
  // With Bx = [Rx 0] and By = [Byl Byr] the row blocks of B / sqrt(n):
  //   Sxx = Rx Rx^T, Sxy = Rx Byl^T, Syy = Byl Byl^T + Byr Byr^T.
  // Whitening by Gx = Rx^-1 gives Gx Sxy = Byl^T, so A^T A^ = Byl^T Byl directly; with
  // Syy = Ly Ly^T and Y = Ly^-1 Byl, C^ = Y^T and C^ C^T = Y^T Y; for y -> x,
  // Gy Syx = Y Rx^T.
  lx_ = b.topLeftCorner(d, d) * inv_root_n;
  byl_ = b.bottomLeftCorner(d, d) * inv_root_n;
  bool singular = false;
  for (Eigen::Index i = 0; i < d && !singular; ++i) {
    const double sxx_ii = lx_.row(i).head(i + 1).squaredNorm();
    singular = !(sxx_ii > 0) || lx_(i, i) * lx_(i, i) <= kSingularTolerance * sxx_ii;
  }
  if (!singular) {
    by_ = b.bottomRows(d) * inv_root_n;  // [Byl Byr]
    syrk(by_, false, tmp_);              // Syy (tmp_ is free until the y -> x product)
    singular = !cholesky_lower(tmp_, kSingularTolerance, ly_);
  }
  if (singular) {  // pseudo-inverse whitening on the formed covariances
    s_.resize(2 * d, 2 * d);
    syrk(b, true, s_);
    s_ *= 1.0 / static_cast<double>(n);
    fit_joint_covariance(s_, k);
    return;
  }
  d_ = static_cast<int>(d);
  k_ = k;
  factored_ = true;
  byl_t_ = byl_.transpose();
  syrk(byl_t_, false, aat_);  // A^T A^ = Byl^T Byl
  y_ = byl_;
  lower_solve(ly_, y_);  // Y = Ly^-1 Byl
  yt_ = y_.transpose();
  syrk(yt_, false, cct_);  // C^ C^T = Y^T Y
  // Z = Y Rx^T, column j = sum_{l <= j} Rx(j, l) Y(:, l)
  z_.setZero(d, d);
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index l = 0; l <= j; ++l) z_.col(j) += lx_(j, l) * y_.col(l);
  syrk(z_, false, tmp_);  // (Gy Syx)(Gy Syx)^T

  TopEigen* solvers[3] = {&eig_, &eig_cp_, &eig_rev_};
  const Eigen::MatrixXd* matrices[3] = {&cct_, &aat_, &tmp_};
  TopEigen::compute_batch(solvers, matrices, 3, k);
  encode(eig_, true, true, ca_);
  encode(eig_cp_, true, true, cp_);
  encode(eig_rev_, false, true, cp_rev_);
}

double CrossModalFit::ca_encoder_norm() const {
  double sum = 0;
  for (int i = 0; i < k_; ++i) {
    if (!(ca_.values(i) > 0)) return std::numeric_limits<double>::infinity();
    sum += 1.0 / ca_.values(i);
  }
  return 2.0 * sum;
}

// The products below are evaluated one at a time into the scratch, in the order (and so
// with the rounding) of the nested expressions Eigen would evaluate into temporaries.
void CrossModalFit::cp_predictor(EstimatorScratch& s, Eigen::MatrixXd& b) const {
  if (factored_) {  // Syx E = Byl Rx^T E
    s.re.noalias() = lx_.triangularView<Eigen::Lower>().transpose() * cp_.encoder;
    s.partial.noalias() = byl_.lazyProduct(s.re);
  } else {
    s.partial.noalias() = sxy_.transpose() * cp_.encoder;
  }
  b.noalias() = s.partial * cp_.encoder.transpose();  // O(d^2 k)
}

void CrossModalFit::ca_probe(EstimatorScratch& s, Eigen::MatrixXd& b) const {
  const Eigen::MatrixXd& e = ca_.encoder;  // W^T
  if (factored_) {                         // E^T Sxx E = (Rx^T E)^T (Rx^T E), Syx E = Byl Rx^T E
    s.re.noalias() = lx_.triangularView<Eigen::Lower>().transpose() * e;
    s.gram.noalias() = s.re.transpose().lazyProduct(s.re);
    s.partial.noalias() = byl_.lazyProduct(s.re);
  } else {
    s.ets.noalias() = e.transpose() * sxx_;
    s.gram.noalias() = s.ets * e;
    s.partial.noalias() = sxy_.transpose() * e;
  }
  pinv_symmetric(s.gram, s);
  s.probe.noalias() = s.partial * s.pinv;
  b.noalias() = s.probe * e.transpose();
}

void CrossModalFit::joint(double lambda, EstimatorScratch& s, Subspace& out) const {
  // Lower triangles only (see fit).
  s.joint_matrix = aat_ + lambda * (cct_ - Eigen::MatrixXd::Identity(d_, d_));
  s.joint_eig.compute(s.joint_matrix, k_);
  encode(s.joint_eig, true, false, out);
}

void CrossModalFit::pls(EstimatorScratch& s, Subspace& out) const {
  if (factored_) {  // Sxy = Rx Byl^T (lx_, byl_t_ of fit_factor), not formed by the fit
    lower_multiply(lx_, byl_t_, s.pls_cross);
    syrk(s.pls_cross, false, s.pls_matrix);
  } else {
    syrk(sxy_, false, s.pls_matrix);
  }
  s.pls_eig.compute(s.pls_matrix, k_);
  out.values = s.pls_eig.values().cwiseMax(0.0).cwiseSqrt();
  out.encoder = s.pls_eig.vectors();
}

Eigen::MatrixXd CrossModalFit::cp_predictor() const {
  EstimatorScratch s;
  Eigen::MatrixXd b;
  cp_predictor(s, b);
  return b;
}

Eigen::MatrixXd CrossModalFit::ca_probe() const {
  EstimatorScratch s;
  Eigen::MatrixXd b;
  ca_probe(s, b);
  return b;
}

Subspace CrossModalFit::joint(double lambda) const {
  EstimatorScratch s;
  Subspace out;
  joint(lambda, s, out);
  return out;
}

Subspace CrossModalFit::pls() const {
  EstimatorScratch s;
  Subspace out;
  pls(s, out);
  return out;
}

}  // namespace phasecube
