#pragma once
// What every subspace estimator measures per trial and how it reduces: shared by CA, CP and
// CP reverse and PLS so their seven statistics are computed one way.
#include "phasecube/metrics.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {

// Outcome slots of a scored subspace.
enum SubspaceSlot : std::size_t { kDistance, kRecovered, kFull, kGap, kProjector, kSubspaceSlots };

// Scores the top-k subspace `s` into out[0, kSubspaceSlots).
inline void measure_subspace(const Subspace& s, int k, TrialScratch& scratch, double* out) {
  SubspaceScore& sc = scratch.score;
  score_subspace(s.encoder, k, scratch.metrics, sc);
  out[kDistance] = sc.distance;
  out[kRecovered] = static_cast<double>(sc.recovered);
  out[kFull] = sc.recovered == k ? 1.0 : 0.0;
  out[kGap] = spectral_gap(s.values, k);
  out[kProjector] = projector_distance(sc.distance);
}

// Variables var .. var+6: distance mean and std, recovery rate, recovered dims, gap mean,
// projector distance mean and std (the projector distance is the square root of the distance
// per trial, so its moments are not those of the distance). Returns the next variable.
inline std::size_t reduce_subspace(const TrialOutcomes& o, MethodSlots slots, std::size_t var) {
  slots(var) = o.mean(kDistance);
  slots(var + 1) = o.std_dev(kDistance);
  slots(var + 2) = o.mean(kFull);
  slots(var + 3) = o.mean(kRecovered);
  slots(var + 4) = o.mean(kGap);
  slots(var + 5) = o.mean(kProjector);
  slots(var + 6) = o.std_dev(kProjector);
  return var + 7;
}

}  // namespace phasecube::methods
