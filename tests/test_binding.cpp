// Binding many modalities (issue 6): closed forms, estimators on population and sampled
// covariances, parameter validation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "io/cube.hpp"
#include "phasecube/binding.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/cell.hpp"
#include "sweep/grid.hpp"

namespace phasecube {
namespace {

ParamValues values(std::initializer_list<std::pair<const std::string, std::vector<double>>> over) {
  ParamValues v = default_binding_values();
  for (const auto& [key, value] : over) v[key] = value;
  return v;
}

// The issue's example: M = 3, d = 8, k = 2, kappa = 1, gamma = (20, 0.2, 0.2), gt = 1.
BindingParams issue_cell(double nu) {
  return make_binding_cell(values({{"modalities", {3}},
                                   {"d", {8}},
                                   {"k", {2}},
                                   {"kappa", {1}},
                                   {"gamma", {20, 0.2}},
                                   {"gamma_tilde", {1}},
                                   {"nu", {nu}},
                                   {"anchor", {0}}}));
}

TEST(BindingTheory, ReproducesTheIssueNumbers) {
  const BindingParams p = issue_cell(0.3);
  ASSERT_EQ(p.gamma.size(), 3);
  EXPECT_EQ(p.gamma(2), 0.2);  // the short list repeats its last value
  const BindingTheory t = binding_theory(p);
  // rho_01 = 1 / sqrt(21 * 1.2) = 0.19920, / 0.3
  EXPECT_NEAR(t.delta_anchor(1), 1.0 / std::sqrt(21 * 1.2) / 0.3, 1e-12);
  EXPECT_NEAR(t.delta_anchor(1), 0.66, 0.005);
  EXPECT_NEAR(t.delta_anchor(2), 0.66, 0.005);
  EXPECT_NEAR(t.delta_anchor(0), 0.66, 0.005);  // the anchor's own: same two equal terms
  EXPECT_NEAR(t.delta_centroid, 1.20, 0.005);
  EXPECT_EQ(t.winner, static_cast<int>(BindingMethod::Centroid));

  const BindingTheory t6 = binding_theory(issue_cell(0.6));
  EXPECT_NEAR(t6.delta_centroid, 0.87, 0.005);
  EXPECT_NEAR(t6.delta_best_pair, (1 / 1.2) / 0.6, 1e-12);
  EXPECT_NEAR(t6.delta_best_pair, 1.39, 0.005);
  EXPECT_EQ(t6.best_a, 1);
  EXPECT_EQ(t6.best_b, 2);
  EXPECT_EQ(t6.winner, static_cast<int>(BindingMethod::BestPair));
  // All pairs: modality m sums its correlations with both others.
  const double r01 = 1 / std::sqrt(21 * 1.2), r12 = 1 / 1.2;
  EXPECT_NEAR(t6.delta_all_pairs(1), std::sqrt((r01 * r01 + r12 * r12) / (2 * 0.36)), 1e-12);
  EXPECT_NEAR(t6.delta_all_pairs(0), r01 / 0.6, 1e-12);
  EXPECT_NEAR(t.delta_all_pairs(0), t.delta_anchor(0), 1e-15);  // the anchor's own rule
  // Centroid's Delta is the ratio of Perron roots: nuisance root 1 + 2 nu.
  EXPECT_NEAR(t6.delta_centroid * 2.2, t.delta_centroid * 1.6, 1e-12);
}

TEST(BindingTheory, TwoModalitiesIsTheTwoViewFormula) {
  const BindingParams p = make_binding_cell(
      values({{"modalities", {2}}, {"gamma", {1, 0.5}}, {"nu", {0.4}}, {"kappa", {1.5}}}));
  const BindingTheory t = binding_theory(p);
  const double rho = 2.25 / std::sqrt(3.25 * 2.75);
  EXPECT_NEAR(t.delta_anchor(0), rho / 0.4, 1e-12);
  EXPECT_NEAR(t.delta_anchor(1), rho / 0.4, 1e-12);
  EXPECT_NEAR(t.delta_best_pair, rho / 0.4, 1e-12);
  // M = 2: Perron roots 1 + rho and 1 + nu.
  EXPECT_NEAR(t.delta_centroid, (1 + rho) / 1.4, 1e-12);
}

TEST(BindingTheory, WinnerCountsModalitiesThenTieOrder) {
  using R = std::vector<bool>;
  const R none{false, false, false};
  // The anchor recovers 1 modality, the best pair 2: best pair.
  EXPECT_EQ(binding_winner({R{true, false, false}, none, R{true, true, false}, none}), 2);
  // Anchor and centroid both recover all: the centroid (tie order).
  EXPECT_EQ(binding_winner({R{true, true, true}, R{true, true, true}, R{true, true, false},
                            R{true, true, true}}),
            1);
  // The anchor recovers 2 of 3, the centroid none, the best pair 2: anchor before best pair.
  EXPECT_EQ(binding_winner({R{false, true, true}, none, R{true, true, false}, none}), 0);
  // All pairs recovers 3, the others fewer: all pairs; a tie with the best pair: best pair.
  EXPECT_EQ(binding_winner({none, none, R{true, true, false}, R{true, true, true}}), 3);
  EXPECT_EQ(binding_winner({none, none, R{true, true, false}, R{false, true, true}}), 2);
  EXPECT_EQ(binding_winner({none, none, none, none}), kNoWinner);
}

// A random symmetric PSD correlation matrix.
Eigen::MatrixXd random_correlation(Stream& rng, int m) {
  Eigen::MatrixXd f(m, m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) f(a, b) = rng.normal() + (b == 0 ? 1.5 : 0.0);
  Eigen::MatrixXd c = f * f.transpose();
  const Eigen::VectorXd s = c.diagonal().cwiseSqrt().cwiseInverse();
  c = s.asDiagonal() * c * s.asDiagonal();
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < a; ++b) c(b, a) = c(a, b);
  c.diagonal().setOnes();
  return c;
}

// On the population covariance each estimator recovers a modality exactly (distance 0) iff
// its closed-form Delta > 1.
TEST(BindingEstimators, PopulationDistanceIsZeroExactlyWhenDeltaAboveOne) {
  Stream rng(2026, 6, 0);
  int checked = 0, recovered = 0, failed = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int m = 2 + static_cast<int>(rng.uniform() * 5);  // 2..6
    const int k = 1 + static_cast<int>(rng.uniform() * 3);  // 1..3
    const int d = k + 1 + static_cast<int>(rng.uniform() * 4);
    ParamValues v = default_binding_values();
    v["modalities"] = {double(m)};
    v["d"] = {double(d)};
    v["k"] = {double(k)};
    v["kappa"] = {0.3 + 1.7 * rng.uniform()};
    v["kappa_decay"] = {0.6 + 0.4 * rng.uniform()};
    v["anchor"] = {std::floor(rng.uniform() * m)};
    v["gamma"].clear();
    v["gamma_tilde"].clear();
    for (int a = 0; a < m; ++a) {
      v["gamma"].push_back(std::pow(10.0, -1.3 + 2.6 * rng.uniform()));
      v["gamma_tilde"].push_back(std::pow(10.0, -0.7 + 1.4 * rng.uniform()));
    }
    if (rng.uniform() < 0.5) {
      v["nu"] = {0.95 * rng.uniform()};
    } else {
      const Eigen::MatrixXd c = random_correlation(rng, m);
      v["nu"].assign(c.data(), c.data() + c.size());
    }
    const BindingParams p = make_binding_cell(v);
    const BindingTheory t = binding_theory(p);
    BindingFit fit;
    fit.fit(binding_joint_covariance(p), m, k);
    auto check = [&](double delta, const Eigen::MatrixXd& enc, const char* what, int mod) {
      if (std::abs(delta - 1) < 0.02) return;  // too close to call in floating point
      const double dist = score_subspace(enc, k).distance;
      ++checked;
      if (delta > 1) {
        ++recovered;
        EXPECT_LT(dist, 1e-9) << what << " modality " << mod << " Delta " << delta << " trial "
                              << trial;
      } else {
        ++failed;
        EXPECT_GT(dist, 1e-6) << what << " modality " << mod << " Delta " << delta << " trial "
                              << trial;
      }
    };
    const auto anchor = fit.anchor_encoders(p.anchor);
    for (int a = 0; a < m; ++a) check(t.delta_anchor(a), anchor[size_t(a)], "anchor", a);
    const auto all_pairs = fit.all_pairs_encoders();
    for (int a = 0; a < m; ++a) check(t.delta_all_pairs(a), all_pairs[size_t(a)], "all pairs", a);
    check(t.delta_best_pair, fit.pair_encoder(t.best_a, t.best_b), "best pair", t.best_a);
    check(t.delta_best_pair, fit.pair_encoder(t.best_b, t.best_a), "best pair", t.best_b);
    // Centroid: every modality recovers above 1; below 1 the worst modality does not.
    const auto centroid = fit.centroid_encoders();
    if (std::abs(t.delta_centroid - 1) >= 0.02) {
      double worst = 0;
      for (int a = 0; a < m; ++a)
        worst = std::max(worst, score_subspace(centroid[size_t(a)], k).distance);
      ++checked;
      if (t.delta_centroid > 1) {
        EXPECT_LT(worst, 1e-9) << "centroid trial " << trial;
      } else {
        EXPECT_GT(worst, 1e-6) << "centroid trial " << trial;
      }
    }
  }
  // The random parameters must exercise both sides.
  EXPECT_GT(checked, 1000);
  EXPECT_GT(recovered, 200);
  EXPECT_GT(failed, 200);
}

