// The InfoNCE trainer (include/phasecube/infonce.hpp): its loss against a plain reference, its
// gradient against central differences, Adam against a hand-computed step, and training on
// the issue's setting (d = 20, k = 3): the loss falls, the shared subspace is found at nu = 0
// and missed at nu = 0.95, and the same streams give the same bits.
#include <gtest/gtest.h>

#include <cmath>

#include "phasecube/diagnose.hpp"
#include "phasecube/infonce.hpp"
#include "phasecube/metrics.hpp"
#include "test_support.hpp"

using namespace phasecube;
using Eigen::MatrixXd;

namespace {

MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, Stream& rng) {
  MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = rng.normal();
  }
  return m;
}

// The loss written out naively: per-row log-sum-exp with its own maximum, as torch does.
double reference_loss(const MatrixXd& xb, const MatrixXd& yb, const MatrixXd& w, const MatrixXd& v,
                      double tau) {
  MatrixXd zx = xb * w.transpose(), zy = yb * v.transpose();
  for (Eigen::Index i = 0; i < zx.rows(); ++i) {
    zx.row(i) /= std::max(zx.row(i).norm(), 1e-8);
    zy.row(i) /= std::max(zy.row(i).norm(), 1e-8);
  }
  const MatrixXd logits = zx * zy.transpose() / tau;
  auto cross_entropy = [](const MatrixXd& l) {
    double sum = 0;
    for (Eigen::Index i = 0; i < l.rows(); ++i) {
      const double m = l.row(i).maxCoeff();
      sum += m + std::log((l.row(i).array() - m).exp().sum()) - l(i, i);
    }
    return sum / static_cast<double>(l.rows());
  };
  return 0.5 * (cross_entropy(logits) + cross_entropy(logits.transpose()));
}

// ||analytic - central differences||_F / ||central differences||_F for one encoder.
double gradient_error(InfoNceTrainer& t, const MatrixXd& xb, const MatrixXd& yb, MatrixXd w,
                      MatrixXd v, double tau, bool of_w) {
  MatrixXd gw, gv, ignore_w, ignore_v;
  t.loss_and_gradient(xb, yb, w, v, tau, gw, gv);
  MatrixXd& p = of_w ? w : v;
  const MatrixXd& analytic = of_w ? gw : gv;
  MatrixXd numeric(p.rows(), p.cols());
  const double h = 1e-5 * std::min(1.0, 10 * tau);  // derivatives grow like powers of 1 / tau
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      const double p0 = p(i, j);
      p(i, j) = p0 + h;
      const double up = t.loss_and_gradient(xb, yb, w, v, tau, ignore_w, ignore_v);
      p(i, j) = p0 - h;
      const double down = t.loss_and_gradient(xb, yb, w, v, tau, ignore_w, ignore_v);
      p(i, j) = p0;
      numeric(i, j) = (up - down) / (2 * h);
    }
  }
  return (analytic - numeric).norm() / numeric.norm();
}

}  // namespace

TEST(InfoNce, LossMatchesReferenceOnBothSoftmaxPaths) {
  Stream rng(1, 0, 0);
  InfoNceTrainer t;
  MatrixXd gw, gv;
  // tau 0.001 takes the separate-shift path (2 / tau beyond the shared shift's range).
  for (const double tau : {1.0, 0.1, 0.05, 0.01, 0.001}) {
    const MatrixXd xb = gaussian(50, 6, rng), yb = gaussian(50, 6, rng);
    const MatrixXd w = gaussian(2, 6, rng), v = gaussian(2, 6, rng);
    const double loss = t.loss_and_gradient(xb, yb, w, v, tau, gw, gv);
    EXPECT_NEAR(loss, reference_loss(xb, yb, w, v, tau), 1e-12 * std::max(1.0, loss)) << tau;
  }
}

TEST(InfoNce, GradientMatchesCentralDifferences) {
  Stream rng(2, 0, 0);
  InfoNceTrainer t;
  struct Case {
    int batch, d, k;
    double tau;
  };
  for (const Case c :
       {Case{2, 4, 2, 0.5}, Case{7, 5, 2, 0.1}, Case{64, 20, 3, 0.1}, Case{33, 8, 3, 0.05},
        Case{40, 6, 2, 1.7}, Case{30, 7, 4, 0.2}, Case{20, 6, 3, 0.002}}) {
    const MatrixXd xb = gaussian(c.batch, c.d, rng), yb = gaussian(c.batch, c.d, rng);
    const MatrixXd w = gaussian(c.k, c.d, rng) / 3, v = gaussian(c.k, c.d, rng) * 2;
    SCOPED_TRACE(::testing::Message()
                 << "B " << c.batch << " d " << c.d << " k " << c.k << " tau " << c.tau);
    EXPECT_LT(gradient_error(t, xb, yb, w, v, c.tau, true), 1e-6);
    EXPECT_LT(gradient_error(t, xb, yb, w, v, c.tau, false), 1e-6);
  }
}

