#include "phasecube/model.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "phasecube/infonce.hpp"

namespace phasecube {

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest text that reads back to the same double: "10", "0.1", "1e-06".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string format_list(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_number(v[i]);
  return s;
}

ParamValues default_param_values() {
  ParamValues v;
  for (const auto& spec : kModelParams)
    if (!spec.optional) v[std::string(spec.name)] = {spec.default_value};
  return v;
}

double sqrt_product(double a, double b) {
  const double ab = a * b;
  if (std::isnormal(ab) || a == 0.0 || b == 0.0) return std::sqrt(ab);
  return std::sqrt(a) * std::sqrt(b);  // a b overflowed or underflowed
}

Eigen::VectorXd CellParams::eta() const {
  Eigen::VectorXd e(gamma_tilde_x.size());
  for (Eigen::Index j = 0; j < e.size(); ++j)
    e(j) = nu * sqrt_product(gamma_tilde_x(j), gamma_tilde_y(j));
  return e;
}

std::string integer_problem(double x, long long lo, long long hi) {
  if (!std::isfinite(x) || x != std::floor(x)) return "must be an integer";
  if (x < static_cast<double>(lo)) return "must be >= " + std::to_string(lo);
  if (x > static_cast<double>(hi)) return "must be <= " + std::to_string(hi);
  return "";
}

namespace {

const std::vector<double>& get(const ParamValues& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty()) throw ParamError(key, "", "missing value");
  return it->second;
}

int integer_param(const ParamValues& values, const std::string& key, int min_value) {
  const auto& v = get(values, key);
  if (v.size() != 1) throw ParamError(key, format_list(v), "takes a single integer");
  const std::string why = integer_problem(v[0], min_value, kMaxModelInteger);
  if (!why.empty()) throw ParamError(key, format_number(v[0]), why);
  return static_cast<int>(v[0]);
}

double scalar_param(const ParamValues& values, const std::string& key) {
  const auto& v = get(values, key);
  if (v.size() != 1) throw ParamError(key, format_list(v), "takes a single value");
  if (!std::isfinite(v[0])) throw ParamError(key, format_number(v[0]), "must be finite");
  return v[0];
}

// One value broadcast to `count` coordinates, or exactly `count` values.
Eigen::VectorXd coordinate_param(const ParamValues& values, const std::string& key, int count,
                                 const char* what) {
  const auto& v = get(values, key);
  if (v.size() != 1 && v.size() != static_cast<std::size_t>(count))
    throw ParamError(key, format_list(v),
                     "needs 1 value or " + std::to_string(count) + " (" + what + ") values, got " +
                         std::to_string(v.size()));
  Eigen::VectorXd out(count);
  for (int i = 0; i < count; ++i) {
    const double x = v.size() == 1 ? v[0] : v[static_cast<std::size_t>(i)];
    if (!std::isfinite(x)) throw ParamError(key, format_list(v), "must be finite");
    out(i) = x;
  }
  return out;
}

// keys[i]: the key coordinate i's value came from (the plain name or "name[i]").
void require_nonnegative(const Eigen::VectorXd& x, const std::vector<std::string>& keys,
                         const char* what) {
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (x(i) < 0)
      throw ParamError(keys[static_cast<std::size_t>(i)], format_number(x(i)),
                       std::string(what) + " must be >= 0");
}

// A Signal/Nuisance parameter: the plain value(s), then the indexed entries; keys[i] says
// where coordinate i came from.
Eigen::VectorXd coordinates(const ParamValues& values, const std::string& key, int count,
                            IndexCount what, std::vector<std::string>& keys) {
  Eigen::VectorXd out = coordinate_param(
      values, key, count,
      what == IndexCount::SignalCoordinate ? "k signal coordinates" : "d-k nuisance coordinates");
  keys.assign(static_cast<std::size_t>(count), key);
  apply_indexed(values, key, what, out, keys);
  return out;
}

struct IndexWords {
  const char* noun;    // "signal coordinate"
  const char* plural;  // "signal coordinates"
  const char* bound;   // "k"
  const char* last;    // "k-1"
};
IndexWords index_words(IndexCount what) {
  switch (what) {
    case IndexCount::SignalCoordinate:
      return {"signal coordinate", "signal coordinates", "k", "k-1"};
    case IndexCount::NuisanceCoordinate:
      return {"nuisance coordinate", "nuisance coordinates", "d - k", "d-k-1"};
    case IndexCount::Modality:
      return {"modality", "modalities", "M", "M-1"};
    case IndexCount::None:
      break;
  }
  return {"entry", "entries", "the count", "count-1"};
}

}  // namespace

