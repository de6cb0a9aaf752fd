#pragma once
// `phasecube diagnose`: the paper's data-driven procedure that places a real paired dataset
// (x, y and a small labelled subsample) in the CA / CP phase diagram. Pure functions on Eigen
// matrices; file reading lives in data_io.hpp, the report in diagnose_report.cpp.
//
// Steps (in order): centre both views, optional PCA pre-reduction; per-view SVD; PLS (SVD of
// Sxy); CCA (SVD of Sxx^-1/2 Sxy Syy^-1/2); CP both ways (SVD of Syx Sxx^-1/2 and of
// Sxy Syy^-1/2); every component classified signal / nuisance by the k-fold cross-validated
// ridge R^2 of its score(s) against the labels, behind the no-signal guard (R^2 > 0 and above
// a label-permutation null level); gamma estimates; verdict, or "no label signal" when CCA
// or both CP steps have no signal component.
#include <Eigen/Dense>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "phasecube/model.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/theory.hpp"

namespace phasecube {

enum class DiagnoseClassifier { Elbow, Permutation };

// The paper authors' implementation choices (estimate_parameters of IlayMalinyak/
// mm_align_vs_pred), one switch each; all off is phasecube's procedure. `--parity reference`
// sets them all (reference_parity()) and the authors' defaults (reference_defaults()).
struct DiagnoseParity {
  bool absolute_whitening = false;  // Sxx + eps I (eigenvalues floored at 1e-12), not eps x mean
  bool raw_ridge = false;           // ridge alpha on the raw scores' sums of squares
  bool fold_sst = false;            // R^2 against each test fold's own total sum of squares
  bool clip_correlations = false;   // canonical correlations clipped to [0, 1]
  bool clip_gamma = false;          // gamma estimates clipped at 0
  bool pooled_null = false;         // permutation null pooled over components (max and sum)
  bool plain_elbow = false;         // elbow without contrast or null guard
  bool empty_as_zero = false;       // Delta, kappa^2, gammas 0 without components (not NaN)
  bool forward_cp = false;          // the regime from CP x->y only
  bool numpy_folds = false;         // numpy's folds (RandomState(fold seed)) and permutations
  bool keep_constant = false;       // constant columns kept (zero-variance components), not refused
  bool any() const;
};
DiagnoseParity reference_parity();

// Every choice the procedure leaves open, with its documented default.
struct DiagnoseOptions {
  int pca = 0;                  // PCA pre-reduction of each view to p components (0: none)
  int folds = 5;                // k of the k-fold cross-validation
  double ridge = 1e-3;          // ridge penalty on standardised scores (relative to 1)
  std::uint64_t fold_seed = 1;  // Philox key of the fold assignment and permutations
  double whiten_reg = 1e-6;     // whitening adds whiten_reg * (mean variance) to every eigenvalue
  DiagnoseClassifier classifier = DiagnoseClassifier::Elbow;
  int permutations = 100;       // label permutations of the permutation classifier's null
  double null_quantile = 0.95;  // of the per-permutation maximum R^2 over components
  // The no-signal guard: a component is signal only if its R^2 is > 0 and above the step's
  // null level (null_quantile of the per-permutation maximum R^2, the permutation
  // classifier's threshold). The elbow computes that level from null_permutations
  // permutations (0: R^2 > 0 only) and calls nothing unless the mean R^2 of its upper
  // segment exceeds the null level and elbow_contrast x the mean of the lower segment.
  int null_permutations = 20;
  double elbow_contrast = 2.0;
  // Where the fold/permutation stream sits: key (fold_seed, stream_cell), counter from
  // stream_trial. The CLI uses (0, 0); `run` uses the cell and trial. stream_replicate is
  // the counter's last word: 0, or r + 1 for resampling replicate r (--replicates).
  std::uint64_t stream_cell = 0, stream_trial = 0, stream_replicate = 0;
  // At most this many leading components per step (0: all); the per-view steps also at most
  // n - 1, as in the authors' code (where n_components = 50).
  int components = 0;
  DiagnoseParity parity;
};

// `--parity reference`: every switch of reference_parity() and the authors' defaults (ridge
// 1, 30 permutations, no null permutations, 50 components) on `o`.
DiagnoseOptions reference_defaults(DiagnoseOptions o);

// One step's components: their spectrum, per-component R^2 sum, and classification.
struct DiagnoseStep {
  std::string name;        // "svd_x", "svd_y", "pls", "cca", "cp", "cp_rev"
  Eigen::VectorXd values;  // singular values (variances for svd_*), descending
  Eigen::VectorXd r2;      // cross-validated ridge R^2 summed over label columns
  std::vector<bool> signal;
  int n_signal = 0;
  double threshold = 0;   // the R^2 cut: elbow midpoint or null quantile
  double null_level = 0;  // the guard's R^2 level (the null quantile; 0 without permutations)
  std::string no_signal;  // why no component is signal ("" when some is)
  double floor = 0;       // nuisance floor: largest nuisance value (0 if none)
  double delta = 0;       // min signal value / floor (NaN without signal components)
  int recovered = 0;      // r^: signal values above the floor
};

// The regime code of a diagnosis without label signal (after Regime's 0..3), in JSON and in
// the `diag_regime_mode` of sweeps.
inline constexpr int kNoSignalCode = 4;

struct DiagnoseResult {
  int n = 0, n_labelled = 0, label_columns = 0, dx = 0, dy = 0;
  DiagnoseStep svd_x, svd_y, pls, cca, cp, cp_rev;
  double kappa2 = 0;  // mean PLS singular value over signal components (NaN without)
  double nu = 0;      // nuisance CCA correlation (second largest when >= 3 nuisance)
  double delta_ca = 0, delta_cp = 0, delta_cp_rev = 0;
  double gamma_x = 0, gamma_y = 0;              // signal variance - kappa^2, per view
  double gamma_tilde_x = 0, gamma_tilde_y = 0;  // nuisance variance, per view
  // CCA, or both CP steps, without a signal component: no regime (`regime` stays Neither),
  // no objective or direction, a NaN margin, and the warning says so.
  bool no_signal = false;
  Regime regime = Regime::Neither;
  std::string objective;  // "CA" or "CP" ("" without signal)
  std::string direction;  // "x->y" or "y->x" (the better CP direction; "" without signal)
  double margin = 0;      // chosen Delta / the other objective's Delta
  std::string warning;    // set for Neither and for no signal
  // Further warnings, one line each (negative gamma estimates, clipped in parity mode).
  std::vector<std::string> warnings;
};

// The verdict's code (Regime 0..3, or kNoSignalCode) and name ("no signal" for the latter).
int verdict_code(const DiagnoseResult& r);
const char* verdict_name(const DiagnoseResult& r);

// x (n x dx), y (n x dy) and labels (n x L); labelled[i] says whether row i's labels count.
// Throws InputError for input the procedure cannot use (fewer labelled rows than folds,
// constant columns, ...).
// x and y by value: moved in, they are centred in place (no copy of a large view).
DiagnoseResult diagnose(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& labels,
                        const std::vector<bool>& labelled, const DiagnoseOptions& options);

// Index of the breakpoint of the best two-segment least-squares line fit of `sorted`
// (descending): the number of points in the first segment, 1..size-1 (size >= 2).
int elbow_breakpoint(const Eigen::VectorXd& sorted);

// k-fold cross-validated ridge R^2 of predicting every column of `targets` (m x L) from
// `scores` (m x q), each clipped at 0 and summed over columns. `fold` gives each row's fold.
double cv_ridge_r2(const Eigen::MatrixXd& scores, const Eigen::MatrixXd& targets,
                   const std::vector<int>& fold, int folds, double ridge);

// The targets' side of cv_ridge_r2, split by fold once for every component scored against
// them. The R^2 rule: phasecube standardises the scores (ridge relative to 1) and takes each
// column's total sum of squares about its mean over all rows; the authors' (`raw`) puts the
// ridge on the raw scores' sums of squares and sums per-fold totals about each test fold's mean.
struct CvRule {
  bool raw_ridge = false, fold_sst = false;
};
struct CvTargets {
  struct Fold {
    std::vector<Eigen::Index> train, test;
    Eigen::MatrixXd train_targets;  // centred on their mean
    Eigen::MatrixXd test_targets;   // less the train targets' mean
    Eigen::RowVectorXd test_ss;     // column sums of squares of test_targets
  };
  std::vector<Fold> folds;  // folds with both train and test rows
  Eigen::VectorXd sst;      // total sum of squares of each column
  CvRule rule;
};
CvTargets cv_targets(const Eigen::MatrixXd& targets, const std::vector<int>& fold, int folds,
                     CvRule rule = {});
double cv_ridge_r2(const Eigen::MatrixXd& scores, const CvTargets& targets, double ridge);
// Its terms: the clipped R^2 of every target column (cv_ridge_r2 sums them in order).
Eigen::VectorXd cv_ridge_r2_columns(const Eigen::MatrixXd& scores, const CvTargets& targets,
                                    double ridge);
// The same for every component of a step at once (c x L): component i's q scores are column
// i of each of the q blocks (m x c). Per fold, the scores' products with the targets are one
// matrix product for all components, and a held-out SSE is |u|^2 - 2 b.(z^T u) + b^T z^T z b
// (u the test targets less the train mean, z the test scores, b the ridge coefficients).
Eigen::MatrixXd cv_ridge_r2_components(const std::vector<Eigen::MatrixXd>& blocks,
                                       const CvTargets& targets, double ridge);

// Synthetic data drawn from the model (used by `run` and the tests): n rows of x and y in
// the canonical basis, and the shared signal s (n x k).
struct ModelData {
  Eigen::MatrixXd x, y, s;
};
ModelData draw_model_data(const CellParams& p, int n, Stream& rng);

// Labels as a noisy linear readout of the shared signal: labels = u W + noise, u = s with
// each column standardised, W (k x L) Gaussian with its rows then orthogonalised and scaled to
// W W^T = (L/k) I when L >= k (each label's signal part has variance 1 on average), noise
// N(0, label_noise^2).
Eigen::MatrixXd draw_labels(const Eigen::MatrixXd& s, int columns, double label_noise, Stream& rng);

// Readable report and JSON of a result.
void print_diagnose_report(const DiagnoseResult& r, const DiagnoseOptions& o, std::ostream& out);
void print_diagnose_json(const DiagnoseResult& r, const DiagnoseOptions& o, std::ostream& out);

}  // namespace phasecube
