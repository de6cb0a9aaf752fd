// Closed forms (DESIGN 1.1) against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "phasecube/model.hpp"
#include "phasecube/theory.hpp"
#include "test_support.hpp"

using namespace phasecube;
using phasecube::testing::cell;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST(Theory, EqualVariancesBothRecover) {
  // rho = 1/sqrt(2*2) = 0.5, nu_j = 0.3; tau = 1/sqrt(2), xi = 0.3.
  const Theory t = theory(cell({{"kappa", {1}}, {"nu", {0.3}}}));
  EXPECT_NEAR(t.rho(0), 0.5, 1e-15);
  EXPECT_NEAR(t.nu(0), 0.3, 1e-15);
  EXPECT_NEAR(t.delta_ca, 0.5 / 0.3, 1e-14);
  EXPECT_NEAR(t.delta_cp, std::sqrt(0.5) / 0.3, 1e-14);
  EXPECT_EQ(t.regime, Regime::Both);
  EXPECT_EQ(t.r_ca, 2);
  EXPECT_EQ(t.r_cp, 2);
}

TEST(Theory, NoisyTargetNuisanceGivesCaOnly) {
  // gamma_y = 0.05, gt_y = 5, nu = 0.5: rho = 1/sqrt(2 * 1.05), eta = 0.5 sqrt(5).
  const Theory t =
      theory(cell({{"kappa", {1}}, {"gamma_y", {0.05}}, {"gamma_tilde_y", {5}}, {"nu", {0.5}}}));
  EXPECT_NEAR(t.delta_ca, (1 / std::sqrt(2.1)) / 0.5, 1e-14);                     // 1.3801...
  EXPECT_NEAR(t.delta_cp, (1 / std::sqrt(2.0)) / (0.5 * std::sqrt(5.0)), 1e-14);  // 0.632...
  EXPECT_NEAR(t.delta_cp_rev, (1 / std::sqrt(1.05)) / 0.5, 1e-14);                // 1.95...
  EXPECT_EQ(t.regime, Regime::CaOnly);
}

TEST(Theory, CpOnlyWhenSourceIsCleanAndTargetNuisanceSmall) {
  // gamma_x = 0.01, gamma_y = 10, gt = 1, nu = 0.5, kappa = 1:
  // rho = 1/sqrt(1.01 * 11) = 0.2997 < 0.5; tau = 1/sqrt(1.01) = 0.995 > xi = 0.5.
  const Theory t = theory(cell({{"kappa", {1}}, {"gamma_x", {0.01}}, {"gamma_y", {10}}}));
  EXPECT_NEAR(t.delta_ca, 1 / std::sqrt(1.01 * 11) / 0.5, 1e-14);
  EXPECT_NEAR(t.delta_cp, 1 / std::sqrt(1.01) / 0.5, 1e-14);
  EXPECT_EQ(t.regime, Regime::CpOnly);
}

TEST(Theory, ZeroSignalIsZeroNeverNaN) {
  const Theory t = theory(cell({{"kappa", {0}}, {"nu", {0}}}));
  EXPECT_EQ(t.delta_ca, 0.0);
  EXPECT_EQ(t.delta_cp, 0.0);
  EXPECT_EQ(t.delta_cp_rev, 0.0);
  EXPECT_EQ(t.regime, Regime::Neither);
  EXPECT_EQ(t.r_ca, 0);
  // Zero signal with zero noise variance too (0/0 in the formula) stays 0.
  const Theory z = theory(cell({{"kappa", {0}}, {"gamma_x", {0}}, {"gamma_y", {0}}}));
  EXPECT_EQ(z.rho(0), 0.0);
  EXPECT_EQ(z.tau(0), 0.0);
  EXPECT_EQ(z.delta_ca, 0.0);
}

TEST(Theory, NoNuisanceCorrelationIsInfinite) {
  const Theory t = theory(cell({{"kappa", {0.1}}, {"nu", {0}}}));
  EXPECT_EQ(t.delta_ca, kInf);
  EXPECT_EQ(t.delta_cp, kInf);
  EXPECT_EQ(t.regime, Regime::Both);
  // A zero-variance nuisance coordinate carries no correlation either.
  const Theory z = theory(cell({{"gamma_tilde_x", {0}}, {"nu", {1}}}));
  EXPECT_EQ(z.nu(0), 0.0);
  EXPECT_EQ(z.delta_ca, kInf);
}