IndexedName parse_indexed_name(std::string_view name) {
  const auto open = name.find('[');
  if (open == std::string_view::npos) return {std::string(name), -1};
  if (open == 0 || name.back() != ']' || open + 2 > name.size() - 1) return {"", -1};
  const std::string_view digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.size() > 1 && digits[0] == '0') return {"", -1};  // "kappa[02]" would alias kappa[2]
  int index = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size() || index < 0) return {"", -1};
  return {std::string(name.substr(0, open)), index};
}

IndexCount index_count(ParamShape shape) {
  if (shape == ParamShape::Signal) return IndexCount::SignalCoordinate;
  if (shape == ParamShape::Nuisance) return IndexCount::NuisanceCoordinate;
  return IndexCount::None;
}

std::string indexed_doc(std::string_view doc, IndexCount what, int index) {
  if (index < 0) return std::string(doc);
  return std::string(doc.substr(0, doc.find(';'))) + " (" + index_words(what).noun + " " +
         std::to_string(index) + " only)";
}

void apply_indexed(const ParamValues& values, const std::string& key, IndexCount what,
                   Eigen::VectorXd& out, std::vector<std::string>& keys) {
  // Indexed names of `key` sort right after "key[" in the map.
  for (auto it = values.lower_bound(key + "["); it != values.end(); ++it) {
    const auto& [name, value] = *it;
    if (!name.starts_with(key + "[")) break;
    const IndexedName in = parse_indexed_name(name);
    if (in.index < 0 || in.base != key) continue;
    if (value.size() != 1) throw ParamError(name, format_list(value), "takes a single value");
    if (!std::isfinite(value[0])) throw ParamError(name, format_list(value), "must be finite");
    const IndexWords w = index_words(what);
    if (in.index >= out.size())
      throw ParamError(name, format_number(value[0]),
                       std::string("addresses ") + w.noun + " " + std::to_string(in.index) +
                           " but " + w.bound + " = " + std::to_string(out.size()) + " (" +
                           w.plural + " are 0 .. " + w.last + ")");
    out(in.index) = value[0];
    keys[static_cast<std::size_t>(in.index)] = name;
  }
}

bool has_indexed(const ParamValues& values, const std::string& key) {
  const auto it = values.lower_bound(key + "[");
  return it != values.end() && it->first.starts_with(key + "[");
}

double optional_default(std::string_view name) {
  for (const auto& spec : kModelParams)
    if (spec.name == name) return spec.default_value;
  throw std::logic_error("optional_default: no parameter " + std::string(name));
}

namespace {

// An optional parameter's one value, or its default when absent.
double optional_scalar(const ParamValues& values, const std::string& key) {
  return values.contains(key) ? scalar_param(values, key) : optional_default(key);
}
int optional_integer(const ParamValues& values, const std::string& key, int min_value) {
  return values.contains(key) ? integer_param(values, key, min_value)
                              : static_cast<int>(optional_default(key));
}

InfoNceParams infonce_params(const ParamValues& values) {
  InfoNceParams q;
  q.tau = optional_scalar(values, "infonce_tau");
  if (!(q.tau > 0)) throw ParamError("infonce_tau", format_number(q.tau), "must be > 0");
  q.batch = optional_integer(values, "infonce_batch", 2);
  if (q.batch > kInfoNceMaxBatch)  // its B x B similarities live in memory
    throw ParamError("infonce_batch", std::to_string(q.batch),
                     "must be <= " + std::to_string(kInfoNceMaxBatch));
  q.lr = optional_scalar(values, "infonce_lr");
  if (!(q.lr > 0)) throw ParamError("infonce_lr", format_number(q.lr), "must be > 0");
  q.max_steps = optional_integer(values, "infonce_max_steps", 1);
  q.patience = optional_integer(values, "infonce_patience", 1);
  q.tol = optional_scalar(values, "infonce_tol");
  if (q.tol < 0) throw ParamError("infonce_tol", format_number(q.tol), "must be >= 0");
  return q;
}

}  // namespace