// Sampled covariances at large n: every method's distance is small where Delta > 1 and
// large where Delta < 1 (margins away from 1 chosen by the closed forms).
TEST(BindingEstimators, FiniteSampleConsistencyAtLargeN) {
  for (double nu : {0.3, 0.6}) {
    BindingParams p = issue_cell(nu);
    p.n = 4000000;  // Wishart: the cost does not grow with n
    const BindingTheory t = binding_theory(p);
    CovarianceSampler sampler(binding_blocks(p), p.n, SamplerKind::Wishart);
    Stream rng(7, 0, static_cast<std::uint64_t>(nu * 10));
    Eigen::MatrixXd s;
    sampler.draw(rng, s);
    BindingFit fit;
    fit.fit(s, p.m, p.k);
    auto expect = [&](double delta, const Eigen::MatrixXd& enc, const std::string& what) {
      const double dist = score_subspace(enc, p.k).distance;
      if (delta > 1.1) {
        EXPECT_LT(dist, 0.01) << what << " nu " << nu;
      } else if (delta < 0.9) {
        EXPECT_GT(dist, 0.3) << what << " nu " << nu;
      }
    };
    const auto anchor = fit.anchor_encoders(p.anchor);
    const auto centroid = fit.centroid_encoders();
    const auto all_pairs = fit.all_pairs_encoders();
    for (int a = 0; a < p.m; ++a) {
      expect(t.delta_all_pairs(a), all_pairs[size_t(a)], "all pairs " + std::to_string(a));
      expect(t.delta_anchor(a), anchor[size_t(a)], "anchor " + std::to_string(a));
      expect(t.delta_centroid, centroid[size_t(a)], "centroid " + std::to_string(a));
    }
    expect(t.delta_best_pair, fit.pair_encoder(t.best_a, t.best_b), "best pair a");
    expect(t.delta_best_pair, fit.pair_encoder(t.best_b, t.best_a), "best pair b");
  }
}

