// Fuzz target: config files and command-line overrides, exactly as `phasecube run` takes
// them (load_config, either model).
// Input: the INI text, then NUL-separated overrides ("--model.nu=0.3").
// Property: a config that loads has a resolved text that loads again to the same sweep (it
// is what a cube stores and --resume and validate reread).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "sweep/binding_config.hpp"

namespace {

using namespace phasecube;

// An upper estimate of the grid's cell count: per line, the m of a linspace/logspace or the
// length of a list (lines end at a newline or NUL), multiplied. Validation visits every cell
// (linear in the grid, correct but slow), so inputs above kMaxCells are skipped: the fuzzer's time
// goes to parsing.
constexpr double kMaxCells = 20000;
double estimated_cells(std::string_view text) {
  double cells = 1;
  for (std::size_t start = 0; start < text.size() && cells <= kMaxCells;) {
    const auto end =
        std::min(text.find_first_of(std::string_view("\n\r\0", 3), start), text.size());
    const std::string line(text.substr(start, end - start));
    start = end + 1;
    if (const auto close = line.rfind(')'); line.find("space") != std::string::npos) {
      const auto comma = line.rfind(',', close);
      if (comma != std::string::npos)
        cells *= std::max(1.0, std::strtod(&line[comma + 1], nullptr));
    } else {
      cells *= 1.0 + static_cast<double>(std::count(line.begin(), line.end(), ','));
    }
  }
  return cells;
}

// Either model: the one results_mismatch, and the same modality dimension.
bool same_sweep(const Config& a, const Config& b) {
  return results_mismatch(a, b).empty() && a.max_modalities == b.max_modalities;
}

// `load()` the config; if it loads, `from_text` of its resolved text must give the same sweep.
template <class Load, class FromText>
void check_round_trip(Load load, FromText from_text) {
  decltype(load()) c;
  try {
    c = load();
  } catch (const InputError&) {
    return;
  }
  try {
    if (!same_sweep(c, from_text(c.resolved_text(), "resolved")))
      fuzz::broken("the resolved config reloads differently:\n" + c.resolved_text());
  } catch (const InputError& e) {
    fuzz::broken(std::string("the resolved config does not reload: ") + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::ScratchFile file(".ini");
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  std::vector<std::string> overrides;
  for (auto pos = nul; pos != std::string::npos;) {
    const auto next = input.find('\0', pos + 1);
    overrides.push_back(input.substr(pos + 1, next == std::string::npos ? next : next - pos - 1));
    pos = next;
  }
  if (estimated_cells(input) > kMaxCells) return 0;
  const std::string& path = file.write(std::string_view(input).substr(0, nul));
  check_round_trip([&] { return load_config(path, overrides); }, config_from_text);
  return 0;
}
