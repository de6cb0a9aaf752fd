#pragma once
// Samplers (DESIGN 1.4): draw the joint sample covariance of one trial.
//
// Both samplers produce S = L W L^T / n, where L L^T = Sigma is the coordinate-wise factor
// of the population covariance and W is a standard Wishart(n, I) matrix: `direct` forms
// W = Z^T Z from n rows of normals (O(n d^2)); `wishart` forms W = A A^T with Bartlett's
// triangular A (O(d^3), independent of n). Any number M of modalities works.
#include <Eigen/Dense>
#include <vector>

#include "phasecube/rng.hpp"

namespace phasecube {

// auto: Wishart when n >= 2d (resolved per cell), else direct.
enum class SamplerKind { Auto, Wishart, Direct };
const char* sampler_name(SamplerKind s);

// Lower-triangular C with C C^T = a for a symmetric positive SEMI-definite a (a zero pivot
// zeroes its column: singular covariances such as nu = 1 are allowed).
Eigen::MatrixXd cholesky_psd(const Eigen::MatrixXd& a);

class CovarianceSampler {
 public:
  // `blocks`: d per-coordinate M x M population covariances (model.hpp coordinate_blocks).
  // `kind` must be Wishart or Direct (resolve Auto first); Wishart needs n >= M d.
  CovarianceSampler(const std::vector<Eigen::MatrixXd>& blocks, int n, SamplerKind kind);

  int dimension() const { return d_; }
  int modalities() const { return m_; }

  // The joint sample covariance in modality-major order: block (a, b) of size d x d is the
  // sample covariance of modality a with modality b (for two modalities [Sxx Sxy; Syx Syy]).
  void draw(Stream& rng, Eigen::MatrixXd& s);

  // Wishart sampler only: the factor B of the same draw, S = B B^T / n. B is p x p lower
  // triangular in modality-major order (Bartlett's A drawn in that order, premultiplied by
  // the modality-major factor of Sigma, which is lower triangular too), so for two
  // modalities its top-left d x d block is a Cholesky factor of n Sxx. draw() with the same
  // stream returns B B^T / n of exactly this B.
  void draw_factor(Stream& rng, Eigen::MatrixXd& b);

  // Direct sampler only: the n x p data matrix itself (rows are samples, columns
  // modality-major a d + i), from the same normals in the same order as draw(), so that
  // data^T data / n is draw()'s sample covariance of the same stream up to rounding. For the
  // methods that train on the data (a trained objective) and the covariance methods of the
  // same trial.
  void draw_data(Stream& rng, Eigen::MatrixXd& data);

 private:
  // Direct sampler: fills w_ with the unscaled joint scatter matrix L W L^T
  // (coordinate-major order).
  void draw_joint_scatter(Stream& rng);
  void mix_rows(Eigen::MatrixXd& a) const;  // a <- L a
  int d_, m_, p_, n_;
  SamplerKind kind_;
  std::vector<Eigen::MatrixXd> factors_;  // per coordinate, M x M lower
  Eigen::MatrixXd w_, t_, z_;             // workspaces, reused across trials
  Eigen::VectorXd z_row_;                 // draw_data: one row's normals
};

// A Haar-distributed d x d rotation (orthogonal; Gram-Schmidt of a Gaussian matrix's columns,
// i.e. QR with a positive diagonal of R), into q. Allocation-free once q has its size.
void draw_haar_rotation(Stream& rng, int d, Eigen::MatrixXd& q);

}  // namespace phasecube
