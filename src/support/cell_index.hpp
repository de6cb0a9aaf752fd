#pragma once
// The one numbering of a grid's cells: row-major, the last axis fastest. The grid (its cells'
// parameters, the random streams it keys) and the cube (the coordinates its point selections
// write) both map a cell index to coordinates here, so they cannot disagree. 64-bit
// throughout: a grid of more than 2^32 cells, or a cube variable of more than 2^32 values,
// maps exactly (the cell limits, config_text.hpp and sweep.cpp, are not set by this).
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace phasecube {

static_assert(sizeof(std::size_t) >= sizeof(std::uint64_t),
              "phasecube indexes cells and array elements with 64-bit std::size_t");

// The coordinates of `cell` along each axis of a grid of `shape` (no axis of length 0) into
// out[0, shape.size()). Only 64-bit index types: a 32-bit one would wrap silently. A cell
// beyond the grid wraps on the first axis: callers check it against the cell count.
template <std::unsigned_integral Size>
requires(sizeof(Size) >= sizeof(std::uint64_t)) void cell_coordinates(std::span<const Size> shape,
                                                                      std::uint64_t cell,
                                                                      Size* out) {
  for (std::size_t i = shape.size(); i-- > 0;) {
    out[i] = cell % shape[i];
    cell /= shape[i];
  }
}

}  // namespace phasecube
