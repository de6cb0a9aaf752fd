#pragma once
// `[diagnose]` in `phasecube run`: one diagnose trial per Monte Carlo trial, and the
// reduction of a cell's trials into the kDiagVariables of its record.
#include <cstdint>
#include <vector>

#include "io/schema.hpp"
#include "phasecube/model.hpp"
#include "sweep/diagnose_settings.hpp"

namespace phasecube {

struct DiagnoseTrial {
  int regime = -1;  // -1: the procedure could not run on this draw (e.g. a constant column)
  double delta_ca = 0, delta_cp = 0, kappa = 0, nu = 0;
};

// Draws n rows of x and y from the model (stream purpose DiagnoseData), L labels as a noisy
// linear readout of the shared signal (purpose Labels), labels the first min(m, n) rows, and
// runs diagnose with folds keyed by (fold_seed, cell) and counted from the trial.
DiagnoseTrial diagnose_trial(const CellParams& p, const DiagnoseSettings& s, std::uint64_t seed,
                             std::uint64_t cell, std::uint64_t trial);

// Fills the kDiagVariables of `r` (whose theory_regime and empirical_regime are set), in
// trial order.
void reduce_diagnose(const std::vector<DiagnoseTrial>& trials, CellRecord& r);

}  // namespace phasecube
