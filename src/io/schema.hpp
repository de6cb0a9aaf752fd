#pragma once
// The cube's data variables (DESIGN section 3): the one place their names, types and
// long names are written. The cell driver fills a CellRecord; the cube layer writes it;
// inspect and the Python tools read the names back from the file.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phasecube {

// One swept parameter: a dimension of the grid and of the cube.
struct Axis {
  std::string name;            // a model parameter name, e.g. "kappa"
  std::string spec;            // as written, e.g. "linspace(0, 3, 31)"
  std::vector<double> values;  // resolved grid values, in order
};

enum class VarType { Float64, Int8, Int32, UInt8 };

// X(name, type, long_name)
#define PHASECUBE_VARIABLES(X)                                                                     \
  X(theory_delta_ca, Float64, "closed-form CA separation ratio min rho_i / max nu_j")              \
  X(theory_delta_cp, Float64, "closed-form CP (x->y) separation ratio min tau_i / max xi_j")       \
  X(theory_delta_cp_rev, Float64, "closed-form CP (y->x) separation ratio min tau'_i / max xi'_j") \
  X(theory_regime, Int8, "closed-form regime: 0 Neither, 1 CA only, 2 CP only, 3 Both")            \
  X(theory_r_ca, Float64, "closed-form number of signal directions CA recovers")                   \
  X(theory_r_cp, Float64, "closed-form number of signal directions CP (x->y) recovers")            \
  X(ca_distance_mean, Float64, "CA mean subspace distance to the signal subspace")                 \
  X(ca_distance_std, Float64, "CA standard deviation of the subspace distance over trials")        \
  X(ca_recovery_rate, Float64, "CA share of trials recovering all k signal directions")            \
  X(ca_recovered_dims_mean, Float64, "CA mean number of recovered signal directions")              \
  X(ca_gap_mean, Float64, "CA mean spectral gap sigma_k / sigma_k+1 of C^")                        \
  X(cp_distance_mean, Float64, "CP (x->y) mean subspace distance to the signal subspace")          \
  X(cp_distance_std, Float64, "CP (x->y) standard deviation of the subspace distance")             \
  X(cp_recovery_rate, Float64, "CP (x->y) share of trials recovering all k signal directions")     \
  X(cp_recovered_dims_mean, Float64, "CP (x->y) mean number of recovered signal directions")       \
  X(cp_gap_mean, Float64, "CP (x->y) mean spectral gap sigma_k / sigma_k+1 of A^")                 \
  X(cp_rev_distance_mean, Float64, "CP (y->x) mean subspace distance to the signal subspace")      \
  X(cp_rev_distance_std, Float64, "CP (y->x) standard deviation of the subspace distance")         \
  X(cp_rev_recovery_rate, Float64, "CP (y->x) share of trials recovering all k directions")        \
  X(cp_rev_recovered_dims_mean, Float64, "CP (y->x) mean number of recovered directions")          \
  X(cp_rev_gap_mean, Float64, "CP (y->x) mean spectral gap sigma_k / sigma_k+1")                   \
  X(ca_encoder_norm_mean, Float64, "CA mean encoder norm 2 sum_i<=k 1/phi_i")                      \
  X(cp_risk_mean, Float64, "CP (x->y) mean population prediction risk of y")                       \
  X(cp_signal_risk_mean, Float64, "CP (x->y) mean population risk against y_signal = (s, 0)")      \
  X(ca_probe_risk_mean, Float64, "CA+probe mean population prediction risk of y")                  \
  X(ca_probe_signal_risk_mean, Float64, "CA+probe mean population risk against y_signal")          \
  X(joint_distance_mean, Float64, "joint(lambda) mean subspace distance to the signal subspace")   \
  X(joint_recovery_rate, Float64, "joint(lambda) share of trials recovering all k directions")     \
  X(joint_ca_distance_mean, Float64, "joint(lambda) mean subspace distance to the CA subspace")    \
  X(joint_cp_distance_mean, Float64, "joint(lambda) mean subspace distance to the CP subspace")    \
  X(empirical_regime, Int8,                                                                        \
    "simulated regime (recovery rate >= 0.5): 0 Neither, 1 CA only, 2 CP only, 3 Both")            \
  X(trials_done, Int32, "Monte Carlo trials completed in this cell")                               \
  X(done, UInt8, "1 when the cell is complete")

