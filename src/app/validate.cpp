#include "app/validate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>
#include <tuple>
#include <utility>

#include "app/inspect.hpp"
#include "io/cube.hpp"
#include "phasecube/estimators.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/theory.hpp"
#include "support/json_out.hpp"
#include "support/text.hpp"
#include "sweep/cell.hpp"
#include "sweep/grid.hpp"

namespace phasecube {

const char* cause_name(Cause c) {
  switch (c) {
    case Cause::NearBoundary:
      return "near boundary";
    case Cause::FiniteSample:
      return "finite-sample gap";
    case Cause::Unexplained:
      return "unexplained";
  }
  return "?";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean top singular value of C^ (CA) and of A^ (CP) when x and y have the cell's variances
// but no cross-modal covariance at all: the largest value sampling noise alone produces.
class NullFloors {
 public:
  NullFloors(const ValidateOptions& o) : options_(o) {}

  std::pair<double, double> operator()(const CellParams& p) {
    std::vector<Eigen::MatrixXd> blocks = coordinate_blocks(p);
    std::vector<double> key{static_cast<double>(p.n)};
    for (auto& b : blocks) {
      b(0, 1) = b(1, 0) = 0.0;  // no cross-modal covariance
      key.push_back(b(0, 0));
      key.push_back(b(1, 1));
    }
    key.push_back(p.k);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    CovarianceSampler sampler(blocks, p.n, resolve_sampler(SamplerKind::Auto, p));
    CrossModalFit fit;
    Eigen::MatrixXd s;
    double ca = 0, cp = 0;
    const auto stream_id = static_cast<std::uint64_t>(cache_.size());  // order of first use
    for (long t = 0; t < options_.null_trials; ++t) {
      Stream rng(options_.null_seed, stream_id, static_cast<std::uint64_t>(t));
      sampler.draw(rng, s);
      fit.fit_joint_covariance(s, p.k);
      ca += fit.ca().values(0);
      cp += fit.cp().values(0);
    }
    const auto floors = std::make_pair(ca / static_cast<double>(options_.null_trials),
                                       cp / static_cast<double>(options_.null_trials));
    cache_.emplace(std::move(key), floors);
    return floors;
  }

 private:
  const ValidateOptions& options_;
  std::map<std::vector<double>, std::pair<double, double>> cache_;
};

double gap(const Eigen::VectorXd& signal, const Eigen::VectorXd& nuisance) {
  const double s = signal.size() ? signal.minCoeff() : 0.0;
  const double q = nuisance.size() ? nuisance.maxCoeff() : 0.0;
  return std::fabs(s - q);
}

// Where f crosses `level` between x0 and x1 (linear interpolation; midpoint if not finite).
double interpolate(double x0, double x1, double f0, double f1, double level) {
  if (!std::isfinite(f0) || !std::isfinite(f1) || f0 == f1) return 0.5 * (x0 + x1);
  return x0 + (level - f0) / (f1 - f0) * (x1 - x0);
}

double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// One method's columns of the cube: closed-form Delta and simulated recovery rate per cell.
struct MethodColumns {
  const char* name;
  const std::vector<double>& delta;
  const std::vector<double>& rate;
};

// A grid line: the m cells along one axis from `start` (coordinate 0 on that axis), `stride`
// apart in the row-major cell order.
struct GridLine {
  std::size_t start, stride, m;
  std::size_t cell(std::size_t i) const { return start + i * stride; }
};

// Where the recovery rate crosses 0.5 between neighbouring cells of the line (interpolated).
std::vector<double> empirical_crossings(const GridLine& line, const std::vector<double>& values,
                                        const std::vector<double>& rate) {
  std::vector<double> empirical;
  for (std::size_t i = 0; i + 1 < line.m; ++i) {
    const double r0 = rate[line.cell(i)], r1 = rate[line.cell(i + 1)];
    if ((r0 >= 0.5) != (r1 >= 0.5))
      empirical.push_back(interpolate(values[i], values[i + 1], r0, r1, 0.5));
  }
  return empirical;
}

// Where the closed-form Delta crosses 1 between neighbouring cells of the line; log Delta is
// close to linear across the boundary.
std::vector<double> theory_crossings(const GridLine& line, const std::vector<double>& values,
                                     const std::vector<double>& delta) {
  std::vector<double> theory;
  for (std::size_t i = 0; i + 1 < line.m; ++i) {
    const double d0 = delta[line.cell(i)], d1 = delta[line.cell(i + 1)];
    if ((d0 > 1) != (d1 > 1))
      theory.push_back(interpolate(values[i], values[i + 1], std::log(d0), std::log(d1), 0.0));
  }
  return theory;
}

// The element of `candidates` nearest to x (NaN when there is none).
double nearest(const std::vector<double>& candidates, double x) {
  double best = kNaN;
  for (double c : candidates)
    if (std::isnan(best) || std::fabs(c - x) < std::fabs(best - x)) best = c;
  return best;
}

// Every closed-form boundary (Delta = 1) the line crosses, with the empirical crossing
// nearest to it (NaN when the simulation shows none).
void walk_line(const GridLine& line, const Axis& axis, const MethodColumns& method,
               const std::vector<double>& at, std::vector<BoundaryCrossing>& out) {
  const std::vector<double> empirical = empirical_crossings(line, axis.values, method.rate);
  for (double theory : theory_crossings(line, axis.values, method.delta))
    out.push_back({method.name, axis.name, at, theory, nearest(empirical, theory)});
}

// A method without a closed form: every crossing of its recovery rate along the line, with
// CA's nearest closed-form and empirical crossings on the same line.
void walk_empirical_line(const GridLine& line, const Axis& axis, const std::string& method,
                         const std::vector<double>& rate, const MethodColumns& ca,
                         const std::vector<double>& at, std::vector<EmpiricalCrossing>& out) {
  const std::vector<double> ca_theory = theory_crossings(line, axis.values, ca.delta);
  const std::vector<double> ca_empirical = empirical_crossings(line, axis.values, ca.rate);
  for (double e : empirical_crossings(line, axis.values, rate))
    out.push_back({method, axis.name, at, e, nearest(ca_theory, e), nearest(ca_empirical, e)});
}

// The cube's methods that score a subspace (a recovery rate) but have no closed form.
std::vector<std::string> empirical_only_methods(const CubeContents& cube) {
  std::vector<std::string> out;
  for (const std::string& m : cube.methods)
    if (cube.variables.contains(m + "_recovery_rate") &&
        !cube.variables.contains("theory_delta_" + m))
      out.push_back(m);
  return out;
}

// The summary of (method, axis), made on first use: the order of first use is the report's.
EmpiricalBoundarySummary& empirical_summary(ValidationReport& r, const std::string& method,
                                            const std::string& axis) {
  for (auto& s : r.empirical_summaries)
    if (s.method == method && s.axis == axis) return s;
  r.empirical_summaries.push_back({.method = method, .axis = axis});
  return r.empirical_summaries.back();
}

// Every grid line along every axis of at least 3 values (two values are panels, e.g.
// gamma_tilde_y = 5, 0.05, not a line to interpolate along) whose cells are all done.
void find_crossings(const Grid& grid, const CubeContents& cube, ValidationReport& r) {
  const auto& axes = grid.axes();
  const std::vector<std::size_t> shape = grid.shape();
  const auto& done = cube.variables.at("done");
  // CA and CP always (validate needs them), then every other method with a closed form the
  // cube has (pls).
  std::vector<MethodColumns> methods = {
      {"ca", cube.variables.at("theory_delta_ca"), cube.variables.at("ca_recovery_rate")},
      {"cp", cube.variables.at("theory_delta_cp"), cube.variables.at("cp_recovery_rate")}};
  if (cube.variables.contains("theory_delta_pls") && cube.variables.contains("pls_recovery_rate"))
    methods.push_back(
        {"pls", cube.variables.at("theory_delta_pls"), cube.variables.at("pls_recovery_rate")});
  const std::vector<std::string> empirical_only = empirical_only_methods(cube);
  std::vector<std::size_t> stride(shape.size(), 1);  // row-major
  for (std::size_t a = shape.size(); a-- > 1;) stride[a - 1] = stride[a] * shape[a];
  for (std::size_t a = 0; a < axes.size(); ++a) {
    if (shape[a] < 3) continue;
    for (std::size_t start = 0; start < grid.cell_count(); ++start) {
      const auto coords = grid.coordinates(start);
      if (coords[a] != 0) continue;
      const GridLine line{start, stride[a], shape[a]};
      bool complete = true;
      for (std::size_t i = 0; i < line.m; ++i) complete = complete && done[line.cell(i)] == 1;
      if (!complete) continue;
      std::vector<double> at;
      for (std::size_t b = 0; b < axes.size(); ++b)
        at.push_back(b == a ? kNaN : axes[b].values[coords[b]]);
      for (const MethodColumns& method : methods) walk_line(line, axes[a], method, at, r.crossings);
      for (const std::string& m : empirical_only) {
        ++empirical_summary(r, m, axes[a].name).lines;
        walk_empirical_line(line, axes[a], m, cube.variables.at(m + "_recovery_rate"), methods[0],
                            at, r.empirical_crossings);
      }
    }
  }
}

// Summed as x / size in order, as the report always has: its figures stay bitwise the same.
double mean(const std::vector<double>& d) {
  double m = 0;
  for (double x : d) m += x / static_cast<double>(d.size());
  return m;
}

double mean_or_nan(const std::vector<double>& d) {
  return d.empty() ? kNaN : mean(d);
}

std::vector<double> abs_of(std::vector<double> d) {
  for (double& x : d) x = std::fabs(x);
  return d;
}

// Distances between empirical and closed-form crossings, per (method, axis).
void summarise_crossings(ValidationReport& r) {
  std::map<std::pair<std::string, std::string>, std::vector<double>> signed_by;
  std::map<std::pair<std::string, std::string>, std::size_t> count_by;
  for (const auto& c : r.crossings) {
    ++count_by[{c.method, c.axis}];
    if (!std::isnan(c.empirical)) signed_by[{c.method, c.axis}].push_back(c.empirical - c.theory);
  }
  for (const auto& [key, count] : count_by) {
    MethodBoundarySummary s;
    s.method = key.first;
    s.axis = key.second;
    s.crossings = count;
    const auto& d = signed_by[key];
    s.matched = d.size();
    const std::vector<double> abs_d = abs_of(d);
    s.mean_signed_distance = mean_or_nan(d);
    s.mean_abs_distance = mean_or_nan(abs_d);
    s.median_abs_distance = median(abs_d);
    s.max_abs_distance = abs_d.empty() ? kNaN : *std::max_element(abs_d.begin(), abs_d.end());
    r.summaries.push_back(s);
  }
}

// Distances from each empirical-only crossing to CA's crossings on the same line.
void summarise_empirical_crossings(ValidationReport& r) {
  for (EmpiricalBoundarySummary& s : r.empirical_summaries) {
    std::vector<double> to_theory, to_empirical;
    for (const auto& c : r.empirical_crossings) {
      if (c.method != s.method || c.axis != s.axis) continue;
      ++s.crossings;
      if (!std::isnan(c.ca_theory)) to_theory.push_back(c.empirical - c.ca_theory);
      if (!std::isnan(c.ca_empirical)) to_empirical.push_back(c.empirical - c.ca_empirical);
    }
    s.with_ca_theory = to_theory.size();
    s.with_ca_empirical = to_empirical.size();
    s.mean_signed_to_ca_theory = mean_or_nan(to_theory);
    s.mean_abs_to_ca_theory = mean_or_nan(abs_of(to_theory));
    s.mean_signed_to_ca_empirical = mean_or_nan(to_empirical);
    s.mean_abs_to_ca_empirical = mean_or_nan(abs_of(to_empirical));
  }
}

// When n is an axis: the mean |empirical - theory| per (n, method) over the crossings along
// the other axes (how the finite-sample shift shrinks with n).
void summarise_by_n(const std::vector<Axis>& axes, ValidationReport& r) {
  std::size_t n_axis = axes.size();
  for (std::size_t b = 0; b < axes.size(); ++b)
    if (axes[b].name == "n") n_axis = b;
  if (n_axis == axes.size()) return;
  std::map<std::pair<double, std::string>, std::vector<double>> by_n;
  for (const auto& c : r.crossings)
    if (!std::isnan(c.empirical) && c.axis != "n")
      by_n[{c.at[n_axis], c.method}].push_back(std::fabs(c.empirical - c.theory));
  for (const auto& [key, d] : by_n) r.by_n.push_back({key.first, key.second, d.size(), mean(d)});
}

}  // namespace

namespace {
void finish_diagnose(ValidationReport& r) {
  for (std::size_t i = 0; i < 3; ++i) {
    const double n = static_cast<double>(r.diag_cells[i]);
    for (auto* sums : {&r.diag_accuracy_empirical, &r.diag_accuracy_theory,
                       &r.diag_majority_empirical, &r.diag_majority_theory})
      (*sums)[i] = n > 0 ? (*sums)[i] / n : 0.0;
  }
  for (auto& b : r.diag_calibration) {
    const double n = static_cast<double>(b.cells);
    for (double* sum : {&b.support, &b.accuracy_empirical, &b.accuracy_theory})
      *sum = n > 0 ? *sum / n : 0.0;
  }
}
}  // namespace

namespace {

// The grid of the cube's stored config, after checking that it is a simulated cube whose
// axes are the config's.
Grid stored_grid(const CubeContents& cube, const std::string& path) {
  const auto text = cube.string_attributes.find("config");
  if (text == cube.string_attributes.end())
    throw InputError(path + ": not a phasecube cube (no stored config)");
  const Config config = config_from_text(text->second, path + " (stored config)");
  Grid grid(config);
  if (const std::string diff = axes_mismatch(cube.axes, grid.axes()); !diff.empty())
    throw InputError(path + ": the stored config does not match the cube's axes: " + diff);
  // The reader guarantees a simulated regime 0..3 in every done cell of a simulated cube.
  const auto& empirical = cube.variables.at("empirical_regime");
  if (cube.number_attributes.at("theory_only").at(0) == 1 ||
      std::all_of(empirical.begin(), empirical.end(), [](double e) { return e < 0; }))
    throw InputError(path + ": no Monte Carlo results to validate (a theory-only or empty cube)");
  return grid;
}

// Where the cell stands against the closed form and the null floors.
struct CellCheck {
  Theory t;
  int theory_regime = 0, empirical_regime = 0;
  bool near = false, clear = false;
  double gap_ca = 0, gap_cp = 0, floor_ca = 0, floor_cp = 0;
};

// With replicates (a finite diag_support_mean): the majority verdicts' sums over the cell
// sets `in`, and the cell in its support bin (bins of 0.1 from 0.5; below 0.5 one bin).
void add_diagnose_calibration(const CubeContents& cube, std::size_t c, const bool (&in)[3],
                              ValidationReport& r) {
  const auto& v = cube.variables;
  const auto sm = v.find("diag_support_mean"), mt = v.find("diag_majority_accuracy_theory"),
             me = v.find("diag_majority_accuracy_empirical");
  if (sm == v.end() || mt == v.end() || me == v.end() || std::isnan(sm->second[c])) return;
  if (r.diag_calibration.empty())
    r.diag_calibration = {{0, 0.5}, {0.5, 0.6}, {0.6, 0.7}, {0.7, 0.8}, {0.8, 0.9}, {0.9, 1}};
  for (std::size_t i = 0; i < 3; ++i)
    if (in[i]) {
      r.diag_majority_empirical[i] += me->second[c];
      r.diag_majority_theory[i] += mt->second[c];
    }
  const double support = sm->second[c];
  auto bin = r.diag_calibration.begin();
  while (bin + 1 != r.diag_calibration.end() && support >= bin->hi) ++bin;
  ++bin->cells;
  bin->support += support;
  bin->accuracy_empirical += cube.variables.at("diag_accuracy_empirical")[c];
  bin->accuracy_theory += cube.variables.at("diag_accuracy_theory")[c];
}

// Sums of the diagnose accuracy over the three cell sets (all, outside the band, clear),
// when the cube has diagnose variables; finish_diagnose makes them means.
// The verdict asks about CP in its better direction, so its band is that of Delta_CA and
// of the larger Delta_CP (x->y or y->x).
void add_diagnose_accuracy(const CubeContents& cube, std::size_t c, const CellCheck& k, double band,
                           ValidationReport& r) {
  const auto& v = cube.variables;
  const auto de = v.find("diag_accuracy_empirical"), dt = v.find("diag_accuracy_theory");
  if (de == v.end() || dt == v.end()) return;
  r.has_diagnose = true;
  const bool near = std::fabs(k.t.delta_ca - 1) <= band ||
                    std::fabs(std::fmax(k.t.delta_cp, k.t.delta_cp_rev) - 1) <= band;
  const bool in[3] = {true, !near, k.clear && !near};
  for (std::size_t i = 0; i < 3; ++i)
    if (in[i]) {
      ++r.diag_cells[i];
      r.diag_accuracy_empirical[i] += de->second[c];
      r.diag_accuracy_theory[i] += dt->second[c];
    }
  add_diagnose_calibration(cube, c, in, r);
}

// A cell whose simulated regime is not the closed form's, and why: near a boundary, a gap
// below twice the null floor (finite sample), or unexplained.
Disagreement disagreement(const Grid& grid, const CubeContents& cube, std::size_t c,
                          const CellCheck& k) {
  Disagreement d;
  d.cell = c;
  const auto coords = grid.coordinates(c);
  for (std::size_t a = 0; a < coords.size(); ++a)
    d.coordinates.push_back(grid.axes()[a].values[coords[a]]);
  d.theory_regime = k.theory_regime;
  d.empirical_regime = k.empirical_regime;
  d.delta_ca = k.t.delta_ca;
  d.delta_cp = k.t.delta_cp;
  d.gap_ca = k.gap_ca;
  d.gap_cp = k.gap_cp;
  d.null_floor_ca = k.floor_ca;
  d.null_floor_cp = k.floor_cp;
  d.ca_recovery_rate = cube.variables.at("ca_recovery_rate")[c];
  d.cp_recovery_rate = cube.variables.at("cp_recovery_rate")[c];
  const int th = k.theory_regime, em = k.empirical_regime;
  const bool ca_differs = (th & 1) != (em & 1), cp_differs = (th & 2) != (em & 2);
  const bool finite =
      (!ca_differs || k.gap_ca < 2 * k.floor_ca) && (!cp_differs || k.gap_cp < 2 * k.floor_cp);
  d.cause = k.near ? Cause::NearBoundary : finite ? Cause::FiniteSample : Cause::Unexplained;
  return d;
}

// One done cell: the confusion table, the clear-cell and diagnose counts, and the cell's
// disagreement if any.
void check_cell(const Grid& grid, const CubeContents& cube, std::size_t c,
                const ValidateOptions& options, NullFloors& floors, ValidationReport& r) {
  ++r.done;
  const CellParams p = grid.cell(c);
  CellCheck k;
  k.t = theory(p);
  k.theory_regime = static_cast<int>(k.t.regime);
  k.empirical_regime = static_cast<int>(cube.variables.at("empirical_regime")[c]);
  const int th = k.theory_regime, em = k.empirical_regime;
  ++r.confusion[static_cast<std::size_t>(th)][static_cast<std::size_t>(em)];
  k.near =
      std::fabs(k.t.delta_ca - 1) <= options.band || std::fabs(k.t.delta_cp - 1) <= options.band;
  k.gap_ca = gap(k.t.rho, k.t.nu);
  k.gap_cp = gap(k.t.tau, k.t.xi);
  std::tie(k.floor_ca, k.floor_cp) = floors(p);
  k.clear = !k.near && k.gap_ca >= 2 * k.floor_ca && k.gap_cp >= 2 * k.floor_cp;
  if (k.clear) ++r.clear_cells;
  add_diagnose_accuracy(cube, c, k, options.band, r);
  if (th == em) {
    ++r.agree;
    if (k.clear) ++r.clear_agree;
    return;
  }
  Disagreement d = disagreement(grid, cube, c, k);
  (d.cause == Cause::NearBoundary   ? r.near_boundary
   : d.cause == Cause::FiniteSample ? r.finite_sample
                                    : r.unexplained)++;
  r.disagreements.push_back(std::move(d));
}

}  // namespace

ValidationReport validate_cube(const std::string& path, const ValidateOptions& options) {
  const CubeContents cube = read_cube(path);
  if (!cube.kind.empty())
    throw InputError(path + " is a " + cube.kind + " cube (schema " + cube.kind +
                     "): validate supports two-modality cubes; use phasecube inspect");
  if (cube.schema.empirical_code().empty())
    throw InputError(path +
                     " was made with methods = " + methods_text<TwoModalityModel>(cube.methods) +
                     ": validate compares CA and CP with their closed forms and needs both");
  const Grid grid = stored_grid(cube, path);
  ValidationReport r;
  r.path = path;
  for (const auto& a : grid.axes()) r.axes.push_back(a.name);
  r.cells = grid.cell_count();
  NullFloors floors(options);
  const auto& done = cube.variables.at("done");
  for (std::size_t c = 0; c < r.cells; ++c)
    if (done[c] == 1) check_cell(grid, cube, c, options, floors, r);
  find_crossings(grid, cube, r);
  summarise_crossings(r);
  summarise_empirical_crossings(r);
  summarise_by_n(grid.axes(), r);
  finish_diagnose(r);
  return r;
}

namespace {
std::string num(double x) {
  return significant_text(x, 4);
}
std::string where(const ValidationReport& r, const std::vector<double>& coords) {
  std::string s;
  for (std::size_t a = 0; a < coords.size(); ++a)
    if (!std::isnan(coords[a])) s += (s.empty() ? "" : ", ") + r.axes[a] + " = " + num(coords[a]);
  return s.empty() ? "(single cell)" : s;
}

// The majority verdicts' accuracy and the support calibration (cells binned by mean support).
void print_diagnose_calibration(const ValidationReport& r, std::ostream& out) {
  const char* sets[] = {"all cells", "outside the band", "clear cells"};
  out << "majority verdict over each trial's replicates:\n";
  for (std::size_t i = 0; i < 3; ++i)
    out << "  " << sets[i] << " (" << r.diag_cells[i] << "): vs simulated "
        << num(100 * r.diag_majority_empirical[i]) << "%, vs closed form "
        << num(100 * r.diag_majority_theory[i]) << "%\n";
  out << "calibration (cells by the mean support of their verdicts; right = share of trials):\n";
  for (const auto& b : r.diag_calibration) {
    if (b.cells == 0) continue;
    // Streamed piece by piece: `"[" + text` trips GCC 12's false -Wrestrict.
    out << "  support ";
    if (b.lo == 0)
      out << "below 0.5";
    else
      out << '[' << num(b.lo) << ", " << num(b.hi) << (b.hi == 1 ? ']' : ')');
    out << ": " << b.cells << " cells, mean support " << num(b.support) << ", right "
        << num(100 * b.accuracy_empirical) << "% vs simulated, " << num(100 * b.accuracy_theory)
        << "% vs closed form\n";
  }
}

// Methods without a closed form: their recovery-rate crossings against CA's on the same lines.
void print_empirical_boundaries(const ValidationReport& r, std::ostream& out) {
  if (r.empirical_summaries.empty()) return;
  out << "\nempirical boundaries without a closed form (recovery rate 0.5 along grid lines, "
         "distance to CA's nearest boundary on the same line)\n";
  char line[240];
  for (const auto& s : r.empirical_summaries) {
    std::snprintf(line, sizeof line,
                  "  %-8s along %-14s %4zu lines, %4zu crossings; to CA closed form (%zu): mean "
                  "signed %s, |.| %s; to CA simulated (%zu): mean signed %s, |.| %s\n",
                  s.method.c_str(), s.axis.c_str(), s.lines, s.crossings, s.with_ca_theory,
                  num(s.mean_signed_to_ca_theory).c_str(), num(s.mean_abs_to_ca_theory).c_str(),
                  s.with_ca_empirical, num(s.mean_signed_to_ca_empirical).c_str(),
                  num(s.mean_abs_to_ca_empirical).c_str());
    out << line;
  }
}
}  // namespace

void print_report(const ValidationReport& r, const ValidateOptions& o, std::ostream& out) {
  out << "validate " << r.path << "\n  done cells    " << r.done << " of " << r.cells
      << "\n  agreement     " << r.agree << " of " << r.done << " ("
      << percent_text(r.agree, r.done) << ")\n\nregimes (rows: theory, columns: simulated)\n";
  char line[160];
  std::snprintf(line, sizeof line, "  %-10s%10s%10s%10s%10s%12s\n", "", regime_label(0),
                regime_label(1), regime_label(2), regime_label(3), "agreement");
  out << line;
  for (std::size_t t = 0; t < 4; ++t) {
    std::size_t row = 0;
    for (auto x : r.confusion[t]) row += x;
    std::snprintf(line, sizeof line, "  %-10s%10zu%10zu%10zu%10zu%12s\n", regime_label(t),
                  r.confusion[t][0], r.confusion[t][1], r.confusion[t][2], r.confusion[t][3],
                  percent_text(r.confusion[t][t], row).c_str());
    out << line;
  }
  const std::size_t dis = r.done - r.agree;
  out << "\ndisagreements: " << dis << "\n  near a boundary (|Delta - 1| <= " << num(o.band)
      << ")   " << r.near_boundary << "\n  finite-sample gap (< 2 x null floor)  "
      << r.finite_sample << "\n  unexplained                           " << r.unexplained
      << "\n\nclear cells (outside the band, CA and CP gaps >= 2 x null floor): " << r.clear_agree
      << " of " << r.clear_cells << " agree (" << percent_text(r.clear_agree, r.clear_cells)
      << ")\n";
  if (r.has_diagnose) {
    const char* sets[] = {"all cells", "outside the band", "clear cells"};
    out << "\ndiagnose accuracy (mean share of trials whose estimated regime is right):\n";
    for (std::size_t i = 0; i < 3; ++i)
      out << "  " << sets[i] << " (" << r.diag_cells[i] << "): vs simulated "
          << num(100 * r.diag_accuracy_empirical[i]) << "%, vs closed form "
          << num(100 * r.diag_accuracy_theory[i]) << "%\n";
    if (!r.diag_calibration.empty()) print_diagnose_calibration(r, out);
  }
  if (r.unexplained) {
    out << "\nunexplained disagreements (look at these):\n";
    for (const auto& d : r.disagreements)
      if (d.cause == Cause::Unexplained)
        out << "  " << where(r, d.coordinates) << ": theory " << regime_label(d.theory_regime)
            << ", simulated " << regime_label(d.empirical_regime) << " (Delta_CA "
            << num(d.delta_ca) << ", Delta_CP " << num(d.delta_cp) << "; CA gap " << num(d.gap_ca)
            << " vs floor " << num(d.null_floor_ca) << ", CP gap " << num(d.gap_cp) << " vs floor "
            << num(d.null_floor_cp) << "; recovery CA " << num(d.ca_recovery_rate) << ", CP "
            << num(d.cp_recovery_rate) << ")\n";
  }
  out << "\nempirical boundaries (recovery rate 0.5 vs closed-form Delta = 1, along grid lines)\n";
  if (r.summaries.empty()) out << "  no grid line crosses a closed-form boundary\n";
  for (const auto& s : r.summaries) {
    std::snprintf(line, sizeof line,
                  "  %-3s along %-14s %4zu crossings, %4zu found; |distance| mean %s, median %s, "
                  "max %s; mean signed %s\n",
                  s.method.c_str(), s.axis.c_str(), s.crossings, s.matched,
                  num(s.mean_abs_distance).c_str(), num(s.median_abs_distance).c_str(),
                  num(s.max_abs_distance).c_str(), num(s.mean_signed_distance).c_str());
    out << line;
  }
  print_empirical_boundaries(r, out);
  if (!r.by_n.empty()) {
    out << "\nboundary distance against n (mean |empirical - theory| over crossings along the "
           "other axes)\n";
    for (const auto& b : r.by_n)
      out << "  n = " << grid_value_text(b.n) << "  " << b.method << ": "
          << num(b.mean_abs_distance) << " (" << b.matched << " crossings)\n";
  }
}

namespace {
// A cell's or grid line's axis values by axis name (NaN marks the varying axis: left out).
Json coordinates_json(const ValidationReport& r, const std::vector<double>& c) {
  Json at = Json::object();
  for (std::size_t a = 0; a < c.size(); ++a)
    if (!std::isnan(c[a])) at[r.axes[a]] = c[a];
  return at;
}

Json disagreements_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& d : r.disagreements)
    list.push_back({{"cell", d.cell},
                    {"at", coordinates_json(r, d.coordinates)},
                    {"theory", d.theory_regime},
                    {"simulated", d.empirical_regime},
                    {"cause", cause_name(d.cause)},
                    {"delta_ca", d.delta_ca},
                    {"delta_cp", d.delta_cp},
                    {"gap_ca", d.gap_ca},
                    {"gap_cp", d.gap_cp},
                    {"null_floor_ca", d.null_floor_ca},
                    {"null_floor_cp", d.null_floor_cp}});
  return list;
}

