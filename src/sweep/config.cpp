#include "sweep/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

#include "support/stop.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/config_text.hpp"
#include "sweep/cost.hpp"
#include "sweep/grid.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {

const char* rotate_name(Rotate r) {
  switch (r) {
    case Rotate::On:
      return "true";
    case Rotate::Off:
      return "false";
    case Rotate::Auto:
      break;
  }
  return "auto";
}

namespace {

// An axis longer than this is a typo, not a sweep; refuse it before allocating it.
constexpr double kMaxAxisValues = 1e7;
constexpr std::string_view kSections[] = {"model", "axes", "run", "diagnose"};

using config_text::trim;

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(trim(s.substr(start, pos == std::string_view::npos ? pos : pos - start)));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

const ParamSpec* find_param(std::string_view name) {
  for (const auto& spec : kModelParams)
    if (spec.name == name) return &spec;
  return nullptr;
}

// Strict: the whole item must be one finite number, so "1.5x", "", "nan" and "inf" fail.
// `text` is the whole value, quoted in the message so the user finds the line.
double parse_number(const std::string& key, const std::string& text, const std::string& item) {
  std::string_view s = item;
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);  // from_chars rejects '+'
  double x = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec == std::errc::result_out_of_range)
    throw InputError(key + " = '" + text + "': '" + item + "' is out of range");
  if (ec != std::errc() || end != s.data() + s.size())
    throw InputError(key + " = '" + text + "': '" + item + "' is not a number");
  if (!std::isfinite(x)) throw InputError(key + " = '" + text + "': '" + item + "' is not finite");
  return x;
}

// The point count m of linspace/logspace.
std::size_t parse_point_count(const std::string& key, const std::string& text,
                              const std::string& item) {
  const double m = parse_number(key, text, item);
  if (m != std::floor(m) || m < 1 || m > kMaxAxisValues)
    throw InputError(key + " = '" + text + "': the number of points m = " + item +
                     " must be an integer in [1, " +
                     std::to_string(static_cast<long>(kMaxAxisValues)) + "]");
  return static_cast<std::size_t>(m);
}

// Evenly spaced from a to b. Interpolating from both ends (rather than a + i * step) puts
// the end points exactly and gives the correctly rounded 0.3 in linspace(0, 1, 11).
std::vector<double> linspace(double a, double b, std::size_t m) {
  if (m == 1) return {a};
  std::vector<double> v(m);
  const double last = static_cast<double>(m - 1);
  for (std::size_t i = 0; i < m; ++i) {
    const double t = static_cast<double>(i);
    v[i] = (a * (last - t) + b * t) / last;
  }
  return v;
}

}  // namespace

std::vector<double> parse_number_list(const std::string& key, const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) throw InputError(key + " has an empty value");
  std::vector<double> values;
  for (const auto& item : split(t, ',')) {
    if (item.empty()) throw InputError(key + " = '" + t + "': empty entry in the list");
    values.push_back(parse_number(key, t, item));
  }
  return values;
}

std::vector<double> parse_axis(const std::string& key, const std::string& spec) {
  const std::string t = trim(spec);
  const std::string expected = " (expected linspace(a, b, m), logspace(a, b, m) or a list)";
  if (t.empty()) throw InputError(key + " is an empty axis" + expected);
  const auto open = t.find('(');
  if (open == std::string::npos) {
    if (t.find(')') != std::string::npos)
      throw InputError(key + " = '" + t + "': unbalanced ')'" + expected);
    return parse_number_list(key, t);
  }
  const std::string fn = trim(std::string_view(t).substr(0, open));
  if (t.back() != ')' || t.find('(', open + 1) != std::string::npos || t.find(')') != t.size() - 1)
    throw InputError(key + " = '" + t + "': malformed axis" + expected);
  if (fn != "linspace" && fn != "logspace")
    throw InputError(key + " = '" + t + "': unknown function '" + fn + "'" + expected);
  const auto args = split(std::string_view(t).substr(open + 1, t.size() - open - 2), ',');
  if (args.size() != 3)
    throw InputError(key + " = '" + t + "': " + fn + " takes 3 arguments (a, b, m), got " +
                     std::to_string(args.size()));
  for (const auto& arg : args)
    if (arg.empty()) throw InputError(key + " = '" + t + "': empty argument" + expected);
  const double a = parse_number(key, t, args[0]);
  const double b = parse_number(key, t, args[1]);
  const std::size_t m = parse_point_count(key, t, args[2]);
  std::vector<double> values = linspace(a, b, m);
  if (fn == "logspace")
    for (auto& v : values) v = std::pow(10.0, v);
  for (double v : values)
    if (!std::isfinite(v))
      throw InputError(key + " = '" + t + "': value " + format_number(v) + " is not finite");
  return values;
}