TEST(InfoNce, AdamStepEqualsHandComputedSteps) {
  MatrixXd p(1, 2), g(1, 2), m = MatrixXd::Zero(1, 2), s = MatrixXd::Zero(1, 2);
  p << 1.0, -2.0;
  g << 0.5, -0.1;
  adam_step(p, g, m, s, 1, 0.01);
  // t = 1: m = 0.1 g, s = 0.001 g^2; bias-corrected m / sqrt(s) = sign(g): a step of lr.
  EXPECT_DOUBLE_EQ(m(0), 0.05);
  EXPECT_DOUBLE_EQ(s(1), (1 - 0.999) * 0.1 * 0.1);
  EXPECT_NEAR(p(0), 1.0 - 0.01 * 0.5 / (0.5 + 1e-8), 1e-15);
  EXPECT_NEAR(p(1), -2.0 + 0.01 * 0.1 / (0.1 + 1e-8), 1e-15);
  // t = 2 with g = (0.2, 0.3): m = 0.9 m + 0.1 g, s = 0.999 s + 0.001 g^2.
  const double p0 = p(0), p1 = p(1);
  g << 0.2, 0.3;
  adam_step(p, g, m, s, 2, 0.01);
  const double m0 = 0.9 * 0.05 + 0.1 * 0.2, s0 = 0.999 * 0.00025 + 0.001 * 0.04;
  const double m1 = 0.9 * -0.01 + 0.1 * 0.3, s1 = 0.999 * 0.00001 + 0.001 * 0.09;
  const double bc1 = 1 - 0.81, bc2 = std::sqrt(1 - 0.999 * 0.999);
  EXPECT_NEAR(p(0), p0 - 0.01 / bc1 * m0 / (std::sqrt(s0) / bc2 + 1e-8), 1e-15);
  EXPECT_NEAR(p(1), p1 - 0.01 / bc1 * m1 / (std::sqrt(s1) / bc2 + 1e-8), 1e-15);
}

namespace {

// A Haar rotation: Q of the QR of a Gaussian matrix, its columns' signs fixed by R's diagonal.
MatrixXd haar_rotation(Eigen::Index d, Stream& rng) {
  const Eigen::HouseholderQR<MatrixXd> qr(gaussian(d, d, rng));
  MatrixXd q = qr.householderQ();
  for (Eigen::Index j = 0; j < d; ++j) {
    if (qr.matrixQR()(j, j) < 0) q.col(j) = -q.col(j);
  }
  return q;
}

// The issue's setting (the authors' noise-correlation experiment) at nuisance correlation nu,
// each modality rotated by its own Haar rotation (x_i -> R x_i); `truth` = R_x e_1..e_k.
struct RotatedPair {
  MatrixXd x, y, truth;
};
RotatedPair issue_pair(double nu, int n, std::uint64_t seed) {
  const CellParams p = phasecube::testing::cell({{"d", {20}},
                                                 {"k", {3}},
                                                 {"n", {static_cast<double>(n)}},
                                                 {"kappa", {3, 2, 1.5}},
                                                 {"gamma_x", {0.5}},
                                                 {"gamma_y", {0.05}},
                                                 {"gamma_tilde_x", {1}},
                                                 {"gamma_tilde_y", {50}},
                                                 {"nu", {nu}}});
  Stream data(seed, 0, 0, StreamPurpose::DiagnoseData);
  const ModelData m = draw_model_data(p, n, data);
  Stream rotations(seed, 0, 0, StreamPurpose::Rotation);
  const MatrixXd rx = haar_rotation(20, rotations), ry = haar_rotation(20, rotations);
  return {m.x * rx.transpose(), m.y * ry.transpose(), rx.leftCols(3)};
}

// ||P_W - P_U||_F / sqrt(2k) between the row space of W and span(truth).
double projector_distance(const MatrixXd& w, const MatrixXd& truth) {
  return std::sqrt(subspace_distance(w.transpose(), truth, static_cast<int>(truth.cols())));
}

InfoNceSettings test_settings() {
  InfoNceSettings s;
  s.batch = 256;
  s.max_steps = 1500;
  return s;
}

}  // namespace

TEST(InfoNce, TrainingLowersTheLossAndFindsTheSharedSubspace) {
  const RotatedPair clean = issue_pair(0.0, 5000, 3);
  InfoNceTrainer t;
  Stream init(3, 0, 0, StreamPurpose::InfoNceInit), batches(3, 0, 0, StreamPurpose::InfoNceBatches);
  const InfoNceSettings s = test_settings();
  const InfoNceResult r = t.train(clean.x, clean.y, 3, s, init, batches);
  ASSERT_GE(r.steps, 100);
  ASSERT_LE(r.steps, s.max_steps);
  auto mean_loss = [&](int from, int to) {
    double sum = 0;
    for (int i = from; i < to; ++i) sum += t.losses()[static_cast<size_t>(i)];
    return sum / (to - from);
  };
  EXPECT_LT(mean_loss(r.steps - 50, r.steps), mean_loss(0, 50) - 0.5);
  EXPECT_EQ(r.final_loss, t.losses()[static_cast<size_t>(r.steps - 1)]);
  EXPECT_LT(projector_distance(t.w(), clean.truth), 0.2);
}