Json boundaries_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& s : r.summaries)
    list.push_back({{"method", s.method},
                    {"axis", s.axis},
                    {"crossings", s.crossings},
                    {"found", s.matched},
                    {"mean_abs_distance", s.mean_abs_distance},
                    {"median_abs_distance", s.median_abs_distance},
                    {"max_abs_distance", s.max_abs_distance},
                    {"mean_signed_distance", s.mean_signed_distance}});
  return list;
}

Json crossings_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& c : r.crossings)
    list.push_back({{"method", c.method},
                    {"axis", c.axis},
                    {"at", coordinates_json(r, c.at)},
                    {"theory", c.theory},
                    {"empirical", c.empirical}});
  return list;
}

Json empirical_boundaries_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& s : r.empirical_summaries)
    list.push_back({{"method", s.method},
                    {"axis", s.axis},
                    {"lines", s.lines},
                    {"crossings", s.crossings},
                    {"with_ca_theory", s.with_ca_theory},
                    {"mean_signed_to_ca_theory", s.mean_signed_to_ca_theory},
                    {"mean_abs_to_ca_theory", s.mean_abs_to_ca_theory},
                    {"with_ca_empirical", s.with_ca_empirical},
                    {"mean_signed_to_ca_empirical", s.mean_signed_to_ca_empirical},
                    {"mean_abs_to_ca_empirical", s.mean_abs_to_ca_empirical}});
  return list;
}

