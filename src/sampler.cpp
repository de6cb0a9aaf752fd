#include "phasecube/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace phasecube {

Eigen::MatrixXd cholesky_psd(const Eigen::MatrixXd& a) {
  const Eigen::Index m = a.rows();
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(m, m);
  const double scale = std::max(a.diagonal().maxCoeff(), 0.0);
  for (Eigen::Index j = 0; j < m; ++j) {
    double pivot = a(j, j) - c.row(j).head(j).squaredNorm();
    // A pivot at rounding level means this direction is a combination of earlier ones.
    if (pivot <= 1e-14 * scale) continue;
    c(j, j) = std::sqrt(pivot);
    for (Eigen::Index i = j + 1; i < m; ++i)
      c(i, j) = (a(i, j) - c.row(i).head(j).dot(c.row(j).head(j))) / c(j, j);
  }
  return c;
}

CovarianceSampler::CovarianceSampler(const std::vector<Eigen::MatrixXd>& blocks, int n,
                                     SamplerKind kind)
    : d_(static_cast<int>(blocks.size())),
      m_(blocks.empty() ? 0 : static_cast<int>(blocks.front().rows())),
      p_(d_ * m_),
      n_(n),
      kind_(kind) {
  if (kind == SamplerKind::Auto) throw std::logic_error("CovarianceSampler: resolve Auto first");
  if (kind == SamplerKind::Wishart && n < p_)
    throw std::logic_error("CovarianceSampler: Wishart needs n >= M d");
  factors_.reserve(blocks.size());
  for (const auto& b : blocks) factors_.push_back(cholesky_psd(b));
  w_.resize(p_, p_);
  t_.resize(p_, p_);
}

void CovarianceSampler::draw_standard_wishart(Stream& rng) {
  if (kind_ == SamplerKind::Wishart) {
    // Bartlett: A lower triangular, A_ii = sqrt(chi2(n - i)) (0-based i), A_ij ~ N(0, 1).
    // t_ holds A; w_ = A A^T, exploiting the triangle.
    t_.setZero();
    for (int i = 0; i < p_; ++i) {
      t_(i, i) = std::sqrt(rng.chi_square(static_cast<double>(n_ - i)));
      for (int j = 0; j < i; ++j) t_(i, j) = rng.normal();
    }
    w_.setZero();
    w_.selfadjointView<Eigen::Lower>().rankUpdate(t_);  // t_ is zero above the diagonal
  } else {
    // Z^T Z accumulated over blocks of rows, so Z never needs n x p memory.
    constexpr int kRows = 128;
    z_.resize(kRows, p_);
    w_.setZero();
    for (int row0 = 0; row0 < n_; row0 += kRows) {
      const int rows = std::min(kRows, n_ - row0);
      for (int r = 0; r < rows; ++r)
        for (int a = 0; a < p_; ++a) z_(r, a) = rng.normal();
      w_.selfadjointView<Eigen::Lower>().rankUpdate(z_.topRows(rows).transpose());
    }
  }
  w_.triangularView<Eigen::StrictlyUpper>() = w_.transpose();
}

void CovarianceSampler::draw(Stream& rng, Eigen::MatrixXd& s) {
  draw_standard_wishart(rng);
  // t_ = L w_ L^T with L block diagonal (coordinate-major): mix rows, then columns, within
  // each coordinate's M x M block. O(M p^2) instead of a dense O(p^3) product.
  for (int c = 0; c < d_; ++c) {
    const auto& f = factors_[static_cast<std::size_t>(c)];
    for (int a = 0; a < m_; ++a) {
      t_.row(c * m_ + a) = f(a, 0) * w_.row(c * m_);
      for (int b = 1; b <= a; ++b) t_.row(c * m_ + a) += f(a, b) * w_.row(c * m_ + b);
    }
  }
  for (int c = 0; c < d_; ++c) {
    const auto& f = factors_[static_cast<std::size_t>(c)];
    for (int a = 0; a < m_; ++a) {
      w_.col(c * m_ + a) = f(a, 0) * t_.col(c * m_);
      for (int b = 1; b <= a; ++b) w_.col(c * m_ + a) += f(a, b) * t_.col(c * m_ + b);
    }
  }
  // Coordinate-major (i M + a) to modality-major (a d + i), scaled by 1/n.
  s.resize(p_, p_);
  const double inv_n = 1.0 / n_;
  for (int a = 0; a < m_; ++a)
    for (int b = 0; b < m_; ++b)
      for (int j = 0; j < d_; ++j)
        for (int i = 0; i < d_; ++i) s(a * d_ + i, b * d_ + j) = inv_n * w_(i * m_ + a, j * m_ + b);
}

}  // namespace phasecube