enum class Var : std::size_t {
#define PHASECUBE_ENUM(name, type, long_name) name,
  PHASECUBE_VARIABLES(PHASECUBE_ENUM)
#undef PHASECUBE_ENUM
};

struct VariableSpec {
  std::string_view name;
  VarType type;
  std::string_view long_name;
  bool per_modality = false;  // a last dimension `modality` (binding cubes)
};

inline constexpr std::array kVariables = {
#define PHASECUBE_SPEC(name, type, long_name) VariableSpec{#name, VarType::type, long_name},
    PHASECUBE_VARIABLES(PHASECUBE_SPEC)
#undef PHASECUBE_SPEC
};
inline constexpr std::size_t kNumVariables = kVariables.size();

// The diagnose variables: written only when the config has a [diagnose] section (a cube
// without them is still a complete cube). Kept apart from kVariables so readers of older
// cubes and tools that list kVariables are unaffected.
// X(name, type, long_name)
#define PHASECUBE_DIAG_VARIABLES(X)                                                           \
  X(diag_regime_mode, Int8,                                                                   \
    "diagnose: most frequent estimated regime over trials: 0 Neither, 1 CA only, 2 CP only, " \
    "3 Both")                                                                                 \
  X(diag_accuracy_theory, Float64,                                                            \
    "diagnose: share of trials whose estimated regime equals the closed-form regime")         \
  X(diag_accuracy_empirical, Float64,                                                         \
    "diagnose: share of trials whose estimated regime equals the simulated regime")           \
  X(diag_delta_ca_mean, Float64, "diagnose: mean estimated Delta_CA")                         \
  X(diag_delta_cp_mean, Float64, "diagnose: mean estimated Delta_CP (x->y)")                  \
  X(diag_kappa_mean, Float64, "diagnose: mean estimated kappa (sqrt of the PLS kappa^2)")     \
  X(diag_nu_mean, Float64, "diagnose: mean estimated nuisance correlation nu")

enum class DiagVar : std::size_t {
#define PHASECUBE_ENUM(name, type, long_name) name,
  PHASECUBE_DIAG_VARIABLES(PHASECUBE_ENUM)
#undef PHASECUBE_ENUM
};

inline constexpr std::array kDiagVariables = {
#define PHASECUBE_SPEC(name, type, long_name) VariableSpec{#name, VarType::type, long_name},
    PHASECUBE_DIAG_VARIABLES(PHASECUBE_SPEC)
#undef PHASECUBE_SPEC
};
inline constexpr std::size_t kNumDiagVariables = kDiagVariables.size();

// One cell's values: kVariables in order, then kDiagVariables (fill values when diagnose is
// off). Integer-typed variables are stored as exact doubles here and converted on write;
// this flat layout is also what MPI ships.
using CellRecord = std::array<double, kNumVariables + kNumDiagVariables>;
inline constexpr std::size_t kRecordSize = kNumVariables + kNumDiagVariables;

// The spec of record slot i (kVariables, then kDiagVariables).
constexpr const VariableSpec& record_spec(std::size_t i) {
  return i < kNumVariables ? kVariables[i] : kDiagVariables[i - kNumVariables];
}

constexpr double& at(CellRecord& r, Var v) {
  return r[static_cast<std::size_t>(v)];
}
constexpr double at(const CellRecord& r, Var v) {
  return r[static_cast<std::size_t>(v)];
}
constexpr double& at(CellRecord& r, DiagVar v) {
  return r[kNumVariables + static_cast<std::size_t>(v)];
}
constexpr double at(const CellRecord& r, DiagVar v) {
  return r[kNumVariables + static_cast<std::size_t>(v)];
}