TEST(BindingParams, IndexedValuesAndMatrixNu) {
  ParamValues v = values({{"modalities", {4}}, {"gamma", {1}}, {"gamma[2]", {7}}});
  v["nu"] = {1, 0.2, 0.2, 0.2, 0.2, 1, 0.2, 0.2, 0.2, 0.2, 1, 0.2, 0.2, 0.2, 0.2, 1};
  const BindingParams p = make_binding_cell(v);
  EXPECT_EQ(p.gamma(2), 7);
  EXPECT_EQ(p.gamma(3), 1);
  EXPECT_EQ(p.nu(0, 3), 0.2);
  EXPECT_EQ(parse_indexed_name("gamma_tilde[12]").index, 12);
  EXPECT_EQ(parse_indexed_name("gamma_tilde[12]").base, "gamma_tilde");
  EXPECT_EQ(parse_indexed_name("gamma[x]").base, "");
  // Only per-modality parameters index modalities; kappa indexes signal coordinates.
  EXPECT_EQ(index_count(find_binding_param("nu")->shape), IndexCount::None);
  EXPECT_EQ(index_count(find_binding_param("gamma")->shape), IndexCount::Modality);
  EXPECT_EQ(index_count(find_binding_param("kappa")->shape), IndexCount::SignalCoordinate);
}

