#pragma once
// InfoNCE (CLIP-style symmetric NT-Xent) with linear encoders, trained by Adam: the
// practitioners' contrastive objective, as the paper authors' script trains it
// (src/linear/infonce_vs_ca.py of mm_align_vs_pred), in float64.
//   z_x = normalise(x W^T), z_y = normalise(y V^T)   (row-wise L2, norm clamped at 1e-8)
//   logits = z_x z_y^T / tau,  loss = (CE(logits, diag) + CE(logits^T, diag)) / 2
// Each step draws B rows with replacement; Adam as torch.optim.Adam. Stop at max_steps, or
// once step > 2 patience (step counted from 0) and the mean loss of the last `patience` steps
// differs from the mean of the `patience` before by less than tol.
#include <Eigen/Dense>
#include <vector>

#include "phasecube/rng.hpp"

namespace phasecube {

// The largest batch: a trainer holds a B x B matrix (exp of the logits), 2 GiB at 16384.
inline constexpr int kInfoNceMaxBatch = 16384;
// Heap bytes of one trainer at batch B (the B x B matrix; the O(B d) rest is ignored), for
// memory estimates: 8 MiB at B = 1024.
inline double infonce_trainer_bytes(int batch) {
  return 8.0 * static_cast<double>(batch) * static_cast<double>(batch);
}

struct InfoNceSettings {
  double tau = 0.1;  // temperature
  int batch = 1024;  // B (min(B, n) rows per step)
  double lr = 1e-2;  // Adam learning rate
  int max_steps = 5000;
  int patience = 300;
  double tol = 1e-4;
};

// nullptr if the settings are usable, else what is wrong ("tau must be > 0 and finite").
const char* infonce_settings_error(const InfoNceSettings& s);

struct InfoNceResult {
  int steps = 0;          // Adam steps taken
  double final_loss = 0;  // the loss of the last step's batch (before its update)
};

// One Adam step (beta1 0.9, beta2 0.999, eps 1e-8), operation for operation as
// torch.optim.Adam: m, s the first and second moments, t >= 1 the step count.
void adam_step(Eigen::MatrixXd& p, const Eigen::MatrixXd& g, Eigen::MatrixXd& m, Eigen::MatrixXd& s,
               int t, double lr);

// Holds every buffer: one per thread, reused across trials (allocation-free once sized).
class InfoNceTrainer {
 public:
  // x, y: n x d (rows = samples). W, V (k x d) start N(0, 1/d) from `init` (W row by row,
  // then V); each step's batch rows come from `batches`. Deterministic given the streams.
  InfoNceResult train(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, int k,
                      const InfoNceSettings& s, Stream& init, Stream& batches);
  const Eigen::MatrixXd& w() const { return w_; }
  const Eigen::MatrixXd& v() const { return v_; }
  // The per-step losses of the last train: its first `steps` entries.
  const std::vector<double>& losses() const { return losses_; }

  // The pieces of train, for replays against another implementation: start from (w0, v0)
  // with zero Adam moments, then one Adam step per batch (`rows`: `batch` row indices into
  // x and y); step returns that batch's loss before the update.
  void start(const Eigen::MatrixXd& w0, const Eigen::MatrixXd& v0);
  double step(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const int* rows, int batch,
              double tau, double lr);

  // The element-wise kernels run in AVX2 where the CPU has it; the results are the same bits
  // either way (tests check it by switching to the portable SSE2 kernels).
  bool uses_avx2() const { return avx2_; }
  void use_portable_kernels() { avx2_ = false; }

  // The loss of one batch (xb, yb: B x d) and its gradients with respect to w and v.
  double loss_and_gradient(const Eigen::MatrixXd& xb, const Eigen::MatrixXd& yb,
                           const Eigen::MatrixXd& w, const Eigen::MatrixXd& v, double tau,
                           Eigen::MatrixXd& gw, Eigen::MatrixXd& gv);

 private:
  void reset_moments();
  double shared_shift_softmaxes(Eigen::Index batch, double tau);
  double separate_shift_softmaxes(Eigen::Index batch, double tau);
  void logit_gradient_products(Eigen::Index batch);
  Eigen::MatrixXd w_, v_, gw_, gv_, mw_, sw_, mv_, sv_;  // encoders, gradients, Adam moments
  int t_ = 0;                                            // Adam step count
  Eigen::MatrixXd xb_, yb_;                              // the batch
  Eigen::MatrixXd zx_, zy_, zs_, dzx_, dzy_;             // B x k embeddings and their gradients
  Eigen::VectorXd nx_, ny_;                              // clamped row norms
  bool avx2_ = __builtin_cpu_supports("avx2");
  Eigen::MatrixXd e_;  // B x B exp(logits - shift)
  Eigen::VectorXd row_sum_, col_sum_, row_max_, col_max_, alpha_, beta_, g_;
  Eigen::RowVectorXd yj_;
  std::vector<int> rows_;
  std::vector<double> losses_;
};

}  // namespace phasecube
