// Fixed-anchor binding: every modality aligned to one anchor modality a (a CLIP-style hub);
// the anchor itself is bound to all others at once.
#include "sweep/methods/binding_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_anchor", VarType::Float64,
     "closed-form fixed-anchor separation of each modality (m != a: rho_ma / nu_ma; the "
     "anchor: sqrt(min_i sum_m rho_am^2 / max_j sum_m nu_am^2))",
     true},
    {"anchor_distance_mean", VarType::Float64,
     "fixed anchor: mean subspace distance of each modality's encoder to the signal subspace",
     true},
    {"anchor_recovery_rate", VarType::Float64,
     "fixed anchor: share of trials in which the modality recovers all k signal directions", true},
    {"anchor_recovered_dims_mean", VarType::Float64,
     "fixed anchor: mean number of signal directions the modality recovers (overlap >= 0.8)", true},
    {"anchor_worst_distance", VarType::Float64,
     "fixed anchor: largest distance_mean over modalities"},
    {"anchor_worst_recovery_rate", VarType::Float64,
     "fixed anchor: smallest recovery rate over modalities"},
};

void closed_form(const BindingModel::CellContext& c, MethodSlots slots) {
  for (int m = 0; m < c.p.m; ++m) slots(0, m) = c.theory.delta_anchor(m);
}

void measure(const BindingModel::TrialContext& t, double* out) {
  t.fit.anchor_encoders(t.cell.p.anchor, t.scratch.anchor);
  score_modalities(t, t.scratch.anchor, out);
}

}  // namespace

extern const BindingMethodEntry anchor_method;
const BindingMethodEntry anchor_method{.name = "anchor",
                                       .variables = kVariables,
                                       .outcomes = kBindingOutcomes,
                                       .per_modality_outcomes = true,
                                       .closed_form = closed_form,
                                       .measure = measure,
                                       .reduce = reduce_every_modality};

}  // namespace phasecube::methods
