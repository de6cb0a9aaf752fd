#pragma once
// `phasecube validate`: how well a simulated cube agrees with the closed-form theory, why it
// disagrees where it does, and where the simulated phase boundaries lie.
//
// Every cell is rebuilt from the cube's stored config, so the closed-form spectra come from
// theory.cpp (one source of truth) and the cube only supplies what was simulated.
#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace phasecube {

struct ValidateOptions {
  double band = 0.1;      // "near a boundary": |Delta - 1| <= band for CA or CP
  long null_trials = 40;  // trials of each null simulation (no cross-modal covariance)
  std::uint64_t null_seed = 12345;
};

// Why a cell's simulated regime differs from the closed form.
enum class Cause { NearBoundary, FiniteSample, Unexplained };
const char* cause_name(Cause c);

struct Disagreement {
  std::size_t cell = 0;
  std::vector<double> coordinates;  // the cell's axis values
  int theory_regime = 0, empirical_regime = 0;
  double delta_ca = 0, delta_cp = 0;
  double gap_ca = 0, gap_cp = 0;                // |min rho - max nu|, |min tau - max xi|
  double null_floor_ca = 0, null_floor_cp = 0;  // mean top null singular value of C^, A^
  double ca_recovery_rate = 0, cp_recovery_rate = 0;
  Cause cause = Cause::Unexplained;
};

// Where, along one grid line (one axis varying, the others fixed), a method's closed-form
// Delta crosses 1 and its simulated recovery rate crosses 0.5.
struct BoundaryCrossing {
  std::string method;      // "ca" or "cp"
  std::string axis;        // the varying axis
  std::vector<double> at;  // the line's other axis values, in axis order (NaN for `axis`)
  double theory = 0;       // interpolated closed-form boundary
  double empirical = 0;    // interpolated recovery-rate crossing (NaN if none on the line)
};

struct MethodBoundarySummary {
  std::string method, axis;
  std::size_t crossings = 0, matched = 0;  // matched: an empirical crossing exists
  double mean_abs_distance = 0, median_abs_distance = 0, max_abs_distance = 0;
  double mean_signed_distance = 0;  // empirical - theory
};

// A method without a closed form (InfoNCE): where along one grid line its recovery rate
// crosses 0.5, next to CA's boundaries on the same line (does it follow CA?).
struct EmpiricalCrossing {
  std::string method, axis;
  std::vector<double> at;   // as BoundaryCrossing::at
  double empirical = 0;     // interpolated recovery-rate crossing
  double ca_theory = 0;     // nearest CA closed-form crossing on the line (NaN if none)
  double ca_empirical = 0;  // nearest CA recovery-rate crossing on the line (NaN if none)
};

struct EmpiricalBoundarySummary {
  std::string method, axis;
  std::size_t lines = 0, crossings = 0;  // complete lines walked, crossings found on them
  std::size_t with_ca_theory = 0, with_ca_empirical = 0;
  double mean_signed_to_ca_theory = 0, mean_abs_to_ca_theory = 0;  // empirical - CA's
  double mean_signed_to_ca_empirical = 0, mean_abs_to_ca_empirical = 0;
};

struct ValidationReport {
  std::string path;
  std::vector<std::string> axes;
  std::size_t cells = 0, done = 0, agree = 0;
  std::array<std::array<std::size_t, 4>, 4> confusion{};  // [theory][empirical]
  std::size_t near_boundary = 0, finite_sample = 0, unexplained = 0;
  // Cells outside the band whose CA and CP gaps both exceed twice their null floors.
  std::size_t clear_cells = 0, clear_agree = 0;
  std::vector<Disagreement> disagreements;  // every one, with its cause
  // With diag_* variables ([diagnose]): the mean per-cell accuracy of the diagnose procedure
  // against the simulated and the closed-form regime, over all done cells, the cells outside
  // the band, and the clear cells. Index 0 all, 1 outside the band, 2 clear. The band here is
  // that of the verdict's question: Delta_CA and the larger of Delta_CP x->y and y->x.
  bool has_diagnose = false;
  std::array<std::size_t, 3> diag_cells{};
  std::array<double, 3> diag_accuracy_empirical{}, diag_accuracy_theory{};
  // With `[diagnose] replicates`: the same for the trials' majority verdicts, and the
  // calibration of the verdict's support (is a verdict with support p right p of the time?):
  // cells binned by their mean support, per bin its mean support and mean accuracy (empty:
  // the cube has no replicates).
  std::array<double, 3> diag_majority_empirical{}, diag_majority_theory{};
  struct CalibrationBin {
    double lo = 0, hi = 0;  // support in [lo, hi), the last bin [lo, 1]
    std::size_t cells = 0;
    double support = 0, accuracy_empirical = 0, accuracy_theory = 0;  // means over its cells
  };
  std::vector<CalibrationBin> diag_calibration;
  std::vector<BoundaryCrossing> crossings;
  std::vector<MethodBoundarySummary> summaries;
  std::vector<EmpiricalCrossing> empirical_crossings;  // methods without a closed form
  std::vector<EmpiricalBoundarySummary> empirical_summaries;
  // With an `n` axis: per n value and method, the mean |distance| of crossings along the
  // other axes.
  struct ByN {
    double n;
    std::string method;
    std::size_t matched;
    double mean_abs_distance;
  };
  std::vector<ByN> by_n;
};

// Throws InputError for a file that is not a simulated phasecube cube.
ValidationReport validate_cube(const std::string& path, const ValidateOptions& options);
void print_report(const ValidationReport& r, const ValidateOptions& options, std::ostream& out);
void print_json(const ValidationReport& r, const ValidateOptions& options, std::ostream& out);

}  // namespace phasecube
