// Config of a binding run: INI sections [model], [axes], [run], the same grammar and
// override rules as config.cpp, with the binding parameters (binding.hpp) as keys.
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "support/stop.hpp"
#include "sweep/binding_run.hpp"
#include "sweep/config_text.hpp"
#include "sweep/cost.hpp"
#include "sweep/grid.hpp"

namespace phasecube {

namespace {

using config_text::cell_context;
using config_text::list_text;
using config_text::read_config_file;
using config_text::trim;

struct Entry {
  std::string section, name, text;
  bool command_line = false;
  std::string key() const { return section + "." + name; }
};

bool known_name(const std::string& name) {
  if (find_binding_param(name)) return true;
  return parse_indexed_name(name).index >= 0;
}

constexpr std::string_view kRunKeys[] = {"trials", "seed", "sampler", "output", "chunk_cells"};

Entry make_entry(const std::string& key, const std::string& text, bool command_line,
                 const std::string& where) {
  const auto dot = key.find('.');
  if (dot == std::string::npos)
    throw InputError(where + ": key '" + key +
                     "' is outside any section (expected [model], [axes] or [run])");
  Entry e{key.substr(0, dot), key.substr(dot + 1), trim(text), command_line};
  if (e.section == "model" || e.section == "axes") {
    if (!known_name(e.name))
      throw InputError(where + ": unknown key '" + key +
                       "' for a binding run (modalities, d, k, n, kappa, kappa_decay, gamma, "
                       "gamma_tilde, nu, anchor, gamma[m], gamma_tilde[m])");
  } else if (e.section == "run") {
    if (std::find(std::begin(kRunKeys), std::end(kRunKeys), e.name) == std::end(kRunKeys))
      throw InputError(where + ": unknown key '" + key + "'");
  } else {
    throw InputError(where + ": unknown section '" + e.section + "' in key '" + key +
                     "' (expected model, axes or run)");
  }
  return e;
}

// Lines: [section], key = value, # or ; comments (a '#' also ends a value).
std::vector<Entry> parse_text(const std::string& text, const std::string& where) {
  std::vector<Entry> entries;
  std::set<std::string> seen;
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string t = trim(line);
    if (t.empty() || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']' && t.find('=') == std::string::npos) {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos)
      throw InputError(where + ": invalid line '" + t +
                       "' (expected [section], key = value or # comment)");
    const std::string name = trim(std::string_view(t).substr(0, eq));
    Entry e =
        make_entry(section.empty() ? name : section + "." + name, t.substr(eq + 1), false, where);
    if (!seen.insert(e.key()).second)
      throw InputError(where + ": key '" + e.key() + "' is given more than once");
    entries.push_back(std::move(e));
  }
  return entries;
}

void apply_overrides(std::vector<Entry>& entries, const std::vector<std::string>& overrides) {
  for (const auto& raw : overrides) {
    std::string_view s = raw;
    if (s.starts_with("--")) s.remove_prefix(2);
    const auto eq = s.find('=');
    if (eq == std::string_view::npos)
      throw InputError("command line: option '" + raw + "' needs a value (--section.key=value)");
    const std::string key = trim(s.substr(0, eq));
    Entry e =
        make_entry(key, config_text::override_value(key, s.substr(eq + 1)), true, "command line");
    const std::string other = e.section == "model" ? "axes" : e.section == "axes" ? "model" : "";
    std::erase_if(entries, [&](const Entry& old) {
      return old.name == e.name && old.section == other && !old.command_line;
    });
    bool replaced = false;
    for (auto& old : entries)
      if (old.key() == e.key()) {
        old = e;
        replaced = true;
      }
    if (!replaced) entries.push_back(std::move(e));
  }
}

void parse_run(const Entry& e, RunSettings& run) {
  auto u64 = [&](const char* what) { return config_text::parse_u64(e.key(), e.text, what); };
  if (e.name == "trials") {
    run.trials = config_text::parse_trials(e.key(), e.text);
  } else if (e.name == "seed") {
    run.seed = u64("an integer in [0, 2^64 - 1]");
  } else if (e.name == "sampler") {
    run.sampler = config_text::parse_sampler(e.key(), e.text);
  } else if (e.name == "output") {
    run.output = e.text;
  } else if (e.name == "chunk_cells") {
    run.chunk_cells = u64("an integer >= 0");
  }
}

BindingConfig build(std::vector<Entry> entries, const std::string& path) {
  config_text::check_fixed_or_swept(entries);
  BindingConfig c;
  c.source_path = path;
  c.fixed = default_binding_values();
  std::set<std::string> given;
  for (const auto& e : entries) {
    if (e.section == "model") {
      c.fixed[e.name] = parse_number_list(e.key(), e.text);
      given.insert(e.name);
    } else if (e.section == "axes") {
      c.axes.push_back(Axis{e.name, e.text, parse_axis(e.key(), e.text)});
    } else {
      parse_run(e, c.run);
    }
  }
  for (const auto& a : c.axes) c.fixed.erase(a.name);

  std::size_t cells = 1;
  for (const auto& a : c.axes) {
    if (a.values.size() > 100'000'000 / cells)
      throw InputError("[axes]: the binding grid has more than 1e8 cells");
    cells *= a.values.size();
  }
  // Then whether the cube and one cell fit in memory, before any cell is built.
  require_memory(memory_need(c, 0), memory_available());
  const Grid grid(c.fixed, c.axes);
  for (std::size_t i = 0; i < grid.cell_count(); ++i) {
    throw_if_stopped();  // big grids take a while
    BindingParams p;
    try {
      p = make_binding_cell(grid.values(i));
    } catch (const ParamError& e) {
      const bool swept =
          std::any_of(c.axes.begin(), c.axes.end(), [&](const Axis& a) { return a.name == e.key; });
      std::string label;
      if (swept) {
        label = "axes." + e.key + " value " + format_number(grid.values(i).at(e.key)[0]);
      } else {
        const auto it = c.fixed.find(e.key);
        label = "model." + e.key + (it == c.fixed.end() ? "" : " = " + list_text(it->second)) +
                (given.contains(e.key) || it == c.fixed.end() ? "" : " (default)");
      }
      throw InputError(label + ": " + e.what() + cell_context(grid, i));
    }
    if (c.run.sampler == SamplerKind::Wishart && p.n < p.m * p.d)
      throw InputError("run.sampler = wishart needs n >= M d = " + std::to_string(p.m * p.d) +
                       " but n = " + std::to_string(p.n) + cell_context(grid, i) +
                       "; use sampler = auto or direct");
    c.max_modalities = std::max(c.max_modalities, p.m);
  }
  return c;
}

}  // namespace

