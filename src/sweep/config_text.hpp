#pragma once
// Internal: the one INI grammar and the helpers both config loaders (config.cpp for two
// modalities, binding_config.cpp for many) are thin users of: entries checked against a
// parameter table, overrides, integers, [run], the grid limit, the resolved text.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sweep/config.hpp"

namespace phasecube {
class Grid;
}

namespace phasecube::config_text {

// `s` without leading and trailing blanks.
std::string trim(std::string_view s);
// The whole file; throws InputError("cannot read config file ...").
std::string read_config_file(const std::string& path);
// ", in the cell with kappa = 1, nu = 0.5" (empty for a grid without axes).
std::string cell_context(const Grid& grid, std::size_t cell);

// The cells to validate before a run, in time proportional to the axes. Every condition on a
// cell reads a few parameters; `reads` lists those sets (base names: the axis "kappa[1]" is
// kappa), a condition on one parameter needs none. The first bad cell in cell order has every
// axis outside the set of a condition it breaks at index 0 (else zeroing those coordinates
// would give an earlier bad cell), so `check` (throws InputError for a bad cell) runs on the
// cells where only the axes of one set, or one axis, vary, and finally on the first bad one
// found: the message is the one a walk over every cell gives. `every_cell` walks every cell
// (the reference in the tests). Returns the number of cells checked.
std::size_t check_cells(const Grid& grid, const std::vector<std::vector<std::string_view>>& reads,
                        const std::function<void(std::size_t)>& check, bool every_cell = false);

// The largest grid either kind of run accepts, checked on the axis lengths before anything
// per cell is allocated: the memory check (memory.hpp) then decides what fits this machine.
inline constexpr std::size_t kMaxCells = 1'000'000'000;
// Throws InputError "[axes]: the grid kappa 1001 x nu 1001 x ... has more than ... cells".
void check_grid_size(const std::vector<Axis>& axes);

// The keys a parameter table accepts, for resolve_entries. [run] is shared by every run.
struct ConfigKeys {
  std::vector<std::string_view> sections;                          // e.g. model, axes, run
  bool (*known)(std::string_view section, std::string_view name);  // sections other than run
  std::string unknown_hint;  // appended to "unknown key 'model.x'" in [model]/[axes]
  // What the index of a known name's "name[i]" counts (IndexCount::None: it takes no index).
  IndexCount (*index_count)(std::string_view name);
};
// The entries of `source` checked against `keys` (sections, names, no key twice in the file),
// the overrides applied (they win, also across [model]/[axes]: --axes.nu sweeps what the file
// fixes) and fixed-or-swept checked. Throws InputError naming the key and where it is.
std::vector<ConfigEntry> resolve_entries(const ConfigSource& source, const ConfigKeys& keys);

// The one integer syntax of every integer setting: the number syntax of parse_number_list
// ("12", "+12", "1e4", "2.0"), an integer in [lo, hi]; digits are exact up to 2^64 - 1.
// Else InputError "key = text: must be an integer" (or ">= lo", "<= hi" + `limit_note`).
std::uint64_t parse_integer(const std::string& key, const std::string& text, std::uint64_t lo,
                            std::uint64_t hi, std::string_view limit_note = "");
// One [run] entry (trials, seed, sampler, output, chunk_cells, methods) of any run into
// `run`; `methods` is the model's parse_methods (sweep/methods/registry.hpp).
using MethodsParser = std::vector<std::string> (*)(const std::string& key, const std::string& text);
void parse_run_entry(const ConfigEntry& e, RunSettings& run, MethodsParser methods);

// A resolved config: a `# <title>, resolved: ...` line, [model] with `model` in order, then
// [axes] and [run]. Stored in cubes: the bytes are part of the cube format.
std::string resolved_text(std::string_view title,
                          const std::vector<std::pair<std::string, std::vector<double>>>& model,
                          const std::vector<Axis>& axes, const RunSettings& run);

}  // namespace phasecube::config_text
