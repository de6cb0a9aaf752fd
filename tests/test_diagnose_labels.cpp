// The label transformations of diagnose (--label-noise, --coarsen, --proxy-labels): the
// calibrated noise keeps r of the labels' cross-validated R^2, r = 1 is the clean run bit for
// bit, bins and merged classes give the classes asked for, k-means recovers well-separated
// clusters exactly, and everything is reproducible from the fold seed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "app/diagnose_cli.hpp"
#include "phasecube/diagnose.hpp"
#include "phasecube/diagnose_labels.hpp"
#include "phasecube/error.hpp"
#include "test_support.hpp"

namespace phasecube {
namespace {

using Eigen::MatrixXd;

// The clear Both cell of test_diagnose (d = 12, k = 3), 600 rows, 5 numeric labels.
struct Cell {
  MatrixXd x, y, labels;
};
Cell clear_cell() {
  const ParamValues pv = {{"kappa", {2.0}}, {"nu", {0.3}}, {"d", {12}}, {"k", {3}}};
  Stream rng(11, 0, 0, StreamPurpose::DiagnoseData);
  ModelData d = draw_model_data(testing::cell(pv), 600, rng);
  Stream label_rng(11, 0, 0, StreamPurpose::Labels);
  return {d.x, d.y, draw_labels(d.s, 5, 0.5, label_rng)};
}

MatrixXd side_by_side(const MatrixXd& a, const MatrixXd& b) {
  MatrixXd m(a.rows(), a.cols() + b.cols());
  m << a, b;
  return m;
}

// The JSON without "label_transform" (what the transformation adds).
std::string without_transform(const std::string& json) {
  auto doc = nlohmann::ordered_json::parse(json);
  EXPECT_TRUE(doc.contains("label_transform"));
  doc.erase("label_transform");
  return doc.dump(2);
}

TEST(LabelNoise, RIsOneIsTheCleanRunBitForBit) {
  const Cell c = clear_cell();
  const std::string clean = diagnose_json(c.x, c.y, c.labels, {});
  const std::string same = diagnose_json(c.x, c.y, c.labels, {"--label-noise", "1"});
  EXPECT_EQ(without_transform(same), nlohmann::ordered_json::parse(clean).dump(2));
  MatrixXd classes(600, 1);
  for (int i = 0; i < 600; ++i) classes(i, 0) = c.labels(i, 0) > 0 ? 1 : 0;
  EXPECT_EQ(without_transform(diagnose_json(c.x, c.y, classes, {"--label-noise", "1"})),
            nlohmann::ordered_json::parse(diagnose_json(c.x, c.y, classes, {})).dump(2));
}

// The calibration is exact on its own folds (label_r2 of the noisy labels is r times the
// clean value, and diagnose's cv_ridge_r2 on the same folds agrees to rounding). On fold
// splits it never saw, the ratio varies with the split: over 20 random splits its standard
// deviation is 0.010-0.018 per column and its mean 0.472-0.507 (the calibration split is
// itself one draw of that spread, so its own offset, up to ~2 sd = 0.03, carries over).
// Tolerances: the mean within 0.05 of r (about 3 sd of one split), the sd below 0.03.
TEST(LabelNoise, HalvesTheCrossValidatedR2OnAClearCell) {
  const Cell c = clear_cell();
  const MatrixXd both = side_by_side(c.x, c.y);
  const std::vector<bool> all(600, true);
  Stream rng(1, 0, 0, StreamPurpose::DiagnoseLabelNoise);
  const NumericNoise n = numeric_label_noise(c.labels, all, both, 0.5, 5, 1e-3, rng);
  std::vector<int> interleaved(600);
  for (int i = 0; i < 600; ++i) interleaved[static_cast<std::size_t>(i)] = i % 5;
  for (Eigen::Index l = 0; l < 5; ++l) {
    SCOPED_TRACE(l);
    EXPECT_GT(n.r2_clean(l), 0.3);
    EXPECT_GT(n.sigma(l), 0);
    EXPECT_NEAR(n.r2_noisy(l), 0.5 * n.r2_clean(l), 1e-9);
    const MatrixXd noisy = n.labels.col(l), clean = c.labels.col(l);
    EXPECT_NEAR(cv_ridge_r2(both, noisy, interleaved, 5, 1e-3), n.r2_noisy(l), 1e-9);
    double sum = 0, sq = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      std::vector<int> shuffled(600);
      Stream fold_rng(seed, 0, 0, StreamPurpose::DiagnoseFolds);
      for (int& f : shuffled) f = static_cast<int>(fold_rng.uniform() * 5);
      const double ratio =
          cv_ridge_r2(both, noisy, shuffled, 5, 1e-3) / cv_ridge_r2(both, clean, shuffled, 5, 1e-3);
      sum += ratio;
      sq += ratio * ratio;
    }
    EXPECT_NEAR(sum / 20, 0.5, 0.05);
    EXPECT_LT(std::sqrt(sq / 20 - sum * sum / 400), 0.03);
  }
  // The labels changed by sigma e, nothing else: a second draw is the same bits.
  Stream again(1, 0, 0, StreamPurpose::DiagnoseLabelNoise);
  EXPECT_EQ(numeric_label_noise(c.labels, all, both, 0.5, 5, 1e-3, again).labels, n.labels);
}

TEST(LabelNoise, ClassLabelsReassignOneMinusSqrtROfTheRows) {
  MatrixXd raw(400, 1);
  std::vector<bool> labelled(400, true);
  for (int i = 0; i < 400; ++i) raw(i, 0) = i < 10 ? -1 : i % 4;  // 10 unlabelled rows
  for (int i = 0; i < 10; ++i) labelled[static_cast<std::size_t>(i)] = false;
  Stream rng(1, 0, 0, StreamPurpose::DiagnoseLabelNoise);
  const ClassNoise n = class_label_noise(raw, labelled, 0.25, rng);
  EXPECT_DOUBLE_EQ(n.fraction, 0.5);
  EXPECT_EQ(n.reassigned, 195);  // round(0.5 x 390)
  int changed = 0;
  for (int i = 0; i < 400; ++i) {
    if (i < 10) {
      EXPECT_EQ(n.labels(i, 0), -1);
    }
    changed += n.labels(i, 0) != raw(i, 0);
    EXPECT_TRUE(n.labels(i, 0) >= -1 && n.labels(i, 0) <= 3);
  }
  // A reassigned row keeps its class with chance 1/4: about 146 of 195 change.
  EXPECT_GT(changed, 120);
  EXPECT_LE(changed, 195);
}

TEST(Coarsen, QuantileBinsGiveQEqualClasses) {
  MatrixXd raw(1000, 1);
  Stream rng(3, 0, 0);
  for (int i = 0; i < 1000; ++i) raw(i, 0) = rng.normal();
  std::vector<double> edges;
  const MatrixXd bins = quantile_bins(raw, std::vector<bool>(1000, true), 4, edges);
  ASSERT_EQ(edges.size(), 3u);
  std::vector<int> count(4, 0);
  for (int i = 0; i < 1000; ++i) ++count[static_cast<std::size_t>(bins(i, 0))];
  EXPECT_EQ(count, (std::vector<int>{250, 250, 250, 250}));
  // numpy: np.quantile([1, 2, 3, 4, 5], [0.25, 0.5, 0.75]) = 2, 3, 4; np.digitize bins.
  MatrixXd small(5, 1);
  small << 5, 1, 4, 2, 3;
  const MatrixXd b = quantile_bins(small, std::vector<bool>(5, true), 4, edges);
  EXPECT_EQ(edges, (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(b, (MatrixXd(5, 1) << 3, 0, 3, 1, 2).finished());
}

TEST(Coarsen, ThroughTheCliOneHotClassesAndAMergeMap) {
  const Cell c = clear_cell();
  const MatrixXd one = c.labels.col(0);
  auto doc = nlohmann::json::parse(diagnose_json(c.x, c.y, one, {"--coarsen", "6"}));
  EXPECT_EQ(doc["label_columns"], 6);
  EXPECT_EQ(doc["label_transform"]["bins"], 6);
  MatrixXd classes(600, 1);
  for (int i = 0; i < 600; ++i) classes(i, 0) = i % 6;
  const auto map = std::filesystem::temp_directory_path() /
                   ("phasecube_map_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(map) << "old,new\n# three pairs\n0,10\n1,10\n2,20\n3,20\n4,30\r\n5,30\n";
  doc =
      nlohmann::json::parse(diagnose_json(c.x, c.y, classes, {"--coarsen", "map:" + map.string()}));
  EXPECT_EQ(doc["label_columns"], 3);
  EXPECT_EQ(doc["label_transform"]["classes_before"], 6);
  EXPECT_EQ(doc["label_transform"]["classes_after"], 3);
  std::ofstream(map) << "0,10\n1,10\n";  // classes 2..5 unmapped
  EXPECT_THROW(diagnose_json(c.x, c.y, classes, {"--coarsen", "map:" + map.string()}), InputError);
  std::filesystem::remove(map);
}

TEST(Kmeans, RecoversWellSeparatedClustersExactly) {
  Stream rng(4, 0, 0);
  const int k = 5, per = 60;
  MatrixXd data(k * per, 3);
  std::vector<int> truth;
  // Rows interleaved (cluster i % k), centres 20 apart, unit noise.
  for (int i = 0; i < k * per; ++i) {
    truth.push_back(i % k);
    for (int j = 0; j < 3; ++j)
      data(i, j) = (j == i % k % 3 ? 20.0 * (1 + i % k) : 0) + rng.normal();
  }
  Stream km(1, 0, 0, StreamPurpose::DiagnoseKmeans);
  const Kmeans r = kmeans(data, k, km);
  EXPECT_EQ(r.cluster, truth);  // numbered by first row: 0, 1, 2, 3, 4, 0, ...
  EXPECT_LT(r.inertia, 3.0 * k * per * 1.5);
  Stream again(1, 0, 0, StreamPurpose::DiagnoseKmeans);
  const Kmeans s = kmeans(data, k, again);
  EXPECT_EQ(s.cluster, r.cluster);
  EXPECT_EQ(s.inertia, r.inertia);
  EXPECT_THROW(kmeans(data.topRows(3), 4, km), InputError);
}

TEST(ProxyLabels, ReproducibleAndKeyedByTheFoldSeed) {
  const Cell c = clear_cell();
  const std::vector<std::string> args = {"--proxy-labels", "kmeans:4"};
  const std::string a = diagnose_json(c.x, c.y, c.labels, args);
  EXPECT_EQ(a, diagnose_json(c.x, c.y, c.labels, args));
  auto doc = nlohmann::json::parse(a);
  EXPECT_EQ(doc["label_columns"], 4);
  EXPECT_EQ(doc["label_transform"]["k"], 4);
  const std::string view = doc["label_transform"]["view"];
  const double rx = doc["label_transform"]["view_choice"]["r2_x"];
  const double ry = doc["label_transform"]["view_choice"]["r2_y"];
  EXPECT_EQ(view, rx < ry ? "x" : "y");
  std::vector<std::string> seeded = args;
  seeded.insert(seeded.end(), {"--fold-seed", "2"});
  EXPECT_NE(a, diagnose_json(c.x, c.y, c.labels, seeded));
  const std::vector<std::string> noise = {"--label-noise", "0.5"};
  EXPECT_EQ(diagnose_json(c.x, c.y, c.labels, noise), diagnose_json(c.x, c.y, c.labels, noise));
}

}  // namespace
}  // namespace phasecube
