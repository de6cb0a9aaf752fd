#include "phasecube/binding.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "phasecube/theory.hpp"

namespace phasecube {

const BindingParamSpec* find_binding_param(std::string_view name) {
  for (const auto& spec : kBindingParams)
    if (spec.name == name) return &spec;
  return nullptr;
}

IndexCount index_count(BindingShape shape) {
  if (shape == BindingShape::Signal) return IndexCount::SignalCoordinate;
  if (shape == BindingShape::PerModality) return IndexCount::Modality;
  return IndexCount::None;
}

ParamValues default_binding_values() {
  ParamValues v;
  for (const auto& spec : kBindingParams) v[std::string(spec.name)] = {spec.default_value};
  return v;
}

namespace {

const std::vector<double>& get(const ParamValues& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty()) throw ParamError(key, "", "missing value");
  return it->second;
}

int integer_param(const ParamValues& values, const std::string& key, int lo, int hi) {
  const auto& v = get(values, key);
  if (v.size() != 1) throw ParamError(key, format_list(v), "takes a single integer");
  const std::string why = integer_problem(v[0], lo, hi);
  if (!why.empty()) throw ParamError(key, format_number(v[0]), why);
  return static_cast<int>(v[0]);
}

void require_finite(const std::string& key, const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) throw ParamError(key, format_list(v), "must be finite");
}

// One value per modality; a list shorter than M repeats its last value; indexed keys
// ("gamma[2]") then override single modalities. `keys[a]` is the key modality a's value
// came from, so that an error about it names what the user wrote.
Eigen::VectorXd per_modality(const ParamValues& values, const std::string& key, int m,
                             std::vector<std::string>& keys) {
  const auto& v = get(values, key);
  require_finite(key, v);
  if (v.size() > static_cast<std::size_t>(m))
    throw ParamError(
        key, format_list(v),
        "has " + std::to_string(v.size()) + " values for M = " + std::to_string(m) + " modalities");
  Eigen::VectorXd out(m);
  keys.assign(static_cast<std::size_t>(m), key);
  for (int i = 0; i < m; ++i) out(i) = v[std::min(static_cast<std::size_t>(i), v.size() - 1)];
  apply_indexed(values, key, IndexCount::Modality, out, keys);
  return out;
}

// kappa_1 .. kappa_k: one value for all, or k values; kappa_decay (one value) makes each the
// previous one times the decay.
Eigen::VectorXd signal_strengths(const ParamValues& values, int k) {
  const auto& kv = get(values, "kappa");
  require_finite("kappa", kv);
  if (kv.size() != 1 && kv.size() != static_cast<std::size_t>(k))
    throw ParamError(
        "kappa", format_list(kv),
        "needs 1 value or k = " + std::to_string(k) + " values, got " + std::to_string(kv.size()));
  Eigen::VectorXd kappa(k);
  for (int i = 0; i < k; ++i) {
    kappa(i) = kv.size() == 1 ? kv[0] : kv[static_cast<std::size_t>(i)];
    if (kappa(i) < 0) throw ParamError("kappa", format_list(kv), "signal strength must be >= 0");
  }
  const auto& dv = get(values, "kappa_decay");
  if (dv.size() != 1) throw ParamError("kappa_decay", format_list(dv), "takes a single value");
  require_finite("kappa_decay", dv);
  if (dv[0] < 0) throw ParamError("kappa_decay", format_number(dv[0]), "must be >= 0");
  if (dv[0] != 1.0) {
    if (kv.size() != 1)
      throw ParamError("kappa_decay", format_number(dv[0]),
                       "must be 1 when kappa is given as a list of k values");
    for (int i = 1; i < k; ++i) kappa(i) = kappa(i - 1) * dv[0];
  }
  // kappa[i] replaces coordinate i after the decay, as in the two-modality model (model.hpp).
  std::vector<std::string> keys(static_cast<std::size_t>(k), "kappa");
  apply_indexed(values, "kappa", IndexCount::SignalCoordinate, kappa, keys);
  for (int i = 0; i < k; ++i)
    if (kappa(i) < 0)
      throw ParamError(keys[static_cast<std::size_t>(i)], format_number(kappa(i)),
                       "signal strength must be >= 0");
  return kappa;
}

