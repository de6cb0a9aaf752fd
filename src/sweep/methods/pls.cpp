// PLS: the top-k left singular vectors of the sample cross-covariance Sxy (no whitening), with
// its closed form Delta_PLS = min kappa_i^2 / max eta_j (the population Sxy is
// diag(kappa_i^2, eta_j)). Not in the default selection: `[run] methods = ..., pls`.
#include "sweep/methods/subspace_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_pls", VarType::Float64,
     "closed-form PLS separation ratio min kappa_i^2 / max eta_j"},
    {"theory_r_pls", VarType::Float64, "closed-form number of signal directions PLS recovers"},
    {"pls_distance_mean", VarType::Float64, "PLS mean subspace distance to the signal subspace"},
    {"pls_distance_std", VarType::Float64,
     "PLS standard deviation of the subspace distance over trials"},
    {"pls_recovery_rate", VarType::Float64,
     "PLS share of trials recovering all k signal directions"},
    {"pls_recovered_dims_mean", VarType::Float64, "PLS mean number of recovered signal directions"},
    {"pls_gap_mean", VarType::Float64, "PLS mean spectral gap sigma_k / sigma_k+1 of Sxy"},
    {"pls_projector_distance_mean", VarType::Float64,
     "PLS mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) to the signal subspace"},
    {"pls_projector_distance_std", VarType::Float64,
     "PLS standard deviation of the projector distance over trials"},
};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_pls;
  slots(1) = c.theory.r_pls;
}

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  t.fit.pls(t.scratch.estimators, t.scratch.pls);
  measure_subspace(t.scratch.pls, t.cell.p.k, t.scratch, out);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  reduce_subspace(o, slots, 2);
}

}  // namespace

extern const TwoModalityMethod pls_method;
const TwoModalityMethod pls_method{.name = "pls",
                                   .default_on = false,
                                   .variables = kVariables,
                                   .outcomes = kSubspaceSlots,
                                   .closed_form = closed_form,
                                   .measure = measure,
                                   .reduce = reduce};

}  // namespace phasecube::methods
