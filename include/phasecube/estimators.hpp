#pragma once
// Finite-sample estimators (DESIGN 1.2): CA (CCA), CP x->y and y->x (reduced-rank
// regression), CA+probe, joint(lambda) and PLS. Pure linear algebra on sample covariances.
//
// Everything is computed in whitened coordinates with a whitening G, G^T G = Sxx^+ (a
// Cholesky inverse, or the eigen pseudo-inverse square root when Sxx is singular, e.g.
// n < d or a zero-variance coordinate). Any such G spans the same subspaces as Sxx^-1/2:
//   CA:    C^ C^T   = Gx Sxy Syy^+ Syx Gx^T   -> top-k eigenvectors P_k, encoder Gx^T P_k
//   CP:    A^T A^   = Gx Sxy Syx Gx^T         -> top-k eigenvectors V_k, encoder Gx^T V_k
//   joint: A^T A^ + lambda (C^ C^T - I)
// PLS needs no whitening: the top-k left singular vectors of Sxy are the top-k eigenvectors
// of Sxy Syx, the encoder itself.
// The encoder is returned as d x k columns spanning the recovered subspace.
#include <Eigen/Dense>

namespace phasecube {

struct Subspace {
  Eigen::VectorXd values;   // all d singular values (eigenvalues for joint), descending
  Eigen::MatrixXd encoder;  // d x k, columns span the recovered subspace
};

// Eigen's SelfAdjointEigenSolver with eigenvectors, whose compute() allocates a Householder
// workspace on every call. This compute() performs the same operations in the same order
// (Eigen 3.4's compute, checked bitwise by tests/test_estimators.cpp) and keeps the workspace,
// so a reused solver does not allocate.
class SymmetricEigen : public Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> {
 public:
  SymmetricEigen& compute(const Eigen::MatrixXd& a);

 private:
  Eigen::VectorXd householder_;
};

// Symmetric eigenproblem, top part only: all eigenvalues (descending) and an orthonormal
// basis of the top-k invariant subspace. The hot loop's only eigen-solver.
//
// Every metric depends on the top-k subspace alone, so instead of accumulating all d
// eigenvectors (most of the cost of a full solver) it tridiagonalises, takes the
// eigenvalues from the tridiagonal form, and finds just k eigenvectors by inverse iteration
// on the tridiagonal (as LAPACK's dstein: shifted solves with partial pivoting, shifts
// separated and vectors reorthogonalised within clusters), then applies the Householder Q.
// Reads the lower triangle of `a` only.
class TopEigen {
 public:
  void compute(const Eigen::MatrixXd& a, int k);
  // compute() for `count` matrices, solvers[j] on a[j]: the same results as separate calls,
  // faster because the eigenvalue iterations of the problems run interleaved.
  static void compute_batch(TopEigen* const* solvers, const Eigen::MatrixXd* const* a, int count,
                            int k);
  const Eigen::VectorXd& values() const { return values_; }
  const Eigen::MatrixXd& vectors() const { return vectors_; }
  // How many computes fell back to Eigen's solver (the residual check failed): for tests.
  long fallbacks() const { return fallbacks_; }
  // Residual ||T x - lambda x|| <= tol ||T|| and |x_i . x_j| <= tol of the inverse-iteration
  // vectors, else the fallback. Rounding-level vectors are ~1e-14; a failure ~1 or NaN.
  static constexpr double kVectorTolerance = 1e-9;

 private:
  Eigen::MatrixXd work_;  // the matrix, then its Householder vectors (linalg.hpp)
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig_;  // fallbacks only
  long fallbacks_ = 0;
  Eigen::VectorXd diag_, sub_, tau_, values_, ql_sub_, rhs_, p_, w_;  // p_, w_: linalg.hpp
  Eigen::VectorXd u0_, u1_, u2_, mult_;
  Eigen::Matrix<bool, Eigen::Dynamic, 1> swapped_;
  Eigen::MatrixXd start_, x_, vectors_;
  void reduce(const Eigen::MatrixXd& a);  // tridiagonalise; values_/ql_sub_ = diag_/sub_
  void top_vectors(int k);                // after values_: inverse iteration, then Q
  // LU with partial pivoting of T - shift I (pivots below `tiny` replaced by it, so that an
  // exact eigenvalue shift still gives the huge inverse-iteration step), then solves.
  void factor_shifted(double shift, double tiny);
  void solve_factored(Eigen::VectorXd& y) const;
  bool vectors_accurate(double tnorm) const;  // the residual check of top_vectors
};

// G with G^T G = S^+ (see above). Reuses its buffers across calls.
class Whitener {
 public:
  void compute(const Eigen::MatrixXd& s);
  const Eigen::MatrixXd& matrix() const { return g_; }
  bool used_pseudo_inverse() const { return pseudo_; }