void expect_param_error(ParamValues v, const std::string& key, const std::string& fragment) {
  try {
    make_binding_cell(v);
    FAIL() << "no error for " << key;
  } catch (const ParamError& e) {
    EXPECT_EQ(e.key, key);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(BindingParams, BadInputNamesTheKey) {
  expect_param_error(values({{"modalities", {1}}}), "modalities", ">= 2");
  expect_param_error(values({{"modalities", {65}}}), "modalities", "<= 64");
  expect_param_error(values({{"anchor", {3}}}), "anchor", "< modalities");
  expect_param_error(values({{"gamma", {1, 2, 3, 4}}}), "gamma", "4 values");
  expect_param_error(values({{"gamma[5]", {1}}}), "gamma[5]", "modality 5");
  expect_param_error(values({{"gamma_tilde", {0}}}), "gamma_tilde", "> 0");
  expect_param_error(values({{"nu", {1.5}}}), "nu", "[0, 1]");
  expect_param_error(values({{"nu", {1, 0.5, 0.5, 1}}}), "nu", "M x M");
  expect_param_error(values({{"nu", {1, 0.5, 0, 0.4, 1, 0, 0, 0, 1}}}), "nu", "symmetric");
  expect_param_error(values({{"nu", {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1}}}), "nu",
                     "semi-definite");
  expect_param_error(values({{"nu", {2, 0, 0, 0, 1, 0, 0, 0, 1}}}), "nu", "diagonal");
  expect_param_error(values({{"k", {8}}}), "k", "< d");
}

}  // namespace
}  // namespace phasecube

namespace phasecube {
namespace {

// Config text -> cells -> cube -> read back: every slot survives, per-modality variables keep
// the fill beyond a cell's M, and the record is thread-independent by construction (trial
// order reduction) and reproducible from the seed.
TEST(BindingCube, RoundTrip) {
  const Config c = config_from_text(R"([model]
d = 4
k = 1
n = 200
gamma = 5, 0.3
[axes]
modalities = 2, 3
[run]
trials = 3
seed = 11
)",
                                    "round trip");
  ASSERT_EQ(c.max_modalities, 3);
  const MethodPlan<BindingModel> plan(c.run.methods, SectionUse::Off, c.max_modalities);
  const CubeSchema& schema = plan.schema();
  auto simulate = [&](std::size_t cell) {
    std::vector<double> r(schema.record_size());
    simulate_cell<BindingModel>(make_binding_cell(Grid(c.fixed, c.axes).values(cell)), c.run, cell,
                                plan, nullptr, r.data());
    return r;
  };
  std::vector<std::vector<double>> records;
  for (std::size_t cell = 0; cell < 2; ++cell) records.push_back(simulate(cell));
  // Reproducible from the seed, bit for bit (NaN fills included).
  const auto again_record = simulate(1);
  ASSERT_EQ(again_record.size(), records[1].size());
  EXPECT_EQ(std::memcmp(again_record.data(), records[1].data(), records[1].size() * sizeof(double)),
            0);
  const std::string path = ::testing::TempDir() + "binding_round_trip.h5";
  RunInfo info;
  info.axes = c.axes;
  info.axis_long_names = {"modality count"};
  info.fixed = c.fixed;
  info.config_text = c.resolved_text();
  info.seed = c.run.seed;
  info.trials = c.run.trials;
  info.sampler = sampler_name(c.run.sampler);
  std::vector<double> flat;  // the one writer takes every record in one array
  for (const auto& r : records) flat.insert(flat.end(), r.begin(), r.end());
  write_cube_snapshot(path, info, schema, flat, true, 1.5);
  const CubeContents back = read_cube(path);
  EXPECT_EQ(back.kind, "binding");
  EXPECT_EQ(back.modalities, 3);
  ASSERT_EQ(back.axes.size(), 1u);
  EXPECT_EQ(back.axes[0].values, (std::vector<double>{2, 3}));
  EXPECT_EQ(back.string_attributes.at("schema"), "binding");
  EXPECT_EQ(back.variables.size(), schema.variables().size());
  for (const CubeVariable& v : schema.variables()) {
    const std::string name(v.spec.name);
    const auto& values = back.variables.at(name);
    const std::size_t w = v.width;
    ASSERT_EQ(values.size(), 2 * w);
    for (std::size_t cell = 0; cell < 2; ++cell)
      for (std::size_t i = 0; i < w; ++i) {
        const double want = records[cell][v.offset + i];
        const double got = values[cell * w + i];
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got) || got == fill_value(v.spec.type)) << name;
        else
          EXPECT_EQ(got, want) << name << " cell " << cell << " slot " << i;
      }
  }
  // The M = 2 cell leaves modality 2 at the fill value.
  EXPECT_TRUE(std::isnan(back.variables.at("centroid_distance_mean")[2]));
  EXPECT_TRUE(std::isfinite(back.variables.at("centroid_distance_mean")[5]));
  // The stored config reads back to the same grid.
  const Config again = config_from_text(back.string_attributes.at("config"), "stored");
  EXPECT_EQ(again.resolved_text(), c.resolved_text());
  std::remove(path.c_str());
}

