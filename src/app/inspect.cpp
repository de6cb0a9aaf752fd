#include "app/inspect.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>

#include "io/cube.hpp"
#include "phasecube/theory.hpp"
#include "support/text.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {

namespace {

// A cube summary's numbers: integers as integers, the wall time in seconds with 2 decimals.
std::string fixed_text(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string integer_text(double v) {
  return fixed_text(v, 0);
}

// Regime code 0..3, or -1 for fill / anything unexpected.
int regime_code(double v) {
  return v >= 0 && v <= 3 && v == std::floor(v) ? static_cast<int>(v) : -1;
}

// "  status        " : a field label of the summary, left-aligned.
std::ostream& field(std::ostream& out, const char* label) {
  return out << "  " << std::left << std::setw(14) << label << std::right;
}

void print_run(const CubeContents& c, const std::string& path, std::ostream& out) {
  auto str = [&](const char* key) { return attribute_text(c.string_attributes, key); };
  auto num = [&](const char* key) { return attribute_number(c.number_attributes, key); };
  out << "cube " << path << "\n";
  field(out, "status") << str("status") << "\n";
  field(out, "software") << "phasecube " << str("software_version") << " (git " << str("git_commit")
                         << ")\n";
  field(out, "seed") << integer_text(num("seed")) << "\n";
  field(out, "trials/cell") << integer_text(num("trials")) << "\n";
  field(out, "sampler") << str("sampler") << "\n";
  const double wall = num("wall_seconds");
  field(out, "wall time") << (std::isnan(wall) ? std::string("n/a") : fixed_text(wall, 2) + " s")
                          << "\n";
}

void print_axes(const CubeContents& c, std::size_t cells, std::ostream& out) {
  out << "\naxes (" << c.axes.size() << ", " << cells << (cells == 1 ? " cell" : " cells") << ")\n";
  if (c.axes.empty()) {
    out << "  none: a single cell\n";
    return;
  }
  out << "  " << std::left << std::setw(16) << "name" << std::right << std::setw(7) << "count"
      << std::setw(14) << "min" << std::setw(14) << "max"
      << "\n";
  for (const Axis& a : c.axes) {
    const auto [lo, hi] = std::ranges::minmax(a.values);
    out << "  " << std::left << std::setw(16) << a.name << std::right << std::setw(7)
        << a.values.size() << std::setw(14) << grid_value_text(lo) << std::setw(14)
        << grid_value_text(hi) << "\n";
  }
}

void print_fixed(const CubeContents& c, std::ostream& out) {
  out << "\nfixed parameters\n";
  for (const ParamSpec& p : kModelParams)
    for (const auto& [name, values] : c.number_attributes)  // p, then its p[i]
      if (const IndexedName in = parse_indexed_name(name); in.base == p.name)
        out << "  " << std::left << std::setw(16) << name << std::right
            << join_numbers(values, grid_value_text) << "\n";
}

// A theory cube: how its cells divide into the four closed-form regimes.
void print_theory_regimes(const std::vector<double>& theory, std::size_t cells, std::ostream& out) {
  std::array<std::size_t, 4> counts{};
  std::size_t computed = 0;
  for (double t : theory)
    if (const int r = regime_code(t); r >= 0) {
      ++counts[static_cast<std::size_t>(r)];
      ++computed;
    }
  out << "\ntheory regimes (" << computed << " of " << cells << " cells computed)\n";
  for (std::size_t r = 0; r < 4; ++r)
    out << "  " << std::left << std::setw(10) << regime_label(r) << std::right << std::setw(8)
        << counts[r] << std::setw(8) << percent_text(counts[r], cells) << "\n";
  out << "\nno Monte Carlo results are present (theory-only cube)\n";
}

// Done cells by (theory regime, empirical regime), and the done cells without a regime code.
struct RegimeTable {
  std::array<std::array<std::size_t, 4>, 4> count{};
  std::size_t unknown = 0;
};

RegimeTable regime_table(const CubeContents& c) {
  const auto& done = c.variables.at("done");
  const auto& theory = c.variables.at("theory_regime");
  const auto& empirical = c.variables.at("empirical_regime");
  RegimeTable table;
  for (std::size_t i = 0; i < done.size(); ++i) {
    if (done[i] <= 0.5) continue;
    const int t = regime_code(theory[i]), e = regime_code(empirical[i]);
    if (t < 0 || e < 0)
      ++table.unknown;
    else
      ++table.count[static_cast<std::size_t>(t)][static_cast<std::size_t>(e)];
  }
  return table;
}

// The confusion table over done cells (rows theory, columns empirical) and the agreement.
void print_regime_table(const RegimeTable& table, std::size_t done_cells, std::ostream& out) {
  constexpr int kW = 10;
  out << "\nregimes over " << done_cells << " done cells (rows: theory, columns: empirical)\n";
  out << "  " << std::left << std::setw(12) << "" << std::right;
  for (std::size_t e = 0; e < 4; ++e) out << std::setw(kW) << regime_label(e);
  out << std::setw(kW) << "total"
      << "\n";
  std::array<std::size_t, 4> col{};
  std::size_t agree = 0, classified = 0;
  for (std::size_t t = 0; t < 4; ++t) {
    std::size_t row = 0;
    out << "  " << std::left << std::setw(12) << regime_label(t) << std::right;
    for (std::size_t e = 0; e < 4; ++e) {
      out << std::setw(kW) << table.count[t][e];
      row += table.count[t][e];
      col[e] += table.count[t][e];
    }
    out << std::setw(kW) << row << "\n";
    agree += table.count[t][t];
    classified += row;
  }
  out << "  " << std::left << std::setw(12) << "total" << std::right;
  for (std::size_t e = 0; e < 4; ++e) out << std::setw(kW) << col[e];
  out << std::setw(kW) << classified << "\n";
  if (table.unknown > 0) out << "  (" << table.unknown << " done cells without a regime code)\n";
  out << "\nagreement: " << agree << " of " << done_cells << " done cells ("
      << percent_text(agree, done_cells) << ")\n";
}

// Per subspace method in the cube (any `<m>_recovery_rate`: ca, cp, cp_rev, pls, infonce,
// ...), over done cells: the mean recovery rate and projector distance, and where the method
// has a closed form (`theory_delta_<m>`) how often Delta > 1 agrees with recovery rate >= 0.5.
void print_methods(const CubeContents& c, std::ostream& out) {
  const auto& done = c.variables.at("done");
  out << "\nmethods over done cells: mean recovery rate, mean projector distance, agreement of "
         "Delta > 1 with recovery rate >= 0.5\n";
  for (const CubeVariable& v : c.schema.variables()) {
    const std::string name(v.spec.name);
    const std::string suffix = "_recovery_rate";
    if (!name.ends_with(suffix) || !c.variables.contains(name)) continue;
    const std::string m = name.substr(0, name.size() - suffix.size());
    const auto& rate = c.variables.at(name);
    const auto proj = c.variables.find(m + "_projector_distance_mean");
    const auto delta = c.variables.find("theory_delta_" + m);
    double cells = 0, rate_sum = 0, proj_sum = 0, agree = 0;
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (done[i] != 1 || !std::isfinite(rate[i])) continue;
      cells += 1;
      rate_sum += rate[i];
      if (proj != c.variables.end()) proj_sum += proj->second[i];
      if (delta != c.variables.end()) agree += (delta->second[i] > 1) == (rate[i] >= 0.5) ? 1 : 0;
    }
    if (cells == 0) continue;
    char line[200];
    std::snprintf(
        line, sizeof line, "  %-10s %6.3f  %s  %s\n", m.c_str(), rate_sum / cells,
        proj == c.variables.end() ? "    -" : significant_text(proj_sum / cells, 3).c_str(),
        delta == c.variables.end()
            ? "(no closed form)"
            : (percent_text(agree, cells) + " of " + integer_text(cells)).c_str());
    out << line;
  }
}

}  // namespace

