#pragma once
// Model layer (DESIGN 1): the parameters of one grid cell, their validation, and the
// population covariance of the spiked signal-plus-nuisance model.
//
// The model is coordinate-separable: the joint covariance of all modalities splits into
// d independent M x M blocks, one per coordinate (M = 2 modalities, x and y, for the
// two-view model). Samplers and the many-modality extension work on those blocks.
#include <Eigen/Dense>
#include <array>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace phasecube {

// A value that breaks the contract of a parameter. `key` is the parameter name (e.g. "nu");
// the config layer adds the section and where the value came from.
struct ParamError : std::runtime_error {
  ParamError(std::string key_, std::string value_, const std::string& why)
      : std::runtime_error(why), key(std::move(key_)), value(std::move(value_)) {}
  std::string key;
  std::string value;
};

// How many values a parameter takes: Integer/Scalar one value; Signal one or k values
// (one per signal coordinate); Nuisance one or d-k values (one per nuisance coordinate).
enum class ParamShape { Integer, Scalar, Signal, Nuisance };

struct ParamSpec {
  std::string_view name;
  ParamShape shape;
  double default_value;
  std::string_view doc;
  bool optional = false;  // no default: absent unless given (default_value unused)
};

// Every model parameter: the one list the config, the grid and the cube attributes share.
inline constexpr std::array kModelParams = {
    ParamSpec{"d", ParamShape::Integer, 10, "ambient dimension of each modality"},
    ParamSpec{"k", ParamShape::Integer, 2, "number of shared signal coordinates, 1 <= k < d"},
    ParamSpec{"n", ParamShape::Integer, 1000, "samples per trial"},
    ParamSpec{"kappa", ParamShape::Signal, 1.0,
              "signal strength (std of s_i); one value or k values"},
    ParamSpec{"kappa_decay", ParamShape::Scalar, 1.0,
              "kappa_i = kappa * kappa_decay^(i-1); must be 1 when kappa is a list"},
    ParamSpec{"gamma_x", ParamShape::Signal, 1.0, "noise variance of x on signal coordinates"},
    ParamSpec{"gamma_y", ParamShape::Signal, 1.0, "noise variance of y on signal coordinates"},
    ParamSpec{"gamma_tilde_x", ParamShape::Nuisance, 1.0, "variance of x on nuisance coordinates"},
    ParamSpec{"gamma_tilde_y", ParamShape::Nuisance, 1.0, "variance of y on nuisance coordinates"},
    ParamSpec{"nu", ParamShape::Scalar, 0.5,
              "normalised cross-modal nuisance correlation in [0, 1]"},
    ParamSpec{"lambda", ParamShape::Scalar, 0.0, "weight of the CA term in the joint objective"},
    ParamSpec{"eta", ParamShape::Scalar, 0.0,
              "nuisance covariance held fixed instead of nu: nu = min(1, eta / "
              "sqrt(gamma_tilde_x gamma_tilde_y)); give nu or eta, not both",
              true},
    // The InfoNCE method's hyper-parameters (used when [run] methods selects infonce). Absent
    // unless given, so cubes without InfoNCE keep their attributes; default_value is the
    // value an absent key means (the authors' script's).
    ParamSpec{"infonce_tau", ParamShape::Scalar, 0.1, "InfoNCE temperature tau > 0 (default 0.1)",
              true},
    ParamSpec{"infonce_batch", ParamShape::Integer, 1024,
              "InfoNCE batch size B >= 2, rows drawn with replacement (default 1024)", true},
    ParamSpec{"infonce_lr", ParamShape::Scalar, 1e-2,
              "InfoNCE Adam learning rate > 0 (default 0.01)", true},
    ParamSpec{"infonce_max_steps", ParamShape::Integer, 5000,
              "InfoNCE most Adam steps (default 5000)", true},
    ParamSpec{"infonce_patience", ParamShape::Integer, 300,
              "InfoNCE stop-rule window in steps (default 300)", true},
    ParamSpec{"infonce_tol", ParamShape::Scalar, 1e-4,
              "InfoNCE stop when two windows' mean losses differ by less (>= 0, default 1e-4)",
              true},
};

// The value of optional parameter `name` when a cell does not give it (its default_value).
double optional_default(std::string_view name);

