// Start-up of a big grid (issue 15): the cell checks of load_config (config_text::check_cells)
// on a kappa x nu grid, against the walk over every cell they replace. Skips the memory check
// of load_config, so grids too big for this machine's records can be timed.
// Run: build/tests/bench/profile_startup KAPPA_VALUES NU_VALUES [every]
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "sweep/config.hpp"

using namespace phasecube;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: profile_startup KAPPA_VALUES NU_VALUES [every]\n");
    return 2;
  }
  const std::string every = argc > 3 ? argv[3] : "";
  Config c = config_from_text("", "profile_startup");
  c.axes.clear();
  for (const auto& [name, m] : {std::pair{"kappa", argv[1]}, std::pair{"nu", argv[2]}}) {
    const std::string spec =
        std::string("linspace(0, ") + (name == std::string("nu") ? "1" : "3") + ", " + m + ")";
    c.fixed.erase(name);
    c.axes.push_back(Axis{name, spec, parse_axis(std::string("axes.") + name, spec)});
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t checked = check_config_cells(c, every == "every");
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s x %s cells (%s): %zu cells checked in %.3f s (%.2f us per cell checked)\n",
              argv[1], argv[2], every == "every" ? "every cell" : "per axis", checked, s,
              1e6 * s / static_cast<double>(checked));
  return 0;
}