 private:
  Eigen::LLT<Eigen::MatrixXd> llt_;
  SymmetricEigen eig_;
  Eigen::MatrixXd g_;
  Eigen::VectorXd inv_sqrt_;
  bool pseudo_ = false;
};

// Buffers of the estimators evaluated on a fit (CP predictor, CA+probe, joint), reused across
// calls: one per thread in the trial loop (TrialScratch in parallel.hpp).
struct EstimatorScratch {
  Eigen::MatrixXd re, ets, gram, scaled, pinv, partial, probe, joint_matrix;
  Eigen::VectorXd inverse;
  SymmetricEigen gram_eig;
  TopEigen joint_eig;
  Eigen::MatrixXd pls_cross, pls_matrix;  // Sxy (factored fits only) and Sxy Syx
  TopEigen pls_eig;
};

class CrossModalFit {
 public:
  // Fits CA, CP and CPrev with k components from sample covariances (d x d each).
  void fit(const Eigen::MatrixXd& sxx, const Eigen::MatrixXd& syy, const Eigen::MatrixXd& sxy,
           int k);
  // Convenience: the joint modality-major covariance [Sxx Sxy; Syx Syy] (2d x 2d).
  void fit_joint_covariance(const Eigen::MatrixXd& s, int k);
  // The same fit from a factor of the joint covariance, S = B B^T / n, with B the 2d x 2d
  // lower-triangular modality-major factor of CovarianceSampler::draw_factor. Sxx's
  // Cholesky factor is B's top-left block and the whitened cross-covariance Gx Sxy is B's
  // bottom-left block transposed, so no covariance is formed or re-factorised. Gives the
  // same results as fit_joint_covariance(B B^T / n, k) up to rounding; falls back to it
  // when Sxx or Syy is (nearly) singular.
  void fit_factor(const Eigen::MatrixXd& b, int n, int k);

  const Subspace& ca() const { return ca_; }
  const Subspace& cp() const { return cp_; }
  const Subspace& cp_rev() const { return cp_rev_; }  // subspace in y-space

  // 2 sum_{i<=k} 1 / phi_i over the top-k canonical correlations (+inf if one is 0).
  double ca_encoder_norm() const;
  // CP predictor B = U_k Sigma_k V_k^T Sxx^-1/2 = Syx E E^T (E = Gx^T V_k), d x d, into b.
  void cp_predictor(EstimatorScratch& scratch, Eigen::MatrixXd& b) const;
  // CA+probe: least squares B = Syx W^T (W Sxx W^T)^+ W, W = CA encoder rows, into b.
  void ca_probe(EstimatorScratch& scratch, Eigen::MatrixXd& b) const;
  // Joint(lambda) encoder: top-k eigenvectors of A^T A^ + lambda (C^ C^T - I), into out.
  void joint(double lambda, EstimatorScratch& scratch, Subspace& out) const;
  // PLS encoder: the top-k left singular vectors of Sxy (orthonormal, x space) and all d
  // singular values of Sxy, into out. Either fit path: a factored fit's Sxy = Rx Byl^T.
  void pls(EstimatorScratch& scratch, Subspace& out) const;
  // The same four with their own scratch (tests; the trial loop reuses one per thread).
  Eigen::MatrixXd cp_predictor() const;
  Eigen::MatrixXd ca_probe() const;
  Subspace joint(double lambda) const;
  Subspace pls() const;

 private:
  // Encoder Gx^T v (x side) or Gy^T v (y side) for the top-k vectors of `eig`.
  void encode(const TopEigen& eig, bool x_side, bool singular_values, Subspace& out) const;
  void fit_stored(int k);  // fit() on sxx_, syy_, sxy_
  int d_ = 0, k_ = 0;
  Eigen::MatrixXd sxx_, syy_, sxy_;
  Whitener wx_, wy_;
  // fit_factor: whitening by the Cholesky factors Sxx = lx_ lx_^T, Syy = ly_ ly_^T
  // (instead of wx_, wy_); Sxy = lx_ byl_^T, by_ = [Byl Byr]. sxx_ and sxy_ are not formed.
  bool factored_ = false;
  Eigen::MatrixXd lx_, ly_, byl_, byl_t_, by_, y_, yt_, z_, s_;
  Eigen::MatrixXd kx_, ky_, cct_, aat_, tmp_;
  TopEigen eig_, eig_cp_, eig_rev_;
  Subspace ca_, cp_, cp_rev_;
};

}  // namespace phasecube
