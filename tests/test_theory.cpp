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

namespace {
// The closed forms of a cell with the same gamma on both views and nu = 0.5, in long double
// (its exponent range holds kappa^2 for every finite kappa): Delta_CA = rho / nu and
// Delta_CP = tau / (nu sqrt(gt)).
struct Expected {
  double ca, cp;
};
Expected expected(double kappa, double g, double gt) {
  const long double k2 = static_cast<long double>(kappa) * kappa, v = k2 + g;
  const long double rho = k2 / v, tau = k2 / std::sqrt(v);
  return {static_cast<double>(rho / 0.5L),
          static_cast<double>(tau / (0.5L * std::sqrt(static_cast<long double>(gt))))};
}

void expect_scale_safe(double kappa, double g, double gt, Regime regime) {
  SCOPED_TRACE("kappa = " + format_number(kappa) + ", gamma = " + format_number(g) +
               ", gamma_tilde = " + format_number(gt));
  const Theory t = theory(cell({{"kappa", {kappa}},
                                {"gamma_x", {g}},
                                {"gamma_y", {g}},
                                {"gamma_tilde_x", {gt}},
                                {"gamma_tilde_y", {gt}},
                                {"nu", {0.5}}}));
  const Expected e = expected(kappa, g, gt);
  for (double x : {t.delta_ca, t.delta_cp, t.delta_cp_rev}) ASSERT_FALSE(std::isnan(x));
  // Relative 1e-12; results below DBL_MIN are subnormal and carry fewer digits.
  const double tiny = 1e-321;
  EXPECT_NEAR(t.delta_ca, e.ca, 1e-12 * e.ca + tiny);
  EXPECT_NEAR(t.delta_cp, e.cp, 1e-12 * e.cp + tiny);
  EXPECT_EQ(t.delta_cp_rev, t.delta_cp);
  EXPECT_EQ(t.regime, regime);
}
}  // namespace

// Issue 11 item 10: kappa >= 1e78 gave Delta_CA = 0 ("CP only"), kappa >= 1e155 NaN, huge or
// tiny variances 0, inf or NaN. Every finite input now gives the closed form's value.
TEST(Theory, ScaleSafeForEveryFiniteKappa) {
  expect_scale_safe(1e-160, 1, 1, Regime::Neither);  // Deltas 2e-320, subnormal
  expect_scale_safe(1e-10, 1, 1, Regime::Neither);
  expect_scale_safe(1, 1, 1, Regime::CpOnly);  // Delta_CA = 1 exactly
  expect_scale_safe(1e10, 1, 1, Regime::Both);
  expect_scale_safe(1e78, 1, 1, Regime::Both);
  expect_scale_safe(1e155, 1, 1, Regime::Both);
  expect_scale_safe(1e300, 1, 1, Regime::Both);
}

TEST(Theory, ScaleSafeForEveryFiniteGamma) {
  expect_scale_safe(1, 1e300, 1, Regime::Neither);       // Delta_CA = 2e-300
  expect_scale_safe(1, 1e-300, 1, Regime::Both);         // Delta_CA = 2
  expect_scale_safe(1, 1, 1e300, Regime::Neither);       // nu = 0.5, xi = 0.5e150
  expect_scale_safe(1, 1, 1e-300, Regime::CpOnly);       // xi = 0.5e-150
  expect_scale_safe(1e-155, 1e-320, 1, Regime::CaOnly);  // subnormal kappa^2 and gamma
  expect_scale_safe(1e-160, 1e-318, 1e-320, Regime::Neither);
  expect_scale_safe(1e200, 1e300, 1e300, Regime::Both);
}

