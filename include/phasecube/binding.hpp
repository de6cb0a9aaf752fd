#pragma once
// Binding many modalities (issue 6): the M-modality spiked model, its closed forms, and the
// finite-sample binding estimators. Pure math on Eigen types: no HDF5, no MPI.
//
// Model. M modalities x^(1..M) in R^d share k signal coordinates: x^(m)_i = s_i + e^(m)_i for
// i < k (noise variance gamma^(m)); nuisance coordinate j >= k has variance gt^(m) and
// cross-modal covariance nu_ab sqrt(gt^(a) gt^(b)). Coordinate-separable: the joint
// covariance splits into d blocks of size M x M; R_i is block i as a correlation matrix.
//
// Methods (each gives every modality m it binds a d x k encoder):
//   anchor     ImageBind-style fixed anchor a. Modality m != a: two-view CCA of (m, a).
//              The anchor's own encoder (our choice): top-k eigenvectors of
//              sum_{m != a} C_am C_am^T, C_am = Saa^-1/2 Sam Smm^-1/2 (the anchor trained
//              against every other modality at once), un-whitened.
//   centroid   MAXVAR generalised CCA: top-k eigenvectors of the block-diagonally whitened
//              joint covariance; modality m's encoder is its block of them, un-whitened.
//   best_pair  two-view CCA of the pair with the largest closed-form separation (an oracle
//              choice), applied to those two modalities only.
//   all_pairs  SUMCOR-style: every modality m bound to every other at once, top-k of
//              sum_{b != m} C_mb C_mb^T, un-whitened (the anchor's own rule, for every m).
//
// Closed forms (population; a method recovers modality m iff its Delta > 1):
//   pair (a, b)     Delta_ab = min_i rho_ab(i) / max_j nu_ab,
//                   rho_ab(i) = kappa_i^2 / sqrt((kappa_i^2 + gamma^(a))(kappa_i^2 + gamma^(b)))
//   anchor, m != a  Delta(m) = Delta_ma
//   anchor, m == a  Delta(a) = sqrt(min_i sum_{m != a} rho_am(i)^2 / max_j sum_{m != a} nu_am^2)
//                   (the population matrix above is diagonal with exactly these entries;
//                   for M = 2 it is the two-view formula)
//   centroid        Delta = min_{i < k} lambda_1(R_i) / max_{j >= k} lambda_1(R_j), the same
//                   for every modality (lambda_2 of a signal block is below 1 <= lambda_1 of
//                   any nuisance block, so the top k eigenvalues are the signal blocks'
//                   Perron roots exactly when Delta > 1; their Perron vectors have no zero
//                   entry, so every modality's block spans the signal coordinates)
//   best pair       Delta = max_{a < b} Delta_ab.
//   all pairs       Delta(m) = sqrt(min_i sum_{b != m} rho_mb(i)^2 / max_j sum_{b != m} nu_mb^2).
#include <Eigen/Dense>
#include <array>
#include <string>
#include <vector>

#include "phasecube/estimators.hpp"
#include "phasecube/model.hpp"

