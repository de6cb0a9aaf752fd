// Centroid (MAXVAR) binding: every modality aligned to a shared centroid, one joint
// eigenproblem of all M modalities.
#include "sweep/methods/binding_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_centroid", VarType::Float64,
     "closed-form centroid (MAXVAR) separation min_i lambda1(R_i) / max_j lambda1(R_j)"},
    {"centroid_distance_mean", VarType::Float64,
     "centroid (MAXVAR): mean subspace distance of each modality's encoder", true},
    {"centroid_recovery_rate", VarType::Float64,
     "centroid (MAXVAR): share of trials in which the modality recovers all k directions", true},
    {"centroid_recovered_dims_mean", VarType::Float64,
     "centroid: mean number of signal directions the modality recovers (overlap >= 0.8)", true},
    {"centroid_worst_distance", VarType::Float64,
     "centroid: largest distance_mean over modalities"},
    {"centroid_worst_recovery_rate", VarType::Float64,
     "centroid: smallest recovery rate over modalities"},
};

void closed_form(const BindingModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_centroid;
}

void measure(const BindingModel::TrialContext& t, double* out) {
  t.fit.centroid_encoders(t.scratch.centroid);
  score_modalities(t, t.scratch.centroid, out);
}

}  // namespace

extern const BindingMethodEntry centroid_method;
const BindingMethodEntry centroid_method{.name = "centroid",
                                         .variables = kVariables,
                                         .outcomes = kBindingOutcomes,
                                         .per_modality_outcomes = true,
                                         .closed_form = closed_form,
                                         .measure = measure,
                                         .reduce = reduce_every_modality};

}  // namespace phasecube::methods
