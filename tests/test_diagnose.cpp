// The diagnose procedure on data drawn from the model: cells clearly inside each regime must
// get the closed-form verdict, and the building blocks (elbow, ridge R^2) their exact values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/data_io.hpp"
#include "phasecube/diagnose.hpp"
#include "phasecube/theory.hpp"
#include "sweep/config.hpp"
#include "test_support.hpp"

namespace phasecube {
namespace {

using testing::cell;

TEST(Elbow, FindsTheKneeOfAStep) {
  Eigen::VectorXd v(8);
  v << 3.0, 2.9, 2.8, 0.05, 0.04, 0.03, 0.02, 0.01;
  EXPECT_EQ(elbow_breakpoint(v), 3);
  Eigen::VectorXd w(6);
  w << 5.0, 0.2, 0.15, 0.1, 0.05, 0.0;
  EXPECT_EQ(elbow_breakpoint(w), 1);
}

TEST(CvRidge, PerfectAndUselessPredictors) {
  const int m = 200;
  Eigen::MatrixXd z(m, 1), t(m, 1), noise(m, 1);
  Stream rng(7, 0, 0);
  for (int i = 0; i < m; ++i) {
    z(i, 0) = rng.normal();
    noise(i, 0) = rng.normal();
    t(i, 0) = 2.0 * z(i, 0) + 1.0;
  }
  std::vector<int> fold(m);
  for (int i = 0; i < m; ++i) fold[static_cast<std::size_t>(i)] = i % 5;
  // Exact linear relation: R^2 = 1 up to the 1e-3 ridge shrinkage (about 1e-6 here).
  EXPECT_NEAR(cv_ridge_r2(z, t, fold, 5, 1e-3), 1.0, 1e-4);
  // An independent predictor: out-of-fold R^2 is clipped at 0 or tiny (< 0.05 at m = 200).
  EXPECT_LT(cv_ridge_r2(noise, t, fold, 5, 1e-3), 0.05);
}

// --parity reference's R^2 (the authors' _r2_ridge_1d): w = x_c . y_c / (x_c . x_c + alpha)
// on the raw train scores, the total sum of squares about each test fold's own mean.
TEST(CvRidge, AuthorsRuleIsTheirFormula) {
  const int m = 60, folds = 3;
  Eigen::MatrixXd z(m, 1), t(m, 2);
  Stream rng(11, 0, 0);
  for (int i = 0; i < m; ++i) {
    z(i, 0) = 3.0 * rng.normal();
    t(i, 0) = 0.5 * z(i, 0) + rng.normal();
    t(i, 1) = rng.normal() + (i % folds);  // fold means differ: the two totals differ
  }
  std::vector<int> fold(m);
  for (int i = 0; i < m; ++i) fold[static_cast<std::size_t>(i)] = i % folds;
  const double alpha = 1.0;
  Eigen::VectorXd res = Eigen::VectorXd::Zero(2), tot = Eigen::VectorXd::Zero(2);
  for (int f = 0; f < folds; ++f) {
    double zm = 0, ntr = 0, nte = 0;
    Eigen::RowVector2d ym = Eigen::RowVector2d::Zero(), tm = Eigen::RowVector2d::Zero();
    for (int i = 0; i < m; ++i) {
      if (fold[static_cast<std::size_t>(i)] != f) {
        zm += z(i, 0);
        ym += t.row(i);
        ntr += 1;
      } else {
        tm += t.row(i);
        nte += 1;
      }
    }
    zm /= ntr;
    ym /= ntr;
    tm /= nte;
    double zz = alpha;
    Eigen::RowVector2d zy = Eigen::RowVector2d::Zero();
    for (int i = 0; i < m; ++i) {
      if (fold[static_cast<std::size_t>(i)] == f) continue;
      zz += (z(i, 0) - zm) * (z(i, 0) - zm);
      zy += (z(i, 0) - zm) * (t.row(i) - ym);
    }
    for (int i = 0; i < m; ++i)
      if (fold[static_cast<std::size_t>(i)] == f) {
        const Eigen::RowVector2d pred = ym + (z(i, 0) - zm) * zy / zz;
        res += (t.row(i) - pred).array().square().matrix().transpose();
        tot += (t.row(i) - tm).array().square().matrix().transpose();
      }
  }
  const double want = std::max(0.0, 1 - res(0) / tot(0)) + std::max(0.0, 1 - res(1) / tot(1));
  const CvTargets authors = cv_targets(t, fold, folds, {true, true});
  EXPECT_NEAR(cv_ridge_r2(z, authors, alpha), want, 1e-12);
  // phasecube's rule is another number here (its totals are about the overall mean).
  EXPECT_GT(std::abs(cv_ridge_r2(z, t, fold, folds, alpha) - want), 1e-3);
}

// The direct ridge fit of one component (q scores) on one fold split: standardise the train
// scores, solve (Z^T Z / ntr + ridge I) b = Z^T (T - mean) / ntr, predict row by row.
Eigen::VectorXd direct_r2(const Eigen::MatrixXd& z, const Eigen::MatrixXd& t,
                          const std::vector<int>& fold, int folds, double ridge) {
  Eigen::VectorXd sse = Eigen::VectorXd::Zero(t.cols());
  for (int f = 0; f < folds; ++f) {
    std::vector<Eigen::Index> tr, te;
    for (Eigen::Index i = 0; i < z.rows(); ++i)
      (fold[static_cast<std::size_t>(i)] == f ? te : tr).push_back(i);
    const auto ntr = static_cast<double>(tr.size());
    const Eigen::RowVectorXd zm = z(tr, Eigen::all).colwise().mean();
    const Eigen::RowVectorXd tm = t(tr, Eigen::all).colwise().mean();
    const Eigen::MatrixXd zc = z(tr, Eigen::all).rowwise() - zm;
    const Eigen::RowVectorXd sd = (zc.colwise().squaredNorm() / ntr).cwiseSqrt();
    const Eigen::MatrixXd zs = zc.array().rowwise() / sd.array();
    Eigen::MatrixXd g = zs.transpose() * zs / ntr;
    g.diagonal().array() += ridge;
    const Eigen::MatrixXd b =
        g.ldlt().solve(zs.transpose() * (t(tr, Eigen::all).rowwise() - tm) / ntr);
    for (const Eigen::Index i : te) {
      const Eigen::RowVectorXd zi = (z.row(i) - zm).array() / sd.array();
      sse += (t.row(i) - tm - zi * b).array().square().matrix().transpose();
    }
  }
  const Eigen::VectorXd sst = (t.rowwise() - t.colwise().mean()).colwise().squaredNorm();
  return (1.0 - sse.array() / sst.array()).cwiseMax(0.0).matrix();
}

// Every component at once (one matrix product per fold, the SSE from its expansion) gives
// the direct fit's R^2 of each component, for one, two and three scores per component.
TEST(CvRidge, EveryComponentAtOnceIsTheDirectFit) {
  const int m = 150, folds = 5, c = 7, L = 3;
  Stream rng(13, 0, 0);
  std::vector<int> fold(m);
  for (int i = 0; i < m; ++i) fold[static_cast<std::size_t>(i)] = (i * 7) % folds;
  Eigen::MatrixXd t(m, L);
  std::vector<Eigen::MatrixXd> blocks(3, Eigen::MatrixXd(m, c));
  for (int i = 0; i < m; ++i) {
    for (auto& b : blocks)
      for (int j = 0; j < c; ++j) b(i, j) = (j + 1) * rng.normal() + 0.3 * j;
    for (int l = 0; l < L; ++l)
      t(i, l) = blocks[0](i, l) - 0.5 * blocks[1](i, l + 1) + 2.0 * rng.normal() + l;
  }
  const CvTargets split = cv_targets(t, fold, folds);
  for (std::size_t q = 1; q <= 3; ++q) {
    const std::vector<Eigen::MatrixXd> used(blocks.begin(), blocks.begin() + q);
    const Eigen::MatrixXd all = cv_ridge_r2_components(used, split, 0.05);
    ASSERT_EQ(all.rows(), c);
    ASSERT_EQ(all.cols(), L);
    for (int j = 0; j < c; ++j) {
      Eigen::MatrixXd z(m, static_cast<Eigen::Index>(q));
      for (std::size_t k = 0; k < q; ++k) z.col(static_cast<Eigen::Index>(k)) = used[k].col(j);
      const Eigen::VectorXd want = direct_r2(z, t, fold, folds, 0.05);
      for (int l = 0; l < L; ++l) EXPECT_NEAR(all(j, l), want(l), 1e-12) << q << " " << j;
    }
  }
  // The signal components are found: component 0 predicts column 0 well, 6 nothing.
  const Eigen::MatrixXd one = cv_ridge_r2_components({blocks[0]}, split, 0.05);
  EXPECT_GT(one(0, 0), 0.05);
  EXPECT_LT(one(6, 0), 0.05);
}

struct RegimeCase {
  const char* name;
  ParamValues params;
};

// Cells with |Delta - 1| large for CA and CP (both directions agree with x->y).
std::vector<RegimeCase> regime_cases() {
  return {
      {"Both", {{"kappa", {2.0}}, {"nu", {0.3}}}},
      {"CaOnly",
       {{"kappa", {1.0}},
        {"gamma_x", {0.25}},
        {"gamma_y", {0.25}},
        {"gamma_tilde_x", {16.0}},
        {"gamma_tilde_y", {16.0}},
        {"nu", {0.4}}}},
      {"CpOnly", {{"kappa", {1.0}}, {"gamma_x", {0.25}}, {"gamma_y", {9.0}}, {"nu", {0.5}}}},
      {"Neither", {{"kappa", {0.5}}, {"nu", {0.9}}}},
  };
}

TEST(Diagnose, VerdictMatchesClosedFormInEachRegime) {
  DiagnoseOptions o;
  for (const auto& rc : regime_cases()) {
    ParamValues pv = rc.params;
    pv["d"] = {12};
    pv["k"] = {3};
    const CellParams p = cell(pv);
    const Theory t = theory(p);
    Stream data_rng(11, 0, 0, StreamPurpose::DiagnoseData);
    const ModelData d = draw_model_data(p, 3000, data_rng);
    Stream label_rng(11, 0, 0, StreamPurpose::Labels);
    const Eigen::MatrixXd labels = draw_labels(d.s, 5, 0.5, label_rng);
    std::vector<bool> labelled(3000, false);
    for (int i = 0; i < 500; ++i) labelled[static_cast<std::size_t>(i)] = true;
    const DiagnoseResult r = diagnose(d.x, d.y, labels, labelled, o);
    SCOPED_TRACE(rc.name);
    EXPECT_FALSE(r.no_signal) << r.warning;  // the guard keeps clear cells' verdicts
    EXPECT_EQ(verdict_code(r), static_cast<int>(t.regime));
    EXPECT_EQ(static_cast<int>(r.regime), static_cast<int>(t.regime))
        << "Delta_CA^ " << r.delta_ca << " (theory " << t.delta_ca << "), Delta_CP^ " << r.delta_cp
        << " (theory " << t.delta_cp << ")";
    // All three signal directions are found by CCA and PLS (equal kappas, L = 5 labels).
    EXPECT_EQ(r.cca.n_signal, 3);
    EXPECT_EQ(r.pls.n_signal, 3);
    // kappa^2 within 15% (n = 3000: PLS singular values have ~2-5% sampling error).
    EXPECT_NEAR(r.kappa2, p.kappa(0) * p.kappa(0), 0.15 * p.kappa(0) * p.kappa(0));
    // nu within 0.1 (the second largest of 9 sample nuisance correlations).
    EXPECT_NEAR(r.nu, p.nu, 0.1);
    EXPECT_EQ(r.warning.empty(), r.regime != Regime::Neither);
    if (r.regime == Regime::CaOnly) {
      EXPECT_EQ(r.objective, "CA");
    }
    if (r.regime == Regime::CpOnly) {
      EXPECT_EQ(r.objective, "CP");
      EXPECT_EQ(r.direction, "x->y");
    }
  }
}

TEST(Diagnose, SwappingViewsMirrorsTheCpDirections) {
  ParamValues pv = regime_cases()[2].params;  // CP only, asymmetric gammas
  pv["d"] = {10};
  pv["k"] = {2};
  const CellParams p = cell(pv);
  Stream data_rng(5, 0, 0, StreamPurpose::DiagnoseData);
  const ModelData d = draw_model_data(p, 2000, data_rng);
  Stream label_rng(5, 0, 0, StreamPurpose::Labels);
  const Eigen::MatrixXd labels = draw_labels(d.s, 4, 0.5, label_rng);
  const std::vector<bool> labelled(2000, true);
  const DiagnoseResult a = diagnose(d.x, d.y, labels, labelled, {});
  const DiagnoseResult b = diagnose(d.y, d.x, labels, labelled, {});
  EXPECT_NEAR(a.delta_cp, b.delta_cp_rev, 1e-9 * a.delta_cp);
  EXPECT_NEAR(a.delta_cp_rev, b.delta_cp, 1e-9 * a.delta_cp_rev);
  EXPECT_NEAR(a.delta_ca, b.delta_ca, 1e-9 * a.delta_ca);
  EXPECT_EQ(a.direction, "x->y");
  EXPECT_EQ(b.direction, "y->x");
}

TEST(Diagnose, PermutationClassifierAgreesOnAClearCell) {
  // The permutation null (95th percentile of the per-permutation maximum R^2) calls some
  // nuisance component signal in about 5% of draws per step, which then spoils that Delta.
  // Over 10 independent draws of a clear Both cell at least 7 must be exactly right
  // (P(<= 6 of 10) is about 1% at a 90% per-draw success rate).
  ParamValues pv = regime_cases()[0].params;
  pv["d"] = {8};
  pv["k"] = {2};
  const CellParams p = cell(pv);
  int right = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Stream data_rng(seed, 0, 0, StreamPurpose::DiagnoseData);
    const ModelData d = draw_model_data(p, 1500, data_rng);
    Stream label_rng(seed, 0, 0, StreamPurpose::Labels);
    const Eigen::MatrixXd labels = draw_labels(d.s, 3, 0.5, label_rng);
    std::vector<bool> labelled(1500, false);
    for (int i = 0; i < 300; ++i) labelled[static_cast<std::size_t>(i)] = true;
    DiagnoseOptions o;
    o.classifier = DiagnoseClassifier::Permutation;
    o.permutations = 40;
    o.fold_seed = seed;
    const DiagnoseResult r = diagnose(d.x, d.y, labels, labelled, o);
    // Never fewer than the 2 signal components: their R^2 (~0.7-1.1) is far above the null.
    EXPECT_GE(r.cca.n_signal, 2);
    EXPECT_GE(r.cp.n_signal, 2);
    right += r.cca.n_signal == 2 && r.cp.n_signal == 2 && !r.no_signal && r.regime == Regime::Both;
  }
  EXPECT_GE(right, 7);
}

TEST(Diagnose, PcaPreReductionKeepsTheVerdict) {
  // Both cell, d = 12: signal variance kappa^2 + gamma = 5 against nuisance 1, so the top 6
  // principal components of each view hold the 3 signal coordinates and 3 nuisance ones.
  ParamValues pv = regime_cases()[0].params;
  pv["d"] = {12};
  pv["k"] = {3};
  const CellParams p = cell(pv);
  Stream data_rng(21, 0, 0, StreamPurpose::DiagnoseData);
  const ModelData d = draw_model_data(p, 2000, data_rng);
  Stream label_rng(21, 0, 0, StreamPurpose::Labels);
  const Eigen::MatrixXd labels = draw_labels(d.s, 5, 0.5, label_rng);
  DiagnoseOptions o;
  o.pca = 6;
  const DiagnoseResult r = diagnose(d.x, d.y, labels, std::vector<bool>(2000, true), o);
  EXPECT_EQ(r.dx, 6);
  EXPECT_EQ(r.dy, 6);
  EXPECT_EQ(r.cca.values.size(), 6);
  EXPECT_EQ(r.cca.n_signal, 3);
  EXPECT_EQ(r.regime, Regime::Both);
  o.pca = 13;  // more than d
  EXPECT_THROW(diagnose(d.x, d.y, labels, std::vector<bool>(2000, true), o), InputError);
}

TEST(Diagnose, BadInputIsAnInputError) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(20, 3), y = Eigen::MatrixXd::Random(20, 3);
  Eigen::MatrixXd labels = Eigen::MatrixXd::Random(20, 1);
  std::vector<bool> few(20, false);
  few[0] = few[1] = true;
  EXPECT_THROW(diagnose(x, y, labels, few, {}), InputError);  // 2 labelled < 5 folds
  x.col(1).setConstant(4.0);
  EXPECT_THROW(diagnose(x, y, labels, std::vector<bool>(20, true), {}), InputError);
  EXPECT_THROW(diagnose(x, y.topRows(10), labels, std::vector<bool>(20, true), {}), InputError);
}

