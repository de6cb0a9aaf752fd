// `[diagnose]` in `phasecube run`: the diagnose procedure on a fresh labelled draw of every
// trial, scored against the cell's closed-form and simulated regimes. A Section entry: on
// when the config has a [diagnose] section.
#include "phasecube/diagnose.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "phasecube/diagnose_uncertainty.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"diag_regime_mode", VarType::Int8,
     "diagnose: most frequent verdict over trials: 0 Neither, 1 CA only, 2 CP only, 3 Both, "
     "4 no label signal",
     false, kNoSignalCode},
    {"diag_accuracy_theory", VarType::Float64,
     "diagnose: share of trials whose verdict (CP in its better direction) equals the "
     "closed-form regime of the same question (CA, and CP in either direction; a no label "
     "signal verdict is wrong: the labels read the signal)"},
    {"diag_accuracy_empirical", VarType::Float64,
     "diagnose: share of trials whose verdict equals the simulated regime of the same question "
     "(CP in either direction when cp_rev runs, else the verdict's x->y regime against "
     "empirical_regime; a no label signal verdict is wrong)"},
    {"diag_delta_ca_mean", VarType::Float64,
     "diagnose: mean estimated Delta_CA (over trials where CCA has signal)"},
    {"diag_delta_cp_mean", VarType::Float64,
     "diagnose: mean estimated Delta_CP (x->y) (over trials where CP x->y has signal)"},
    {"diag_kappa_mean", VarType::Float64,
     "diagnose: mean estimated kappa (sqrt of the PLS kappa^2; over trials where PLS has "
     "signal)"},
    {"diag_nu_mean", VarType::Float64, "diagnose: mean estimated nuisance correlation nu"},
    {"diag_support_mean", VarType::Float64,
     "diagnose: mean over trials of the verdict's support, the share of the trial's `replicates` "
     "subsample replicates whose verdict equals it (NaN without replicates)"},
    {"diag_majority_accuracy_theory", VarType::Float64,
     "diagnose: share of trials whose majority verdict over its replicates equals the "
     "closed-form regime of the same question (NaN without replicates)"},
    {"diag_majority_accuracy_empirical", VarType::Float64,
     "diagnose: share of trials whose majority verdict over its replicates equals the "
     "simulated regime of the same question (NaN without replicates)"},
};

// Outcome slots: the verdict code (0..3 a regime, kNoSignalCode no label signal, -1: the
// procedure could not run on this draw, e.g. a constant column), the code of the verdict's
// x->y question (CA, and CP x->y only), and its estimates (NaN when their step, or the
// verdict, has no signal).
// With replicates also the verdict's support and the majority verdicts of both questions.
enum Slot : std::size_t {
  kRegime,
  kRegimeXy,
  kSupport,
  kMajority,
  kMajorityXy,
  kDeltaCa,
  kDeltaCp,
  kKappa,
  kNu,
  kSlots
};
// Where the cell's variables sit (kVariables' order).
enum Variable : std::size_t {
  kModeVar,
  kAccuracyTheoryVar,
  kAccuracyEmpiricalVar,
  kDeltaCaMeanVar,
  kSupportMeanVar = kDeltaCaMeanVar + (kSlots - kDeltaCa),
  kMajorityTheoryVar,
  kMajorityEmpiricalVar
};

// The verdict's regime when CP is asked in the x->y direction only (kNoSignalCode as the
// verdict): what `empirical_regime` answers when the cube has no CP y->x.
int xy_code(const DiagnoseResult& r) {
  if (r.no_signal) return kNoSignalCode;
  return static_cast<int>(regime_of(r.delta_ca > 1.0, r.delta_cp > 1.0));
}

DiagnoseOptions options_of(const DiagnoseSettings& s, std::uint64_t cell, std::uint64_t trial) {
  DiagnoseOptions o;
  o.pca = s.pca;
  o.folds = s.folds;
  o.ridge = s.ridge;
  o.fold_seed = s.fold_seed;
  o.whiten_reg = s.whiten_reg;
  o.classifier =
      s.classifier == "permutation" ? DiagnoseClassifier::Permutation : DiagnoseClassifier::Elbow;
  o.permutations = s.permutations;
  o.null_permutations = s.null_permutations;
  o.stream_cell = cell;
  o.stream_trial = trial;
  return o;
}

