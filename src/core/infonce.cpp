#include "phasecube/infonce.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace phasecube {

namespace {

constexpr double kNormFloor = 1e-8;  // torch: norm(dim=1).clamp_min(1e-8)
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kAdamEps = 1e-8;
// Cosines are in [-1, 1], so logits are within 1/tau of 0 and exp(logit - 1/tau) lies in
// [exp(-2/tau), 1]: one exp matrix serves both softmaxes without overflow, and without
// underflow while 2/tau stays well inside double's exponent range. Below that temperature
// each softmax gets its own max shift.
constexpr double kSharedShiftMaxRange = 500.0;

// 2^u for u in [-1000, 0], to a few ulp: 2^n 2^f with n = round(u) (the 1.5 2^52 trick; n
// is then the low bits of u + 1.5 2^52) and 2^f = e^g, g = f ln 2 in [-0.35, 0.35], by its
// Taylor series to degree 12 (truncation below 2e-16). Adds, multiplies and integer shifts
// only: loops calling it vectorise with SSE2, unlike std::exp (and Eigen's exp divides).
inline double exp2_bounded(double u) {
  constexpr double kRound = 0x1.8p52;
  constexpr double kLn2 = 0.6931471805599453;
  constexpr std::uint64_t kRoundBits = 0x4338000000000000;  // bits of kRound
  const double shifted = u + kRound;
  const double g = (u - (shifted - kRound)) * kLn2;
  // Horner, 1/12! down to 1/0!.
  double p = 1.0 / 479001600;
  p = p * g + 1.0 / 39916800;
  p = p * g + 1.0 / 3628800;
  p = p * g + 1.0 / 362880;
  p = p * g + 1.0 / 40320;
  p = p * g + 1.0 / 5040;
  p = p * g + 1.0 / 720;
  p = p * g + 1.0 / 120;
  p = p * g + 1.0 / 24;
  p = p * g + 1.0 / 6;
  p = p * g + 0.5;
  p = p * g + 1.0;
  p = p * g + 1.0;
  const std::uint64_t n_bits = (std::bit_cast<std::uint64_t>(shifted) - kRoundBits) << 52;
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(p) + n_bits);
}

// The two column kernels on column-major B x k inputs, yj = row j of z_y. For k = 3 (the
// issue's case) one fused pass over the batch; other k the same arithmetic in k + 1 passes.
// col = 2^(zs yj - shift), added into row_sum.
[[gnu::always_inline]] inline void exp_column(const double* __restrict zs, Eigen::Index batch,
                                              int k, const double* __restrict yj, double shift,
                                              double* __restrict col, double* __restrict row_sum) {
  if (k == 3) {
    const double* z1 = zs + batch;
    const double* z2 = zs + 2 * batch;
    for (Eigen::Index i = 0; i < batch; ++i) {
      col[i] = exp2_bounded(-shift + zs[i] * yj[0] + z1[i] * yj[1] + z2[i] * yj[2]);
      row_sum[i] += col[i];
    }
    return;
  }
  for (Eigen::Index i = 0; i < batch; ++i) col[i] = -shift;
  for (int c = 0; c < k; ++c) {
    for (Eigen::Index i = 0; i < batch; ++i) col[i] += zs[c * batch + i] * yj[c];
  }
  for (Eigen::Index i = 0; i < batch; ++i) {
    col[i] = exp2_bounded(col[i]);
    row_sum[i] += col[i];
  }
}

// g = e (alpha + beta_j), added into dzx as g yj^T.
[[gnu::always_inline]] inline void gradient_column(const double* __restrict e,
                                                   const double* __restrict alpha, double beta_j,
                                                   Eigen::Index batch, int k,
                                                   const double* __restrict yj,
                                                   double* __restrict g, double* __restrict dzx) {
  if (k == 3) {
    double* d1 = dzx + batch;
    double* d2 = dzx + 2 * batch;
    for (Eigen::Index i = 0; i < batch; ++i) {
      g[i] = e[i] * (alpha[i] + beta_j);
      dzx[i] += g[i] * yj[0];
      d1[i] += g[i] * yj[1];
      d2[i] += g[i] * yj[2];
    }
    return;
  }
  for (Eigen::Index i = 0; i < batch; ++i) g[i] = e[i] * (alpha[i] + beta_j);
  for (int c = 0; c < k; ++c) {
    for (Eigen::Index i = 0; i < batch; ++i) dzx[c * batch + i] += g[i] * yj[c];
  }
}

