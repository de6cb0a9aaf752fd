#include "phasecube/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>

namespace phasecube {

const char* sampler_name(SamplerKind s) {
  switch (s) {
    case SamplerKind::Wishart:
      return "wishart";
    case SamplerKind::Direct:
      return "direct";
    case SamplerKind::Auto:
      break;
  }
  return "auto";
}

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

void CovarianceSampler::mix_rows(Eigen::MatrixXd& a) const {
  // a <- L a for the block-diagonal lower L; bottom row of each block first, so the rows it
  // reads are not yet overwritten.
  for (int c = 0; c < d_; ++c) {
    const auto& f = factors_[static_cast<std::size_t>(c)];
    for (int r = m_ - 1; r >= 0; --r) {
      a.row(c * m_ + r) *= f(r, r);
      for (int b = 0; b < r; ++b) a.row(c * m_ + r) += f(r, b) * a.row(c * m_ + b);
    }
  }
}

void CovarianceSampler::draw_factor(Stream& rng, Eigen::MatrixXd& b) {
  if (kind_ != SamplerKind::Wishart)
    throw std::logic_error("CovarianceSampler::draw_factor: Wishart sampler only");
  // Bartlett: A lower triangular, A_ii = sqrt(chi2(n - i)) (0-based i), A_ij ~ N(0, 1), in
  // modality-major index order (a d + i). W = A A^T is Wishart(n, I) whatever the order.
  b.setZero(p_, p_);
  for (int i = 0; i < p_; ++i) {
    b(i, i) = std::sqrt(rng.chi_square(static_cast<double>(n_ - i)));
    for (int j = 0; j < i; ++j) b(i, j) = rng.normal();
  }
  // B = L A, L the modality-major factor of Sigma: row a d + i of B mixes rows b d + i
  // (b <= a) of A with the coordinate's factor f_i(a, b). Modalities from the last down, so
  // the rows read are not yet overwritten. Row a d + i of A is zero beyond column a d + i,
  // so B stays lower triangular.
  // Column by column (contiguous in memory); within a column the same per-entry arithmetic.
  for (int c = 0; c < p_; ++c) {
    double* col = b.data() + static_cast<std::ptrdiff_t>(c) * p_;
    for (int a = m_ - 1; a >= 0; --a)
      for (int i = std::max(0, c - a * d_); i < d_; ++i) {  // rows r = a d + i >= c
        const auto& f = factors_[static_cast<std::size_t>(i)];
        const int r = a * d_ + i;
        double v = f(a, a) * col[r];
        for (int m = 0; m < a; ++m) v += f(a, m) * col[m * d_ + i];
        col[r] = v;
      }
  }
}

void CovarianceSampler::draw_joint_scatter(Stream& rng) {
  // Direct: W = Z^T Z accumulated over blocks of rows (Z never needs n x p memory), then
  // L W L^T: mix rows, transpose (W is symmetric), mix rows again.
  constexpr int kRows = 128;
  z_.resize(kRows, p_);
  w_.setZero();
  for (int row0 = 0; row0 < n_; row0 += kRows) {
    const int rows = std::min(kRows, n_ - row0);
    for (int r = 0; r < rows; ++r)
      for (int a = 0; a < p_; ++a) z_(r, a) = rng.normal();
    w_.selfadjointView<Eigen::Lower>().rankUpdate(z_.topRows(rows).transpose());
  }
  w_.triangularView<Eigen::StrictlyUpper>() = w_.transpose();
  mix_rows(w_);
  t_ = w_.transpose();
  mix_rows(t_);
  w_ = t_;
}

void CovarianceSampler::draw(Stream& rng, Eigen::MatrixXd& s) {
  if (kind_ == SamplerKind::Wishart) {
    // S = B B^T / n, summing only over the shared triangle of the lower B: p^3/6
    // multiply-adds instead of a dense product's p^3/2.
    draw_factor(rng, t_);
    s.setZero(p_, p_);
    const double inv_n = 1.0 / n_;
    double* __restrict w = s.data();  // s and t_ never alias: lets GCC vectorise
    const double* __restrict b = t_.data();
    for (int l = 0; l < p_; ++l) {
      const double* b_l = b + static_cast<std::ptrdiff_t>(l) * p_;
      for (int j = l; j < p_; ++j) {
        const double b_jl = b_l[j];
        double* __restrict w_j = w + static_cast<std::ptrdiff_t>(j) * p_;
        for (int i = j; i < p_; ++i) w_j[i] += b_jl * b_l[i];
      }
    }
    s *= inv_n;
    s.triangularView<Eigen::StrictlyUpper>() = s.transpose();
    return;
  }
  draw_joint_scatter(rng);
  // Coordinate-major (i M + a) to modality-major (a d + i), scaled by 1/n.
  s.resize(p_, p_);
  const double inv_n = 1.0 / n_;
  for (int a = 0; a < m_; ++a)
    for (int b = 0; b < m_; ++b)
      for (int j = 0; j < d_; ++j)
        for (int i = 0; i < d_; ++i) s(a * d_ + i, b * d_ + j) = inv_n * w_(i * m_ + a, j * m_ + b);
}

void CovarianceSampler::draw_data(Stream& rng, Eigen::MatrixXd& data) {
  if (kind_ != SamplerKind::Direct)
    throw std::logic_error("CovarianceSampler::draw_data: direct sampler only");
  data.resize(n_, p_);
  z_row_.resize(p_);
  for (int r = 0; r < n_; ++r) {
    for (int a = 0; a < p_; ++a) z_row_(a) = rng.normal();  // coordinate-major, as draw()
    // Coordinate i of modality a mixes the coordinate's normals b <= a (its factor is lower).
    for (int i = 0; i < d_; ++i) {
      const auto& f = factors_[static_cast<std::size_t>(i)];
      for (int a = 0; a < m_; ++a) {
        double v = 0;
        for (int b = 0; b <= a; ++b) v += f(a, b) * z_row_(i * m_ + b);
        data(r, a * d_ + i) = v;
      }
    }
  }
}

void draw_haar_rotation(Stream& rng, int d, Eigen::MatrixXd& q) {
  q.resize(d, d);
  for (int c = 0; c < d; ++c)
    for (int r = 0; r < d; ++r) q(r, c) = rng.normal();
  // Modified Gram-Schmidt, twice per column for orthogonality to rounding.
  for (int c = 0; c < d; ++c) {
    for (int pass = 0; pass < 2; ++pass)
      for (int b = 0; b < c; ++b) q.col(c) -= q.col(b).dot(q.col(c)) * q.col(b);
    q.col(c) /= q.col(c).norm();
  }
}

}  // namespace phasecube
