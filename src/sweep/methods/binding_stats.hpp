#pragma once
// What every binding method measures per trial and how it reduces: each modality's encoder
// scored against the signal, then per-modality means and the worst bound modality.
#include <algorithm>
#include <vector>

#include "phasecube/metrics.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {

// Outcome layout of a binding method for a cell of M modalities: distance at [a], full
// recovery at [M + a], recovered dims at [2M + a]; modalities it does not bind stay NaN.
inline constexpr std::size_t kBindingOutcomes = 3;

inline void score_modality(const BindingModel::TrialContext& t, int a, const Eigen::MatrixXd& enc,
                           double* out) {
  const auto m = static_cast<std::size_t>(t.cell.p.m), i = static_cast<std::size_t>(a);
  SubspaceScore& sc = t.scratch.score;
  score_subspace(enc, t.cell.p.k, t.scratch.metrics, sc);
  out[i] = sc.distance;
  out[m + i] = sc.recovered == t.cell.p.k ? 1.0 : 0.0;
  out[2 * m + i] = sc.recovered;
}

// Every modality's encoder of `encoders` (one per modality, as the fit's *_encoders give).
inline void score_modalities(const BindingModel::TrialContext& t,
                             const std::vector<Eigen::MatrixXd>& encoders, double* out) {
  for (int a = 0; a < t.cell.p.m; ++a)
    score_modality(t, a, encoders[static_cast<std::size_t>(a)], out);
}

// The method's variables from `var`: distance_mean, recovery_rate, recovered_dims_mean (per
// modality), worst_distance and worst_recovery_rate over the modalities `binds` accepts.
template <class Binds>
void reduce_modalities(const BindingModel::CellContext& c, const TrialOutcomes& o,
                       MethodSlots slots, std::size_t var, Binds binds) {
  const auto m = static_cast<std::size_t>(c.p.m);
  double worst_d = -1, worst_r = 2;
  int bound = 0;
  for (int a = 0; a < c.p.m; ++a) {
    if (!binds(a)) continue;
    const auto i = static_cast<std::size_t>(a);
    const double dist = o.mean(i), rate = o.mean(m + i);
    slots(var, a) = dist;
    slots(var + 1, a) = rate;
    slots(var + 2, a) = o.mean(2 * m + i);
    worst_d = std::max(worst_d, dist);
    worst_r = std::min(worst_r, rate);
    ++bound;
  }
  if (bound > 0) {
    slots(var + 3) = worst_d;
    slots(var + 4) = worst_r;
  }
}

// The reduce of a method that binds every modality and declares one closed-form variable
// before its statistics (anchor, centroid, all_pairs).
inline void reduce_every_modality(const BindingModel::CellContext& c, const TrialOutcomes& o,
                                  const RecordReader&, MethodSlots slots) {
  reduce_modalities(c, o, slots, 1, [](int) { return true; });
}

}  // namespace phasecube::methods
