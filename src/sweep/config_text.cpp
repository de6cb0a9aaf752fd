#include "sweep/config_text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "phasecube/model.hpp"
#include "support/stop.hpp"
#include "support/text.hpp"
#include "sweep/grid.hpp"

namespace phasecube::config_text {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string read_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError("cannot read config file '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read config file '" + path + "': " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError("cannot read config file '" + path + "': read error");
  std::string content = text.str();
  strip_utf8_bom(content);  // both config parsers read the file through here
  return content;
}

std::string cell_context(const Grid& grid, std::size_t cell) {
  if (grid.axes().empty()) return "";
  const auto coords = grid.coordinates(cell);
  std::string s = ", in the cell with ";
  for (std::size_t i = 0; i < coords.size(); ++i)
    s += (i ? ", " : "") + grid.axes()[i].name + " = " +
         format_number(grid.axes()[i].values[coords[i]]);
  return s;
}

namespace {

// The axes (indices, ascending) of the grid that a read set names.
std::vector<std::size_t> swept_axes(const Grid& grid, const std::vector<std::string_view>& names) {
  std::vector<std::size_t> out;
  for (std::size_t a = 0; a < grid.axes().size(); ++a)
    if (std::find(names.begin(), names.end(), parse_indexed_name(grid.axes()[a].name).base) !=
        names.end())
      out.push_back(a);
  return out;
}

// The sub-grids to walk: every axis alone and every read set's axes, minus any contained in
// another (its cells are among the other's).
std::vector<std::vector<std::size_t>> sub_grids(
    const Grid& grid, const std::vector<std::vector<std::string_view>>& reads) {
  std::vector<std::vector<std::size_t>> spans{{}};
  for (std::size_t a = 0; a < grid.axes().size(); ++a) spans.push_back({a});
  for (const auto& r : reads) spans.push_back(swept_axes(grid, r));
  std::sort(spans.begin(), spans.end());
  spans.erase(std::unique(spans.begin(), spans.end()), spans.end());
  std::vector<std::vector<std::size_t>> kept;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    bool inside = false;
    for (std::size_t j = 0; j < spans.size() && !inside; ++j)
      inside = j != i &&
               std::includes(spans[j].begin(), spans[j].end(), spans[i].begin(), spans[i].end());
    if (!inside) kept.push_back(spans[i]);
  }
  return kept;
}

}  // namespace

std::size_t check_cells(const Grid& grid, const std::vector<std::vector<std::string_view>>& reads,
                        const std::function<void(std::size_t)>& check, bool every_cell) {
  const auto shape = grid.shape();
  std::vector<std::size_t> stride(shape.size(), 1);  // row-major, last axis fastest
  for (std::size_t a = shape.size(); a-- > 1;) stride[a - 1] = stride[a] * shape[a];
  std::vector<std::vector<std::size_t>> spans;
  if (every_cell) {
    spans.emplace_back(shape.size());
    for (std::size_t a = 0; a < shape.size(); ++a) spans[0][a] = a;
  } else {
    spans = sub_grids(grid, reads);
  }
  std::size_t first_bad = grid.cell_count(), checked = 0;
  for (const auto& span : spans) {
    // The span's cells in increasing cell order (its last axis fastest), the others at 0.
    std::vector<std::size_t> at(span.size(), 0);
    for (bool more = true; more;) {
      std::size_t cell = 0;
      for (std::size_t j = 0; j < span.size(); ++j) cell += at[j] * stride[span[j]];
      if (cell >= first_bad) break;  // increasing: nothing earlier follows in this span
      if (++checked % 4096 == 0) throw_if_stopped();
      try {
        check(cell);
      } catch (const InputError&) {
        first_bad = cell;
        break;
      }
      more = false;
      for (std::size_t j = span.size(); j-- > 0 && !more;) {
        more = ++at[j] < shape[span[j]];
        if (!more) at[j] = 0;
      }
    }
  }
  if (first_bad < grid.cell_count()) check(first_bad);  // throws the walk's message
  return checked;
}

SamplerKind parse_sampler(const std::string& key, const std::string& text) {
  if (text == "auto") return SamplerKind::Auto;
  if (text == "wishart") return SamplerKind::Wishart;
  if (text == "direct") return SamplerKind::Direct;
  throw InputError(key + " = '" + text + "': must be auto, wishart or direct");
}

