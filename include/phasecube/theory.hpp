#pragma once
// Closed-form population theory (DESIGN 1.1): the one place the separation ratios live.
#include <Eigen/Dense>

#include "phasecube/model.hpp"

namespace phasecube {

enum class Regime : int { Neither = 0, CaOnly = 1, CpOnly = 2, Both = 3 };

constexpr Regime regime_of(bool ca_recovers, bool cp_recovers) {
  return static_cast<Regime>((ca_recovers ? 1 : 0) + (cp_recovers ? 2 : 0));
}
const char* regime_name(Regime r);

struct Theory {
  Eigen::VectorXd rho, nu;          // CA signal / nuisance singular values (k, d-k)
  Eigen::VectorXd tau, xi;          // CP x->y
  Eigen::VectorXd tau_rev, xi_rev;  // CP y->x
  double delta_ca = 0, delta_cp = 0, delta_cp_rev = 0;
  int r_ca = 0, r_cp = 0, r_cp_rev = 0;
  Regime regime = Regime::Neither;
  // PLS: the singular values of the population Sxy = diag(kappa_i^2, eta_j) (k, d-k),
  // Delta_PLS = min kappa_i^2 / max eta_j and r_PLS = #{i : kappa_i^2 > max eta_j}.
  Eigen::VectorXd pls_signal, pls_nuisance;
  double delta_pls = 0;
  int r_pls = 0;
};

// Separation ratio min(signal) / max(nuisance) with the DESIGN conventions: zero signal
// gives 0, no nuisance correlation with positive signal gives +inf; never NaN.
double separation_ratio(const Eigen::VectorXd& signal, const Eigen::VectorXd& nuisance);
// #{i : signal_i > max nuisance}
int recovered_count(const Eigen::VectorXd& signal, const Eigen::VectorXd& nuisance);

// The two-view signal ratios for any finite input, never NaN: the correlation
// kappa^2 / sqrt((kappa^2 + ga)(kappa^2 + gb)) and the cross term kappa^2 / sqrt(kappa^2 + g).
// Bitwise the textbook formula where its intermediate values are normal numbers, a scaled
// form (no kappa^2 formed) outside; 0 for kappa = 0.
double signal_correlation(double kappa, double ga, double gb);
double signal_cross(double kappa, double g);

// Delta_PLS = min kappa_i^2 / max eta_j with separation_ratio's conventions, taken as
// (min kappa_i / sqrt(max eta_j))^2 so that kappa^2 may overflow or underflow (a kappa of
// 1e-170 with no nuisance correlation is still +inf). r_PLS likewise: kappa_i > sqrt(max eta).
double pls_separation_ratio(const Eigen::VectorXd& kappa, const Eigen::VectorXd& eta);
int pls_recovered_count(const Eigen::VectorXd& kappa, const Eigen::VectorXd& eta);

Theory theory(const CellParams& p);

}  // namespace phasecube