// gamma (noise) and gamma_tilde (nuisance) variances per modality; an error names the key the
// offending value came from.
void modality_variances(const ParamValues& values, BindingParams& p) {
  std::vector<std::string> gamma_keys, gamma_tilde_keys;
  p.gamma = per_modality(values, "gamma", p.m, gamma_keys);
  for (int a = 0; a < p.m; ++a)
    if (p.gamma(a) < 0)
      throw ParamError(gamma_keys[static_cast<std::size_t>(a)], format_number(p.gamma(a)),
                       "noise variance of modality " + std::to_string(a) + " must be >= 0");
  p.gamma_tilde = per_modality(values, "gamma_tilde", p.m, gamma_tilde_keys);
  for (int a = 0; a < p.m; ++a)
    if (!(p.gamma_tilde(a) > 0))
      throw ParamError(gamma_tilde_keys[static_cast<std::size_t>(a)],
                       format_number(p.gamma_tilde(a)),
                       "nuisance variance of modality " + std::to_string(a) + " must be > 0");
  for (int i = 0; i < p.k; ++i)
    for (int a = 0; a < p.m; ++a)
      if (!(p.kappa(i) * p.kappa(i) + p.gamma(a) > 0))
        throw ParamError(gamma_keys[static_cast<std::size_t>(a)], format_number(p.gamma(a)),
                         "modality " + std::to_string(a) +
                             " has zero variance on a signal coordinate (kappa = 0 and gamma = 0)");
}

// An M x M list of nu: unit diagonal, symmetric, entries in [-1, 1], positive semi-definite.
void check_nuisance_matrix(const Eigen::MatrixXd& nu, const std::vector<double>& nv) {
  for (Eigen::Index a = 0; a < nu.rows(); ++a) {
    if (nu(a, a) != 1.0)
      throw ParamError(
          "nu", format_list(nv),
          "diagonal entry (" + std::to_string(a) + ", " + std::to_string(a) + ") must be 1");
    for (Eigen::Index b = 0; b < nu.cols(); ++b) {
      if (nu(a, b) != nu(b, a))
        throw ParamError("nu", format_list(nv),
                         "must be symmetric: entry (" + std::to_string(a) + ", " +
                             std::to_string(b) + ") differs from (" + std::to_string(b) + ", " +
                             std::to_string(a) + ")");
      if (nu(a, b) < -1 || nu(a, b) > 1)
        throw ParamError("nu", format_list(nv), "entries must be in [-1, 1]");
    }
  }
  const double lmin = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(nu).eigenvalues()(0);
  if (lmin < -1e-10)
    throw ParamError(
        "nu", format_list(nv),
        "must be positive semi-definite (smallest eigenvalue " + format_number(lmin) + ")");
}

// The nuisance correlations between modalities: one nu for every pair, or the M x M matrix.
Eigen::MatrixXd nuisance_correlations(const ParamValues& values, int m) {
  const auto& nv = get(values, "nu");
  require_finite("nu", nv);
  const auto mm = static_cast<std::size_t>(m);
  Eigen::MatrixXd nu;
  if (nv.size() == 1) {
    if (nv[0] < 0 || nv[0] > 1) throw ParamError("nu", format_number(nv[0]), "must be in [0, 1]");
    nu = Eigen::MatrixXd::Constant(m, m, nv[0]);
    nu.diagonal().setOnes();
    return nu;
  }
  if (nv.size() != mm * mm)
    throw ParamError("nu", format_list(nv),
                     "needs 1 value or M x M = " + std::to_string(mm * mm) + " values, got " +
                         std::to_string(nv.size()));
  nu.resize(m, m);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) nu(a, b) = nv[static_cast<std::size_t>(a * m + b)];
  check_nuisance_matrix(nu, nv);
  return nu;
}

}  // namespace