// The trial's `replicates` subsample replicates, as `diagnose --replicates` draws them
// (round((1 - 1/e) n) rows without replacement, labelled rows in proportion; resample and
// folds from the stream's replicate word r + 1): the share whose verdict repeats the
// trial's, and the majority verdicts. A resample the procedure refuses supports nothing.
void replicate_verdicts(const ModelData& d, const Eigen::MatrixXd& labels,
                        const std::vector<bool>& labelled, const DiagnoseOptions& o, int replicates,
                        double* out) {
  const auto verdict = static_cast<int>(out[kRegime]),
             verdict_xy = static_cast<int>(out[kRegimeXy]);
  const Eigen::Index size = default_subsample_size(d.x.rows());
  std::array<int, kVerdicts> count{}, count_xy{};
  int agree = 0;
  for (int rep = 0; rep < replicates; ++rep) {
    DiagnoseOptions ro = o;
    ro.stream_replicate = static_cast<std::uint64_t>(rep) + 1;
    Stream rng(o.fold_seed, o.stream_cell, o.stream_trial, StreamPurpose::DiagnoseResample,
               ro.stream_replicate);
    const ResampledData r =
        take_rows(d.x, d.y, labels, labelled, resample_rows(labelled, size, false, rng));
    try {
      const DiagnoseResult rr = diagnose(r.x, r.y, r.labels, r.labelled, ro);
      const int c = verdict_code(rr);
      ++count[static_cast<std::size_t>(c)];
      ++count_xy[static_cast<std::size_t>(xy_code(rr))];
      agree += c == verdict;
    } catch (const InputError&) {
    }
  }
  out[kSupport] = static_cast<double>(agree) / replicates;
  out[kMajority] = majority_verdict(count, verdict);
  out[kMajorityXy] = majority_verdict(count_xy, verdict_xy);
}

// Draws n rows of x and y from the model (stream purpose DiagnoseData), L labels as a noisy
// linear readout of the shared signal (purpose Labels), labels the first min(m, n) rows, and
// runs diagnose with folds keyed by (fold_seed, cell) and counted from the trial.
void measure(const TwoModalityModel::TrialContext& t, double* out) {
  const CellParams& p = t.cell.p;
  const DiagnoseSettings& s = *t.cell.run.diagnose;
  const std::uint64_t seed = t.cell.run.seed, cell = t.cell.cell_index;
  Stream data_rng(seed, cell, t.trial, StreamPurpose::DiagnoseData);
  const ModelData d = draw_model_data(p, p.n, data_rng);
  Stream label_rng(seed, cell, t.trial, StreamPurpose::Labels);
  const Eigen::MatrixXd labels = draw_labels(d.s, s.labels, s.label_noise, label_rng);
  std::vector<bool> labelled(static_cast<std::size_t>(p.n), false);
  const long m = std::min<long>(s.labelled, p.n);
  for (long i = 0; i < m; ++i) labelled[static_cast<std::size_t>(i)] = true;
  std::fill(out, out + kSlots, 0.0);
  out[kSupport] = out[kMajority] = out[kMajorityXy] = std::numeric_limits<double>::quiet_NaN();
  const DiagnoseOptions o = options_of(s, cell, t.trial);
  try {
    const DiagnoseResult r = diagnose(d.x, d.y, labels, labelled, o);
    out[kRegime] = static_cast<double>(verdict_code(r));
    out[kRegimeXy] = static_cast<double>(xy_code(r));
    out[kDeltaCa] = r.delta_ca;
    out[kDeltaCp] = r.delta_cp;
    out[kKappa] = std::isnan(r.kappa2) ? r.kappa2 : std::sqrt(std::max(0.0, r.kappa2));
    out[kNu] = r.nu;
    // Without label signal the estimates rest on chance calls: none is averaged.
    if (r.no_signal)
      std::fill(out + kDeltaCa, out + kSlots, std::numeric_limits<double>::quiet_NaN());
    if (s.replicates > 0) replicate_verdicts(d, labels, labelled, o, s.replicates, out);
  } catch (const InputError&) {
    // A degenerate draw (constant column, too few labelled rows): counted wrong.
    out[kRegime] = out[kRegimeXy] = -1;
  }
}

// What a trial's verdict is scored against, like with like: the closed form and (when the
// cube has both directions) the simulated regime of "CA, and CP in either direction", the
// verdict's own question; without cp_rev the verdict's x->y code against empirical_regime.
struct Truth {
  int theory = 0;
  int empirical = -2;  // -2: the cube has no simulated regime
  Slot empirical_slot = kRegime;
};