TEST(InfoNce, FailsWhenTheNuisanceIsStronglyCorrelated) {
  const RotatedPair correlated = issue_pair(0.95, 5000, 4);
  InfoNceTrainer t;
  Stream init(4, 0, 0, StreamPurpose::InfoNceInit), batches(4, 0, 0, StreamPurpose::InfoNceBatches);
  t.train(correlated.x, correlated.y, 3, test_settings(), init, batches);
  EXPECT_GT(projector_distance(t.w(), correlated.truth), 0.5);
}

TEST(InfoNce, SameStreamsGiveTheSameBits) {
  const RotatedPair pair = issue_pair(0.5, 600, 5);
  InfoNceSettings s;
  s.batch = 64;
  s.max_steps = 40;
  auto run = [&](InfoNceTrainer& t, std::uint64_t seed) {
    Stream init(seed, 1, 2, StreamPurpose::InfoNceInit);
    Stream batches(seed, 1, 2, StreamPurpose::InfoNceBatches);
    return t.train(pair.x, pair.y, 3, s, init, batches);
  };
  InfoNceTrainer a, b;
  const InfoNceResult first = run(a, 9);
  run(b, 10);  // a trainer reused across trials keeps nothing from the previous one
  const InfoNceResult second = run(b, 9);
  EXPECT_EQ(first.steps, second.steps);
  EXPECT_EQ(first.final_loss, second.final_loss);
  EXPECT_TRUE(a.w() == b.w());
  EXPECT_TRUE(a.v() == b.v());
  run(b, 10);
  EXPECT_FALSE(a.w() == b.w());
}

// The AVX2 kernels are element-wise and FMA-free, so a CPU with AVX2 and one without give the
// same cube: every loss, W and V bit for bit, for k = 3 (the fused kernels), k = 2 and an odd
// batch (the vector loops' tails).
TEST(InfoNce, Avx2AndPortableKernelsGiveTheSameBits) {
  InfoNceTrainer probe;
  if (!probe.uses_avx2()) GTEST_SKIP() << "this CPU has no AVX2: only the portable kernels run";
  const RotatedPair pair = issue_pair(0.5, 600, 6);
  for (const auto& [k, batch] : {std::pair{3, 64}, std::pair{2, 37}, std::pair{3, 101}}) {
    InfoNceSettings s;
    s.batch = batch;
    s.max_steps = 30;
    InfoNceTrainer vector, portable;
    portable.use_portable_kernels();
    for (InfoNceTrainer* t : {&vector, &portable}) {
      Stream init(7, 0, 0, StreamPurpose::InfoNceInit);
      Stream batches(7, 0, 0, StreamPurpose::InfoNceBatches);
      t->train(pair.x, pair.y, k, s, init, batches);
    }
    EXPECT_TRUE(vector.w() == portable.w()) << "k " << k << " B " << batch;
    EXPECT_TRUE(vector.v() == portable.v()) << "k " << k << " B " << batch;
    EXPECT_TRUE(vector.losses() == portable.losses()) << "k " << k << " B " << batch;
  }
}

TEST(InfoNce, StopRuleIsTheAuthors) {
  // tol huge: the first step at which step > 2 patience (0-based) stops, i.e. 2 patience + 2.
  const RotatedPair pair = issue_pair(0.0, 300, 6);
  InfoNceSettings s;
  s.batch = 32;
  s.patience = 10;
  s.tol = 1e9;
  InfoNceTrainer t;
  Stream init(6, 0, 0, StreamPurpose::InfoNceInit), batches(6, 0, 0, StreamPurpose::InfoNceBatches);
  EXPECT_EQ(t.train(pair.x, pair.y, 3, s, init, batches).steps, 22);
  s.tol = 0;  // never converges: max_steps
  s.max_steps = 37;
  EXPECT_EQ(t.train(pair.x, pair.y, 3, s, init, batches).steps, 37);
}

TEST(InfoNce, SettingsErrorsNameTheSetting) {
  EXPECT_EQ(infonce_settings_error(InfoNceSettings{}), nullptr);
  InfoNceSettings s;
  s.tau = 0;
  EXPECT_STREQ(infonce_settings_error(s), "tau must be > 0 and finite");
  s = {};
  s.batch = kInfoNceMaxBatch + 1;
  EXPECT_NE(infonce_settings_error(s), nullptr);
  s = {};
  s.patience = 0;
  EXPECT_STREQ(infonce_settings_error(s), "patience must be >= 1");
  s = {};
  s.tol = std::nan("");
  EXPECT_STREQ(infonce_settings_error(s), "tol must be >= 0 and finite");
}