// Issue 11: every dimension read from input is checked before use; labels without variance
// and shapes beyond memory are bad input, not a crash or a confident verdict.
TEST(Diagnose, ViewsWithoutColumnsOrRowsAreInputErrors) {
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(20, 3), labels = Eigen::MatrixXd::Random(20, 1);
  const std::vector<bool> all(20, true);
  EXPECT_THROW(diagnose(Eigen::MatrixXd(20, 0), x, labels, all, {}), InputError);
  EXPECT_THROW(diagnose(x, Eigen::MatrixXd(20, 0), labels, all, {}), InputError);
  EXPECT_THROW(
      diagnose(Eigen::MatrixXd(0, 3), Eigen::MatrixXd(0, 3), Eigen::MatrixXd(0, 1), {}, {}),
      InputError);
}

// Issue 14: labels without variance are no longer refused (diagnose answers "no label
// signal" for them); only labels without a labelled row are.
TEST(Diagnose, OnlyLabelsWithoutALabelledRowAreRefused) {
  const auto refuses = [](const Eigen::MatrixXd& raw, const std::string& needle) {
    try {
      check_labels_present(make_label_table(raw), "--labels");
    } catch (const InputError& e) {
      return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
  };
  EXPECT_TRUE(refuses(Eigen::MatrixXd::Constant(10, 1, -1.0), "no row is labelled"));
  Eigen::MatrixXd one_class = Eigen::MatrixXd::Constant(10, 1, 3.0);
  EXPECT_NO_THROW(check_labels_present(make_label_table(one_class), "--labels"));
  EXPECT_NO_THROW(
      check_labels_present(make_label_table(Eigen::MatrixXd::Constant(10, 2, 0.5)), "--labels"));
}

// Issue 14, the no-signal guard: labels that carry no information about the data give "no
// label signal" (no regime, no objective, no invented Delta) with both classifiers.
void expect_no_signal(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                      const Eigen::MatrixXd& labels, const char* what) {
  for (const auto kind : {DiagnoseClassifier::Elbow, DiagnoseClassifier::Permutation}) {
    DiagnoseOptions o;
    o.classifier = kind;
    const DiagnoseResult r = diagnose(x, y, labels, std::vector<bool>(x.rows(), true), o);
    SCOPED_TRACE(std::string(what) + (kind == DiagnoseClassifier::Elbow ? ", elbow" : ", perm"));
    EXPECT_TRUE(r.no_signal) << "verdict " << regime_name(r.regime) << ", CCA " << r.cca.n_signal
                             << ", CP " << r.cp.n_signal << ", CP rev " << r.cp_rev.n_signal;
    EXPECT_EQ(verdict_code(r), kNoSignalCode);
    EXPECT_STREQ(verdict_name(r), "no signal");
    EXPECT_TRUE(r.objective.empty() && r.direction.empty());
    EXPECT_TRUE(std::isnan(r.margin));
    EXPECT_NE(r.warning.find("no label signal"), std::string::npos) << r.warning;
    for (const DiagnoseStep* s : {&r.svd_x, &r.svd_y, &r.pls, &r.cca, &r.cp, &r.cp_rev})
      if (s->n_signal == 0) {
        EXPECT_TRUE(std::isnan(s->delta)) << s->name;  // no Delta without signal
        EXPECT_FALSE(s->no_signal.empty()) << s->name;
      }
    EXPECT_TRUE(std::isnan(r.delta_ca) || r.cca.n_signal > 0);
  }
}

// Both cell (d = 12, k = 3), 600 rows: the same draw as the clear-cell tests.
ModelData both_cell(std::uint64_t seed) {
  ParamValues pv = regime_cases()[0].params;
  pv["d"] = {12};
  pv["k"] = {3};
  Stream rng(seed, 0, 0, StreamPurpose::DiagnoseData);
  return draw_model_data(cell(pv), 600, rng);
}

Eigen::MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, Stream& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = rng.normal();
  return m;
}