// Zero signal is still 0 and no nuisance correlation still +inf, at any scale.
TEST(Theory, ScaleSafeKeepsTheConventions) {
  const Theory zero = theory(cell({{"kappa", {0}}, {"gamma_tilde_x", {1e300}}, {"nu", {0.5}}}));
  EXPECT_EQ(zero.delta_ca, 0.0);
  EXPECT_EQ(zero.delta_cp, 0.0);
  const Theory none = theory(cell({{"kappa", {1e300}}, {"gamma_tilde_x", {1e-300}}, {"nu", {0}}}));
  EXPECT_EQ(none.delta_ca, std::numeric_limits<double>::infinity());
  EXPECT_EQ(none.delta_cp, std::numeric_limits<double>::infinity());
}

// Issue 12: kappa[2] (the paper's kappa_3) moves one signal coordinate alone. k = 3, kappa = 2
// elsewhere (rho = 4/5), gamma = 1, nu = 0.5: coordinate 2 is recovered iff
// rho_3 = kappa_3^2 / (kappa_3^2 + 1) > 0.5 iff kappa_3 > 1, so r_ca goes from 2 to 3 and
// Delta_CA = min_i rho_i / 0.5 crosses 1 there.
TEST(Theory, OneSignalCoordinateSweptAloneMovesRca) {
  const auto at = [](double kappa3) {
    return theory(cell({{"d", {10}}, {"k", {3}}, {"kappa", {2}}, {"kappa[2]", {kappa3}}}));
  };
  for (const double kappa3 : {0.1, 0.5, 0.9}) {
    const Theory t = at(kappa3);
    const double rho3 = kappa3 * kappa3 / (kappa3 * kappa3 + 1);
    EXPECT_EQ(t.r_ca, 2) << kappa3;
    EXPECT_NEAR(t.rho(2), rho3, 1e-15);
    EXPECT_NEAR(t.rho(0), 0.8, 1e-15);
    EXPECT_NEAR(t.delta_ca, rho3 / 0.5, 1e-14);
    EXPECT_LT(t.delta_ca, 1);
  }
  for (const double kappa3 : {1.1, 1.5, 10.0}) {
    const Theory t = at(kappa3);
    EXPECT_EQ(t.r_ca, 3) << kappa3;
    EXPECT_GT(t.delta_ca, 1);
    EXPECT_NEAR(t.delta_ca, std::min(0.8, kappa3 * kappa3 / (kappa3 * kappa3 + 1)) / 0.5, 1e-14);
  }
}

// PLS (issue 13): the population Sxy = diag(kappa_i^2, eta_j), so Delta_PLS = min kappa_i^2 /
// max eta_j, independent of the signal noise gamma_x, gamma_y.
TEST(Theory, PlsSeparationRatioByHand) {
  // kappa = 1, eta = 0.3 (gt = 1): 1 / 0.3.
  const Theory t = theory(cell({{"kappa", {1}}, {"nu", {0.3}}}));
  EXPECT_NEAR(t.delta_pls, 1 / 0.3, 1e-14);
  EXPECT_EQ(t.r_pls, 2);
  ASSERT_EQ(t.pls_signal.size(), 2);
  ASSERT_EQ(t.pls_nuisance.size(), 8);
  EXPECT_EQ(t.pls_signal(0), 1.0);
  EXPECT_NEAR(t.pls_nuisance(0), 0.3, 1e-16);
  // gamma_y = 0.05, gt_y = 5, nu = 0.5: CA recovers (1.38) but eta = 0.5 sqrt(5) > kappa^2.
  const Theory loud =
      theory(cell({{"kappa", {1}}, {"gamma_y", {0.05}}, {"gamma_tilde_y", {5}}, {"nu", {0.5}}}));
  EXPECT_NEAR(loud.delta_pls, 1 / (0.5 * std::sqrt(5.0)), 1e-14);  // 0.894...
  EXPECT_EQ(loud.r_pls, 0);
  EXPECT_GT(loud.delta_ca, 1);
  // Noisy signal coordinates (gamma = 100) hurt CA (rho = 1/101) but not PLS.
  const Theory noisy = theory(cell({{"kappa", {1}}, {"gamma_x", {100}}, {"gamma_y", {100}}}));
  EXPECT_NEAR(noisy.delta_pls, 1 / 0.5, 1e-14);
  EXPECT_NEAR(noisy.delta_ca, (1.0 / 101) / 0.5, 1e-14);
  // kappa_i = 2, 1, 0.5 (decay 0.5), eta = 0.4: kappa^2 = 4, 1, 0.25, two above 0.4.
  const Theory decay =
      theory(cell({{"d", {8}}, {"k", {3}}, {"kappa", {2}}, {"kappa_decay", {0.5}}, {"nu", {0.4}}}));
  EXPECT_NEAR(decay.delta_pls, 0.25 / 0.4, 1e-15);
  EXPECT_EQ(decay.r_pls, 2);
  // Unequal nuisance variances: max eta = 0.9 sqrt(3 * 1) at the loudest coordinate.
  const Theory uneven = theory(cell(
      {{"d", {5}}, {"k", {1}}, {"kappa", {2}}, {"gamma_tilde_x", {1, 2, 0.5, 3}}, {"nu", {0.9}}}));
  EXPECT_NEAR(uneven.delta_pls, 4 / (0.9 * std::sqrt(3.0)), 1e-14);
  EXPECT_EQ(uneven.r_pls, 1);
}