namespace {

bool known_key(std::string_view section, std::string_view name) {
  if (section == "model" || section == "axes") return find_param(name) != nullptr;
  if (section == "diagnose")
    for (auto k : kDiagnoseKeys)
      if (k == name) return true;
  return false;
}

// The indexed names "base[i]" of `values`, by index.
std::vector<std::string> indexed_names(const ParamValues& values, std::string_view base) {
  std::vector<std::pair<int, std::string>> found;
  for (const auto& [name, v] : values)
    if (const IndexedName in = parse_indexed_name(name); in.index >= 0 && in.base == base)
      found.emplace_back(in.index, name);
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& f : found) names.push_back(std::move(f.second));
  return names;
}

IndexCount param_index_count(std::string_view name) {
  const ParamSpec* spec = find_param(name);
  return spec ? index_count(spec->shape) : IndexCount::None;
}

// The two-modality parameter table (kModelParams) and [diagnose] as keys of the one grammar.
const config_text::ConfigKeys kKeys{
    {std::begin(kSections), std::end(kSections)}, known_key, "", param_index_count};

using Entry = ConfigEntry;

// The table entry of a key (of its base for "kappa[2]").
const ParamSpec& spec_of(const std::string& name) {
  return *find_param(parse_indexed_name(name).base);
}

std::vector<double> parse_fixed(const Entry& e) {
  const ParamSpec& spec = spec_of(e.name);
  const bool indexed = e.name != spec.name;  // one coordinate: one value
  auto values = parse_number_list(e.key(), e.text);
  if (values.size() != 1 &&
      (indexed || spec.shape == ParamShape::Integer || spec.shape == ParamShape::Scalar))
    throw InputError(e.key() + " = " + e.text + ": takes a single " +
                     (spec.shape == ParamShape::Integer ? "integer" : "value") + " (put " + e.name +
                     " in [axes] to sweep it)");
  return values;
}

// Where a parameter's value comes from, for messages: "model.nu = 1.5", "model.k = 2
// (default)" or "axes.nu value 1.5".
struct Provenance {
  std::set<std::string, std::less<>> given;  // fixed in the file or on the command line
  std::string fixed(const std::string& name, const std::vector<double>& v) const {
    const bool is_default = !given.contains(name);
    return "model." + name + " = " + format_list(v) + (is_default ? " (default)" : "");
  }
  static std::string axis(const std::string& name, double v) {
    return "axes." + name + " value " + format_number(v);
  }
};

// A cell in which only `name` has the value under test and every other parameter is chosen
// to fit it (k < d, list lengths), so an error there is about the value itself.
ParamValues context_for(const std::string& name, const std::vector<double>& value) {
  ParamValues v = default_param_values();
  v[name] = value;
  const ParamShape shape = spec_of(name).shape;
  const double count = static_cast<double>(value.size());
  if (const int i = parse_indexed_name(name).index; i >= 0) {  // room for coordinate i
    v["k"] = {shape == ParamShape::Signal ? i + 1.0 : 1.0};
    v["d"] = {v["k"][0] + (shape == ParamShape::Nuisance ? i + 1.0 : 1.0)};
    return v;
  }
  const bool usable_k =
      value.size() == 1 && std::isfinite(value[0]) && value[0] >= 1 && value[0] < 1e9;
  if (name == "d") v["k"] = {1};
  if (name == "k" && usable_k) v["d"] = {std::floor(value[0]) + 1};
  if (shape == ParamShape::Signal && value.size() > 1) {
    v["k"] = {count};
    v["d"] = {count + 1};
  }
  if (shape == ParamShape::Nuisance && value.size() > 1) {
    v["k"] = {1};
    v["d"] = {count + 1};
  }
  return v;
}

// Throws InputError if `value` of parameter `name` is invalid whatever the other parameters.
void check_alone(const std::string& name, const std::vector<double>& value,
                 const std::string& label) {
  try {
    make_cell(context_for(name, value));
  } catch (const ParamError& e) {
    if (e.key != name) return;  // about the combination: the cell pass reports it in context
    const std::string got = e.value == format_list(value) ? "" : " (got " + e.value + ")";
    throw InputError(label + ": " + e.what() + got);
  }
}

using config_text::cell_context;

// The parameters each condition on a cell reads, beyond those checked one at a time
// (config_text::check_cells walks the product of only these axes). A swept parameter has one
// value, so a list length (kappa, gamma_*) meets only k and d, and kappa_decay only a fixed
// kappa list. tests/test_config.cpp (FastCellCheck*) compares with the walk over every cell.
const std::vector<std::vector<std::string_view>> kCellReads = {
    {"d", "k"},  // make_cell: k < d, list lengths and kappa[i] .. indices against k and d - k
    {"eta", "gamma_tilde_x", "gamma_tilde_y"},  // make_cell: eta > 0 needs positive variances
    {"n", "d"},                                 // sampler = wishart: n >= 2d
    {"k"},  // the methods' cell_error (infonce: k >= 2); [diagnose]: n (labelled), d (pca)
};