TEST(NoSignal, PureNoiseLabelsOnASyntheticCell) {
  const ModelData d = both_cell(11);
  Stream rng(3, 0, 0, StreamPurpose::Labels);
  expect_no_signal(d.x, d.y, gaussian(600, 5, rng), "noise labels");
  // The same cell with labels reading the signal keeps its verdict.
  Stream label_rng(11, 0, 0, StreamPurpose::Labels);
  const DiagnoseResult r =
      diagnose(d.x, d.y, draw_labels(d.s, 5, 0.5, label_rng), std::vector<bool>(600, true), {});
  EXPECT_FALSE(r.no_signal) << r.warning;
  EXPECT_EQ(r.regime, Regime::Both);
}

TEST(NoSignal, ConstantLabelsAndASingleClass) {
  const ModelData d = both_cell(12);
  expect_no_signal(d.x, d.y, Eigen::MatrixXd::Constant(600, 2, 0.5), "constant labels");
  // One class, through the CLI's label table: one one-hot column of ones.
  const LabelTable one = make_label_table(Eigen::MatrixXd::Constant(600, 1, 7.0));
  ASSERT_EQ(one.values.cols(), 1);
  expect_no_signal(d.x, d.y, one.values, "one class");
  const DiagnoseResult r = diagnose(d.x, d.y, one.values, one.labelled, {});
  EXPECT_NE(r.warning.find("the same on every labelled row"), std::string::npos) << r.warning;
}