bool is_binding_config(const std::string& path, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides)
    for (const char* key : {"model.modalities", "axes.modalities"})
      if (o.find(key) != std::string::npos) return true;
  std::string text;
  try {
    text = read_config_file(path);
  } catch (const InputError&) {
    return false;
  }
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::string t = trim(line);
    if (t.size() > 1 && t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      continue;
    }
    const auto eq = t.find('=');
    if (eq != std::string::npos && (section == "model" || section == "axes") &&
        trim(std::string_view(t).substr(0, eq)) == "modalities")
      return true;
  }
  return false;
}

BindingConfig load_binding_config(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  std::vector<Entry> entries = parse_text(read_config_file(path), path);
  apply_overrides(entries, overrides);
  return build(std::move(entries), path);
}

BindingConfig binding_config_from_text(const std::string& text, const std::string& source) {
  return build(parse_text(text, source), source);
}

ParamValues binding_cell_values(const BindingConfig& c, std::size_t cell) {
  return Grid(c.fixed, c.axes).values(cell);
}

std::string BindingConfig::resolved_text() const {
  std::ostringstream out;
  out << "# phasecube binding config, resolved: every key, defaults filled in, overrides "
         "applied.\n[model]\n";
  for (const auto& [name, values] : fixed) out << name << " = " << list_text(values) << "\n";
  config_text::write_axes_and_run(out, axes, run);
  return out.str();
}

}  // namespace phasecube