Rotate parse_rotate(const std::string& key, const std::string& text) {
  if (text == "auto") return Rotate::Auto;
  if (text == "true") return Rotate::On;
  if (text == "false") return Rotate::Off;
  throw InputError(key + " = '" + text + "': must be auto, true or false");
}

std::string override_value(const std::string& key, std::string_view value) {
  if (value.find_first_of("\n\r") != std::string_view::npos)
    throw InputError("command line: --" + key + ": a value cannot contain a line break");
  return std::string(value);
}

namespace {

constexpr std::string_view kRunKeys[] = {"trials",      "seed",    "sampler", "output",
                                         "chunk_cells", "methods", "rotate"};
const std::string kLineHint = " (expected [section], key = value or # comment)";

// "section.name" split at the first '.' (a key outside any section, or an override).
ConfigEntry dotted_entry(std::string_view key, std::string_view text, bool command_line,
                         std::string where) {
  const auto dot = key.find('.');
  ConfigEntry e;
  e.name = std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
  if (dot != std::string_view::npos) e.section = std::string(key.substr(0, dot));
  e.text = trim(text);
  e.command_line = command_line;
  e.where = std::move(where);
  return e;
}

// The INI lines of `text`: comments and blank lines skipped, [section] headers applied.
std::vector<ConfigEntry> tokenize(const std::string& text, const std::string& source) {
  std::vector<ConfigEntry> entries;
  std::istringstream in(text);
  std::string line, section;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    // Every accepted config relies on a '#' ending the value ("d = 20  # twenty").
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string t = trim(line);
    if (t.empty() || t.front() == ';') continue;
    const std::string where = source + ":" + std::to_string(number);
    const auto eq = t.find('=');
    if (t.front() == '[' && t.back() == ']') {
      section = t.substr(1, t.size() - 2);  // as written: "[ model ]" is no section of ours
    } else if (t.front() == '[' || eq == std::string::npos) {
      throw InputError(where + ": invalid line '" + t + "'" + kLineHint);
    } else if (section.empty()) {
      entries.push_back(dotted_entry(trim(t.substr(0, eq)), t.substr(eq + 1), false, where));
    } else {
      entries.push_back(
          ConfigEntry{section, trim(t.substr(0, eq)), trim(t.substr(eq + 1)), false, where});
    }
  }
  return entries;
}

// "--section.key=value" or "section.key=value".
ConfigEntry override_entry(const std::string& raw) {
  std::string_view s = raw;
  if (s.starts_with("--")) s.remove_prefix(2);
  const auto eq = s.find('=');
  if (s.substr(0, eq).find('.') == std::string_view::npos)
    throw InputError("command line: '" + raw + "' is not an override --section.key=value");
  if (eq == std::string_view::npos)
    throw InputError("command line: option '" + raw + "' needs a value (--section.key=value)");
  const std::string key = trim(s.substr(0, eq));
  return dotted_entry(key, override_value(key, s.substr(eq + 1)), true, "command line");
}

ConfigSource make_source(const std::string& path, const std::string& text,
                         const std::vector<std::string>& overrides) {
  ConfigSource source{path, tokenize(text, path), {}};
  for (const auto& raw : overrides) source.overrides.push_back(override_entry(raw));
  return source;
}

// "model, axes or run", or with brackets "[model], [axes] or [run]".
std::string section_list(const ConfigKeys& keys, bool brackets) {
  std::string s;
  for (std::size_t i = 0; i < keys.sections.size(); ++i) {
    const std::string name(keys.sections[i]);
    s += (i == 0                          ? ""
          : i + 1 == keys.sections.size() ? " or "
                                          : ", ") +
         (brackets ? "[" + name + "]" : name);
  }
  return s;
}

