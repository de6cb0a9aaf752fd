#pragma once
// The binding cube's kind (issue 6). A binding cube has root attribute schema = "binding", the
// grid axes as dimensions in config order, and for per-modality variables a last dimension
// `modality` (a dimension scale holding 0 .. M_max - 1; cells with fewer modalities leave the
// rest at the fill value). Its variables are the binding methods' (src/sweep/methods).
#include <string_view>

#include "io/schema.hpp"

namespace phasecube {

inline constexpr std::string_view kBindingSchema = "binding";
inline constexpr std::string_view kModalityDimension = "modality";
inline constexpr std::string_view kWinnerCodes =
    "0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none";

}  // namespace phasecube
