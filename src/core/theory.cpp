#include "phasecube/theory.hpp"

#include <cmath>
#include <limits>

namespace phasecube {

const char* regime_name(Regime r) {
  switch (r) {
    case Regime::Neither:
      return "Neither";
    case Regime::CaOnly:
      return "CA only";
    case Regime::CpOnly:
      return "CP only";
    case Regime::Both:
      return "Both";
  }
  return "?";
}

namespace {
// a / sqrt(b), with 0 when a = 0 (no covariance means no correlation, even at zero variance).
double ratio_sqrt(double a, double b) {
  return a == 0.0 ? 0.0 : a / std::sqrt(b);
}

// The textbook formulas are exact to rounding while kappa^2 and the variance products are
// normal numbers; outside (kappa >= 1e77, subnormal kappa^2, huge or tiny gammas) they
// overflow or lose digits, and the ratios are taken in a scaled form instead. Zero or normal:
bool tame(double x) {
  return x == 0.0 || std::isnormal(x);
}

// sqrt(1 + (sqrt(g) / kappa)^2) = sqrt(kappa^2 + g) / kappa, for kappa > 0.
double spread(double kappa, double g) {
  return std::hypot(1.0, std::sqrt(g) / kappa);
}
}  // namespace

double signal_correlation(double kappa, double ga, double gb) {
  const double k2 = kappa * kappa;
  const double va = k2 + ga, vb = k2 + gb;
  if (kappa == 0.0 || (std::isnormal(k2) && std::isnormal(va * vb))) return ratio_sqrt(k2, va * vb);
  return (1.0 / spread(kappa, ga)) * (1.0 / spread(kappa, gb));
}

double signal_cross(double kappa, double g) {
  const double k2 = kappa * kappa;
  if (kappa == 0.0 || (std::isnormal(k2) && std::isnormal(k2 + g))) return ratio_sqrt(k2, k2 + g);
  return kappa / spread(kappa, g);
}

double separation_ratio(const Eigen::VectorXd& signal, const Eigen::VectorXd& nuisance) {
  const double s = signal.size() ? signal.minCoeff() : 0.0;
  const double q = nuisance.size() ? nuisance.maxCoeff() : 0.0;
  if (s <= 0.0) return 0.0;  // nothing to recover
  if (q <= 0.0) return std::numeric_limits<double>::infinity();
  return s / q;
}

int recovered_count(const Eigen::VectorXd& signal, const Eigen::VectorXd& nuisance) {
  const double q = nuisance.size() ? nuisance.maxCoeff() : 0.0;
  return static_cast<int>((signal.array() > q).count());
}

double pls_separation_ratio(const Eigen::VectorXd& kappa, const Eigen::VectorXd& eta) {
  const double r = separation_ratio(kappa, eta.cwiseSqrt());
  return r * r;
}

int pls_recovered_count(const Eigen::VectorXd& kappa, const Eigen::VectorXd& eta) {
  return recovered_count(kappa, eta.cwiseSqrt());
}

Theory theory(const CellParams& p) {
  Theory t;
  const int k = p.k, m = p.d - p.k;
  t.rho.resize(k);
  t.tau.resize(k);
  t.tau_rev.resize(k);
  for (int i = 0; i < k; ++i) {
    t.rho(i) = signal_correlation(p.kappa(i), p.gamma_x(i), p.gamma_y(i));
    t.tau(i) = signal_cross(p.kappa(i), p.gamma_x(i));
    t.tau_rev(i) = signal_cross(p.kappa(i), p.gamma_y(i));
  }
  const Eigen::VectorXd eta = p.eta();
  t.nu.resize(m);
  t.xi.resize(m);
  t.xi_rev.resize(m);
  for (int j = 0; j < m; ++j) {
    const double gx = p.gamma_tilde_x(j), gy = p.gamma_tilde_y(j), g2 = gx * gy;
    const bool exact = g2 == 0.0 ? gx == 0.0 || gy == 0.0 : std::isnormal(g2);
    if (exact && tame(eta(j))) {
      t.nu(j) = ratio_sqrt(eta(j), gx * gy);
      t.xi(j) = ratio_sqrt(eta(j), gx);
      t.xi_rev(j) = ratio_sqrt(eta(j), gy);
    } else {  // eta_j = nu sqrt(gx gy), divided out analytically
      t.nu(j) = p.nu;
      t.xi(j) = p.nu * std::sqrt(gy);
      t.xi_rev(j) = p.nu * std::sqrt(gx);
    }
  }
  t.delta_ca = separation_ratio(t.rho, t.nu);
  t.delta_cp = separation_ratio(t.tau, t.xi);
  t.delta_cp_rev = separation_ratio(t.tau_rev, t.xi_rev);
  t.r_ca = recovered_count(t.rho, t.nu);
  t.r_cp = recovered_count(t.tau, t.xi);
  t.r_cp_rev = recovered_count(t.tau_rev, t.xi_rev);
  t.regime = regime_of(t.delta_ca > 1.0, t.delta_cp > 1.0);
  t.pls_signal = p.kappa.array().square();
  t.pls_nuisance = eta;
  t.delta_pls = pls_separation_ratio(p.kappa, eta);
  t.r_pls = pls_recovered_count(p.kappa, eta);
  return t;
}

}  // namespace phasecube