// "name[i]" in [model] or [axes]: the one check of an indexed key for every run; whether i is
// in range depends on the cell (k, d, M) and is checked there (apply_indexed, model.hpp).
void check_indexed_key(const ConfigEntry& e, const ConfigKeys& keys) {
  const IndexedName in = parse_indexed_name(e.name);
  if (in.index < 0)
    throw InputError(e.where + ": invalid key '" + e.key() +
                     "' (an index is written name[i], i = 0, 1, 2, ... in digits)");
  if (!keys.known(e.section, in.base))
    throw InputError(e.where + ": unknown key '" + e.key() + "'" + keys.unknown_hint);
  if (keys.index_count(in.base) == IndexCount::None)
    throw InputError(e.where + ": key '" + e.key() + "': " + in.base +
                     " takes one value, not one per coordinate or modality, so it has no index");
}

void check_key(const ConfigEntry& e, const ConfigKeys& keys) {
  if (e.section.empty())
    throw InputError(e.where + ": key '" + e.key() + "' is outside any section (expected " +
                     section_list(keys, true) + ")");
  if (std::find(keys.sections.begin(), keys.sections.end(), e.section) == keys.sections.end())
    throw InputError(e.where + ": unknown section '" + e.section + "' in key '" + e.key() +
                     "' (expected " + section_list(keys, false) + ")");
  const bool model = e.section == "model" || e.section == "axes";
  if (model && e.name.find('[') != std::string::npos) return check_indexed_key(e, keys);
  const bool known = e.section == "run" ? std::find(std::begin(kRunKeys), std::end(kRunKeys),
                                                    e.name) != std::end(kRunKeys)
                                        : keys.known(e.section, e.name);
  if (!known)
    throw InputError(e.where + ": unknown key '" + e.key() + "'" +
                     (e.section == "model" || e.section == "axes" ? keys.unknown_hint : ""));
}

// The command line wins over the file, also across sections, so --axes.nu=... sweeps a
// parameter the file fixes; fixed and swept both on the command line stays an error.
void apply_override(std::vector<ConfigEntry>& entries, const ConfigEntry& e) {
  const std::string other = e.section == "model" ? "axes" : e.section == "axes" ? "model" : "";
  std::erase_if(entries, [&](const ConfigEntry& old) {
    return old.name == e.name && old.section == other && !old.command_line;
  });
  bool replaced = false;
  for (auto& old : entries)
    if (old.key() == e.key()) {
      old = e;  // keeps its position: axis order is the file's
      replaced = true;
    }
  if (!replaced) entries.push_back(e);
}

// Fixed or swept, never both: checked on the keys, before any value is interpreted.
void check_fixed_or_swept(const std::vector<ConfigEntry>& entries) {
  for (const auto& m : entries)
    for (const auto& a : entries)
      if (m.section == "model" && a.section == "axes" && m.name == a.name)
        throw InputError(m.key() + " = " + m.text + " and " + a.key() + " = " + a.text +
                         ": a parameter is fixed or swept, never both");
}

}  // namespace

std::vector<ConfigEntry> resolve_entries(const ConfigSource& source, const ConfigKeys& keys) {
  std::vector<ConfigEntry> entries;
  std::map<std::string, std::string> first_at;
  for (const auto& e : source.file) {
    check_key(e, keys);
    if (const auto [it, fresh] = first_at.emplace(e.key(), e.where); !fresh)
      throw InputError(e.where + ": key '" + e.key() + "' is given more than once (first at " +
                       it->second + ")");
    entries.push_back(e);
  }
  for (const auto& e : source.overrides) {
    check_key(e, keys);
    apply_override(entries, e);
  }
  check_fixed_or_swept(entries);
  return entries;
}

std::uint64_t parse_integer(const std::string& key, const std::string& text, std::uint64_t lo,
                            std::uint64_t hi, std::string_view limit_note) {
  // Digits alone are read exactly (a seed can be any 64-bit value); anything else in the one
  // number syntax is read as a double, exact for integers up to 2^53.
  constexpr std::uint64_t kExact = std::uint64_t{1} << 53;
  const char* first = text.data() + (text.starts_with('+') ? 1 : 0);
  const char* last = text.data() + text.size();
  std::uint64_t x = 0;
  const auto [end, ec] = std::from_chars(first, last, x);
  const bool digits = first != last && end == last;
  bool above = digits && ec == std::errc::result_out_of_range;
  if (!digits) {
    const std::vector<double> v = parse_number_list(key, text);  // names a non-number
    if (v.size() != 1) throw InputError(key + " = " + text + ": takes a single integer");
    above = above || v[0] > static_cast<double>(hi);
    if (!above) {
      const std::string why = integer_problem(v[0], static_cast<long long>(lo),
                                              static_cast<long long>(std::min(hi, kExact)));
      if (!why.empty())
        throw InputError(key + " = " + text + ": " + why +
                         (v[0] > static_cast<double>(kExact) ? " unless written in digits" : ""));
      x = static_cast<std::uint64_t>(v[0]);
    }
  }
  if (!above && x < lo) throw InputError(key + " = " + text + ": must be >= " + std::to_string(lo));
  if (above || x > hi)
    throw InputError(key + " = " + text + ": must be <= " + std::to_string(hi) +
                     std::string(limit_note));
  return x;
}

