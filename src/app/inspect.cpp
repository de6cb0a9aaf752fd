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
#include "sweep/config_text.hpp"
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
void print_theory_regimes(const std::array<std::size_t, 4>& counts, std::size_t cells,
                          std::ostream& out) {
  std::size_t computed = 0;
  for (std::size_t n : counts) computed += n;
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

// Per subspace method in the cube (any `<m>_recovery_rate`: ca, cp, cp_rev, pls, infonce,
// ...), over done cells: the recovery rates, projector distances (when stored) and, where the
// method has a closed form (`theory_delta_<m>`), how often Delta > 1 agrees with rate >= 0.5.
struct MethodTally {
  std::string method;
  bool projector = false, closed_form = false;
  double cells = 0, rate_sum = 0, proj_sum = 0, agree = 0;
};

// Everything the summary prints of a cube's cells, gathered block by block so that memory
// stays one block whatever the grid.
struct CellTally {
  std::array<std::size_t, 4> theory{};  // theory cube: cells per closed-form regime
  std::size_t done_cells = 0;
  double trials_sum = 0;
  RegimeTable table;
  std::vector<MethodTally> methods;
  bool started = false;

  void add(const CubeSchema& schema, const CubeBlock& b) {
    if (!started) start(schema, b);
    const auto& v = b.variables;
    if (const auto t = v.find("theory_regime"); t != v.end())
      for (double x : t->second)
        if (const int r = regime_code(x); r >= 0) ++theory[static_cast<std::size_t>(r)];
    const auto& done = v.at("done");
    const auto& trials_done = v.at("trials_done");
    for (std::size_t i = 0; i < done.size(); ++i) {
      done_cells += done[i] > 0.5;
      if (std::isfinite(trials_done[i])) trials_sum += trials_done[i];
    }
    if (!schema.empirical_code().empty()) add_regimes(v);
    for (MethodTally& m : methods) add_method(v, m);
  }

 private:
  void start(const CubeSchema& schema, const CubeBlock& b) {
    started = true;
    const std::string suffix = "_recovery_rate";
    for (const CubeVariable& var : schema.variables()) {
      const std::string name(var.spec.name);
      if (!name.ends_with(suffix) || !b.variables.contains(name)) continue;
      MethodTally m{name.substr(0, name.size() - suffix.size())};
      m.projector = b.variables.contains(m.method + "_projector_distance_mean");
      m.closed_form = b.variables.contains("theory_delta_" + m.method);
      methods.push_back(m);
    }
  }
  void add_regimes(const std::map<std::string, std::vector<double>>& v) {
    const auto& done = v.at("done");
    const auto& theory_code = v.at("theory_regime");
    const auto& empirical = v.at("empirical_regime");
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (done[i] <= 0.5) continue;
      const int t = regime_code(theory_code[i]), e = regime_code(empirical[i]);
      if (t < 0 || e < 0)
        ++table.unknown;
      else
        ++table.count[static_cast<std::size_t>(t)][static_cast<std::size_t>(e)];
    }
  }
  static void add_method(const std::map<std::string, std::vector<double>>& v, MethodTally& m) {
    const auto& done = v.at("done");
    const auto& rate = v.at(m.method + "_recovery_rate");
    const std::vector<double>* proj =
        m.projector ? &v.at(m.method + "_projector_distance_mean") : nullptr;
    const std::vector<double>* delta = m.closed_form ? &v.at("theory_delta_" + m.method) : nullptr;
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (done[i] != 1 || !std::isfinite(rate[i])) continue;
      m.cells += 1;
      m.rate_sum += rate[i];
      if (proj) m.proj_sum += (*proj)[i];
      if (delta) m.agree += ((*delta)[i] > 1) == (rate[i] >= 0.5) ? 1 : 0;
    }
  }
};

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

void print_methods(const std::vector<MethodTally>& methods, std::ostream& out) {
  out << "\nmethods over done cells: mean recovery rate, mean projector distance, agreement of "
         "Delta > 1 with recovery rate >= 0.5\n";
  for (const MethodTally& m : methods) {
    if (m.cells == 0) continue;
    char line[200];
    std::snprintf(
        line, sizeof line, "  %-10s %6.3f  %s  %s\n", m.method.c_str(), m.rate_sum / m.cells,
        m.projector ? significant_text(m.proj_sum / m.cells, 3).c_str() : "    -",
        m.closed_form ? (percent_text(m.agree, m.cells) + " of " + integer_text(m.cells)).c_str()
                      : "(no closed form)");
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
  const CubeContents header = read_cube(path, CubeParts::Header);
  if (!header.kind.empty()) return inspect_binding_cube(read_cube(path), path, out);
  // Reading block by block takes any size; a grid no config can make would take hours.
  double grid_cells = 1;
  for (const Axis& a : header.axes) grid_cells *= static_cast<double>(a.values.size());
  if (grid_cells > static_cast<double>(config_text::kMaxCells))
    throw InputError(path + ": not a phasecube cube (its axes make " + integer_text(grid_cells) +
                     " cells, more than the " + std::to_string(config_text::kMaxCells) +
                     " a config may make)");
  const auto cells = static_cast<std::size_t>(grid_cells);
  CellTally tally;
  const CubeContents c =
      read_cube_blocks(path, stored_schema,
                       [&](const CubeContents& h, const CubeBlock& b) { tally.add(h.schema, b); });
  auto num = [&](const char* key) { return attribute_number(c.number_attributes, key); };
  print_run(c, path, out);
  print_axes(c, cells, out);
  print_fixed(c, out);
  // A theory cube says so (and stores trials = 0); a sweep that has just started has no
  // trials done yet but is not theory-only.
  if (num("theory_only") == 1 || num("trials") == 0) {
    if (c.schema.theory_code().empty())
      out << "\nno closed-form regime: methods = " << methods_text<TwoModalityModel>(c.methods)
          << " (it needs ca and cp)\n";
    else
      print_theory_regimes(tally.theory, cells, out);
    return 0;
  }
  const double trials_total = num("trials") * static_cast<double>(cells);
  out << "\ncompleteness\n";
  field(out, "cells done") << tally.done_cells << " / " << cells << " ("
                           << percent_text(tally.done_cells, cells) << ")\n";
  field(out, "trials done") << integer_text(tally.trials_sum) << " / " << integer_text(trials_total)
                            << " (" << percent_text(tally.trials_sum, trials_total) << ")\n";
  if (!c.schema.empirical_code().empty())
    print_regime_table(tally.table, tally.done_cells, out);
  else
    out << "\nno simulated regime: methods = " << methods_text<TwoModalityModel>(c.methods)
        << " (it needs ca and cp)\n";
  print_methods(tally.methods, out);
  return 0;
}

}  // namespace phasecube