TEST(NoSignal, IndependentViews) {
  Stream rng(5, 0, 0, StreamPurpose::DiagnoseData);
  const Eigen::MatrixXd x = gaussian(800, 10, rng), y = gaussian(800, 10, rng);
  expect_no_signal(x, y, gaussian(800, 3, rng), "independent x, y and labels");
}

// Labels that every direction predicts equally (labels = x, y a noisy copy of x): the R^2
// spectrum is flat, the elbow has no contrast and calls nothing (the permutation classifier
// calls every component signal).
TEST(NoSignal, TheElbowNeedsContrast) {
  Stream rng(9, 0, 0, StreamPurpose::DiagnoseData);
  const Eigen::MatrixXd x = gaussian(1000, 6, rng);
  const Eigen::MatrixXd y = x + 0.3 * gaussian(1000, 6, rng);
  const Eigen::MatrixXd labels = x + 0.1 * gaussian(1000, 6, rng);
  const std::vector<bool> all(1000, true);
  const DiagnoseResult r = diagnose(x, y, labels, all, {});
  EXPECT_TRUE(r.no_signal);
  EXPECT_EQ(r.cca.no_signal.rfind("no elbow", 0), 0u) << r.cca.no_signal;
  EXPECT_NE(r.warning.find("No elbow"), std::string::npos) << r.warning;
  DiagnoseOptions o;
  o.elbow_contrast = 0;  // without the contrast the elbow splits the flat spectrum anyway
  EXPECT_FALSE(diagnose(x, y, labels, all, o).no_signal);
  o = {};
  o.classifier = DiagnoseClassifier::Permutation;
  const DiagnoseResult p = diagnose(x, y, labels, all, o);
  EXPECT_EQ(p.cca.n_signal, 6);
  EXPECT_FALSE(p.no_signal);
}

