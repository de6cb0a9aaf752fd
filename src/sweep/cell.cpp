#include "sweep/cell.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/metrics.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/theory.hpp"
#include "sweep/diagnose_cell.hpp"
#include "sweep/parallel.hpp"

namespace phasecube {

SamplerKind resolve_sampler(SamplerKind requested, const CellParams& p) {
  if (requested != SamplerKind::Auto) return requested;
  return p.n >= 2 * p.d ? SamplerKind::Wishart : SamplerKind::Direct;
}

CellRecord theory_record(const CellParams& p) {
  CellRecord r;
  for (std::size_t i = 0; i < kRecordSize; ++i) r[i] = fill_value(record_spec(i).type);
  const Theory t = theory(p);
  at(r, Var::theory_delta_ca) = t.delta_ca;
  at(r, Var::theory_delta_cp) = t.delta_cp;
  at(r, Var::theory_delta_cp_rev) = t.delta_cp_rev;
  at(r, Var::theory_regime) = static_cast<double>(t.regime);
  at(r, Var::theory_r_ca) = t.r_ca;
  at(r, Var::theory_r_cp) = t.r_cp;
  return r;
}

namespace {

// What one trial measures for one subspace method.
struct MethodOutcome {
  double distance, recovered, full, gap;
};
struct TrialOutcome {
  MethodOutcome ca, cp, cp_rev;
  double ca_encoder_norm, cp_risk, cp_signal_risk, probe_risk, probe_signal_risk;
  double joint_distance, joint_full, joint_to_ca, joint_to_cp;
  DiagnoseTrial diag;  // [diagnose] only
};

using CellWorkspace = TrialWorkspace<CrossModalFit>;

MethodOutcome score(const Subspace& s, int k, TrialScratch& scratch) {
  SubspaceScore& sc = scratch.score;
  score_subspace(s.encoder, k, scratch.metrics, sc);
  return {sc.distance, static_cast<double>(sc.recovered), sc.recovered == k ? 1.0 : 0.0,
          spectral_gap(s.values, k)};
}

// Sums in trial order: the same bits whatever thread computed each trial.
template <class Get>
double mean_of(const std::vector<TrialOutcome>& v, Get get) {
  double sum = 0;
  for (const auto& o : v) sum += get(o);
  return sum / static_cast<double>(v.size());
}

template <class Get>
double std_of(const std::vector<TrialOutcome>& v, Get get) {
  if (v.size() < 2) return std::numeric_limits<double>::quiet_NaN();  // undefined for T = 1
  const double m = mean_of(v, get);
  double ss = 0;
  for (const auto& o : v) ss += (get(o) - m) * (get(o) - m);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

void reduce_method(const std::vector<TrialOutcome>& v, MethodOutcome TrialOutcome::*m,
                   CellRecord& r, Var distance_mean, Var distance_std, Var recovery_rate,
                   Var dims_mean, Var gap_mean) {
  at(r, distance_mean) = mean_of(v, [m](const TrialOutcome& o) { return (o.*m).distance; });
  at(r, distance_std) = std_of(v, [m](const TrialOutcome& o) { return (o.*m).distance; });
  at(r, recovery_rate) = mean_of(v, [m](const TrialOutcome& o) { return (o.*m).full; });
  at(r, dims_mean) = mean_of(v, [m](const TrialOutcome& o) { return (o.*m).recovered; });
  at(r, gap_mean) = mean_of(v, [m](const TrialOutcome& o) { return (o.*m).gap; });
}

// joint(lambda): its subspace's distance to the signal and to CA's and CP's subspaces.
void measure_joint(const CrossModalFit& fit, const CellParams& p, TrialScratch& scratch,
                   TrialOutcome& o) {
  // Joint(0) is CP exactly: no extra eigenproblem for the common case.
  if (p.lambda != 0.0) fit.joint(p.lambda, scratch.estimators, scratch.joint);
  const Eigen::MatrixXd& joint = p.lambda == 0.0 ? fit.cp().encoder : scratch.joint.encoder;
  score_subspace(joint, p.k, scratch.metrics, scratch.score);
  const SubspaceScore& js = scratch.score;
  o.joint_distance = js.distance;
  o.joint_full = js.recovered == p.k ? 1.0 : 0.0;
  MetricScratch& m = scratch.metrics;
  o.joint_to_ca = subspace_distance(joint, fit.ca().encoder, p.k, m);
  o.joint_to_cp = p.lambda == 0.0 ? 0.0 : subspace_distance(joint, fit.cp().encoder, p.k, m);
}

// One trial's measurements of the selected methods, in the same order whatever the
// selection (the buffers of `scratch` are shared, the values are not).
void measure_trial(const CrossModalFit& fit, const CellParams& p, const PopulationCovariance& pop,
                   MethodSet methods, TrialScratch& scratch, TrialOutcome& o) {
  const bool ca = methods.has(Method::ca), cp = methods.has(Method::cp);
  const bool probe = methods.has(Method::probe);
  if (ca) o.ca = score(fit.ca(), p.k, scratch);
  if (cp) o.cp = score(fit.cp(), p.k, scratch);
  if (methods.has(Method::cp_rev)) o.cp_rev = score(fit.cp_rev(), p.k, scratch);
  if (ca) o.ca_encoder_norm = fit.ca_encoder_norm();
  if (cp) fit.cp_predictor(scratch.estimators, scratch.cp_predictor);
  if (probe) fit.ca_probe(scratch.estimators, scratch.ca_probe);
  if (cp) {
    o.cp_risk = prediction_risk(scratch.cp_predictor, pop);
    o.cp_signal_risk = signal_risk(scratch.cp_predictor, pop, p.kappa);
  }
  if (probe) {
    o.probe_risk = prediction_risk(scratch.ca_probe, pop);
    o.probe_signal_risk = signal_risk(scratch.ca_probe, pop, p.kappa);
  }
  if (methods.has(Method::joint)) measure_joint(fit, p, scratch, o);
}

// The selected methods' variables of `r` from the trials' outcomes, in trial order; the
// simulated regime when both CA and CP ran.
void reduce_methods(const std::vector<TrialOutcome>& v, MethodSet methods, CellRecord& r) {
  using O = const TrialOutcome&;
  if (methods.has(Method::ca)) {
    reduce_method(v, &TrialOutcome::ca, r, Var::ca_distance_mean, Var::ca_distance_std,
                  Var::ca_recovery_rate, Var::ca_recovered_dims_mean, Var::ca_gap_mean);
    at(r, Var::ca_encoder_norm_mean) = mean_of(v, [](O o) { return o.ca_encoder_norm; });
  }
  if (methods.has(Method::cp)) {
    reduce_method(v, &TrialOutcome::cp, r, Var::cp_distance_mean, Var::cp_distance_std,
                  Var::cp_recovery_rate, Var::cp_recovered_dims_mean, Var::cp_gap_mean);
    at(r, Var::cp_risk_mean) = mean_of(v, [](O o) { return o.cp_risk; });
    at(r, Var::cp_signal_risk_mean) = mean_of(v, [](O o) { return o.cp_signal_risk; });
  }
  if (methods.has(Method::cp_rev))
    reduce_method(v, &TrialOutcome::cp_rev, r, Var::cp_rev_distance_mean, Var::cp_rev_distance_std,
                  Var::cp_rev_recovery_rate, Var::cp_rev_recovered_dims_mean, Var::cp_rev_gap_mean);
  if (methods.has(Method::probe)) {
    at(r, Var::ca_probe_risk_mean) = mean_of(v, [](O o) { return o.probe_risk; });
    at(r, Var::ca_probe_signal_risk_mean) = mean_of(v, [](O o) { return o.probe_signal_risk; });
  }
  if (methods.has(Method::joint)) {
    at(r, Var::joint_distance_mean) = mean_of(v, [](O o) { return o.joint_distance; });
    at(r, Var::joint_recovery_rate) = mean_of(v, [](O o) { return o.joint_full; });
    at(r, Var::joint_ca_distance_mean) = mean_of(v, [](O o) { return o.joint_to_ca; });
    at(r, Var::joint_cp_distance_mean) = mean_of(v, [](O o) { return o.joint_to_cp; });
  }
  if (methods.has_regime()) {
    const bool ca = at(r, Var::ca_recovery_rate) >= 0.5;
    const bool cp = at(r, Var::cp_recovery_rate) >= 0.5;
    at(r, Var::empirical_regime) = static_cast<double>(regime_of(ca, cp));
  }
}

}  // namespace

std::size_t trial_outcome_bytes() {
  return sizeof(TrialOutcome);
}

CellRecord simulate_cell(const CellParams& p, const RunSettings& run, std::uint64_t cell_index) {
  static const std::atomic<bool> never(false);
  return *simulate_cell(p, run, cell_index, never);
}

std::optional<CellRecord> simulate_cell(const CellParams& p, const RunSettings& run,
                                        std::uint64_t cell_index, const std::atomic<bool>& cancel) {
  CellRecord r = theory_record(p);
  const SamplerKind kind = resolve_sampler(run.sampler, p);
  const auto blocks = coordinate_blocks(p);
  const PopulationCovariance pop = population_covariance(p);
  const auto trials = static_cast<std::size_t>(run.trials);
  std::vector<TrialOutcome> outcomes(trials);
  auto trial = [&](CellWorkspace& w, std::size_t t) {
    Stream rng(run.seed, cell_index, t);
    if (kind == SamplerKind::Wishart) {  // the fit takes Bartlett's factor directly
      w.sampler.draw_factor(rng, w.s);
      w.fit.fit_factor(w.s, p.n, p.k);
    } else {
      w.sampler.draw(rng, w.s);
      w.fit.fit_joint_covariance(w.s, p.k);
    }
    measure_trial(w.fit, p, pop, run.methods, w.scratch, outcomes[t]);
    if (run.diagnose) outcomes[t].diag = diagnose_trial(p, *run.diagnose, run.seed, cell_index, t);
  };
  parallel_trials<CellWorkspace>(trials, 4, &cancel, trial, blocks, p.n, kind);
  if (cancel.load()) return std::nullopt;

  reduce_methods(outcomes, run.methods, r);
  if (run.diagnose) {
    std::vector<DiagnoseTrial> diag;
    for (const auto& o : outcomes) diag.push_back(o.diag);
    reduce_diagnose(diag, r);
  }
  at(r, Var::trials_done) = static_cast<double>(trials);
  at(r, Var::done) = 1;
  return r;
}

}  // namespace phasecube
