// All pairs (SUMCOR-style): every modality bound to all others at once.
#include "sweep/methods/binding_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_all_pairs", VarType::Float64,
     "closed-form all-pairs (SUMCOR-style) separation of each modality, sqrt(min_i sum_b "
     "rho_mb^2 / max_j sum_b nu_mb^2)",
     true},
    {"all_pairs_distance_mean", VarType::Float64,
     "all pairs (SUMCOR-style): mean subspace distance of each modality's encoder", true},
    {"all_pairs_recovery_rate", VarType::Float64,
     "all pairs (SUMCOR-style): share of trials in which the modality recovers all k directions",
     true},
    {"all_pairs_recovered_dims_mean", VarType::Float64,
     "all pairs: mean number of signal directions the modality recovers (overlap >= 0.8)", true},
    {"all_pairs_worst_distance", VarType::Float64,
     "all pairs: largest distance_mean over modalities"},
    {"all_pairs_worst_recovery_rate", VarType::Float64,
     "all pairs: smallest recovery rate over modalities"},
};

void closed_form(const BindingModel::CellContext& c, MethodSlots slots) {
  for (int m = 0; m < c.p.m; ++m) slots(0, m) = c.theory.delta_all_pairs(m);
}

void measure(const BindingModel::TrialContext& t, double* out) {
  t.fit.all_pairs_encoders(t.scratch.all_pairs);
  score_modalities(t, t.scratch.all_pairs, out);
}

}  // namespace

extern const BindingMethodEntry all_pairs_method;
const BindingMethodEntry all_pairs_method{.name = "all_pairs",
                                          .variables = kVariables,
                                          .outcomes = kBindingOutcomes,
                                          .per_modality_outcomes = true,
                                          .closed_form = closed_form,
                                          .measure = measure,
                                          .reduce = reduce_every_modality};

}  // namespace phasecube::methods