// InfoNCE's hyper-parameters of a cell (kModelParams infonce_*).
struct InfoNceParams {
  double tau = 0.1;
  int batch = 1024;
  double lr = 1e-2;
  int max_steps = 5000;
  int patience = 300;
  double tol = 1e-4;
};

// Raw values by parameter name: one value, or a list for Signal/Nuisance parameters.
using ParamValues = std::map<std::string, std::vector<double>, std::less<>>;

// Defaults of every model parameter that has one (not the optional ones, e.g. eta).
ParamValues default_param_values();

// Indexed parameter names, one mechanism for every run: "kappa[2]" sets coordinate 2 (0-based:
// the paper's kappa_3) of kappa's resolved vector, "gamma[1]" (binding) modality 1's value.
// The plain name ("kappa": one value or a list) gives the vector; each name[i] then replaces
// its entry i (after kappa_decay is applied to kappa). What an index counts follows from the
// parameter's shape in its table.
struct IndexedName {
  std::string base;
  int index = -1;
};
// "kappa[2]" -> {"kappa", 2}; a plain name -> {name, -1}; anything else ("kappa[x]",
// "kappa[02]", "kappa[-1]", "kappa[") -> {"", -1}. Digits as written, so that two spellings
// of one index are one key.
IndexedName parse_indexed_name(std::string_view name);

enum class IndexCount { None, SignalCoordinate, NuisanceCoordinate, Modality };
IndexCount index_count(ParamShape shape);  // Signal, Nuisance: coordinates; else None
// The long_name of a parameter axis: `doc`, or for index >= 0 its part before any ';' (the
// rest is about the whole vector) and e.g. " (signal coordinate 2 only)".
std::string indexed_doc(std::string_view doc, IndexCount what, int index);
// Replaces entry i of `out` by the value of every "key[i]" in `values` and sets keys[i] to
// that name (the key an error about the entry names). Throws ParamError naming "key[i]" when
// it is not one finite value or i >= out.size() ("addresses signal coordinate 2 but k = 2").
void apply_indexed(const ParamValues& values, const std::string& key, IndexCount what,
                   Eigen::VectorXd& out, std::vector<std::string>& keys);
// Whether `values` has any "key[i]".
bool has_indexed(const ParamValues& values, const std::string& key);

// One fully resolved grid cell (two modalities).
struct CellParams {
  int d = 0, k = 0, n = 0;
  Eigen::VectorXd kappa;          // k signal strengths kappa_i (decay applied)
  Eigen::VectorXd gamma_x;        // k
  Eigen::VectorXd gamma_y;        // k
  Eigen::VectorXd gamma_tilde_x;  // d - k
  Eigen::VectorXd gamma_tilde_y;  // d - k
  double nu = 0;
  double lambda = 0;
  InfoNceParams infonce;

  // eta_j = nu sqrt(gt^x_j gt^y_j), j = 1..d-k
  Eigen::VectorXd eta() const;
};

// Builds and validates a cell. Throws ParamError naming the first offending parameter.
CellParams make_cell(const ParamValues& values);

// Population covariance, per coordinate: block i (i < k signal, i >= k nuisance) is the
// 2 x 2 covariance of (x_i, y_i). Ready for M modalities: blocks are M x M.
std::vector<Eigen::MatrixXd> coordinate_blocks(const CellParams& p);

// Population Sxx, Syy, Sxy (diagonal d x d matrices, returned as their diagonals).
struct PopulationCovariance {
  Eigen::VectorXd sxx, syy, sxy;
};
PopulationCovariance population_covariance(const CellParams& p);

// The largest value of an integer model parameter (d, k, n): they are ints, and products
// such as 2 d stay below 2^31.
inline constexpr long long kMaxModelInteger = 1'000'000'000;

// The one check of an integer setting (model parameters of both config grammars, run.trials):
// "" when x is an integer in [lo, hi], else why not ("must be an integer", "must be >= lo",
// "must be <= hi"), the limit named.
std::string integer_problem(double x, long long lo, long long hi);

// sqrt(a b) for a, b >= 0 without overflow or underflow of the product (bitwise
// std::sqrt(a * b) whenever that product is a normal number).
double sqrt_product(double a, double b);

// Formats a double for messages and attributes ("0.5", "1e-06", "inf").
std::string format_number(double v);
// A value list as messages and resolved configs print it: "1, 2.5, 3" (format_number each).
std::string format_list(const std::vector<double>& v);

}  // namespace phasecube