TEST(Theory, FullNuisanceCorrelation) {
  // nu = 1: nu_j = 1 and rho < 1 always, so CA never recovers; xi = sqrt(gt_y) = 1.
  const Theory t = theory(cell({{"kappa", {3}}, {"nu", {1}}}));
  EXPECT_NEAR(t.nu(0), 1.0, 1e-15);
  EXPECT_NEAR(t.delta_ca, 9.0 / 10.0, 1e-14);
  EXPECT_NEAR(t.delta_cp, 9.0 / std::sqrt(10.0), 1e-14);
  EXPECT_EQ(t.regime, Regime::CpOnly);
}

TEST(Theory, PartialRecoveryWithDecay) {
  // k = 3, kappa = 2, decay 0.5 -> kappa_i = 2, 1, 0.5; gamma = 1:
  // rho_i = kappa^2 / (kappa^2 + 1) = 0.8, 0.5, 0.2; tau_i = kappa^2 / sqrt(kappa^2 + 1).
  const CellParams p =
      cell({{"d", {8}}, {"k", {3}}, {"kappa", {2}}, {"kappa_decay", {0.5}}, {"nu", {0.4}}});
  EXPECT_DOUBLE_EQ(p.kappa(2), 0.5);
  const Theory t = theory(p);
  EXPECT_NEAR(t.rho(0), 0.8, 1e-15);
  EXPECT_NEAR(t.rho(1), 0.5, 1e-15);
  EXPECT_NEAR(t.rho(2), 0.2, 1e-15);
  EXPECT_EQ(t.r_ca, 2);  // 0.8, 0.5 > 0.4
  EXPECT_EQ(t.r_cp, 2);  // 1.789, 0.707 > 0.4 > 0.224
  EXPECT_NEAR(t.delta_ca, 0.2 / 0.4, 1e-15);
  EXPECT_NEAR(t.delta_cp, (0.25 / std::sqrt(1.25)) / 0.4, 1e-14);
  EXPECT_EQ(t.regime, Regime::Neither);
}

TEST(Theory, BoundaryCurvesMatchTheRatios) {
  // nu_CA(kappa) = kappa^2 / sqrt((kappa^2+gx)(kappa^2+gy)), nu_CP(kappa) = kappa^2 /
  // (sqrt(kappa^2+gx) sqrt(gt_y)) with gt_x = 1: the regime flips across each curve.
  const double gx = 1, gy = 0.05, gty = 5, kappa = 1.7, k2 = kappa * kappa;
  const double nu_ca = k2 / std::sqrt((k2 + gx) * (k2 + gy));
  const double nu_cp = k2 / (std::sqrt(k2 + gx) * std::sqrt(gty));
  ASSERT_LT(nu_cp, nu_ca);
  auto at = [&](double nu) {
    return theory(cell({{"kappa", {kappa}},
                        {"gamma_x", {gx}},
                        {"gamma_y", {gy}},
                        {"gamma_tilde_y", {gty}},
                        {"nu", {nu}}}));
  };
  EXPECT_EQ(at(nu_cp * (1 - 1e-9)).regime, Regime::Both);
  EXPECT_EQ(at(nu_cp * (1 + 1e-9)).regime, Regime::CaOnly);
  EXPECT_EQ(at(nu_ca * (1 - 1e-9)).regime, Regime::CaOnly);
  EXPECT_EQ(at(nu_ca * (1 + 1e-9)).regime, Regime::Neither);
  EXPECT_NEAR(at(nu_ca).delta_ca, 1.0, 1e-14);
  EXPECT_NEAR(at(nu_cp).delta_cp, 1.0, 1e-14);
}

TEST(Theory, EtaHeldFixedDerivesNu) {
  // eta = 0.5, gamma_tilde_y = 4 (gamma_tilde_x = 1): nu = 0.5 / sqrt(4) = 0.25, and the CP
  // nuisance value xi = eta / sqrt(gt_x) = 0.5 whatever gamma_tilde_y is.
  ParamValues v = default_param_values();
  v.erase("nu");
  v["eta"] = {0.5};
  v["gamma_tilde_y"] = {4};
  const CellParams p = make_cell(v);
  EXPECT_DOUBLE_EQ(p.nu, 0.25);
  EXPECT_NEAR(theory(p).xi(0), 0.5, 1e-15);
  v["gamma_tilde_y"] = {0.1};  // eta / sqrt(0.1) > 1: capped at full correlation
  EXPECT_EQ(make_cell(v).nu, 1.0);
  v["gamma_tilde_y"] = {1, 2, 3, 4, 5, 6, 7, 8};  // one nu needs one nuisance variance
  EXPECT_THROW(make_cell(v), ParamError);
  v["gamma_tilde_y"] = {0};
  EXPECT_THROW(make_cell(v), ParamError);  // eta > 0 with no nuisance variance
}