// Fill values of the cube: NaN for float64, -1 for codes, 0 for counters.
double fill_value(VarType t);

// The two-modality estimators a run computes (`[run] methods`); each owns its cube variables
// (method_of). Default: all of them, so a config without the key makes today's cube.
enum class Method : unsigned { ca, cp, cp_rev, probe, joint };
inline constexpr std::array<std::string_view, 5> kMethodNames = {"ca", "cp", "cp_rev", "probe",
                                                                 "joint"};
class MethodSet {
 public:
  static MethodSet all() { return MethodSet((1u << kMethodNames.size()) - 1); }
  static MethodSet none() { return MethodSet(0); }
  bool has(Method m) const { return (bits_ >> static_cast<unsigned>(m) & 1u) != 0; }
  void add(Method m) { bits_ |= 1u << static_cast<unsigned>(m); }
  // The simulated regime needs both CA and CP.
  bool has_regime() const { return has(Method::ca) && has(Method::cp); }
  std::string text() const;  // "ca,cp,..." in kMethodNames order
  bool operator==(const MethodSet&) const = default;

 private:
  explicit MethodSet(unsigned bits) : bits_(bits) {}
  unsigned bits_;
};
// The method named `name`, or none.
std::optional<Method> find_method(std::string_view name);
// The method whose variable `spec` is (ca_*, cp_*, cp_rev_*, ca_probe_*, joint_*); none for
// the closed forms, the simulated regime and the counters.
std::optional<Method> method_of(const VariableSpec& spec);

// The one description of a cube that the writer, the reader, inspect and --resume share:
// which variables it has, where each sits in a cell's record, its extra dimension, the codes
// its integer variables may hold and the root attributes that name its kind.
struct CubeVariable {
  VariableSpec spec;
  std::size_t offset = 0;          // first slot in a cell's record
  std::size_t width = 1;           // slots per cell: the modality count for per-modality variables
  bool required = true;            // a reader refuses a cube without it
  double code_max = 3;             // Int8 codes: the largest valid code (-1: not computed)
  std::string_view flag_meanings;  // written as the variable's `flag_meanings` attribute
};

class CubeSchema {
 public:
  // The two-modality cube: kVariables of the closed forms, of the selected `methods` and the
  // counters (empirical_regime when both ca and cp are selected), and kDiagVariables when
  // `diagnose` (a reader takes them when present). Records are CellRecords in every case.
  static CubeSchema two_modality(bool diagnose, MethodSet methods = MethodSet::all());
  // The binding cube of `modalities` = M_max modalities (binding_schema.hpp).
  static CubeSchema binding(int modalities);

  std::string_view kind() const { return kind_; }  // root `schema`; empty: two-modality
  int modalities() const { return modalities_; }   // length of `modality`; 0: none
  std::size_t record_size() const { return record_size_; }
  const std::vector<CubeVariable>& variables() const { return variables_; }
  const CubeVariable* find(std::string_view name) const;
  // Root string attributes of this kind, written after `axes` (e.g. methods, winner_codes).
  const std::vector<std::pair<std::string_view, std::string>>& root_attributes() const {
    return root_attributes_;
  }
  // The closed-form and simulated code variables: a done cell has both (theory cubes only
  // the first).
  std::string_view theory_code() const { return theory_code_; }
  std::string_view empirical_code() const { return empirical_code_; }

 private:
  std::string_view kind_, theory_code_, empirical_code_;
  int modalities_ = 0;
  std::size_t record_size_ = 0;
  std::vector<CubeVariable> variables_;
  std::vector<std::pair<std::string_view, std::string>> root_attributes_;
};

}  // namespace phasecube
