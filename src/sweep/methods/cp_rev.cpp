// CP reverse (y -> x): the prediction of x from y, its subspace in y-space, and its closed form
// Delta_CP_rev = min tau'_i / max xi'_j.
#include "sweep/methods/subspace_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_cp_rev", VarType::Float64,
     "closed-form CP (y->x) separation ratio min tau'_i / max xi'_j"},
    {"cp_rev_distance_mean", VarType::Float64,
     "CP (y->x) mean subspace distance to the signal subspace"},
    {"cp_rev_distance_std", VarType::Float64,
     "CP (y->x) standard deviation of the subspace distance"},
    {"cp_rev_recovery_rate", VarType::Float64,
     "CP (y->x) share of trials recovering all k directions"},
    {"cp_rev_recovered_dims_mean", VarType::Float64,
     "CP (y->x) mean number of recovered directions"},
    {"cp_rev_gap_mean", VarType::Float64, "CP (y->x) mean spectral gap sigma_k / sigma_k+1"},
    {"cp_rev_projector_distance_mean", VarType::Float64,
     "CP (y->x) mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) to the signal subspace"},
    {"cp_rev_projector_distance_std", VarType::Float64,
     "CP (y->x) standard deviation of the projector distance over trials"},
};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_cp_rev;
}

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  measure_subspace(t.fit.cp_rev(), t.cell.p.k, t.scratch, out);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  reduce_subspace(o, slots, 1);
}

}  // namespace

extern const TwoModalityMethod cp_rev_method;
const TwoModalityMethod cp_rev_method{.name = "cp_rev",
                                      .variables = kVariables,
                                      .outcomes = kSubspaceSlots,
                                      .closed_form = closed_form,
                                      .measure = measure,
                                      .reduce = reduce};

}  // namespace phasecube::methods
