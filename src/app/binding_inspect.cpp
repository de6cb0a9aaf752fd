// `phasecube inspect` for binding cubes.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "app/inspect.hpp"
#include "io/binding_schema.hpp"
#include "io/cube.hpp"
#include "phasecube/binding.hpp"
#include "support/text.hpp"

namespace phasecube {

namespace {

void print_header(const CubeContents& c, const std::string& path, std::ostream& out) {
  auto str = [&](const char* key) { return attribute_text(c.string_attributes, key); };
  auto num = [&](const char* key) { return attribute_number(c.number_attributes, key); };
  const auto& done = c.variables.at("done");
  std::size_t done_cells = 0;
  for (double x : done) done_cells += x == 1 ? 1 : 0;
  out << "cube:      " << path << " (schema binding: " << str("methods") << ")\n";
  out << "status:    " << str("status") << ", " << done_cells << " of " << done.size()
      << " cells done, trials " << grid_value_text(num("trials")) << ", seed "
      << grid_value_text(num("seed")) << ", sampler " << str("sampler") << "\n";
  out << "modality:  " << c.modalities << " (the largest M in the grid)\n";
  out << "axes:\n";
  for (const auto& a : c.axes)
    out << "  " << a.name << ": " << a.values.size() << " values, "
        << grid_value_text(a.values.front()) << " .. " << grid_value_text(a.values.back()) << "\n";
}

// Per method, over the (cell, modality) pairs it binds: Delta > 1 against recovery rate >= 0.5.
void print_method_agreement(const CubeContents& c, std::ostream& out) {
  const auto& done = c.variables.at("done");
  const std::size_t cells = done.size();
  const auto mm = static_cast<std::size_t>(c.modalities);
  out << "agreement of closed form (Delta > 1) and simulation (recovery rate >= 0.5), per "
         "(cell, modality) bound:\n";
  for (int meth = 0; meth < kBindingMethods; ++meth) {
    const std::string name = binding_method_name(static_cast<BindingMethod>(meth));
    if (!c.variables.contains(name + "_recovery_rate")) continue;  // not in [run] methods
    const auto& rate = c.variables.at(name + "_recovery_rate");
    const auto& delta = c.variables.at("theory_delta_" + name);  // per modality or per cell
    const bool per_modality = delta.size() == cells * mm;
    double agree = 0, total = 0;
    for (std::size_t cell = 0; cell < cells; ++cell) {
      if (done[cell] != 1) continue;
      for (std::size_t m = 0; m < mm; ++m) {
        const double rr = rate[cell * mm + m];
        if (!std::isfinite(rr)) continue;  // not bound (best pair) or beyond this cell's M
        const double d = per_modality ? delta[cell * mm + m] : delta[cell];
        total += 1;
        agree += (d > 1) == (rr >= 0.5) ? 1 : 0;
      }
    }
    char line[160];
    std::snprintf(line, sizeof line, "  %-10s %s of %.0f\n", name.c_str(),
                  percent_text(agree, total).c_str(), total);
    out << line;
  }
}

constexpr int kCodes = kNoWinner + 1;

std::string code_name(int code) {
  return code == kNoWinner ? std::string("none")
                           : std::string(binding_method_name(static_cast<BindingMethod>(code)));
}

// The winning method by theory against by simulation, over done cells with valid codes.
void print_winners(const CubeContents& c, std::ostream& out) {
  const auto& done = c.variables.at("done");
  const auto& tw = c.variables.at("theory_winner");
  const auto& ew = c.variables.at("empirical_winner");
  double agree = 0, total = 0;
  double table[kCodes][kCodes] = {};
  for (std::size_t cell = 0; cell < done.size(); ++cell) {
    if (done[cell] != 1) continue;
    // Range-checked as doubles: a file may hold any value (NaN, 1e300) where a code belongs.
    if (!(tw[cell] >= 0 && tw[cell] < kCodes && ew[cell] >= 0 && ew[cell] < kCodes)) continue;
    const int t = static_cast<int>(tw[cell]), e = static_cast<int>(ew[cell]);
    table[t][e] += 1;
    total += 1;
    agree += t == e ? 1 : 0;
  }
  out << "winner (" << attribute_text(c.string_attributes, "winner_codes")
      << "): theory = simulation in " << percent_text(agree, total) << " of " << total
      << " cells\n";
  std::string header = "  theory \\ simulation ";
  for (int e = 0; e < kCodes; ++e) {
    char cellbuf[32];
    std::snprintf(cellbuf, sizeof cellbuf, " %10s", code_name(e).c_str());
    header += cellbuf;
  }
  out << header << "\n";
  for (int t = 0; t < kCodes; ++t) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-20s", code_name(t).c_str());
    out << line;
    for (int e = 0; e < kCodes; ++e) {
      std::snprintf(line, sizeof line, " %10.0f", table[t][e]);
      out << line;
    }
    out << "\n";
  }
}

}  // namespace

int inspect_binding_cube(const CubeContents& c, const std::string& path, std::ostream& out) {
  print_header(c, path, out);
  if (attribute_number(c.number_attributes, "theory_only") == 1) {
    out << "closed forms only (phasecube theory): no simulation to compare\n";
    return 0;
  }
  print_method_agreement(c, out);
  if (c.variables.contains("empirical_winner"))
    print_winners(c, out);
  else
    out << "no simulated winner: methods = " << attribute_text(c.string_attributes, "methods")
        << " (it needs anchor, centroid, best_pair and all_pairs)\n";
  return 0;
}

}  // namespace phasecube
