#pragma once
// Binding runs (issue 6): config, Monte Carlo cells and the job of the one sweep driver.
// A config is a binding run when it sets `modalities` in [model] or [axes]; it shares the
// config grammar, the cube schema, writer and reader, and GridJob with two-modality runs.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "io/binding_schema.hpp"
#include "phasecube/binding.hpp"
#include "sweep/config.hpp"

namespace phasecube {

struct SweepOptions;
namespace mpi {
class Session;
}

struct BindingConfig {
  ParamValues fixed;       // fixed parameters (plain and indexed keys), defaults filled in
  std::vector<Axis> axes;  // swept parameters in file order
  RunSettings run;
  std::string source_path;
  int max_modalities = 0;  // the largest M over the grid: the cube's modality dimension
  std::string resolved_text() const;
};

// True when the file or an override sets the key model.modalities or axes.modalities
// (ConfigSource::sets_modalities). Reading or syntax errors give false: the loader reports them.
bool is_binding_config(const std::string& path, const std::vector<std::string>& overrides);

// Loads and validates a binding config (every key, every cell). Throws InputError.
BindingConfig load_binding_config(const ConfigSource& source);
BindingConfig load_binding_config(const std::string& path,
                                  const std::vector<std::string>& overrides);

// Either kind of run, decided once from the tokenized keys (ConfigSource::sets_modalities):
// a binding run of M modalities, or the two-modality run.
using AnyConfig = std::variant<Config, BindingConfig>;
AnyConfig load_any_config(const std::string& path, const std::vector<std::string>& overrides);
BindingConfig binding_config_from_text(const std::string& text, const std::string& source);

// The values of one cell of the grid (fixed overlaid with its axis values).
ParamValues binding_cell_values(const BindingConfig& c, std::size_t cell);

// Closed forms of a cell; Monte Carlo slots at their fill values.
std::vector<double> binding_theory_record(const BindingParams& p, const BindingLayout& layout);
// Closed forms plus run.trials trials, OpenMP over trials, reduced in trial order: bitwise the
// same for any thread count. Trial t's stream is keyed by (run.seed, cell_index, t). Returns
// an empty record when `cancel` becomes true (checked between trials).
std::vector<double> simulate_binding_cell(const BindingParams& p, const RunSettings& run,
                                          std::uint64_t cell_index, const BindingLayout& layout,
                                          const std::atomic<bool>* cancel = nullptr);

// `phasecube theory` for a binding config: closed forms only, one process, no MPI.
void run_binding_theory(const BindingConfig& config, const SweepOptions& options,
                        std::ostream& log);

// `phasecube run` for a binding config on every rank of `session`: the same master/worker
// driver, snapshots, stop signals and --resume as two-modality runs (run_sweep_job in
// sweep.hpp), with binding records and the binding cube. Same contract as run_sweep.
int run_binding(const BindingConfig& config, const SweepOptions& options,
                const mpi::Session& session, std::ostream& log);

}  // namespace phasecube
