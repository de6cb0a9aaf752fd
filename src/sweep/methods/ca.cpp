// CA: CCA of the sample covariances (the paper's cross-modal alignment), with its closed form
// Delta_CA = min rho_i / max nu_j.
#include "sweep/methods/subspace_stats.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_delta_ca", VarType::Float64, "closed-form CA separation ratio min rho_i / max nu_j"},
    {"theory_r_ca", VarType::Float64, "closed-form number of signal directions CA recovers"},
    {"ca_distance_mean", VarType::Float64, "CA mean subspace distance to the signal subspace"},
    {"ca_distance_std", VarType::Float64,
     "CA standard deviation of the subspace distance over trials"},
    {"ca_recovery_rate", VarType::Float64, "CA share of trials recovering all k signal directions"},
    {"ca_recovered_dims_mean", VarType::Float64, "CA mean number of recovered signal directions"},
    {"ca_gap_mean", VarType::Float64, "CA mean spectral gap sigma_k / sigma_k+1 of C^"},
    {"ca_projector_distance_mean", VarType::Float64,
     "CA mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) to the signal subspace"},
    {"ca_projector_distance_std", VarType::Float64,
     "CA standard deviation of the projector distance over trials"},
    {"ca_encoder_norm_mean", VarType::Float64, "CA mean encoder norm 2 sum_i<=k 1/phi_i"},
};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.delta_ca;
  slots(1) = c.theory.r_ca;
}

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  measure_subspace(t.fit.ca(), t.cell.p.k, t.scratch, out);
  out[kSubspaceSlots] = t.fit.ca_encoder_norm();
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  slots(reduce_subspace(o, slots, 2)) = o.mean(kSubspaceSlots);
}

}  // namespace

extern const TwoModalityMethod ca_method;
const TwoModalityMethod ca_method{.name = "ca",
                                  .variables = kVariables,
                                  .outcomes = kSubspaceSlots + 1,
                                  .closed_form = closed_form,
                                  .measure = measure,
                                  .reduce = reduce};

}  // namespace phasecube::methods
