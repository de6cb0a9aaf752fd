#include "app/inspect.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>

#include "io/cube.hpp"

namespace phasecube {

namespace {

constexpr std::array<const char*, 4> kRegimeNames = {"Neither", "CA only", "CP only", "Both"};

std::string percent(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string fixed_text(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string integer_text(double v) {
  return fixed_text(v, 0);
}

// Ten significant digits: exact for grid values people type, short for computed ones.
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string list_text(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + number_text(v[i]);
  return s;
}

// Regime code 0..3, or -1 for fill / anything unexpected.
int regime_code(double v) {
  return v >= 0 && v <= 3 && v == std::floor(v) ? static_cast<int>(v) : -1;
}

}  // namespace

int inspect_cube(const std::string& path, std::ostream& out) {
  const CubeContents c = read_cube(path);
  if (!c.kind.empty()) return inspect_binding_cube(c, path, out);
  auto str = [&](const char* key) {
    const auto it = c.string_attributes.find(key);
    return it == c.string_attributes.end() ? std::string("?") : it->second;
  };
  auto num = [&](const char* key) {
    const auto it = c.number_attributes.find(key);
    return it == c.number_attributes.end() || it->second.empty()
               ? std::numeric_limits<double>::quiet_NaN()
               : it->second[0];
  };
  auto field = [&](const char* label) -> std::ostream& {
    return out << "  " << std::left << std::setw(14) << label << std::right;
  };

  out << "cube " << path << "\n";
  field("status") << str("status") << "\n";
  field("software") << "phasecube " << str("software_version") << " (git " << str("git_commit")
                    << ")\n";
  field("seed") << integer_text(num("seed")) << "\n";
  field("trials/cell") << integer_text(num("trials")) << "\n";
  field("sampler") << str("sampler") << "\n";
  const double wall = num("wall_seconds");
  field("wall time") << (std::isnan(wall) ? std::string("n/a") : fixed_text(wall, 2) + " s")
                     << "\n";

  std::size_t cells = 1;
  for (const Axis& a : c.axes) cells *= a.values.size();
  out << "\naxes (" << c.axes.size() << ", " << cells << (cells == 1 ? " cell" : " cells") << ")\n";
  if (c.axes.empty()) {
    out << "  none: a single cell\n";
  } else {
    out << "  " << std::left << std::setw(16) << "name" << std::right << std::setw(7) << "count"
        << std::setw(14) << "min" << std::setw(14) << "max"
        << "\n";
    for (const Axis& a : c.axes) {
      const auto [lo, hi] = std::ranges::minmax(a.values);
      out << "  " << std::left << std::setw(16) << a.name << std::right << std::setw(7)
          << a.values.size() << std::setw(14) << number_text(lo) << std::setw(14) << number_text(hi)
          << "\n";
    }
  }

  out << "\nfixed parameters\n";
  for (const ParamSpec& p : kModelParams)
    for (const auto& [name, values] : c.number_attributes)  // p, then its p[i]
      if (const IndexedName in = parse_indexed_name(name); in.base == p.name)
        out << "  " << std::left << std::setw(16) << name << std::right << list_text(values)
            << "\n";

  const auto& done = c.variables.at("done");
  const auto& trials_done = c.variables.at("trials_done");
  const auto& theory = c.variables.at("theory_regime");
  const auto& empirical = c.variables.at("empirical_regime");
  std::size_t done_cells = 0;
  double trials_sum = 0;
  for (std::size_t i = 0; i < cells; ++i) {
    done_cells += done[i] > 0.5;
    if (std::isfinite(trials_done[i])) trials_sum += trials_done[i];
  }
  // A theory cube says so (and stores trials = 0); a sweep that has just started has no
  // trials done yet but is not theory-only.
  const bool theory_only = num("theory_only") == 1 || num("trials") == 0;

  if (theory_only) {
    std::array<std::size_t, 4> counts{};
    std::size_t computed = 0;
    for (double t : theory)
      if (const int r = regime_code(t); r >= 0) {
        ++counts[static_cast<std::size_t>(r)];
        ++computed;
      }
    out << "\ntheory regimes (" << computed << " of " << cells << " cells computed)\n";
    for (std::size_t r = 0; r < 4; ++r)
      out << "  " << std::left << std::setw(10) << kRegimeNames[r] << std::right << std::setw(8)
          << counts[r] << std::setw(8)
          << percent(static_cast<double>(counts[r]), static_cast<double>(cells)) << "\n";
    out << "\nno Monte Carlo results are present (theory-only cube)\n";
    return 0;
  }

  const double trials_total = num("trials") * static_cast<double>(cells);
  out << "\ncompleteness\n";
  field("cells done") << done_cells << " / " << cells << " ("
                      << percent(static_cast<double>(done_cells), static_cast<double>(cells))
                      << ")\n";
  field("trials done") << integer_text(trials_sum) << " / " << integer_text(trials_total) << " ("
                       << percent(trials_sum, trials_total) << ")\n";

  // Confusion table over done cells: rows theory regime, columns empirical regime.
  std::array<std::array<std::size_t, 4>, 4> table{};
  std::size_t unknown = 0;
  for (std::size_t i = 0; i < cells; ++i) {
    if (done[i] <= 0.5) continue;
    const int t = regime_code(theory[i]), e = regime_code(empirical[i]);
    if (t < 0 || e < 0)
      ++unknown;
    else
      ++table[static_cast<std::size_t>(t)][static_cast<std::size_t>(e)];
  }
  constexpr int kW = 10;
  out << "\nregimes over " << done_cells << " done cells (rows: theory, columns: empirical)\n";
  out << "  " << std::left << std::setw(12) << "" << std::right;
  for (const char* name : kRegimeNames) out << std::setw(kW) << name;
  out << std::setw(kW) << "total"
      << "\n";
  std::array<std::size_t, 4> col{};
  std::size_t agree = 0, classified = 0;
  for (std::size_t t = 0; t < 4; ++t) {
    std::size_t row = 0;
    out << "  " << std::left << std::setw(12) << kRegimeNames[t] << std::right;
    for (std::size_t e = 0; e < 4; ++e) {
      out << std::setw(kW) << table[t][e];
      row += table[t][e];
      col[e] += table[t][e];
    }
    out << std::setw(kW) << row << "\n";
    agree += table[t][t];
    classified += row;
  }
  out << "  " << std::left << std::setw(12) << "total" << std::right;
  for (std::size_t e = 0; e < 4; ++e) out << std::setw(kW) << col[e];
  out << std::setw(kW) << classified << "\n";
  if (unknown > 0) out << "  (" << unknown << " done cells without a regime code)\n";
  out << "\nagreement: " << agree << " of " << done_cells << " done cells ("
      << percent(static_cast<double>(agree), static_cast<double>(done_cells)) << ")\n";
  return 0;
}

}  // namespace phasecube