// The same kernels compiled for AVX2 (4 lanes instead of SSE2's 2). They are element-wise:
// every output element is the same sequence of IEEE operations (no FMA: the avx2 target does
// not enable it, and nothing is reassociated), so either version gives the same bits; the
// reductions (column sums, dot products) stay in the portable code.
[[gnu::target("avx2")]] void exp_column_avx2(const double* zs, Eigen::Index batch, int k,
                                             const double* yj, double shift, double* col,
                                             double* row_sum) {
  exp_column(zs, batch, k, yj, shift, col, row_sum);
}
[[gnu::target("avx2")]] void gradient_column_avx2(const double* e, const double* alpha,
                                                  double beta_j, Eigen::Index batch, int k,
                                                  const double* yj, double* g, double* dzx) {
  gradient_column(e, alpha, beta_j, batch, k, yj, g, dzx);
}

bool finite_positive(double v) {
  return std::isfinite(v) && v > 0;
}

// z = a / max(|a_i|, 1e-8) row by row; `norms` gets the clamped norms.
void normalise_rows(Eigen::MatrixXd& z, Eigen::VectorXd& norms) {
  norms = z.rowwise().norm().cwiseMax(kNormFloor);
  z.array().colwise() /= norms.array();
}

// In place, dz -> the gradient with respect to the unnormalised rows a (z = a / |a|):
// (dz - z (z . dz)) / |a|, or dz / 1e-8 where the norm was clamped (constant there).
void normalise_rows_backward(const Eigen::MatrixXd& z, const Eigen::VectorXd& norms,
                             Eigen::MatrixXd& dz) {
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    if (norms(i) > kNormFloor) dz.row(i) -= z.row(i).dot(dz.row(i)) * z.row(i);
  }
  dz.array().colwise() /= norms.array();
}

}  // namespace

const char* infonce_settings_error(const InfoNceSettings& s) {
  if (!finite_positive(s.tau)) return "tau must be > 0 and finite";
  if (s.batch < 1 || s.batch > kInfoNceMaxBatch) return "batch must be in [1, 16384]";
  if (!finite_positive(s.lr)) return "lr must be > 0 and finite";
  if (s.max_steps < 1) return "max_steps must be >= 1";
  if (s.patience < 1) return "patience must be >= 1";
  if (!(std::isfinite(s.tol) && s.tol >= 0)) return "tol must be >= 0 and finite";
  return nullptr;
}

void adam_step(Eigen::MatrixXd& p, const Eigen::MatrixXd& g, Eigen::MatrixXd& m, Eigen::MatrixXd& s,
               int t, double lr) {
  // torch.optim.Adam's single-tensor update, in its order of operations.
  m.array() = m.array() * kBeta1 + (1 - kBeta1) * g.array();
  s.array() = s.array() * kBeta2 + (1 - kBeta2) * g.array() * g.array();
  const double bias1 = 1 - std::pow(kBeta1, t);
  const double bias2_sqrt = std::sqrt(1 - std::pow(kBeta2, t));
  const double step_size = lr / bias1;
  p.array() += -step_size * (m.array() / (s.array().sqrt() / bias2_sqrt + kAdamEps));
}