// The guard's null level is the permutation classifier's threshold, from the permutations
// that follow the folds in the fold stream: the elbow's 20 are the permutation classifier's
// first 20.
TEST(NoSignal, NullLevelIsThePermutationThreshold) {
  const ModelData d = both_cell(13);
  Stream rng(4, 0, 0, StreamPurpose::Labels);
  const Eigen::MatrixXd labels = draw_labels(d.s, 5, 0.5, rng);
  const std::vector<bool> all(600, true);
  const DiagnoseResult e = diagnose(d.x, d.y, labels, all, {});
  DiagnoseOptions o;
  o.classifier = DiagnoseClassifier::Permutation;
  o.permutations = 20;
  const DiagnoseResult p = diagnose(d.x, d.y, labels, all, o);
  for (const auto& [a, b] : {std::pair{&e.cca, &p.cca}, {&e.cp, &p.cp}, {&e.svd_x, &p.svd_x}}) {
    EXPECT_GT(a->null_level, 0) << a->name;
    EXPECT_EQ(a->null_level, b->threshold) << a->name;
    EXPECT_EQ(b->null_level, b->threshold) << a->name;
  }
}

TEST(Diagnose, MatricesBeyondMemoryAreRefusedWithTheirSize) {
  try {
    check_matrix_size(1e12, 1e6, "--x f.h5:x");
    FAIL() << "did not throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--x f.h5:x: shape (1e+12, 1e+06) would need 8.0 EB"),
              std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_matrix_size(1000, 100, "--x"));
}