void check_cell(const Config& c, const Provenance& where, const MethodPlan<TwoModalityModel>& plan,
                const Grid& grid, std::size_t i) {
  CellParams p;
  try {
    p = grid.cell(i);
  } catch (const ParamError& e) {
    const auto values = grid.values(i);
    const bool swept = !c.fixed.contains(e.key);
    const std::string label = swept ? Provenance::axis(e.key, values.at(e.key)[0])
                                    : where.fixed(e.key, c.fixed.at(e.key));
    throw InputError(label + ": " + e.what() + cell_context(grid, i));
  }
  if (c.run.sampler == SamplerKind::Wishart && p.n < 2 * p.d) {
    const auto label = [&](const std::string& name) {
      return c.fixed.contains(name) ? where.fixed(name, c.fixed.at(name))
                                    : Provenance::axis(name, grid.values(i).at(name)[0]);
    };
    throw InputError("run.sampler = wishart needs n >= 2d, but " + label("n") + " and " +
                     label("d") + " give n < 2d = " + std::to_string(2 * p.d) +
                     cell_context(grid, i) + "; use sampler = auto or direct");
  }
  if (const std::string why = plan.cell_error(p); !why.empty())
    throw InputError(why + cell_context(grid, i));
  // [diagnose] must be able to run in every cell: otherwise every trial would fail and the
  // cube would silently report zero accuracy.
  if (const auto& dg = c.run.diagnose) {
    const long m = std::min<long>(dg->labelled, p.n);
    if (m < dg->folds)
      throw InputError("diagnose.labelled = " + std::to_string(dg->labelled) +
                       " with n = " + std::to_string(p.n) + " gives " + std::to_string(m) +
                       " labelled rows, fewer than diagnose.folds = " + std::to_string(dg->folds) +
                       cell_context(grid, i));
    if (dg->pca > p.d)
      throw InputError("diagnose.pca = " + std::to_string(dg->pca) +
                       " exceeds d = " + std::to_string(p.d) + cell_context(grid, i));
  }
}

// The combinations (k < d, list lengths, n >= 2d for wishart, methods, [diagnose]).
std::size_t check_two_modality_cells(const Config& c, const Provenance& where,
                                     const MethodPlan<TwoModalityModel>& plan,
                                     bool every_cell = false) {
  const Grid grid(c);
  return config_text::check_cells(
      grid, kCellReads, [&](std::size_t i) { check_cell(c, where, plan, grid, i); }, every_cell);
}

void validate(const Config& c, const Provenance& where) {
  // Grid size first: the memory check needs the cell count.
  config_text::check_grid_size(c.axes);
  // Then whether the cube and one cell fit in memory, before any value or cell is built.
  require_memory(memory_need(c, 0), memory_available());

  // Every value on its own, so the message can name it without a cell.
  for (const auto& [name, value] : c.fixed) check_alone(name, value, where.fixed(name, value));
  for (const auto& a : c.axes)
    for (double v : a.values) check_alone(a.name, {v}, Provenance::axis(a.name, v));

  // A method that trains on the data matrix needs the direct sampler (Wishart draws only the
  // covariance).
  const MethodPlan<TwoModalityModel> plan(c.run.methods, SectionUse::Off, 0);
  if (c.run.sampler == SamplerKind::Wishart && plan.needs_data())
    throw InputError(
        "run.sampler = wishart: the selected methods include one that trains on the "
        "data matrix, which only the direct sampler draws; use sampler = auto or "
        "direct");

  check_two_modality_cells(c, where, plan);
}

Config build_config(const std::vector<Entry>& entries, const std::string& path);

}  // namespace

std::size_t check_config_cells(Config& c, bool every_cell) {
  std::set<std::string> given;
  for (const auto& [name, v] : c.fixed) given.insert(name);
  if (c.binding()) return check_binding_cells(c, given, every_cell);
  Provenance where;
  where.given.insert(given.begin(), given.end());
  const MethodPlan<TwoModalityModel> plan(c.run.methods, SectionUse::Off, 0);
  return check_two_modality_cells(c, where, plan, every_cell);
}

Config load_config(const ConfigSource& source) {
  if (source.sets_modalities()) return load_binding_config(source);
  return build_config(config_text::resolve_entries(source, kKeys), source.path);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return load_config(read_config_source(path, overrides));
}

Config config_from_text(const std::string& text, const std::string& source) {
  return load_config(config_source_from_text(text, source));
}