BindingParams make_binding_cell(const ParamValues& values) {
  BindingParams p;
  p.m = integer_param(values, "modalities", 2, kMaxModalities);
  p.d = integer_param(values, "d", 2, kMaxBindingDimension);
  p.k = integer_param(values, "k", 1, kMaxBindingDimension);
  if (p.k >= p.d)
    throw ParamError(
        "k", std::to_string(p.k),
        "must be < d = " + std::to_string(p.d) + " (at least one nuisance coordinate)");
  p.n = integer_param(values, "n", 1, static_cast<int>(kMaxModelInteger));
  p.anchor = integer_param(values, "anchor", 0, kMaxModalities);
  if (p.anchor >= p.m)
    throw ParamError(
        "anchor", std::to_string(p.anchor),
        "must be < modalities = " + std::to_string(p.m) + " (modalities are 0 .. M-1)");
  p.kappa = signal_strengths(values, p.k);
  modality_variances(values, p);
  p.nu = nuisance_correlations(values, p.m);
  return p;
}

std::vector<Eigen::MatrixXd> binding_blocks(const BindingParams& p) {
  std::vector<Eigen::MatrixXd> blocks(static_cast<std::size_t>(p.d));
  const Eigen::VectorXd sd = p.gamma_tilde.array().sqrt();
  for (int i = 0; i < p.d; ++i) {
    auto& b = blocks[static_cast<std::size_t>(i)];
    if (i < p.k) {
      const double k2 = p.kappa(i) * p.kappa(i);
      b = Eigen::MatrixXd::Constant(p.m, p.m, k2);
      b.diagonal() += p.gamma;
    } else {
      b = sd.asDiagonal() * p.nu * sd.asDiagonal();
    }
  }
  return blocks;
}

Eigen::MatrixXd binding_joint_covariance(const BindingParams& p) {
  const auto blocks = binding_blocks(p);
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(p.m * p.d, p.m * p.d);
  for (int i = 0; i < p.d; ++i)
    for (int a = 0; a < p.m; ++a)
      for (int b = 0; b < p.m; ++b)
        s(a * p.d + i, b * p.d + i) = blocks[static_cast<std::size_t>(i)](a, b);
  return s;
}

const char* binding_method_name(BindingMethod m) {
  switch (m) {
    case BindingMethod::Anchor:
      return "anchor";
    case BindingMethod::Centroid:
      return "centroid";
    case BindingMethod::BestPair:
      return "best_pair";
    case BindingMethod::AllPairs:
      return "all_pairs";
  }
  return "?";
}

namespace {

// The correlation matrix of a covariance block (zero variances give zero correlation).
// Returns false when a block entry or a product sd(a) sd(c) is not a normal number (huge
// kappa or variances): the division is then not exact to rounding.
bool correlation(const Eigen::MatrixXd& b, Eigen::MatrixXd& r) {
  const Eigen::VectorXd sd = b.diagonal().array().sqrt();
  r = b;
  bool exact = true;
  for (Eigen::Index a = 0; a < r.rows(); ++a)
    for (Eigen::Index c = 0; c < r.cols(); ++c) {
      const double scale = sd(a) * sd(c);
      exact = exact && std::isfinite(b(a, c)) && std::isnormal(scale);
      r(a, c) = r(a, c) == 0.0 ? 0.0 : r(a, c) / scale;
    }
  return exact;
}

// The correlations of coordinate i from the parameters, for any finite input: the
// two-view signal correlation on signal coordinates, nu on nuisance ones.
Eigen::MatrixXd scaled_correlation(const BindingParams& p, int i) {
  Eigen::MatrixXd r(p.m, p.m);
  for (int a = 0; a < p.m; ++a)
    for (int c = 0; c < p.m; ++c)
      r(a, c) = a == c    ? 1.0
                : i < p.k ? signal_correlation(p.kappa(i), p.gamma(a), p.gamma(c))
                          : p.nu(a, c);
  return r;
}

}  // namespace