namespace phasecube {

inline constexpr int kMaxModalities = 64;
// The largest d (and k) of a binding cell.
inline constexpr int kMaxBindingDimension = 100000;

// How many values a binding parameter takes.
enum class BindingShape {
  Integer,      // one integer
  Scalar,       // one value
  Signal,       // one or k values
  PerModality,  // one value per modality; a shorter list repeats its last value
  Correlation,  // one value for all pairs, or an M x M matrix (row-major)
};

struct BindingParamSpec {
  std::string_view name;
  BindingShape shape;
  double default_value;
  std::string_view doc;
};

// Every parameter of a binding run (selected by `[model] modalities = M`).
inline constexpr std::array kBindingParams = {
    BindingParamSpec{"modalities", BindingShape::Integer, 3,
                     "number of modalities M, 2 <= M <= 64"},
    BindingParamSpec{"d", BindingShape::Integer, 8, "ambient dimension of each modality"},
    BindingParamSpec{"k", BindingShape::Integer, 2,
                     "number of shared signal coordinates, 1 <= k < d"},
    BindingParamSpec{"n", BindingShape::Integer, 1000, "samples per trial"},
    BindingParamSpec{"kappa", BindingShape::Signal, 1.0,
                     "signal strength (std of s_i); one value or k values"},
    BindingParamSpec{"kappa_decay", BindingShape::Scalar, 1.0,
                     "kappa_i = kappa * kappa_decay^(i-1); must be 1 when kappa is a list"},
    BindingParamSpec{"gamma", BindingShape::PerModality, 1.0,
                     "noise variance of each modality on the signal coordinates"},
    BindingParamSpec{"gamma_tilde", BindingShape::PerModality, 1.0,
                     "variance of each modality on the nuisance coordinates (> 0)"},
    BindingParamSpec{"nu", BindingShape::Correlation, 0.5,
                     "nuisance correlation: one value for all pairs, or an M x M matrix"},
    BindingParamSpec{"anchor", BindingShape::Integer, 0,
                     "the anchor modality a of fixed-anchor binding, 0 <= a < M"},
};

const BindingParamSpec* find_binding_param(std::string_view name);

// What the index of "name[i]" counts (model.hpp, parse_indexed_name): modalities for the
// per-modality parameters ("gamma[2]"), signal coordinates for kappa ("kappa[1]"), else None.
IndexCount index_count(BindingShape shape);

// Defaults of every binding parameter.
ParamValues default_binding_values();

// One resolved cell of a binding run.
struct BindingParams {
  int m = 0, d = 0, k = 0, n = 0, anchor = 0;
  Eigen::VectorXd kappa;        // k
  Eigen::VectorXd gamma;        // M
  Eigen::VectorXd gamma_tilde;  // M
  Eigen::MatrixXd nu;           // M x M, symmetric, unit diagonal, PSD
};

// Builds and validates a cell from plain values (e.g. "gamma" = {20, 0.2}) and indexed ones
// ("gamma[0]" = {5} overrides one modality, "kappa[1]" = {2} one signal coordinate). Throws
// ParamError naming the key.
BindingParams make_binding_cell(const ParamValues& values);

// Per-coordinate M x M population covariances (coordinate i: signal for i < k).
std::vector<Eigen::MatrixXd> binding_blocks(const BindingParams& p);
// The joint Md x Md population covariance in modality-major order (as the sampler draws it).
Eigen::MatrixXd binding_joint_covariance(const BindingParams& p);

enum class BindingMethod : int { Anchor = 0, Centroid = 1, BestPair = 2, AllPairs = 3 };
inline constexpr int kBindingMethods = 4;
inline constexpr int kNoWinner = 4;  // winner code when no method recovers any modality
// "anchor", "centroid", "best_pair", "all_pairs"
const char* binding_method_name(BindingMethod m);

struct BindingTheory {
  Eigen::MatrixXd delta_pair;    // M x M two-view separations (diagonal unused: +inf)
  Eigen::VectorXd delta_anchor;  // M, per modality
  double delta_centroid = 0;
  double delta_best_pair = 0;
  Eigen::VectorXd delta_all_pairs;  // M, per modality
  int best_a = 0, best_b = 1;       // the pair with the largest Delta (first in row-major order)
  // Per method and modality: the Delta that decides it (NaN where the method does not
  // bind the modality, i.e. best pair outside its pair).
  std::array<Eigen::VectorXd, kBindingMethods> delta;
  int winner = kNoWinner;  // see binding_winner
};

BindingTheory binding_theory(const BindingParams& p);

// Which method wins a cell: the one recovering the signal in the most modalities (a
// modality counts when the method binds it and recovers it); ties go to the centroid, then
// the fixed anchor, then the best pair, then all pairs (the three methods first; the
// centroid binds every modality jointly, the anchor each through one pair). The same rule decides
// the closed-form winner (Delta > 1) and the simulated one (recovery rate >= 0.5), so they are
// comparable. kNoWinner when no method recovers any modality. `recovers[method][m]`.
int binding_winner(const std::array<std::vector<bool>, kBindingMethods>& recovers);

// Finite-sample binding estimators on one joint sample covariance (modality-major, Md x Md).
// Whitens every modality once; each method then costs one eigenproblem per encoder. The
// encoders are written into caller-owned matrices and every intermediate lives in the fit,
// so a fit reused across trials does not allocate.
class BindingFit {
 public:
  void fit(const Eigen::MatrixXd& s, int modalities, int k);
  // a-space encoder of the two-view CCA of modalities a and b.
  void pair_encoder(int a, int b, Eigen::MatrixXd& out);
  // Modality a bound to all others at once: top-k of sum_{m != a} C_am C_am^T (the anchor's
  // own encoder, and every modality's all-pairs encoder).
  void summed_encoder(int a, Eigen::MatrixXd& out);
  // Every modality's encoder under fixed-anchor binding to `anchor`.
  void anchor_encoders(int anchor, std::vector<Eigen::MatrixXd>& out);
  // Every modality's all-pairs (SUMCOR-style) encoder.
  void all_pairs_encoders(std::vector<Eigen::MatrixXd>& out);
  // Every modality's MAXVAR (centroid) encoder.
  void centroid_encoders(std::vector<Eigen::MatrixXd>& out);
  // The same, returned (tests).
  Eigen::MatrixXd pair_encoder(int a, int b);
  std::vector<Eigen::MatrixXd> anchor_encoders(int anchor);
  std::vector<Eigen::MatrixXd> all_pairs_encoders();
  std::vector<Eigen::MatrixXd> centroid_encoders();

 private:
  void cross(int a, int b);  // cross_ = C_ab = G_a S_ab G_b^T
  int m_ = 0, d_ = 0, k_ = 0;
  Eigen::MatrixXd s_;
  std::vector<Whitener> white_;
  TopEigen eig_;           // d x d problems
  TopEigen centroid_eig_;  // the Md x Md one (a solver of its own keeps its buffers' sizes)
  Eigen::MatrixXd block_, whitened_, cross_, product_, joint_;
};

}  // namespace phasecube