CellParams make_cell(const ParamValues& values) {
  CellParams p;
  p.d = integer_param(values, "d", 2);
  p.k = integer_param(values, "k", 1);
  if (p.k >= p.d)
    throw ParamError(
        "k", std::to_string(p.k),
        "must be < d = " + std::to_string(p.d) + " (at least one nuisance coordinate)");
  p.n = integer_param(values, "n", 1);
  const int nk = p.d - p.k;

  std::vector<std::string> keys;
  p.kappa = coordinate_param(values, "kappa", p.k, "k signal coordinates");
  keys.assign(static_cast<std::size_t>(p.k), "kappa");
  require_nonnegative(p.kappa, keys, "signal strength");
  const double decay = scalar_param(values, "kappa_decay");
  if (decay < 0) throw ParamError("kappa_decay", format_number(decay), "must be >= 0");
  if (decay != 1.0) {
    if (get(values, "kappa").size() != 1)
      throw ParamError("kappa_decay", format_number(decay),
                       "must be 1 when kappa is given as a list of k values");
    for (int i = 1; i < p.k; ++i) p.kappa(i) = p.kappa(i - 1) * decay;
  }
  apply_indexed(values, "kappa", IndexCount::SignalCoordinate, p.kappa, keys);  // after decay
  require_nonnegative(p.kappa, keys, "signal strength");
  std::array<std::vector<std::string>, 4> from;  // where each variance came from
  p.gamma_x = coordinates(values, "gamma_x", p.k, IndexCount::SignalCoordinate, from[0]);
  p.gamma_y = coordinates(values, "gamma_y", p.k, IndexCount::SignalCoordinate, from[1]);
  p.gamma_tilde_x =
      coordinates(values, "gamma_tilde_x", nk, IndexCount::NuisanceCoordinate, from[2]);
  p.gamma_tilde_y =
      coordinates(values, "gamma_tilde_y", nk, IndexCount::NuisanceCoordinate, from[3]);
  require_nonnegative(p.gamma_x, from[0], "variance");
  require_nonnegative(p.gamma_y, from[1], "variance");
  require_nonnegative(p.gamma_tilde_x, from[2], "variance");
  require_nonnegative(p.gamma_tilde_y, from[3], "variance");
  if (values.contains("eta")) {
    // eta fixed, nu derived (capped at 1, full correlation). One nu needs one nuisance
    // variance per view.
    const double eta = scalar_param(values, "eta");
    if (eta < 0) throw ParamError("eta", format_number(eta), "must be >= 0");
    if (get(values, "gamma_tilde_x").size() != 1 || get(values, "gamma_tilde_y").size() != 1 ||
        has_indexed(values, "gamma_tilde_x") || has_indexed(values, "gamma_tilde_y"))
      throw ParamError("eta", format_number(eta),
                       "needs single values of gamma_tilde_x and gamma_tilde_y (one nu)");
    const double scale = sqrt_product(p.gamma_tilde_x(0), p.gamma_tilde_y(0));
    if (eta > 0 && !(scale > 0))
      throw ParamError("eta", format_number(eta), "> 0 needs positive nuisance variances");
    p.nu = eta == 0 ? 0.0 : std::min(1.0, eta / scale);
  } else {
    p.nu = scalar_param(values, "nu");
  }
  if (p.nu < 0 || p.nu > 1) throw ParamError("nu", format_number(p.nu), "must be in [0, 1]");
  p.lambda = scalar_param(values, "lambda");
  if (p.lambda < 0) throw ParamError("lambda", format_number(p.lambda), "must be >= 0");
  p.infonce = infonce_params(values);
  return p;
}

std::vector<Eigen::MatrixXd> coordinate_blocks(const CellParams& p) {
  std::vector<Eigen::MatrixXd> blocks(static_cast<std::size_t>(p.d), Eigen::MatrixXd(2, 2));
  const Eigen::VectorXd eta = p.eta();
  for (int i = 0; i < p.d; ++i) {
    auto& b = blocks[static_cast<std::size_t>(i)];
    if (i < p.k) {
      const double k2 = p.kappa(i) * p.kappa(i);
      b << k2 + p.gamma_x(i), k2, k2, k2 + p.gamma_y(i);
    } else {
      const int j = i - p.k;
      b << p.gamma_tilde_x(j), eta(j), eta(j), p.gamma_tilde_y(j);
    }
  }
  return blocks;
}

PopulationCovariance population_covariance(const CellParams& p) {
  PopulationCovariance c{Eigen::VectorXd(p.d), Eigen::VectorXd(p.d), Eigen::VectorXd(p.d)};
  const auto blocks = coordinate_blocks(p);
  for (int i = 0; i < p.d; ++i) {
    const auto& b = blocks[static_cast<std::size_t>(i)];
    c.sxx(i) = b(0, 0);
    c.syy(i) = b(1, 1);
    c.sxy(i) = b(0, 1);
  }
  return c;
}

}  // namespace phasecube