double InfoNceTrainer::loss_and_gradient(const Eigen::MatrixXd& xb, const Eigen::MatrixXd& yb,
                                         const Eigen::MatrixXd& w, const Eigen::MatrixXd& v,
                                         double tau, Eigen::MatrixXd& gw, Eigen::MatrixXd& gv) {
  const Eigen::Index batch = xb.rows();
  const double inv_b = 1.0 / static_cast<double>(batch);
  zx_.noalias() = xb * w.transpose();
  zy_.noalias() = yb * v.transpose();
  normalise_rows(zx_, nx_);
  normalise_rows(zy_, ny_);
  double loss = -(zx_.cwiseProduct(zy_).sum() / tau) * inv_b;  // the positives' logits
  if (2 / tau <= kSharedShiftMaxRange) {
    loss += shared_shift_softmaxes(batch, tau);
  } else {
    loss += separate_shift_softmaxes(batch, tau);
  }
  logit_gradient_products(batch);
  // d loss / d z_x = (G - I/B) z_y / tau, d loss / d z_y = (G - I/B)^T z_x / tau.
  dzx_ = (dzx_ - inv_b * zy_) / tau;
  dzy_ = (dzy_ - inv_b * zx_) / tau;
  normalise_rows_backward(zx_, nx_, dzx_);
  normalise_rows_backward(zy_, ny_, dzy_);
  gw.noalias() = dzx_.transpose() * xb;
  gv.noalias() = dzy_.transpose() * yb;
  return loss;
}

// e_ = exp(logits - 1/tau), one column at a time (the logits never stored): in base 2,
// column j is 2^(z_x (log2(e) / tau) z_y,j - log2(e) / tau). Returns the log-sum-exp part
// of the loss; leaves the softmax weights of d loss / d logits in alpha_, beta_.
double InfoNceTrainer::shared_shift_softmaxes(Eigen::Index batch, double tau) {
  const double inv_b = 1.0 / static_cast<double>(batch);
  const double log2e_tau = 1.4426950408889634 / tau;
  zs_ = zx_ * log2e_tau;
  e_.resize(batch, batch);
  row_sum_.setZero(batch);
  col_sum_.resize(batch);
  const int k = static_cast<int>(zs_.cols());
  for (Eigen::Index j = 0; j < batch; ++j) {
    yj_ = zy_.row(j);
    (avx2_ ? exp_column_avx2 : exp_column)(zs_.data(), batch, k, yj_.data(), log2e_tau,
                                           e_.col(j).data(), row_sum_.data());
    col_sum_(j) = e_.col(j).sum();
  }
  const double lse = row_sum_.array().log().sum() + col_sum_.array().log().sum();
  // d loss / d logits = (P + Q) / (2B) - I / B, P and Q the row and column softmaxes:
  // P + Q = e_ (1 / row_sum_i + 1 / col_sum_j).
  alpha_ = row_sum_.cwiseInverse() * (0.5 * inv_b);
  beta_ = col_sum_.cwiseInverse() * (0.5 * inv_b);
  return 1 / tau + 0.5 * inv_b * lse;
}

// dzx_ = G z_y and dzy_ = G^T z_x for G_ij = e_ij (alpha_i + beta_j), column by column.
void InfoNceTrainer::logit_gradient_products(Eigen::Index batch) {
  dzx_.setZero(batch, zy_.cols());
  dzy_.resize(batch, zx_.cols());
  g_.resize(batch);
  const int k = static_cast<int>(zx_.cols());
  for (Eigen::Index j = 0; j < batch; ++j) {
    yj_ = zy_.row(j);
    (avx2_ ? gradient_column_avx2 : gradient_column)(e_.col(j).data(), alpha_.data(), beta_(j),
                                                     batch, k, yj_.data(), g_.data(), dzx_.data());
    for (int c = 0; c < k; ++c) dzy_(j, c) = g_.dot(zx_.col(c));
  }
}

