#pragma once
// The uncertainty of a diagnosis (`phasecube diagnose --replicates`): the procedure rerun on
// resamples of the rows, summarised as regime fractions and percentiles, and the epsilon x n
// sensitivity table. Pure functions (the replicates' loop is the CLI's, src/app).
//
// Resampling (as the paper authors' resampling study, which draws rows of x, y and labels
// together; their datasets are fully labelled): labelled and unlabelled rows are resampled
// separately, each stratum in proportion to its share of the rows, so every replicate of a
// size has the same numbers of labelled and unlabelled rows and never too few labelled ones.
#include <Eigen/Dense>
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "phasecube/diagnose.hpp"
#include "phasecube/rng.hpp"

namespace phasecube {

// Rows of a resample of `size` rows (sorted ascending; repeated with `replace`), labelled and
// unlabelled rows drawn separately: round(size * labelled / n) labelled ones, the rest
// unlabelled (size == n keeps both counts). Draws from `rng`: the labelled stratum first.
std::vector<Eigen::Index> resample_rows(const std::vector<bool>& labelled, Eigen::Index size,
                                        bool replace, Stream& rng);
// The default subsample size round((1 - 1/e) n): the expected distinct rows of a bootstrap.
Eigen::Index default_subsample_size(Eigen::Index n);
// x, y, labels and the labelled flags of the resample's `rows`, in that order.
struct ResampledData {
  Eigen::MatrixXd x, y, labels;
  std::vector<bool> labelled;
};
ResampledData take_rows(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                        const Eigen::MatrixXd& labels, const std::vector<bool>& labelled,
                        const std::vector<Eigen::Index>& rows);
// The number of labelled rows resample_rows gives a resample of `size` rows.
Eigen::Index resampled_labelled(Eigen::Index n, Eigen::Index labelled, Eigen::Index size);

// The p-th percentile (0 <= p <= 100) of `sorted` (ascending, no NaN, not empty) by linear
// interpolation between the closest ranks: NumPy's default, np.percentile(a, p), bit for
// bit (h = (count - 1) * (p / 100); a[floor h] + (a[floor h + 1] - a[floor h]) * (h - floor h),
// or from the upper neighbour when the fraction is >= 0.5, as NumPy). An infinite neighbour
// gives itself (NumPy would give NaN for a finite and +inf neighbour past the midpoint).
double percentile(const std::vector<double>& sorted, double p);

// What every replicate contributes: its verdict code (Regime 0..3 or kNoSignalCode) and the
// estimates of kReplicateQuantities (NaN where the result has none).
inline constexpr std::array<const char*, 12> kReplicateQuantities = {
    "delta_ca",     "delta_cp",        "delta_cp_rev",  "kappa2",        "nu",
    "gamma_x",      "gamma_y",         "gamma_tilde_x", "gamma_tilde_y", "recovered_ca",
    "recovered_cp", "recovered_cp_rev"};
inline constexpr std::size_t kReplicateDeltas = 3;  // the first three are the Deltas
struct ReplicateOutcome {
  int verdict = kNoSignalCode;
  std::array<double, kReplicateQuantities.size()> values{};
};
ReplicateOutcome replicate_outcome(const DiagnoseResult& r);

// Percentiles of one quantity over the replicates whose value is not NaN (NaN: no signal in
// its step; those are counted, not used). A Delta's interval straddles 1 when its 2.5th
// percentile is below 1 and its 97.5th above.
struct QuantitySpread {
  int count = 0, nan = 0;
  double p2_5 = 0, p25 = 0, median = 0, p75 = 0, p97_5 = 0;  // NaN when count == 0
  bool straddles_one = false;
};
inline constexpr int kVerdicts = kNoSignalCode + 1;  // Neither, CA only, CP only, Both, no signal
struct ReplicateSummary {
  int replicates = 0;
  std::array<int, kVerdicts> verdicts{};  // replicates per verdict code
  int point_verdict = 0;                  // the full data's verdict code
  int support = 0;                        // replicates with the point verdict
  int majority = 0;  // the most frequent verdict (ties: the point verdict, then the lower code)
  std::array<QuantitySpread, kReplicateQuantities.size()> spread{};
};
ReplicateSummary summarise_replicates(const std::vector<ReplicateOutcome>& outcomes,
                                      int point_verdict);
// The most frequent verdict of `counts` (replicates per verdict code); ties go to `first` (the
// full data's verdict), then to the lower code.
int majority_verdict(const std::array<int, kVerdicts>& counts, int first);

// A whole uncertainty study: the replicates of the chosen resample, and the epsilon x n
// table (one resample per n, or `replicates` of them, every epsilon on the same rows).
struct SensitivityCell {
  double epsilon = 0;
  Eigen::Index rows = 0, labelled = 0;
  ReplicateSummary summary;
};
struct DiagnoseUncertainty {
  int replicates = 0;                   // 0: no replicate set (only the sensitivity table)
  bool bootstrap = false;               // with replacement (else a subsample without)
  Eigen::Index rows = 0, labelled = 0;  // per replicate
  ReplicateSummary summary;
  std::vector<ReplicateOutcome> outcomes;  // per replicate, in replicate order
  int table_replicates = 0;                // per sensitivity cell
  bool table_bootstrap = false;
  std::vector<SensitivityCell> table;  // epsilon-major
};

// The report's uncertainty part (printed after print_diagnose_report: it starts with the
// verdict's support) and the JSON document with it ("uncertainty" and "sensitivity" after
// every key of print_diagnose_json).
void print_uncertainty_report(const DiagnoseResult& r, const DiagnoseUncertainty& u,
                              std::ostream& out);
void print_diagnose_json(const DiagnoseResult& r, const DiagnoseOptions& o,
                         const DiagnoseUncertainty& u, std::ostream& out);

}  // namespace phasecube