void parse_run_entry(const ConfigEntry& e, RunSettings& run, MethodsParser methods) {
  constexpr std::uint64_t kAny = UINT64_MAX;
  if (e.name == "trials") {
    run.trials = static_cast<long>(parse_integer(
        e.key(), e.text, 1, kMaxTrials, " (the cube stores trials_done as a 32-bit integer)"));
  } else if (e.name == "seed") {
    run.seed = parse_integer(e.key(), e.text, 0, kAny);
  } else if (e.name == "sampler") {
    run.sampler = parse_sampler(e.key(), e.text);
  } else if (e.name == "output") {
    run.output = e.text;
  } else if (e.name == "chunk_cells") {
    run.chunk_cells = parse_integer(e.key(), e.text, 0, kAny);  // 0: from a cost estimate
  } else if (e.name == "methods") {
    run.methods = methods(e.key(), e.text);
  } else if (e.name == "rotate") {
    run.rotate = parse_rotate(e.key(), e.text);
  }
}

void check_grid_size(const std::vector<Axis>& axes) {
  std::size_t cells = 1;
  std::string shape;
  for (const auto& a : axes) {
    shape += (shape.empty() ? "" : " x ") + a.name + " " + std::to_string(a.values.size());
    if (a.values.size() > kMaxCells / cells)
      throw InputError("[axes]: the grid " + shape + " has more than " + std::to_string(kMaxCells) +
                       " cells");
    cells *= a.values.size();
  }
}

std::string resolved_text(std::string_view title,
                          const std::vector<std::pair<std::string, std::vector<double>>>& model,
                          const std::vector<Axis>& axes, const RunSettings& run) {
  std::ostringstream out;
  out << "# " << title << ", resolved: every key, defaults filled in, overrides applied.\n";
  out << "[model]\n";
  for (const auto& [name, values] : model) out << name << " = " << format_list(values) << "\n";
  out << "\n[axes]\n";
  for (const auto& a : axes)
    out << a.name << " = " << (a.spec.empty() ? format_list(a.values) : a.spec) << "\n";
  out << "\n[run]\n";
  out << "trials = " << run.trials << "\n";
  out << "seed = " << run.seed << "\n";
  out << "sampler = " << sampler_name(run.sampler) << "\n";
  out << "output =" << (run.output.empty() ? "" : " ") << run.output << "\n";
  out << "chunk_cells = " << run.chunk_cells << "\n";
  // Only when chosen: a config without the key keeps the resolved text it always had.
  if (!run.methods.empty()) {
    out << "methods = ";
    for (std::size_t i = 0; i < run.methods.size(); ++i) out << (i ? "," : "") << run.methods[i];
    out << "\n";
  }
  if (run.rotate != Rotate::Auto) out << "rotate = " << rotate_name(run.rotate) << "\n";
  return out.str();
}

}  // namespace phasecube::config_text

namespace phasecube {

bool ConfigSource::sets_modalities() const {
  for (const auto* list : {&file, &overrides})
    for (const auto& e : *list)
      if ((e.section == "model" || e.section == "axes") && e.name == "modalities") return true;
  return false;
}

ConfigSource read_config_source(const std::string& path,
                                const std::vector<std::string>& overrides) {
  return config_text::make_source(path, config_text::read_config_file(path), overrides);
}

ConfigSource config_source_from_text(const std::string& text, const std::string& source,
                                     const std::vector<std::string>& overrides) {
  return config_text::make_source(source, text, overrides);
}

}  // namespace phasecube
