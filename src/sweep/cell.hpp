#pragma once
// The cell layer: T Monte Carlo trials of one grid cell, OpenMP-parallel over trials and
// reduced in trial order, so the record is bitwise identical for any thread count.
#include <atomic>
#include <cstdint>
#include <optional>

#include "io/schema.hpp"
#include "phasecube/model.hpp"
#include "sweep/config.hpp"

namespace phasecube {

// The sampler a cell uses: `auto` is Wishart when n >= 2d, direct otherwise.
SamplerKind resolve_sampler(SamplerKind requested, const CellParams& p);

// A record with the closed-form variables filled and every Monte Carlo variable at its fill.
CellRecord theory_record(const CellParams& p);

// Theory plus `run.trials` Monte Carlo trials. The random stream of trial t is keyed by
// (run.seed, cell_index) and counted from t, so it does not depend on who runs it.
CellRecord simulate_cell(const CellParams& p, const RunSettings& run, std::uint64_t cell_index);
// Bytes simulate_cell holds per trial until the cell is reduced (memory.hpp).
std::size_t trial_outcome_bytes();

// The same, abandoned (nullopt) as soon as `cancel` becomes true: a stop request is then
// honoured within one trial, not one cell.
std::optional<CellRecord> simulate_cell(const CellParams& p, const RunSettings& run,
                                        std::uint64_t cell_index, const std::atomic<bool>& cancel);

}  // namespace phasecube
