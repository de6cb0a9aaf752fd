#pragma once
// The `[diagnose]` section of a sweep config: `phasecube run` then also evaluates the
// diagnose procedure in every trial of every cell (see diagnose.hpp and cell.cpp). Present
// as soon as the config sets any of its keys.
#include <cstdint>
#include <string>
#include <string_view>

namespace phasecube {

struct DiagnoseSettings {
  int labels = 5;                    // L label columns: noisy linear readouts of the shared signal
  double label_noise = 0.5;          // noise std of each label (signal coordinates standardised)
  long labelled = 500;               // m: the first m of the n rows are labelled (min(m, n))
  int folds = 5;                     // cross-validation folds
  double ridge = 1e-3;               // ridge penalty of the R^2 regressions
  std::uint64_t fold_seed = 1;       // key of the fold assignment (with the cell; trial = counter)
  double whiten_reg = 1e-6;          // whitening regularisation
  std::string classifier = "elbow";  // elbow or permutation
  int permutations = 100;            // permutation classifier only
  int null_permutations = 20;        // the elbow's no-signal guard (0: R^2 > 0 only)
  int pca = 0;                       // PCA pre-reduction (0: off)
  // Subsample replicates per trial (0: none), as `diagnose --replicates R`: the verdict's
  // support and the majority verdict, scored like the verdict (issue 14 item 5).
  int replicates = 0;
};

inline constexpr std::string_view kDiagnoseKeys[] = {
    "labels",       "label_noise",       "labelled",   "folds",
    "ridge",        "fold_seed",         "whiten_reg", "classifier",
    "permutations", "null_permutations", "pca",        "replicates"};

// Parses diagnose.<name> = text into `s`; throws InputError naming the key and value.
void parse_diagnose_entry(const std::string& name, const std::string& text, DiagnoseSettings& s);
// The section as INI text ("[diagnose]\nlabels = 5\n...").
std::string diagnose_section_text(const DiagnoseSettings& s);

}  // namespace phasecube
