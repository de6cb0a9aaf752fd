#pragma once
// Internal helpers shared by the cube writers/readers (cube.cpp, binding_cube.cpp): the parts
// of the CF layout both cubes have in common. Only the cube layer includes this header.
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "phasecube/config.hpp"
#include "phasecube/hdf5.hpp"
#include "phasecube/schema.hpp"

namespace phasecube::cube_io {

// Calls f(T{}) with the C++ type that stores a variable of type t.
template <class F>
void with_type(VarType t, F&& f) {
  switch (t) {
    case VarType::Float64:
      return f(double{});
    case VarType::Int8:
      return f(std::int8_t{});
    case VarType::Int32:
      return f(std::int32_t{});
    case VarType::UInt8:
      return f(std::uint8_t{});
  }
}

// `column` as stored values of type T (non-finite -> fill); empty when T is double (write
// `column` itself then).
template <class T>
std::vector<T> to_stored(const std::vector<double>& column, T fill) {
  std::vector<T> converted;
  if constexpr (!std::is_same_v<T, double>) {
    converted.reserve(column.size());
    for (double x : column)
      converted.push_back(std::isfinite(x) ? static_cast<T>(std::nearbyint(x)) : fill);
  }
  return converted;
}

// "a,b,c": the root `axes` attribute.
std::string join_axis_names(const std::vector<Axis>& axes);
// The inverse: the axis names listed in an `axes` attribute (empty names skipped).
std::vector<std::string> split_axis_names(const std::string& names);

// One root attribute per fixed parameter (scalar or array; empty ones skipped).
void write_fixed_attributes(hid_t root, const ParamValues& fixed);

// The provenance root attributes, in this order: config, seed, trials, sampler, theory_only,
// software_version, git_commit, numerics_version, command_line, mpi_ranks, threads, wall_seconds.
struct Provenance {
  std::string_view config_text;
  std::uint64_t seed;
  long trials;
  std::string_view sampler;
  bool theory_only;
  std::string_view command_line;
  int mpi_ranks;
  int threads;
  double wall_seconds;
};
void write_provenance_attributes(hid_t root, const Provenance& p);

// One 1-D float64 dataset per axis (values, long_name, spec), made a dimension scale.
std::vector<h5::Dataset> write_axis_scales(
    hid_t root, const std::vector<Axis>& axes,
    const std::function<std::string(const std::string&)>& long_name);

// Every string and numeric attribute of `obj`.
void read_attributes(hid_t obj, std::map<std::string, std::string>& strings,
                     std::map<std::string, std::vector<double>>& numbers);

// The first `count` values of dataset `ds` as doubles; `what` names the read in errors.
std::vector<double> read_doubles(hid_t ds, std::size_t count, const std::string& what);

}  // namespace phasecube::cube_io
