#pragma once
// The one cost model of a run: config validation and the run driver both ask it.
#include "support/memory.hpp"
#include "sweep/config.hpp"

namespace phasecube {

// The relative cost of a cell, what the MPI chunking balances (results never depend on it):
// trials x multiply-adds per trial, roughly. The sample is the (M d) x (M d) covariance of M
// modalities, Bartlett's factor ((M d)^3 / 6 + 30 (M d)^2) or n rows of normals
// (n M d (M d / 2 + 10)); the fit is 40 d^3 per pair of d x d eigenproblems (`fit_pairs`:
// 1 for CA/CP, M^2 for the binding methods).
double cell_cost(long trials, int modalities, int d, int n, bool wishart, double fit_pairs);

// The need of a config's run on `threads` OpenMP threads; threads = 0: closed forms only
// (`theory`, and config validation before the thread count is known). Pure; invalid values
// in the config are skipped (they are refused on their own).
MemoryNeed memory_need(const Config& c, int threads);

}  // namespace phasecube
