// Config of a binding run: the one grammar and override rules of every run (config_text.hpp),
// with the binding parameters (binding.hpp) as keys.
#include "sweep/binding_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "support/stop.hpp"
#include "sweep/config_text.hpp"
#include "sweep/cost.hpp"
#include "sweep/grid.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {

namespace {

using config_text::cell_context;

bool known_key(std::string_view section, std::string_view name) {
  return (section == "model" || section == "axes") && find_binding_param(name);
}

IndexCount binding_index_count(std::string_view name) {
  const BindingParamSpec* spec = find_binding_param(name);
  return spec ? index_count(spec->shape) : IndexCount::None;
}

constexpr std::string_view kSections[] = {"model", "axes", "run"};
// The binding parameter table (binding.hpp) as keys of the one grammar (config_text.hpp); an
// unknown key lists the table: " for a binding run (modalities, d, ..., gamma[m], ...)".
const config_text::ConfigKeys& binding_keys() {
  static const config_text::ConfigKeys keys = [] {
    std::string names, indexed;
    for (const auto& p : kBindingParams) {
      names += (names.empty() ? "" : ", ") + std::string(p.name);
      if (const IndexCount what = index_count(p.shape); what != IndexCount::None)
        indexed += ", " + std::string(p.name) + (what == IndexCount::Modality ? "[m]" : "[i]");
    }
    return config_text::ConfigKeys{{std::begin(kSections), std::end(kSections)},
                                   known_key,
                                   " for a binding run (" + names + indexed + ")",
                                   binding_index_count};
  }();
  return keys;
}

// The parameters each condition on a binding cell reads, beyond those checked one at a time
// (config_text::check_cells walks the product of only these axes). A swept parameter has one
// value, so list lengths meet only k and M; tests/test_config.cpp compares with the walk
// over every cell.
const std::vector<std::vector<std::string_view>> kBindingCellReads = {
    {"d", "k"},                // k < d; kappa[i] against k
    {"anchor", "modalities"},  // anchor < M; gamma[m], gamma_tilde[m], nu's M x M against M
    {"kappa", "kappa_decay", "k", "gamma", "modalities"},  // kappa_i^2 + gamma_a > 0
    {"n", "modalities", "d"},                              // sampler = wishart: n >= M d
};

void check_binding_cell(const Config& c, const std::set<std::string>& given, const Grid& grid,
                        std::size_t i, int& max_modalities) {
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
      label = "model." + e.key + (it == c.fixed.end() ? "" : " = " + format_list(it->second)) +
              (given.contains(e.key) || it == c.fixed.end() ? "" : " (default)");
    }
    throw InputError(label + ": " + e.what() + cell_context(grid, i));
  }
  if (c.run.sampler == SamplerKind::Wishart && p.n < p.m * p.d)
    throw InputError("run.sampler = wishart needs n >= M d = " + std::to_string(p.m * p.d) +
                     " but n = " + std::to_string(p.n) + cell_context(grid, i) +
                     "; use sampler = auto or direct");
  max_modalities = std::max(max_modalities, p.m);
}

Config build(const std::vector<ConfigEntry>& entries, const std::string& path) {
  Config c;
  c.source_path = path;
  c.max_modalities = 2;  // the binding model; every cell has M >= 2, the cell check raises it
  c.fixed = default_binding_values();
  std::set<std::string> given;
  for (const auto& e : entries) {
    if (e.section == "model") {
      c.fixed[e.name] = parse_number_list(e.key(), e.text);
      given.insert(e.name);
    } else if (e.section == "axes") {
      c.axes.push_back(Axis{e.name, e.text, parse_axis(e.key(), e.text)});
    } else {
      config_text::parse_run_entry(e, c.run, parse_methods<BindingModel>);
    }
  }
  for (const auto& a : c.axes) c.fixed.erase(a.name);

  config_text::check_grid_size(c.axes);
  // Then whether the cube and one cell fit in memory, before any cell is built.
  require_memory(memory_need(c, 0), memory_available());
  check_binding_cells(c, given);
  return c;
}

}  // namespace

// M of every cell is visited (each axis is walked alone), so the largest is found here.
std::size_t check_binding_cells(Config& c, const std::set<std::string>& given, bool every_cell) {
  const Grid grid(c.fixed, c.axes);
  int max_modalities = 2;
  const std::size_t checked = config_text::check_cells(
      grid, kBindingCellReads,
      [&](std::size_t i) { check_binding_cell(c, given, grid, i, max_modalities); }, every_cell);
  c.max_modalities = max_modalities;
  return checked;
}

Config load_binding_config(const ConfigSource& source) {
  return build(config_text::resolve_entries(source, binding_keys()), source.path);
}

std::string binding_resolved_text(const Config& c) {
  return config_text::resolved_text("phasecube binding config", {c.fixed.begin(), c.fixed.end()},
                                    c.axes, c.run);
}

std::string binding_results_mismatch(const Config& a, const Config& b) {
  if (a.fixed != b.fixed) return "the fixed [model] values differ";
  if (a.axes.size() != b.axes.size()) return "the number of axes differs";
  for (std::size_t i = 0; i < a.axes.size(); ++i)
    if (a.axes[i].name != b.axes[i].name || a.axes[i].values != b.axes[i].values)
      return "axis " + a.axes[i].name + " differs";
  if (a.run.trials != b.run.trials || a.run.seed != b.run.seed || a.run.sampler != b.run.sampler ||
      a.run.rotate != b.run.rotate)
    return "run.trials, run.seed, run.sampler or run.rotate differs";
  if (a.run.methods != b.run.methods)
    return "run.methods = " + methods_text<BindingModel>(a.run.methods) + " here, " +
           methods_text<BindingModel>(b.run.methods);
  return "";
}

}  // namespace phasecube