// A UTF-8 BOM and CRLF line endings read like the plain CSV (the BOM used to make the first
// data row a header).
TEST(ReadMatrix, CsvByteOrderMarkAndCrlf) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("phasecube_test_csv_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string(), std::ios::binary) << text;
    return read_matrix((dir / name).string(), "--x");
  };
  const std::string bom = "\xEF\xBB\xBF";
  Eigen::MatrixXd plain(3, 2);
  plain << 1, 2, 3, 4, 5, 6;
  // Shapes first: Eigen's == on different shapes is undefined in a Release build.
  const auto same = [&](const Eigen::MatrixXd& m) {
    return m.rows() == plain.rows() && m.cols() == plain.cols() && m == plain;
  };
  EXPECT_TRUE(same(write("plain.csv", "1,2\n3,4\n5,6\n")));
  EXPECT_TRUE(same(write("bom.csv", bom + "1,2\n3,4\n5,6\n")));
  EXPECT_TRUE(same(write("crlf.csv", "1,2\r\n3,4\r\n5,6\r\n")));
  EXPECT_TRUE(same(write("bom_header.csv", bom + "a,b\r\n1,2\r\n3,4\r\n5,6\r\n")));
  const Eigen::MatrixXd trailing = write("trailing.csv", "1,2,\r\n3,4,\r\n");
  EXPECT_EQ(trailing.cols(), 3);
  EXPECT_TRUE(std::isnan(trailing(1, 2)));
  std::filesystem::remove_all(dir);
}