// The low-temperature path: each softmax shifted by its own maxima, two exps per logit.
// Leaves (P + Q) / (2B) itself in e_ (alpha_ = 1, beta_ = 0).
double InfoNceTrainer::separate_shift_softmaxes(Eigen::Index batch, double tau) {
  const double inv_b = 1.0 / static_cast<double>(batch);
  zs_ = zx_ / tau;
  e_.noalias() = zs_ * zy_.transpose();
  row_max_ = e_.rowwise().maxCoeff();
  col_max_ = e_.colwise().maxCoeff().transpose();
  row_sum_ = (e_.colwise() - row_max_).array().exp().rowwise().sum();
  col_sum_ = (e_.rowwise() - col_max_.transpose()).array().exp().colwise().sum().transpose();
  const double lse = (row_max_.array() + row_sum_.array().log()).sum() +
                     (col_max_.array() + col_sum_.array().log()).sum();
  for (Eigen::Index j = 0; j < batch; ++j) {
    for (Eigen::Index i = 0; i < batch; ++i) {
      const double l = e_(i, j);
      e_(i, j) =
          0.5 * inv_b *
          (std::exp(l - row_max_(i)) / row_sum_(i) + std::exp(l - col_max_(j)) / col_sum_(j));
    }
  }
  alpha_.setOnes(batch);
  beta_.setZero(batch);
  return 0.5 * inv_b * lse;
}

void InfoNceTrainer::start(const Eigen::MatrixXd& w0, const Eigen::MatrixXd& v0) {
  w_ = w0;
  v_ = v0;
  reset_moments();
}

void InfoNceTrainer::reset_moments() {
  mw_.setZero(w_.rows(), w_.cols());
  sw_.setZero(w_.rows(), w_.cols());
  mv_.setZero(v_.rows(), v_.cols());
  sv_.setZero(v_.rows(), v_.cols());
  t_ = 0;
}

double InfoNceTrainer::step(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const int* rows,
                            int batch, double tau, double lr) {
  xb_.resize(batch, x.cols());
  yb_.resize(batch, y.cols());
  for (int b = 0; b < batch; ++b) {
    xb_.row(b) = x.row(rows[b]);
    yb_.row(b) = y.row(rows[b]);
  }
  const double loss = loss_and_gradient(xb_, yb_, w_, v_, tau, gw_, gv_);
  ++t_;
  adam_step(w_, gw_, mw_, sw_, t_, lr);
  adam_step(v_, gv_, mv_, sv_, t_, lr);
  return loss;
}

namespace {

// The authors' stop rule: |mean(losses[-p:]) - mean(losses[-2p:-p])| < tol once step > 2p.
bool converged(const std::vector<double>& losses, int step, int patience, double tol) {
  if (step <= 2 * patience) return false;
  double recent = 0, previous = 0;
  for (int i = step - patience + 1; i <= step; ++i) recent += losses[static_cast<size_t>(i)];
  for (int i = step - 2 * patience + 1; i <= step - patience; ++i) {
    previous += losses[static_cast<size_t>(i)];
  }
  return std::fabs(previous / patience - recent / patience) < tol;
}

void draw_encoder(Eigen::MatrixXd& m, int k, Eigen::Index d, Stream& init) {
  m.resize(k, d);
  const double scale = std::sqrt(static_cast<double>(d));
  for (Eigen::Index i = 0; i < k; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) m(i, j) = init.normal() / scale;
  }
}

}  // namespace

InfoNceResult InfoNceTrainer::train(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, int k,
                                    const InfoNceSettings& s, Stream& init, Stream& batches) {
  draw_encoder(w_, k, x.cols(), init);
  draw_encoder(v_, k, y.cols(), init);
  reset_moments();
  const auto n = static_cast<std::uint64_t>(x.rows());
  const int batch = static_cast<int>(std::min<Eigen::Index>(s.batch, x.rows()));
  rows_.resize(static_cast<size_t>(batch));
  losses_.resize(static_cast<size_t>(s.max_steps));
  InfoNceResult result;
  for (int step = 0; step < s.max_steps; ++step) {
    // Modulo: the bias, n / 2^64, is far below anything measurable.
    for (int& r : rows_) r = static_cast<int>(batches.next_u64() % n);
    result.final_loss = this->step(x, y, rows_.data(), batch, s.tau, s.lr);
    losses_[static_cast<size_t>(step)] = result.final_loss;
    result.steps = step + 1;
    if (converged(losses_, step, s.patience, s.tol)) break;
  }
  return result;
}

}  // namespace phasecube
