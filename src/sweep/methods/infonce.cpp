// InfoNCE: CLIP-style linear encoders W, V trained by Adam on the symmetric NT-Xent loss, the
// contrastive objective practitioners train (phasecube/infonce.hpp). It needs the data matrix,
// and Adam's per-coordinate steps are not rotation-invariant: its trials rotate x and y
// (`[run] rotate = auto`), and W is scored in the model's frame (W qx). No closed form.
#include "phasecube/infonce.hpp"

#include "phasecube/metrics.hpp"
#include "phasecube/rng.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"infonce_distance_mean", VarType::Float64,
     "InfoNCE mean subspace distance of the row space of W to the signal subspace"},
    {"infonce_distance_std", VarType::Float64,
     "InfoNCE standard deviation of the subspace distance over trials"},
    {"infonce_recovery_rate", VarType::Float64,
     "InfoNCE share of trials recovering all k signal directions"},
    {"infonce_recovered_dims_mean", VarType::Float64,
     "InfoNCE mean number of recovered signal directions"},
    {"infonce_projector_distance_mean", VarType::Float64,
     "InfoNCE mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) to the signal subspace"},
    {"infonce_projector_distance_std", VarType::Float64,
     "InfoNCE standard deviation of the projector distance over trials"},
    {"infonce_steps_mean", VarType::Float64, "InfoNCE mean number of Adam steps taken"},
    {"infonce_final_loss_mean", VarType::Float64,
     "InfoNCE mean loss of the last step's batch (symmetric NT-Xent)"},
};

enum Slot : std::size_t { kDistance, kRecovered, kFull, kProjector, kSteps, kLoss, kSlots };

InfoNceSettings settings_of(const InfoNceParams& q) {
  InfoNceSettings s;
  s.tau = q.tau;
  s.batch = q.batch;
  s.lr = q.lr;
  s.max_steps = q.max_steps;
  s.patience = q.patience;
  s.tol = q.tol;
  return s;
}

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  const CellParams& p = t.cell.p;
  const TrialData& data = *t.data;
  const std::uint64_t seed = t.cell.run.seed, cell = t.cell.cell_index;
  Stream init(seed, cell, t.trial, StreamPurpose::InfoNceInit);
  Stream batches(seed, cell, t.trial, StreamPurpose::InfoNceBatches);
  InfoNceTrainer& trainer = t.scratch.infonce;
  const InfoNceResult r = trainer.train(data.x, data.y, p.k, settings_of(p.infonce), init, batches);
  // The encoder's columns in the model's frame: (W qx)^T = qx^T W^T.
  Eigen::MatrixXd& encoder = t.scratch.infonce_encoder;
  if (data.rotated)
    encoder.noalias() = data.qx.transpose() * trainer.w().transpose();
  else
    encoder = trainer.w().transpose();
  SubspaceScore& sc = t.scratch.score;
  score_subspace(encoder, p.k, t.scratch.metrics, sc);
  out[kDistance] = sc.distance;
  out[kRecovered] = sc.recovered;
  out[kFull] = sc.recovered == p.k ? 1.0 : 0.0;
  out[kProjector] = projector_distance(sc.distance);
  out[kSteps] = r.steps;
  out[kLoss] = r.final_loss;
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  slots(0) = o.mean(kDistance);
  slots(1) = o.std_dev(kDistance);
  slots(2) = o.mean(kFull);
  slots(3) = o.mean(kRecovered);
  slots(4) = o.mean(kProjector);
  slots(5) = o.std_dev(kProjector);
  slots(6) = o.mean(kSteps);
  slots(7) = o.mean(kLoss);
}

// Per step at most: the B x B similarities and their gradient (about 4 B^2 k multiply-adds
// plus an exp per entry, counted as 20) and the encoders' products (8 B d k).
double trial_cost(const CellParams& p) {
  const double b = p.infonce.batch, k = p.k, d = p.d;
  return static_cast<double>(p.infonce.max_steps) * (b * b * (4 * k + 20) + 8 * b * d * k);
}

// A 1-D embedding row-normalised is its sign, whose gradient is zero: W would never move.
std::string cell_error(const CellParams& p) {
  if (p.k >= 2) return {};
  return "needs k >= 2: with k = 1 the row-normalised embedding x W^T / |x W^T| is its sign, "
         "whose gradient is zero, so training never moves W";
}

}  // namespace

extern const TwoModalityMethod infonce_method;
const TwoModalityMethod infonce_method{.name = "infonce",
                                       .default_on = false,
                                       .variables = kVariables,
                                       .needs = MethodNeeds::Data,
                                       .rotation_invariant = false,
                                       .outcomes = kSlots,
                                       .measure = measure,
                                       .reduce = reduce,
                                       .trial_cost = trial_cost,
                                       .cell_error = cell_error};

}  // namespace phasecube::methods