// The JSON writer (json_out.hpp, shared with validate): every finite double parses back
// bitwise, non-finite ones are "inf", "-inf", "nan", and any bytes in a string give valid JSON.
TEST(DiagnoseJson, NumbersRoundTripAndStringsStayValid) {
  const double awkward[] = {
      0.1 + 0.2,          1.0 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.2250738585072014e-308,
      123456789.12345679, -7.0};
  DiagnoseResult r;
  r.svd_x.name = "svd\tx\xff";
  r.svd_x.values = Eigen::Map<const Eigen::VectorXd>(awkward, 8);
  r.kappa2 = std::numeric_limits<double>::infinity();
  r.nu = -std::numeric_limits<double>::infinity();
  r.margin = std::numeric_limits<double>::quiet_NaN();
  r.warning = "tab\there, newline\n, bell\a, quote\" backslash\\, not UTF-8 \xc3\x28";
  std::ostringstream out;
  print_diagnose_json(r, DiagnoseOptions{}, out);
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(out.str())) << out.str();
  const auto& values = j["steps"]["svd\tx\xEF\xBF\xBD"]["values"];
  ASSERT_EQ(values.size(), 8u) << out.str();
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ(std::bit_cast<std::uint64_t>(values[i].get<double>()),
              std::bit_cast<std::uint64_t>(awkward[i]))
        << awkward[i] << " came back as " << values[i];
  EXPECT_EQ(j["kappa2"], "inf");
  EXPECT_EQ(j["nu"], "-inf");
  EXPECT_EQ(j["margin"], "nan");
  EXPECT_EQ(j["warning"],
            "tab\there, newline\n, bell\a, quote\" backslash\\, not UTF-8 \xEF\xBF\xBD(");
  EXPECT_EQ(j["n"], 0);  // integers stay integers
}

}  // namespace
}  // namespace phasecube