Truth truth_of(const TwoModalityModel::CellContext& c, const RecordReader& r) {
  const Theory& t = c.theory;
  Truth truth;
  truth.theory =
      static_cast<int>(regime_of(t.delta_ca > 1.0, t.delta_cp > 1.0 || t.delta_cp_rev > 1.0));
  const double xy = r("empirical_regime"), yx = r("empirical_regime_rev");
  if (std::isfinite(xy) && std::isfinite(yx)) {
    truth.empirical = static_cast<int>(xy) | static_cast<int>(yx);  // bit 1 CA, bit 2 CP
  } else if (std::isfinite(xy)) {
    truth.empirical = static_cast<int>(xy);
    truth.empirical_slot = kRegimeXy;
  }
  return truth;
}

// With replicates: the mean support and the share of trials whose majority verdict is right,
// over the trials whose procedure ran (NaN without replicates).
void reduce_replicates(const Truth& truth, const TrialOutcomes& o, MethodSlots slots) {
  const Slot empirical_majority = truth.empirical_slot == kRegime ? kMajority : kMajorityXy;
  double support = 0;
  long have = 0, theory = 0, empirical = 0;
  for (std::size_t t = 0; t < o.trials(); ++t) {
    if (std::isnan(o(t, kSupport))) continue;
    ++have;
    support += o(t, kSupport);
    theory += static_cast<int>(o(t, kMajority)) == truth.theory;
    empirical += static_cast<int>(o(t, empirical_majority)) == truth.empirical;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN(), n = static_cast<double>(have);
  slots(kSupportMeanVar) = have ? support / n : nan;
  slots(kMajorityTheoryVar) = have ? static_cast<double>(theory) / n : nan;
  slots(kMajorityEmpiricalVar) =
      have && truth.empirical != -2 ? static_cast<double>(empirical) / n : nan;
}

// In trial order: the same bits on any thread count. Accuracy against the simulated regime
// is NaN when the cube has none (methods without both ca and cp). Each estimate's mean is
// over the trials that have it (not NaN: its step had signal).
void reduce(const TwoModalityModel::CellContext& c, const TrialOutcomes& o, const RecordReader& r,
            MethodSlots slots) {
  const Truth truth = truth_of(c, r);
  std::array<long, kNoSignalCode + 1> count{};
  long ok = 0, match_theory = 0, match_empirical = 0;
  std::array<double, kSlots> sum{};
  std::array<long, kSlots> have{};
  for (std::size_t t = 0; t < o.trials(); ++t) {
    const int regime = static_cast<int>(o(t, kRegime));
    if (regime < 0) continue;
    ++ok;
    ++count[static_cast<std::size_t>(regime)];
    match_theory += regime == truth.theory;
    match_empirical += static_cast<int>(o(t, truth.empirical_slot)) == truth.empirical;
    for (std::size_t k = kDeltaCa; k < kSlots; ++k)
      if (!std::isnan(o(t, k))) {
        sum[k] += o(t, k);
        ++have[k];
      }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto total = static_cast<double>(o.trials());
  std::size_t mode = 0;
  for (std::size_t i = 1; i < count.size(); ++i)
    if (count[i] > count[mode]) mode = i;  // ties: the lower code
  slots(0) = ok ? static_cast<double>(mode) : -1.0;
  slots(1) = o.trials() == 0 ? nan : static_cast<double>(match_theory) / total;
  slots(2) =
      o.trials() == 0 || truth.empirical == -2 ? nan : static_cast<double>(match_empirical) / total;
  for (std::size_t k = kDeltaCa; k < kSlots; ++k)
    slots(kDeltaCaMeanVar + k - kDeltaCa) = have[k] ? sum[k] / static_cast<double>(have[k]) : nan;
  reduce_replicates(truth, o, slots);
}

}  // namespace

extern const TwoModalityMethod diagnose_method;
const TwoModalityMethod diagnose_method{.name = "diagnose",
                                        .kind = MethodKind::Section,
                                        .variables = kVariables,
                                        .needs = MethodNeeds::OwnDraw,
                                        .outcomes = kSlots,
                                        .section = "diagnose",
                                        .measure = measure,
                                        .reduce = reduce};

}  // namespace phasecube::methods