// The message of the InputError a binding config gives, or "no error".
std::string message(const std::string& text) {
  try {
    config_from_text(text, "t.ini");
  } catch (const InputError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

TEST(BindingConfig, BadInputIsOneLineNamingTheKey) {
  EXPECT_EQ(message("[model]\nmodalities = 3\ngamma_x = 1\n"),
            "t.ini:3: unknown key 'model.gamma_x' for a binding run (modalities, d, k, n, kappa, "
            "kappa_decay, gamma, gamma_tilde, nu, anchor, kappa[i], gamma[m], gamma_tilde[m])");
  EXPECT_EQ(message("[model]\nmodalities = 3\n[axes]\nanchor = 0, 3\n"),
            "axes.anchor value 3: must be < modalities = 3 (modalities are 0 .. M-1), in the cell "
            "with anchor = 3");
  EXPECT_NE(message("[model]\nmodalities = 2\ngamma[2] = 1\n").find("model.gamma[2] = 1: "),
            std::string::npos);
  EXPECT_NE(message("[model]\nmodalities = 3\nnu = 0.5\n[axes]\nnu = 0.1\n").find("never both"),
            std::string::npos);
}

// Issue 11 item 15: a per-modality value set by an indexed key is blamed on that key (it was
// "model.gamma_tilde = 1 (default)"), fixed or swept.
TEST(BindingConfig, IndexedValueErrorsNameTheIndexedKey) {
  EXPECT_EQ(message("[model]\nmodalities = 3\ngamma_tilde[1] = -3\n"),
            "model.gamma_tilde[1] = -3: nuisance variance of modality 1 must be > 0");
  EXPECT_EQ(message("[model]\nmodalities = 3\ngamma[2] = -1\n"),
            "model.gamma[2] = -1: noise variance of modality 2 must be >= 0");
  EXPECT_EQ(message("[model]\nmodalities = 3\n[axes]\ngamma_tilde[0] = 1, -2\n"),
            "axes.gamma_tilde[0] value -2: nuisance variance of modality 0 must be > 0, in the "
            "cell with gamma_tilde[0] = -2");
  EXPECT_EQ(message("[model]\nmodalities = 3\nkappa = 0\ngamma = 1\ngamma[1] = 0\n"),
            "model.gamma[1] = 0: modality 1 has zero variance on a signal coordinate (kappa = 0 "
            "and gamma = 0)");
  // Unindexed values keep their own key.
  EXPECT_EQ(message("[model]\nmodalities = 3\ngamma_tilde = 1, -3\n"),
            "model.gamma_tilde = 1, -3: nuisance variance of modality 1 must be > 0");
}

}  // namespace
}  // namespace phasecube

namespace phasecube {
namespace {

// Issue 11 item 10 (binding): huge kappa gave pairwise Deltas 0 (kappa >= 1e78) or NaN
// (kappa >= 1e155); with gamma = 1 and nu = 0.5 every pair's Delta is 2 kappa^2 / (kappa^2 + 1).
TEST(BindingTheory, ScaleSafeForHugeKappa) {
  for (double kappa : {1e10, 1e78, 1e155, 1e300}) {
    SCOPED_TRACE(kappa);
    const BindingTheory t = binding_theory(make_binding_cell(
        values({{"modalities", {3}}, {"kappa", {kappa}}, {"gamma", {1}}, {"nu", {0.5}}})));
    EXPECT_DOUBLE_EQ(t.delta_pair(0, 1), 2.0);
    EXPECT_FALSE(std::isnan(t.delta_centroid));
    EXPECT_DOUBLE_EQ(t.delta_best_pair, 2.0);
    EXPECT_GT(t.delta_all_pairs(0), 1.0);
    EXPECT_NE(t.winner, kNoWinner);
  }
  const BindingTheory tiny = binding_theory(
      make_binding_cell(values({{"modalities", {3}}, {"gamma_tilde", {1e-320}}, {"nu", {0.5}}})));
  EXPECT_DOUBLE_EQ(tiny.delta_pair(0, 1), 1.0);  // rho = 0.5 over nu = 0.5, not subnormal noise
}

}  // namespace
}  // namespace phasecube
