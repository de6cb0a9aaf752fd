// Best pair: the two-view CCA of the pair of modalities with the largest closed-form Delta
// (an oracle choice); only those two modalities are bound.
#include "sweep/methods/binding_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_best_pair", VarType::Float64,
     "closed-form separation of the best pair, max over pairs of min rho_ab / max nu_ab"},
    {"best_pair_first", VarType::Int8, "first modality of the best pair (closed-form oracle)",
     false, kModalityCode},
    {"best_pair_second", VarType::Int8, "second modality of the best pair (closed-form oracle)",
     false, kModalityCode},
    {"best_pair_distance_mean", VarType::Float64,
     "best pair: mean subspace distance of the two paired modalities' encoders (fill "
     "elsewhere)",
     true},
    {"best_pair_recovery_rate", VarType::Float64,
     "best pair: share of trials in which a paired modality recovers all k directions", true},
    {"best_pair_recovered_dims_mean", VarType::Float64,
     "best pair: mean number of signal directions the modality recovers (overlap >= 0.8)", true},
    {"best_pair_worst_distance", VarType::Float64,
     "best pair: larger distance_mean of the two paired modalities"},
    {"best_pair_worst_recovery_rate", VarType::Float64,
     "best pair: smaller recovery rate of the two paired modalities"},
};

void closed_form(const BindingModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_best_pair;
  slots(1) = c.theory.best_a;
  slots(2) = c.theory.best_b;
}

void measure(const BindingModel::TrialContext& t, double* out) {
  const int a = t.cell.theory.best_a, b = t.cell.theory.best_b;
  t.fit.pair_encoder(a, b, t.scratch.pair);
  score_modality(t, a, t.scratch.pair, out);
  t.fit.pair_encoder(b, a, t.scratch.pair);
  score_modality(t, b, t.scratch.pair, out);
}

void reduce(const BindingModel::CellContext& c, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  const int a = c.theory.best_a, b = c.theory.best_b;
  reduce_modalities(c, o, slots, 3, [a, b](int m) { return m == a || m == b; });
}

}  // namespace

extern const BindingMethodEntry best_pair_method;
const BindingMethodEntry best_pair_method{.name = "best_pair",
                                          .variables = kVariables,
                                          .outcomes = kBindingOutcomes,
                                          .per_modality_outcomes = true,
                                          .closed_form = closed_form,
                                          .measure = measure,
                                          .reduce = reduce};

}  // namespace phasecube::methods
