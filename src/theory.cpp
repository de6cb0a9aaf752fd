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
}  // namespace

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

Theory theory(const CellParams& p) {
  Theory t;
  const int k = p.k, m = p.d - p.k;
  t.rho.resize(k);
  t.tau.resize(k);
  t.tau_rev.resize(k);
  for (int i = 0; i < k; ++i) {
    const double k2 = p.kappa(i) * p.kappa(i);
    const double vx = k2 + p.gamma_x(i), vy = k2 + p.gamma_y(i);
    t.rho(i) = ratio_sqrt(k2, vx * vy);
    t.tau(i) = ratio_sqrt(k2, vx);
    t.tau_rev(i) = ratio_sqrt(k2, vy);
  }
  const Eigen::VectorXd eta = p.eta();
  t.nu.resize(m);
  t.xi.resize(m);
  t.xi_rev.resize(m);
  for (int j = 0; j < m; ++j) {
    t.nu(j) = ratio_sqrt(eta(j), p.gamma_tilde_x(j) * p.gamma_tilde_y(j));
    t.xi(j) = ratio_sqrt(eta(j), p.gamma_tilde_x(j));
    t.xi_rev(j) = ratio_sqrt(eta(j), p.gamma_tilde_y(j));
  }
  t.delta_ca = separation_ratio(t.rho, t.nu);
  t.delta_cp = separation_ratio(t.tau, t.xi);
  t.delta_cp_rev = separation_ratio(t.tau_rev, t.xi_rev);
  t.r_ca = recovered_count(t.rho, t.nu);
  t.r_cp = recovered_count(t.tau, t.xi);
  t.r_cp_rev = recovered_count(t.tau_rev, t.xi_rev);
  t.regime = regime_of(t.delta_ca > 1.0, t.delta_cp > 1.0);
  return t;
}

}  // namespace phasecube