Json empirical_crossings_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& c : r.empirical_crossings)
    list.push_back({{"method", c.method},
                    {"axis", c.axis},
                    {"at", coordinates_json(r, c.at)},
                    {"empirical", c.empirical},
                    {"ca_theory", c.ca_theory},
                    {"ca_empirical", c.ca_empirical}});
  return list;
}

Json by_n_json(const ValidationReport& r) {
  Json list = Json::array();
  for (const auto& b : r.by_n)
    list.push_back({{"n", b.n},
                    {"method", b.method},
                    {"found", b.matched},
                    {"mean_abs_distance", b.mean_abs_distance}});
  return list;
}
}  // namespace

void print_json(const ValidationReport& r, const ValidateOptions& o, std::ostream& out) {
  Json regimes = Json::array();
  for (std::size_t code = 0; code < 4; ++code) regimes.push_back(regime_label(code));
  Json doc = {
      {"path", r.path},
      {"band", o.band},
      {"cells", r.cells},
      {"done", r.done},
      {"agree", r.agree},
      {"agreement", r.done ? static_cast<double>(r.agree) / static_cast<double>(r.done) : 0.0},
      {"regimes", regimes},
      {"confusion", r.confusion},
      {"causes",
       {{"near_boundary", r.near_boundary},
        {"finite_sample", r.finite_sample},
        {"unexplained", r.unexplained}}},
      {"clear_cells", r.clear_cells},
      {"clear_agree", r.clear_agree}};
  if (r.has_diagnose)
    doc["diagnose"] = {{"sets", {"all", "outside_band", "clear"}},
                       {"cells", r.diag_cells},
                       {"accuracy_empirical", r.diag_accuracy_empirical},
                       {"accuracy_theory", r.diag_accuracy_theory}};
  if (!r.diag_calibration.empty()) {
    doc["diagnose"]["majority_accuracy_empirical"] = r.diag_majority_empirical;
    doc["diagnose"]["majority_accuracy_theory"] = r.diag_majority_theory;
    for (const auto& b : r.diag_calibration)
      doc["diagnose"]["calibration"].push_back({{"support_from", b.lo},
                                                {"support_to", b.hi},
                                                {"cells", b.cells},
                                                {"mean_support", b.support},
                                                {"accuracy_empirical", b.accuracy_empirical},
                                                {"accuracy_theory", b.accuracy_theory}});
  }
  doc["disagreements"] = disagreements_json(r);
  doc["boundaries"] = boundaries_json(r);
  doc["crossings"] = crossings_json(r);
  doc["empirical_boundaries"] = empirical_boundaries_json(r);
  doc["empirical_crossings"] = empirical_crossings_json(r);
  doc["by_n"] = by_n_json(r);
  write_json(std::move(doc), out);
}

}  // namespace phasecube
