#pragma once
// Internal helpers shared by the two config parsers (config.cpp, binding_config.cpp): text
// handling, the [run] values both accept, and the context of error messages.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/config.hpp"

namespace phasecube {
class Grid;
}

namespace phasecube::config_text {

// `s` without leading and trailing blanks.
std::string trim(std::string_view s);
// "1, 2.5, 3": a value list as messages and resolved configs print it.
std::string list_text(const std::vector<double>& v);
// The whole file; throws InputError("cannot read config file ...").
std::string read_config_file(const std::string& path);
// The [axes] and [run] sections of a resolved config (after its [model] section).
void write_axes_and_run(std::ostream& out, const std::vector<Axis>& axes, const RunSettings& run);
// ", in the cell with kappa = 1, nu = 0.5" (empty for a grid without axes).
std::string cell_context(const Grid& grid, std::size_t cell);

// An unsigned 64-bit integer, the whole text; else InputError "key = 'text': must be what".
std::uint64_t parse_u64(const std::string& key, const std::string& text, const std::string& what);
// run.trials of either grammar: one integer in [1, kMaxTrials] ("1e4" allowed); else
// InputError "key = text: must be ..." naming the limit.
long parse_trials(const std::string& key, const std::string& text);
// auto, wishart or direct; else InputError naming `key`.
SamplerKind parse_sampler(const std::string& key, const std::string& text);
// The value of a command-line override (after '='), which like a line of a file cannot
// hold a line break: it would become a line of its own in the resolved config a cube
// stores. Throws InputError naming `key`.
std::string override_value(const std::string& key, std::string_view value);

// Fixed or swept, never both: throws for a name in both [model] and [axes]. Works on any
// entry type with section, name, text and key().
template <class Entry>
void check_fixed_or_swept(const std::vector<Entry>& entries) {
  for (const auto& m : entries)
    for (const auto& a : entries)
      if (m.section == "model" && a.section == "axes" && m.name == a.name)
        throw InputError(m.key() + " = " + m.text + " and " + a.key() + " = " + a.text +
                         ": a parameter is fixed or swept, never both");
}

}  // namespace phasecube::config_text