BindingTheory binding_theory(const BindingParams& p) {
  BindingTheory t;
  const int m = p.m, k = p.k, q = p.d - p.k;
  const auto blocks = binding_blocks(p);
  std::vector<Eigen::MatrixXd> r(blocks.size());
  for (int i = 0; i < p.d; ++i)
    if (!correlation(blocks[static_cast<std::size_t>(i)], r[static_cast<std::size_t>(i)]))
      r[static_cast<std::size_t>(i)] = scaled_correlation(p, i);

  // Two-view separations of every pair.
  t.delta_pair = Eigen::MatrixXd::Constant(m, m, std::numeric_limits<double>::infinity());
  Eigen::VectorXd sig(k), nui(q);
  for (int a = 0; a < m; ++a)
    for (int b = 0; b < m; ++b) {
      if (a == b) continue;
      for (int i = 0; i < k; ++i) sig(i) = r[static_cast<std::size_t>(i)](a, b);
      for (int j = 0; j < q; ++j) nui(j) = std::abs(r[static_cast<std::size_t>(k + j)](a, b));
      t.delta_pair(a, b) = separation_ratio(sig, nui);
    }

  // Modality c bound to every other at once (summed whitened cross-covariance products).
  auto summed = [&](int c) {
    Eigen::VectorXd s2 = Eigen::VectorXd::Zero(k), n2 = Eigen::VectorXd::Zero(q);
    for (int b = 0; b < m; ++b) {
      if (b == c) continue;
      for (int i = 0; i < k; ++i) s2(i) += std::pow(r[static_cast<std::size_t>(i)](c, b), 2);
      for (int j = 0; j < q; ++j) n2(j) += std::pow(r[static_cast<std::size_t>(k + j)](c, b), 2);
    }
    return separation_ratio(s2.cwiseSqrt(), n2.cwiseSqrt());
  };
  t.delta_all_pairs.resize(m);
  for (int c = 0; c < m; ++c) t.delta_all_pairs(c) = summed(c);

  // Fixed anchor: pairs with the anchor; the anchor itself bound to all others.
  t.delta_anchor.resize(m);
  for (int c = 0; c < m; ++c) t.delta_anchor(c) = t.delta_pair(c, p.anchor);
  t.delta_anchor(p.anchor) = t.delta_all_pairs(p.anchor);

  // Centroid (MAXVAR): Perron roots of the correlation blocks.
  for (int i = 0; i < k; ++i)
    sig(i) = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(r[static_cast<std::size_t>(i)],
                                                            Eigen::EigenvaluesOnly)
                 .eigenvalues()(m - 1);
  for (int j = 0; j < q; ++j)
    nui(j) = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(r[static_cast<std::size_t>(k + j)],
                                                            Eigen::EigenvaluesOnly)
                 .eigenvalues()(m - 1);
  t.delta_centroid = separation_ratio(sig, nui);

  // Best pair (oracle).
  t.delta_best_pair = -1;
  for (int a = 0; a < m; ++a)
    for (int b = a + 1; b < m; ++b)
      if (t.delta_pair(a, b) > t.delta_best_pair) {
        t.delta_best_pair = t.delta_pair(a, b);
        t.best_a = a;
        t.best_b = b;
      }

  const double nan = std::numeric_limits<double>::quiet_NaN();
  t.delta[0] = t.delta_anchor;
  t.delta[1] = Eigen::VectorXd::Constant(m, t.delta_centroid);
  t.delta[2] = Eigen::VectorXd::Constant(m, nan);
  t.delta[2](t.best_a) = t.delta[2](t.best_b) = t.delta_best_pair;
  t.delta[3] = t.delta_all_pairs;

  std::array<std::vector<bool>, kBindingMethods> rec;
  for (int meth = 0; meth < kBindingMethods; ++meth) {
    rec[static_cast<std::size_t>(meth)].assign(static_cast<std::size_t>(m), false);
    for (int c = 0; c < m; ++c)
      if (t.delta[static_cast<std::size_t>(meth)](c) > 1.0)
        rec[static_cast<std::size_t>(meth)][static_cast<std::size_t>(c)] = true;
  }
  t.winner = binding_winner(rec);
  return t;
}

int binding_winner(const std::array<std::vector<bool>, kBindingMethods>& recovers) {
  int best = kNoWinner;
  long best_count = 0;
  for (int meth : {1, 0, 2, 3}) {  // tie order: centroid, anchor, best pair, all pairs
    const auto& r = recovers[static_cast<std::size_t>(meth)];
    const long count = std::count(r.begin(), r.end(), true);
    if (count > best_count) {
      best = meth;
      best_count = count;
    }
  }
  return best;
}

