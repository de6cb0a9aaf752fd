#include "sweep/grid.hpp"

#include <limits>
#include <stdexcept>
#include <utility>

#include "support/cell_index.hpp"

namespace phasecube {

Grid::Grid(ParamValues fixed, std::vector<Axis> axes)
    : fixed_(std::move(fixed)), axes_(std::move(axes)) {
  for (const auto& a : axes_) {
    if (a.values.empty()) throw InputError("axes." + a.name + " has no values");
    if (a.values.size() > std::numeric_limits<std::size_t>::max() / cell_count_)
      throw InputError("axes." + a.name + ": the grid has too many cells to count");
    cell_count_ *= a.values.size();
    shape_.push_back(a.values.size());
  }
}

std::vector<std::size_t> Grid::coordinates(std::size_t cell) const {
  if (cell >= cell_count_)
    throw std::out_of_range("cell " + std::to_string(cell) + " outside a grid of " +
                            std::to_string(cell_count_) + " cells");
  std::vector<std::size_t> c(shape_.size());
  cell_coordinates<std::size_t>(shape_, cell, c.data());
  return c;
}

ParamValues Grid::values(std::size_t cell) const {
  const auto c = coordinates(cell);
  ParamValues v = fixed_;
  // One value: a swept signal or nuisance parameter is the same on every coordinate.
  for (std::size_t i = 0; i < axes_.size(); ++i) v[axes_[i].name] = {axes_[i].values[c[i]]};
  return v;
}

CellParams Grid::cell(std::size_t cell) const {
  return make_cell(values(cell));
}

}  // namespace phasecube
