#pragma once
// The binding cube's data variables (issue 6): the one place their names, types, shapes and
// long names live. A binding cube has root attribute schema = "binding", the grid axes as
// dimensions in config order, and for per-modality variables a last dimension `modality`
// (a dimension scale holding 0 .. M_max - 1; cells with fewer modalities leave the rest at
// the fill value). inspect and tools/plot_binding.py read the names back from the file.
#include <array>
#include <cstddef>
#include <string_view>

#include "io/schema.hpp"

namespace phasecube {

inline constexpr std::string_view kBindingSchema = "binding";
inline constexpr std::string_view kModalityDimension = "modality";
// The methods, in winner-code order, as the cube's root attribute `methods` lists them.
inline constexpr std::string_view kBindingMethodList = "anchor,centroid,best_pair,all_pairs";
inline constexpr std::string_view kWinnerCodes =
    "0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none";

// X(name, type, per_modality, long_name)
#define PHASECUBE_BINDING_VARIABLES(X)                                                             \
  X(theory_delta_anchor, Float64, true,                                                            \
    "closed-form fixed-anchor separation of each modality (m != a: rho_ma / nu_ma; the "           \
    "anchor: sqrt(min_i sum_m rho_am^2 / max_j sum_m nu_am^2))")                                   \
  X(theory_delta_centroid, Float64, false,                                                         \
    "closed-form centroid (MAXVAR) separation min_i lambda1(R_i) / max_j lambda1(R_j)")            \
  X(theory_delta_best_pair, Float64, false,                                                        \
    "closed-form separation of the best pair, max over pairs of min rho_ab / max nu_ab")           \
  X(best_pair_first, Int8, false, "first modality of the best pair (closed-form oracle)")          \
  X(best_pair_second, Int8, false, "second modality of the best pair (closed-form oracle)")        \
  X(theory_winner, Int8, false,                                                                    \
    "closed-form winner: 0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none (most modalities " \
    "with Delta > 1; ties: centroid, anchor, best pair, all pairs)")                               \
  X(theory_delta_all_pairs, Float64, true,                                                         \
    "closed-form all-pairs (SUMCOR-style) separation of each modality, sqrt(min_i sum_b "          \
    "rho_mb^2 / max_j sum_b nu_mb^2)")                                                             \
  X(anchor_distance_mean, Float64, true,                                                           \
    "fixed anchor: mean subspace distance of each modality's encoder to the signal subspace")      \
  X(anchor_recovery_rate, Float64, true,                                                           \
    "fixed anchor: share of trials in which the modality recovers all k signal directions")        \
  X(anchor_recovered_dims_mean, Float64, true,                                                     \
    "fixed anchor: mean number of signal directions the modality recovers (overlap >= 0.8)")       \
  X(centroid_distance_mean, Float64, true,                                                         \
    "centroid (MAXVAR): mean subspace distance of each modality's encoder")                        \
  X(centroid_recovery_rate, Float64, true,                                                         \
    "centroid (MAXVAR): share of trials in which the modality recovers all k directions")          \
  X(centroid_recovered_dims_mean, Float64, true,                                                   \
    "centroid: mean number of signal directions the modality recovers (overlap >= 0.8)")           \
  X(best_pair_distance_mean, Float64, true,                                                        \
    "best pair: mean subspace distance of the two paired modalities' encoders (fill "              \
    "elsewhere)")                                                                                  \
  X(best_pair_recovery_rate, Float64, true,                                                        \
    "best pair: share of trials in which a paired modality recovers all k directions")             \
  X(best_pair_recovered_dims_mean, Float64, true,                                                  \
    "best pair: mean number of signal directions the modality recovers (overlap >= 0.8)")          \
  X(all_pairs_distance_mean, Float64, true,                                                        \
    "all pairs (SUMCOR-style): mean subspace distance of each modality's encoder")                 \
  X(all_pairs_recovery_rate, Float64, true,                                                        \
    "all pairs (SUMCOR-style): share of trials in which the modality recovers all k directions")   \
  X(all_pairs_recovered_dims_mean, Float64, true,                                                  \
    "all pairs: mean number of signal directions the modality recovers (overlap >= 0.8)")          \
  X(anchor_worst_distance, Float64, false, "fixed anchor: largest distance_mean over modalities")  \
  X(anchor_worst_recovery_rate, Float64, false,                                                    \
    "fixed anchor: smallest recovery rate over modalities")                                        \
  X(centroid_worst_distance, Float64, false, "centroid: largest distance_mean over modalities")    \
  X(centroid_worst_recovery_rate, Float64, false,                                                  \
    "centroid: smallest recovery rate over modalities")                                            \
  X(best_pair_worst_distance, Float64, false,                                                      \
    "best pair: larger distance_mean of the two paired modalities")                                \
  X(best_pair_worst_recovery_rate, Float64, false,                                                 \
    "best pair: smaller recovery rate of the two paired modalities")                               \
  X(all_pairs_worst_distance, Float64, false, "all pairs: largest distance_mean over modalities")  \
  X(all_pairs_worst_recovery_rate, Float64, false,                                                 \
    "all pairs: smallest recovery rate over modalities")                                           \
  X(empirical_winner, Int8, false,                                                                 \
    "simulated winner: 0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none (most modalities "   \
    "with recovery rate >= 0.5; ties: centroid, anchor, best pair, all pairs)")                    \
  X(trials_done, Int32, false, "Monte Carlo trials completed in this cell")                        \
  X(done, UInt8, false, "1 when the cell is complete")

enum class BVar : std::size_t {
#define PHASECUBE_BINDING_ENUM(name, type, per_modality, long_name) name,
  PHASECUBE_BINDING_VARIABLES(PHASECUBE_BINDING_ENUM)
#undef PHASECUBE_BINDING_ENUM
};

inline constexpr std::array kBindingVariables = {
#define PHASECUBE_BINDING_SPEC(name, type, per_modality, long_name) \
  VariableSpec{#name, VarType::type, long_name, per_modality},
    PHASECUBE_BINDING_VARIABLES(PHASECUBE_BINDING_SPEC)
#undef PHASECUBE_BINDING_SPEC
};
inline constexpr std::size_t kNumBindingVariables = kBindingVariables.size();

// Layout of one cell's record: the variables in order, per-modality ones taking `modalities`
// consecutive slots (the cube's M_max).
class BindingLayout {
 public:
  explicit BindingLayout(int modalities) : m_(modalities) {
    std::size_t o = 0;
    for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
      offset_[v] = o;
      o += kBindingVariables[v].per_modality ? static_cast<std::size_t>(m_) : 1;
    }
    size_ = o;
  }
  int modalities() const { return m_; }
  std::size_t size() const { return size_; }
  std::size_t offset(BVar v) const { return offset_[static_cast<std::size_t>(v)]; }
  std::size_t offset(std::size_t v) const { return offset_[v]; }
  std::size_t width(std::size_t v) const {
    return kBindingVariables[v].per_modality ? static_cast<std::size_t>(m_) : 1;
  }

 private:
  int m_;
  std::size_t size_ = 0;
  std::array<std::size_t, kNumBindingVariables> offset_{};
};

}  // namespace phasecube
