#pragma once
// The one cost model of a run: config validation and the run driver both ask it.
#include "support/memory.hpp"
#include "sweep/config.hpp"

namespace phasecube {

struct BindingConfig;

// The need of a config's run on `threads` OpenMP threads; threads = 0: closed forms only
// (`theory`, and config validation before the thread count is known). Pure; invalid values
// in the config are skipped (they are refused on their own).
MemoryNeed memory_need(const Config& c, int threads);
MemoryNeed memory_need(const BindingConfig& c, int threads);

}  // namespace phasecube
