#pragma once
// The cube's description (DESIGN section 3): axes, variable specs and the schema of a kind of
// cube. The variables themselves are declared by the methods that own them.
#include <cstddef>
#include <stdexcept>
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

// `code_max` of an Int8 variable holding a modality index: the cube's modality count - 1.
inline constexpr double kModalityCode = -2;

// One data variable as a method declares it (src/sweep/methods): name, type, long_name, and
// for per-modality variables a last dimension `modality`.
struct VariableSpec {
  std::string_view name;
  VarType type;
  std::string_view long_name;
  bool per_modality = false;
  double code_max = 3;                  // Int8 codes: the largest valid one (-1: not computed)
  std::string_view flag_meanings = {};  // written as the variable's `flag_meanings` attribute
};

// Fill values of the cube: NaN for float64, -1 for codes, 0 for counters.
double fill_value(VarType t);

// The counters every cube has, after the methods' variables.
inline constexpr VariableSpec kTrialsDone{"trials_done", VarType::Int32,
                                          "Monte Carlo trials completed in this cell"};
inline constexpr VariableSpec kDone{"done", VarType::UInt8, "1 when the cell is complete"};

// The one description of a cube that the writer, the reader, inspect and --resume share:
// which variables it has, where each sits in a cell's record, its extra dimension, the codes
// its integer variables may hold and the root attributes that name its kind. Built by the
// sweep layer from the selected methods (sweep/methods/registry.hpp); io knows no method.
struct CubeVariable {
  VariableSpec spec;
  std::size_t offset = 0;  // first slot in a cell's record
  std::size_t width = 1;   // slots per cell: the modality count for per-modality variables
  bool required = true;    // a reader refuses a cube without it
};

class CubeSchema {
 public:
  // An empty schema of a kind (root `schema`; empty: two-modality) with `modalities` slots
  // per per-modality variable (0: no `modality` dimension).
  CubeSchema() = default;
  CubeSchema(std::string_view kind, int modalities) : kind_(kind), modalities_(modalities) {}
  // Appends a variable after the last one (kModalityCode resolved to modalities - 1).
  void add(const VariableSpec& spec, bool required = true);
  void add_root_attribute(std::string_view name, std::string value) {
    root_attributes_.emplace_back(name, std::move(value));
  }
  // The closed-form and simulated code variables: a done cell has both (theory cubes only
  // the first); empty when the cube has none.
  void set_codes(std::string_view theory, std::string_view empirical);

  std::string_view kind() const { return kind_; }
  int modalities() const { return modalities_; }  // length of `modality`; 0: none
  std::size_t record_size() const { return record_size_; }
  const std::vector<CubeVariable>& variables() const { return variables_; }
  const CubeVariable* find(std::string_view name) const;
  // Root string attributes of this kind, written after `axes` (e.g. methods, winner_codes).
  const std::vector<std::pair<std::string_view, std::string>>& root_attributes() const {
    return root_attributes_;
  }
  std::string_view theory_code() const { return theory_code_; }
  std::string_view empirical_code() const { return empirical_code_; }
  // A record of this schema with every slot at its variable's fill value.
  std::vector<double> fill_record() const;

 private:
  std::string_view kind_, theory_code_, empirical_code_;
  int modalities_ = 0;
  std::size_t record_size_ = 0;
  std::vector<CubeVariable> variables_;
  std::vector<std::pair<std::string_view, std::string>> root_attributes_;
};

// The schema a reader checks a stored cube against, from what the file says of itself: its
// root `schema` (kind), `methods` (absent: `methods_given` false) and modality count. Given
// by the sweep layer (which knows the methods); throws SchemaError when the file names a kind
// or method that does not exist.
struct StoredKind {
  std::string kind;
  std::vector<std::string> methods;
  bool methods_given = false;
  int modalities = 0;
};
struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
using SchemaResolver = CubeSchema (*)(const StoredKind&);

}  // namespace phasecube