TEST(Theory, PlsConventionsZeroSignalAndNoNuisance) {
  for (const double nu : {0.0, 0.5, 1.0}) {
    const Theory zero = theory(cell({{"kappa", {0}}, {"nu", {nu}}}));
    EXPECT_EQ(zero.delta_pls, 0.0) << nu;
    EXPECT_EQ(zero.r_pls, 0) << nu;
  }
  const Theory none = theory(cell({{"kappa", {0.1}}, {"nu", {0}}}));
  EXPECT_EQ(none.delta_pls, kInf);
  EXPECT_EQ(none.r_pls, 2);
  // A zero-variance nuisance coordinate carries no covariance: eta = 0 even at nu = 1.
  const Theory silent = theory(cell({{"gamma_tilde_x", {0}}, {"nu", {1}}}));
  EXPECT_EQ(silent.delta_pls, kInf);
  // kappa = eta exactly: not > 1, nothing recovered.
  const Theory tie = theory(cell({{"kappa", {0.5}}, {"nu", {0.25}}}));
  EXPECT_EQ(tie.delta_pls, 1.0);
  EXPECT_EQ(tie.r_pls, 0);
}

TEST(Theory, PlsScaleSafe) {
  // kappa^2 underflows (1e-340) but positive signal with no correlation is still +inf.
  EXPECT_EQ(theory(cell({{"kappa", {1e-170}}, {"nu", {0}}})).delta_pls, kInf);
  // 1e-340 / (0.5e-300) = 2e-40 and 1e400 / 0.5e300 = 2e100: neither kappa^2 is a double.
  const Theory tiny = theory(cell({{"kappa", {1e-170}},
                                   {"gamma_tilde_x", {1e-300}},
                                   {"gamma_tilde_y", {1e-300}},
                                   {"nu", {0.5}}}));
  EXPECT_NEAR(tiny.delta_pls / 2e-40, 1, 1e-14);
  const Theory huge = theory(cell(
      {{"kappa", {1e200}}, {"gamma_tilde_x", {1e300}}, {"gamma_tilde_y", {1e300}}, {"nu", {0.5}}}));
  EXPECT_NEAR(huge.delta_pls / 2e100, 1, 1e-14);
  EXPECT_EQ(huge.r_pls, 2);
  for (const double kappa : {1e-300, 1e-160, 1.0, 1e160, 1e300})
    for (const double nu : {0.0, 1e-300, 0.5, 1.0})
      EXPECT_FALSE(std::isnan(theory(cell({{"kappa", {kappa}}, {"nu", {nu}}})).delta_pls))
          << kappa << " " << nu;
}