void BindingFit::fit(const Eigen::MatrixXd& s, int modalities, int k) {
  m_ = modalities;
  d_ = static_cast<int>(s.rows()) / modalities;
  k_ = k;
  s_ = s;
  white_.resize(static_cast<std::size_t>(m_));
  for (int a = 0; a < m_; ++a) {
    block_ = s_.block(a * d_, a * d_, d_, d_);
    white_[static_cast<std::size_t>(a)].compute(block_);
  }
}

// The products are evaluated one at a time into the fit's buffers, in the order (and so
// with the rounding) of the nested expressions Eigen would evaluate into temporaries.
void BindingFit::cross(int a, int b) {
  whitened_.noalias() =
      white_[static_cast<std::size_t>(a)].matrix() * s_.block(a * d_, b * d_, d_, d_);
  cross_.noalias() = whitened_ * white_[static_cast<std::size_t>(b)].matrix().transpose();
}

void BindingFit::pair_encoder(int a, int b, Eigen::MatrixXd& out) {
  cross(a, b);
  product_.noalias() = cross_ * cross_.transpose();
  eig_.compute(product_, k_);
  out.noalias() = white_[static_cast<std::size_t>(a)].matrix().transpose() * eig_.vectors();
}

void BindingFit::summed_encoder(int a, Eigen::MatrixXd& out) {
  product_.setZero(d_, d_);
  for (int c = 0; c < m_; ++c) {
    if (c == a) continue;
    cross(a, c);
    product_.noalias() += cross_ * cross_.transpose();
  }
  eig_.compute(product_, k_);
  out.noalias() = white_[static_cast<std::size_t>(a)].matrix().transpose() * eig_.vectors();
}

void BindingFit::anchor_encoders(int anchor, std::vector<Eigen::MatrixXd>& out) {
  out.resize(static_cast<std::size_t>(m_));
  for (int c = 0; c < m_; ++c) {
    if (c == anchor)
      summed_encoder(c, out[static_cast<std::size_t>(c)]);
    else
      pair_encoder(c, anchor, out[static_cast<std::size_t>(c)]);
  }
}

void BindingFit::all_pairs_encoders(std::vector<Eigen::MatrixXd>& out) {
  out.resize(static_cast<std::size_t>(m_));
  for (int c = 0; c < m_; ++c) summed_encoder(c, out[static_cast<std::size_t>(c)]);
}

void BindingFit::centroid_encoders(std::vector<Eigen::MatrixXd>& out) {
  const int p = m_ * d_;
  joint_.resize(p, p);
  for (int a = 0; a < m_; ++a) {
    cross(a, a);
    joint_.block(a * d_, a * d_, d_, d_) = cross_;
    for (int b = a + 1; b < m_; ++b) {
      cross(a, b);
      joint_.block(a * d_, b * d_, d_, d_) = cross_;
      joint_.block(b * d_, a * d_, d_, d_) = joint_.block(a * d_, b * d_, d_, d_).transpose();
    }
  }
  centroid_eig_.compute(joint_, k_);
  out.resize(static_cast<std::size_t>(m_));
  for (int a = 0; a < m_; ++a)
    out[static_cast<std::size_t>(a)].noalias() =
        white_[static_cast<std::size_t>(a)].matrix().transpose() *
        centroid_eig_.vectors().middleRows(a * d_, d_);
}

Eigen::MatrixXd BindingFit::pair_encoder(int a, int b) {
  Eigen::MatrixXd out;
  pair_encoder(a, b, out);
  return out;
}

std::vector<Eigen::MatrixXd> BindingFit::anchor_encoders(int anchor) {
  std::vector<Eigen::MatrixXd> out;
  anchor_encoders(anchor, out);
  return out;
}

std::vector<Eigen::MatrixXd> BindingFit::all_pairs_encoders() {
  std::vector<Eigen::MatrixXd> out;
  all_pairs_encoders(out);
  return out;
}

std::vector<Eigen::MatrixXd> BindingFit::centroid_encoders() {
  std::vector<Eigen::MatrixXd> out;
  centroid_encoders(out);
  return out;
}

}  // namespace phasecube
