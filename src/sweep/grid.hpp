#pragma once
// The grid: axes x cells. Cells are numbered in row-major order (last axis fastest), the
// same order as the cube's data variables; the cell index also keys the random stream.
#include <cstddef>
#include <vector>

#include "phasecube/model.hpp"
#include "sweep/config.hpp"

namespace phasecube {

class Grid {
 public:
  Grid(ParamValues fixed, std::vector<Axis> axes);
  explicit Grid(const Config& c) : Grid(c.fixed, c.axes) {}

  const std::vector<Axis>& axes() const { return axes_; }
  const std::vector<std::size_t>& shape() const { return shape_; }
  std::size_t cell_count() const { return cell_count_; }
  // Index along each axis of cell `cell`.
  std::vector<std::size_t> coordinates(std::size_t cell) const;
  // The parameter values of a cell (fixed values overlaid with its axis values).
  ParamValues values(std::size_t cell) const;
  // The validated cell. Throws ParamError for an invalid combination.
  CellParams cell(std::size_t cell) const;

 private:
  ParamValues fixed_;
  std::vector<Axis> axes_;
  std::vector<std::size_t> shape_;  // values per axis
  std::size_t cell_count_ = 1;
};

}  // namespace phasecube
