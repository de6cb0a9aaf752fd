// joint(lambda): the encoder of CP's objective plus lambda times CA's, its distance to the
// signal and to CA's and CP's subspaces (no closed form).
#include "phasecube/metrics.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"joint_distance_mean", VarType::Float64,
     "joint(lambda) mean subspace distance to the signal subspace"},
    {"joint_recovery_rate", VarType::Float64,
     "joint(lambda) share of trials recovering all k directions"},
    {"joint_ca_distance_mean", VarType::Float64,
     "joint(lambda) mean subspace distance to the CA subspace"},
    {"joint_cp_distance_mean", VarType::Float64,
     "joint(lambda) mean subspace distance to the CP subspace"},
};

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  const CellParams& p = t.cell.p;
  TrialScratch& scratch = t.scratch;
  // Joint(0) is CP exactly: no extra eigenproblem for the common case.
  if (p.lambda != 0.0) t.fit.joint(p.lambda, scratch.estimators, scratch.joint);
  const Eigen::MatrixXd& joint = p.lambda == 0.0 ? t.fit.cp().encoder : scratch.joint.encoder;
  score_subspace(joint, p.k, scratch.metrics, scratch.score);
  out[0] = scratch.score.distance;
  out[1] = scratch.score.recovered == p.k ? 1.0 : 0.0;
  out[2] = subspace_distance(joint, t.fit.ca().encoder, p.k, scratch.metrics);
  out[3] =
      p.lambda == 0.0 ? 0.0 : subspace_distance(joint, t.fit.cp().encoder, p.k, scratch.metrics);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  for (std::size_t i = 0; i < 4; ++i) slots(i) = o.mean(i);
}

}  // namespace

extern const TwoModalityMethod joint_method;
const TwoModalityMethod joint_method{
    .name = "joint", .variables = kVariables, .outcomes = 4, .measure = measure, .reduce = reduce};

}  // namespace phasecube::methods
