// `phasecube inspect` for binding cubes.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "phasecube/binding_run.hpp"

namespace phasecube {

namespace {

std::string percent(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

int inspect_binding_cube(const std::string& path, std::ostream& out) {
  const BindingCubeContents c = read_binding_cube(path);
  auto str = [&](const char* key) {
    const auto it = c.string_attributes.find(key);
    return it == c.string_attributes.end() ? std::string("?") : it->second;
  };
  auto num = [&](const char* key) {
    const auto it = c.number_attributes.find(key);
    return it == c.number_attributes.end() || it->second.empty() ? NAN : it->second[0];
  };
  const auto& done = c.variables.at("done");
  const std::size_t cells = done.size();
  std::size_t done_cells = 0;
  for (double x : done) done_cells += x == 1 ? 1 : 0;
  const auto mm = static_cast<std::size_t>(c.modalities);

  out << "cube:      " << path << " (schema binding: " << str("methods") << ")\n";
  out << "status:    " << str("status") << ", " << done_cells << " of " << cells
      << " cells done, trials " << number_text(num("trials")) << ", seed "
      << number_text(num("seed")) << ", sampler " << str("sampler") << "\n";
  out << "modality:  " << c.modalities << " (the largest M in the grid)\n";
  out << "axes:\n";
  for (const auto& a : c.axes)
    out << "  " << a.name << ": " << a.values.size() << " values, " << number_text(a.values.front())
        << " .. " << number_text(a.values.back()) << "\n";

  if (num("theory_only") == 1) {
    out << "closed forms only (phasecube theory): no simulation to compare\n";
    return 0;
  }
  // Agreement: per method, over (cell, modality) pairs the method binds, Delta > 1 against
  // recovery rate >= 0.5.
  const auto& da = c.variables.at("theory_delta_anchor");
  const auto& dc = c.variables.at("theory_delta_centroid");
  const auto& db = c.variables.at("theory_delta_best_pair");
  const char* names[kBindingMethods] = {"anchor", "centroid", "best_pair"};
  out << "agreement of closed form (Delta > 1) and simulation (recovery rate >= 0.5), per "
         "(cell, modality) bound:\n";
  for (int meth = 0; meth < kBindingMethods; ++meth) {
    const auto& rate = c.variables.at(std::string(names[meth]) + "_recovery_rate");
    double agree = 0, total = 0;
    for (std::size_t cell = 0; cell < cells; ++cell) {
      if (done[cell] != 1) continue;
      for (std::size_t m = 0; m < mm; ++m) {
        const double rr = rate[cell * mm + m];
        if (!std::isfinite(rr)) continue;  // not bound (best pair) or beyond this cell's M
        const double delta = meth == 0 ? da[cell * mm + m] : meth == 1 ? dc[cell] : db[cell];
        total += 1;
        agree += (delta > 1) == (rr >= 0.5) ? 1 : 0;
      }
    }
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %s of %.0f\n", names[meth],
                  percent(agree, total).c_str(), total);
    out << line;
  }
  const auto& tw = c.variables.at("theory_winner");
  const auto& ew = c.variables.at("empirical_winner");
  double agree = 0, total = 0;
  double table[4][4] = {};
  for (std::size_t cell = 0; cell < cells; ++cell) {
    if (done[cell] != 1) continue;
    const int t = static_cast<int>(tw[cell]), e = static_cast<int>(ew[cell]);
    if (t < 0 || t > 3 || e < 0 || e > 3) continue;
    table[t][e] += 1;
    total += 1;
    agree += t == e ? 1 : 0;
  }
  out << "winner (" << str("winner_codes") << "): theory = simulation in " << percent(agree, total)
      << " of " << total << " cells\n";
  out << "  theory \\ simulation   anchor centroid best_pair   none\n";
  const char* wn[4] = {"anchor", "centroid", "best_pair", "none"};
  for (int t = 0; t < 4; ++t) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-20s %7.0f %8.0f %9.0f %6.0f\n", wn[t], table[t][0],
                  table[t][1], table[t][2], table[t][3]);
    out << line;
  }
  return 0;
}

}  // namespace phasecube
