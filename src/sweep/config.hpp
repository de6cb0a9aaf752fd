#pragma once
// Config layer: INI files and --section.key overrides (one grammar for every run, see
// ConfigSource), the [axes] grammar, and the run settings. The one place axis specs are parsed.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/schema.hpp"
#include "phasecube/error.hpp"
#include "phasecube/model.hpp"
#include "phasecube/sampler.hpp"
#include "sweep/diagnose_settings.hpp"

namespace phasecube {

// The most trials a cell can have: trials_done is an int32 in the cube (schema).
inline constexpr long kMaxTrials = 2147483647;

// `[run] rotate`: independent Haar rotations of x and y in the trials of the methods that
// train on the data matrix (a method that is not rotation-invariant, e.g. InfoNCE with Adam,
// would otherwise see the model's axis-aligned coordinates). auto: exactly when a selected
// method is not rotation-invariant.
enum class Rotate { Auto, On, Off };
const char* rotate_name(Rotate r);

struct RunSettings {
  long trials = 100;
  std::uint64_t seed = 1;
  SamplerKind sampler = SamplerKind::Auto;
  std::string output;  // may be empty until the CLI resolves it
  // Cells per chunk handed to an MPI rank; 0: chosen from a cost estimate. Results do not
  // depend on it.
  std::uint64_t chunk_cells = 0;
  // [run] methods: the estimators computed (and their cube variables), names in registry
  // order (sweep/methods/registry.hpp); empty: every estimator of the model.
  std::vector<std::string> methods;
  Rotate rotate = Rotate::Auto;
  // [diagnose]: also evaluate the diagnose procedure in every trial (absent: not run).
  std::optional<DiagnoseSettings> diagnose;
};

// A loaded, validated config of either model. Which model follows from the keys, never from
// values or file names: a config that sets `modalities` (in [model] or [axes], file or
// override) is the many-modality (binding) model, with its parameter table kBindingParams;
// any other is the two-modality model (kModelParams).
struct Config {
  ParamValues fixed;       // every model parameter that is not swept (defaults filled in)
  std::vector<Axis> axes;  // swept parameters, in file order (= cube dimension order)
  RunSettings run;
  std::string source_path;  // the config file
  // 0: the two-modality model; else the binding model, and the largest M over the grid (the
  // cube's `modality` dimension).
  int max_modalities = 0;
  bool binding() const { return max_modalities > 0; }
  // The resolved config as INI text (every key, overrides applied): stored in the cube and
  // enough to rerun the sweep.
  std::string resolved_text() const;
};

// One `key = value` of a config as written, before a parameter table interprets it.
struct ConfigEntry {
  std::string section;  // e.g. "model"; empty for a key outside any section
  std::string name;     // e.g. "nu" or "gamma[1]"
  std::string text;     // the value, trimmed
  bool command_line = false;
  std::string where;  // "sweep.ini:3" or "command line": starts messages about the key
  std::string key() const { return section.empty() ? name : section + "." + name; }
};

// A config file (read once) and its command-line overrides, tokenized by the one INI grammar
// of every run: lines `[section]`, `key = value`, comments (a line starting with '#' or ';';
// a '#' anywhere ends the line); overrides `--section.key=value` or `section.key=value`.
struct ConfigSource {
  std::string path;                    // names the source in messages
  std::vector<ConfigEntry> file;       // file order
  std::vector<ConfigEntry> overrides;  // command-line order
  // `modalities` is a key of [model] or [axes] (file or override): a binding run
  // (binding_config.hpp), else a two-modality one. Decided on keys, never on values.
  bool sets_modalities() const;
};
ConfigSource read_config_source(const std::string& path, const std::vector<std::string>& overrides);
// The same of INI text (`source` names it), with overrides as on a command line (the Python
// module's cells: no text, every parameter an override).
ConfigSource config_source_from_text(const std::string& text, const std::string& source,
                                     const std::vector<std::string>& overrides = {});

// Parses an axis value: linspace(a, b, m), logspace(a, b, m) (base-10 exponents) or an
// explicit list "0.1, 0.5, 0.9". Throws InputError naming `key`.
std::vector<double> parse_axis(const std::string& key, const std::string& spec);
// Parses one number or a comma-separated list. Throws InputError naming `key`.
std::vector<double> parse_number_list(const std::string& key, const std::string& text);

// Loads FILE.ini, applies overrides ("--model.nu=0.3" or "model.nu=0.3"), decides the model
// (ConfigSource::sets_modalities), validates every key, every value and every cell of the
// grid (the cells in time proportional to the axes: config_text::check_cells). Throws
// InputError on any bad input.
Config load_config(const std::string& path, const std::vector<std::string>& overrides);
Config load_config(const ConfigSource& source);
// The per-cell checks of a loaded config's grid as load_config runs them
// (config_text::check_cells), every fixed value labelled as given; `every_cell` walks every
// cell instead. Throws InputError for a bad cell; returns how many cells were checked.
std::size_t check_config_cells(Config& c, bool every_cell = false);
// The same from INI text (e.g. the resolved config stored in a cube); `source` names it.
Config config_from_text(const std::string& text, const std::string& source);
// The first difference between two configs that changes results (model, axes, trials, seed,
// sampler, methods, [diagnose]; not output or chunking), as "model.nu = 0.3 here, 0.4";
// empty when none.
std::string results_mismatch(const Config& here, const Config& stored);

}  // namespace phasecube
