#include "sweep/diagnose_cell.hpp"

#include <array>
#include <cmath>
#include <limits>

#include "phasecube/diagnose.hpp"
#include "phasecube/rng.hpp"
#include "sweep/config.hpp"

namespace phasecube {

DiagnoseTrial diagnose_trial(const CellParams& p, const DiagnoseSettings& s, std::uint64_t seed,
                             std::uint64_t cell, std::uint64_t trial) {
  Stream data_rng(seed, cell, trial, StreamPurpose::DiagnoseData);
  const ModelData d = draw_model_data(p, p.n, data_rng);
  Stream label_rng(seed, cell, trial, StreamPurpose::Labels);
  const Eigen::MatrixXd labels = draw_labels(d.s, s.labels, s.label_noise, label_rng);
  std::vector<bool> labelled(static_cast<std::size_t>(p.n), false);
  const long m = std::min<long>(s.labelled, p.n);
  for (long i = 0; i < m; ++i) labelled[static_cast<std::size_t>(i)] = true;
  DiagnoseOptions o;
  o.pca = s.pca;
  o.folds = s.folds;
  o.ridge = s.ridge;
  o.fold_seed = s.fold_seed;
  o.whiten_reg = s.whiten_reg;
  o.classifier =
      s.classifier == "permutation" ? DiagnoseClassifier::Permutation : DiagnoseClassifier::Elbow;
  o.permutations = s.permutations;
  o.stream_cell = cell;
  o.stream_trial = trial;
  DiagnoseTrial t;
  try {
    const DiagnoseResult r = diagnose(d.x, d.y, labels, labelled, o);
    t.regime = static_cast<int>(r.regime);
    t.delta_ca = r.delta_ca;
    t.delta_cp = r.delta_cp;
    t.kappa = std::sqrt(std::max(0.0, r.kappa2));
    t.nu = r.nu;
  } catch (const InputError&) {
    t.regime = -1;  // a degenerate draw (constant column, too few labelled rows): counted wrong
  }
  return t;
}

void reduce_diagnose(const std::vector<DiagnoseTrial>& trials, CellRecord& r) {
  const int theory = static_cast<int>(at(r, Var::theory_regime));
  const double empirical_code = at(r, Var::empirical_regime);
  const int empirical = std::isfinite(empirical_code) ? static_cast<int>(empirical_code) : -2;
  std::array<long, 4> count{};
  long ok = 0, match_theory = 0, match_empirical = 0;
  double sca = 0, scp = 0, sk = 0, snu = 0;
  for (const DiagnoseTrial& t : trials) {  // trial order: the same bits on any thread count
    if (t.regime < 0) continue;
    ++ok;
    ++count[static_cast<std::size_t>(t.regime)];
    match_theory += t.regime == theory;
    match_empirical += t.regime == empirical;
    sca += t.delta_ca;
    scp += t.delta_cp;
    sk += t.kappa;
    snu += t.nu;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto total = static_cast<double>(trials.size());
  std::size_t mode = 0;
  for (std::size_t i = 1; i < 4; ++i)
    if (count[i] > count[mode]) mode = i;  // ties: the lower code
  at(r, DiagVar::diag_regime_mode) = ok ? static_cast<double>(mode) : -1.0;
  at(r, DiagVar::diag_accuracy_theory) =
      trials.empty() ? nan : static_cast<double>(match_theory) / total;
  // No simulated regime (methods without both ca and cp): nothing to be accurate against.
  at(r, DiagVar::diag_accuracy_empirical) =
      trials.empty() || empirical == -2 ? nan : static_cast<double>(match_empirical) / total;
  const double k = static_cast<double>(ok);
  at(r, DiagVar::diag_delta_ca_mean) = ok ? sca / k : nan;
  at(r, DiagVar::diag_delta_cp_mean) = ok ? scp / k : nan;
  at(r, DiagVar::diag_kappa_mean) = ok ? sk / k : nan;
  at(r, DiagVar::diag_nu_mean) = ok ? snu / k : nan;
}

}  // namespace phasecube