std::string results_mismatch(const Config& a, const Config& b) {
  if (a.binding() != b.binding())
    return a.binding() ? "a binding config here, a two-modality one"
                       : "a two-modality config here, a binding one";
  if (a.binding()) return binding_results_mismatch(a, b);
  for (const auto& spec : kModelParams) {
    std::vector<std::string> names{std::string(spec.name)};
    for (const Config* c : {&a, &b})
      for (auto& n : indexed_names(c->fixed, spec.name))
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    for (const auto& name : names) {
      const auto ia = a.fixed.find(name), ib = b.fixed.find(name);
      const bool fa = ia != a.fixed.end(), fb = ib != b.fixed.end();
      const std::string other = name == spec.name ? " swept" : " swept or not given";
      if (fa != fb)
        return "model." + name +
               (fa ? " is fixed here but" + other : " is" + other + " here but fixed");
      if (fa && ia->second != ib->second)
        return "model." + name + " = " + format_list(ia->second) + " here, " +
               format_list(ib->second);
    }
  }
  if (a.axes.size() != b.axes.size())
    return std::to_string(a.axes.size()) + " axes here, " + std::to_string(b.axes.size());
  for (std::size_t i = 0; i < a.axes.size(); ++i) {
    if (a.axes[i].name != b.axes[i].name)
      return "axis " + std::to_string(i + 1) + " is " + a.axes[i].name + " here, " + b.axes[i].name;
    if (a.axes[i].values != b.axes[i].values)
      return "axes." + a.axes[i].name + " = " + a.axes[i].spec + " here, " + b.axes[i].spec;
  }
  if (a.run.trials != b.run.trials)
    return "run.trials = " + std::to_string(a.run.trials) + " here, " +
           std::to_string(b.run.trials);
  if (a.run.seed != b.run.seed)
    return "run.seed = " + std::to_string(a.run.seed) + " here, " + std::to_string(b.run.seed);
  if (!(a.run.methods == b.run.methods))
    return "run.methods = " + methods_text<TwoModalityModel>(a.run.methods) + " here, " +
           methods_text<TwoModalityModel>(b.run.methods);
  if (a.run.sampler != b.run.sampler)
    return std::string("run.sampler = ") + sampler_name(a.run.sampler) + " here, " +
           sampler_name(b.run.sampler);
  if (a.run.rotate != b.run.rotate)
    return std::string("run.rotate = ") + rotate_name(a.run.rotate) + " here, " +
           rotate_name(b.run.rotate);
  const std::string da = a.run.diagnose ? diagnose_section_text(*a.run.diagnose) : "(none)";
  const std::string db = b.run.diagnose ? diagnose_section_text(*b.run.diagnose) : "(none)";
  if (da != db) return "the [diagnose] section differs";
  return "";
}

namespace {
Config build_config(const std::vector<Entry>& entries, const std::string& path) {
  Config c;
  c.source_path = path;
  c.fixed = default_param_values();
  Provenance where;
  for (const auto& e : entries) {
    if (e.section == "model") {
      c.fixed[e.name] = parse_fixed(e);
      where.given.insert(e.name);
    } else if (e.section == "axes") {
      c.axes.push_back(Axis{e.name, e.text, parse_axis(e.key(), e.text)});
    } else if (e.section == "diagnose") {
      if (!c.run.diagnose) c.run.diagnose.emplace();
      parse_diagnose_entry(e.name, e.text, *c.run.diagnose);
    } else {
      config_text::parse_run_entry(e, c.run, parse_methods<TwoModalityModel>);
    }
  }
  for (const auto& a : c.axes) c.fixed.erase(a.name);

  // eta fixes the nuisance covariance, nu the correlation: one of them, and with eta the
  // default nu steps aside.
  auto given = [&](const std::string& name) {
    return where.given.contains(name) ||
           std::any_of(c.axes.begin(), c.axes.end(), [&](const Axis& a) { return a.name == name; });
  };
  if (given("eta")) {
    if (given("nu"))
      throw InputError(
          "nu and eta are both given: give one (eta holds the nuisance covariance "
          "fixed, nu the correlation)");
    c.fixed.erase("nu");
  }

  validate(c, where);
  return c;
}
}  // namespace

std::string Config::resolved_text() const {
  if (binding()) return binding_resolved_text(*this);
  std::vector<std::pair<std::string, std::vector<double>>> model;  // in table order
  for (const auto& spec : kModelParams) {
    if (auto it = fixed.find(spec.name); it != fixed.end())
      model.emplace_back(it->first, it->second);
    for (const auto& name : indexed_names(fixed, spec.name))  // kappa[0], kappa[1], ...
      model.emplace_back(name, fixed.at(name));
  }
  std::string text = config_text::resolved_text("phasecube config", model, axes, run);
  if (run.diagnose) {
    text += '\n';
    text += diagnose_section_text(*run.diagnose);
  }
  return text;
}

}  // namespace phasecube
