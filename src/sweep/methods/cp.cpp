// CP (x -> y): reduced-rank regression of y on x (the paper's cross-modal prediction), its
// closed form Delta_CP = min tau_i / max xi_j, and the population risks of its predictor.
#include "sweep/methods/subspace_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_cp", VarType::Float64,
     "closed-form CP (x->y) separation ratio min tau_i / max xi_j"},
    {"theory_r_cp", VarType::Float64, "closed-form number of signal directions CP (x->y) recovers"},
    {"cp_distance_mean", VarType::Float64,
     "CP (x->y) mean subspace distance to the signal subspace"},
    {"cp_distance_std", VarType::Float64, "CP (x->y) standard deviation of the subspace distance"},
    {"cp_recovery_rate", VarType::Float64,
     "CP (x->y) share of trials recovering all k signal directions"},
    {"cp_recovered_dims_mean", VarType::Float64,
     "CP (x->y) mean number of recovered signal directions"},
    {"cp_gap_mean", VarType::Float64, "CP (x->y) mean spectral gap sigma_k / sigma_k+1 of A^"},
    {"cp_projector_distance_mean", VarType::Float64,
     "CP (x->y) mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) to the signal subspace"},
    {"cp_projector_distance_std", VarType::Float64,
     "CP (x->y) standard deviation of the projector distance over trials"},
    {"cp_risk_mean", VarType::Float64, "CP (x->y) mean population prediction risk of y"},
    {"cp_signal_risk_mean", VarType::Float64,
     "CP (x->y) mean population risk against y_signal = (s, 0)"},
};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_cp;
  slots(1) = c.theory.r_cp;
}

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  const CellParams& p = t.cell.p;
  measure_subspace(t.fit.cp(), p.k, t.scratch, out);
  t.fit.cp_predictor(t.scratch.estimators, t.scratch.cp_predictor);
  out[kSubspaceSlots] = prediction_risk(t.scratch.cp_predictor, t.cell.pop);
  out[kSubspaceSlots + 1] = signal_risk(t.scratch.cp_predictor, t.cell.pop, p.kappa);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  const std::size_t next = reduce_subspace(o, slots, 2);
  slots(next) = o.mean(kSubspaceSlots);
  slots(next + 1) = o.mean(kSubspaceSlots + 1);
}

}  // namespace

extern const TwoModalityMethod cp_method;
const TwoModalityMethod cp_method{.name = "cp",
                                  .variables = kVariables,
                                  .outcomes = kSubspaceSlots + 2,
                                  .closed_form = closed_form,
                                  .measure = measure,
                                  .reduce = reduce};

}  // namespace phasecube::methods
