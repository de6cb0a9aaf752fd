#pragma once
// Internal: the binding model's part of the one config loader (issue 6). A config is a binding
// run when it sets `modalities` in [model] or [axes]; it shares the Config, grammar, cell
// driver, cube schema, writer and reader, and job with two-modality runs.
#include <cstddef>
#include <set>
#include <string>

#include "phasecube/binding.hpp"
#include "sweep/config.hpp"

namespace phasecube {

// The binding model's part of the one config loader (config.hpp), for a source that sets
// `modalities`: every key against kBindingParams, every cell validated. Throws InputError.
Config load_binding_config(const ConfigSource& source);
// The cell checks of a binding config (config_text::check_cells; `given`: the fixed keys the
// user set, the others are labelled "(default)"); sets c.max_modalities. Throws InputError.
// Returns the number of cells checked.
std::size_t check_binding_cells(Config& c, const std::set<std::string>& given,
                                bool every_cell = false);
// Config::resolved_text and results_mismatch of a binding config.
std::string binding_resolved_text(const Config& c);
std::string binding_results_mismatch(const Config& a, const Config& b);

}  // namespace phasecube