std::string attribute_text(const std::map<std::string, std::string>& attributes, const char* key) {
  const auto it = attributes.find(key);
  return it == attributes.end() ? std::string("?") : it->second;
}

double attribute_number(const std::map<std::string, std::vector<double>>& attributes,
                        const char* key) {
  const auto it = attributes.find(key);
  return it == attributes.end() || it->second.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                      : it->second[0];
}

const char* regime_label(std::size_t code) {
  return regime_name(static_cast<Regime>(code));
}

int inspect_cube(const std::string& path, std::ostream& out) {
  const CubeContents c = read_cube(path);
  if (!c.kind.empty()) return inspect_binding_cube(c, path, out);
  auto num = [&](const char* key) { return attribute_number(c.number_attributes, key); };
  print_run(c, path, out);
  std::size_t cells = 1;
  for (const Axis& a : c.axes) cells *= a.values.size();
  print_axes(c, cells, out);
  print_fixed(c, out);
  // A theory cube says so (and stores trials = 0); a sweep that has just started has no
  // trials done yet but is not theory-only.
  if (num("theory_only") == 1 || num("trials") == 0) {
    if (c.schema.theory_code().empty())
      out << "\nno closed-form regime: methods = " << methods_text<TwoModalityModel>(c.methods)
          << " (it needs ca and cp)\n";
    else
      print_theory_regimes(c.variables.at("theory_regime"), cells, out);
    return 0;
  }
  const auto& done = c.variables.at("done");
  const auto& trials_done = c.variables.at("trials_done");
  std::size_t done_cells = 0;
  double trials_sum = 0;
  for (std::size_t i = 0; i < cells; ++i) {
    done_cells += done[i] > 0.5;
    if (std::isfinite(trials_done[i])) trials_sum += trials_done[i];
  }
  const double trials_total = num("trials") * static_cast<double>(cells);
  out << "\ncompleteness\n";
  field(out, "cells done") << done_cells << " / " << cells << " ("
                           << percent_text(done_cells, cells) << ")\n";
  field(out, "trials done") << integer_text(trials_sum) << " / " << integer_text(trials_total)
                            << " (" << percent_text(trials_sum, trials_total) << ")\n";
  if (!c.schema.empirical_code().empty())
    print_regime_table(regime_table(c), done_cells, out);
  else
    out << "\nno simulated regime: methods = " << methods_text<TwoModalityModel>(c.methods)
        << " (it needs ca and cp)\n";
  print_methods(c, out);
  return 0;
}

}  // namespace phasecube
