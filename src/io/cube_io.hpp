#pragma once
// Internal helpers of the one cube writer/reader (cube.cpp): the parts of the CF layout and the
// checks of what is read. Only the cube layer includes this header.
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "io/hdf5.hpp"
#include "io/schema.hpp"
#include "phasecube/error.hpp"
#include "phasecube/model.hpp"

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

// x rounded to the stored type T; std::range_error when it does not fit (a cast would be
// undefined behaviour, and a wrapped count a confident wrong answer).
template <class T>
T stored_value(double x) {
  static_assert(sizeof(T) <= 4, "the bounds below must be exact doubles");
  const double r = std::nearbyint(x);
  if (!(r >= static_cast<double>(std::numeric_limits<T>::min()) &&
        r <= static_cast<double>(std::numeric_limits<T>::max())))
    throw std::range_error("value " + std::to_string(x) + " does not fit the cube's " +
                           std::to_string(8 * sizeof(T)) + "-bit integer variable");
  return static_cast<T>(r);
}

// `column` as stored values of type T (non-finite -> fill); empty when T is double (write
// `column` itself then).
template <class T>
std::vector<T> to_stored(const std::vector<double>& column, T fill) {
  std::vector<T> converted;
  if constexpr (!std::is_same_v<T, double>) {
    converted.reserve(column.size());
    for (double x : column) converted.push_back(std::isfinite(x) ? stored_value<T>(x) : fill);
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

// The storage of every data variable (per-cell arrays shaped like the grid), in one place so
// every writer path gets it: chunked, byte-shuffled and deflated (HDF5's own filters, which
// h5py, xarray/h5netcdf and ncdump decode with no plugin). Chunks hold about kChunkElements
// values with equal-ish extents per dimension (clipped to its length, then balanced so edge
// chunks are not mostly empty): slicing along any axis touches a bounded number of chunks,
// and a cube of at most kChunkElements cells is one chunk. 2^16 values: a double chunk is
// 512 KiB, inside the 1 MiB default chunk cache of HDF5 and h5py, so a reader walking a slice
// decompresses each chunk once; 2^18 compressed no better (15.74x vs 15.73x, 10^6 cells).
// Level 1: levels 6-9 gained <= 2% on the gallery cubes and 7% on a 10^6-cell theory cube,
// at 1.6x the compression time.
inline constexpr hsize_t kChunkElements = hsize_t{1} << 16;
inline constexpr unsigned kDeflateLevel = 1;
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims);
// The creation property list of a data variable of `dims` (empty: a scalar, stored plain).
h5::PropList variable_creation_plist(const std::vector<hsize_t>& dims, const std::string& name);

// One 1-D float64 dataset per axis (values, long_name, spec), made a dimension scale.
std::vector<h5::Dataset> write_axis_scales(
    hid_t root, const std::vector<Axis>& axes,
    const std::function<std::string(const std::string&)>& long_name);

// What is wrong with a cube being read (the readers prefix the path): every check of the
// readers below throws it, so a malformed cube is always one clear InputError.
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every string and numeric attribute of an object, with typed accessors that throw Malformed
// naming the attribute when it is missing or of the wrong kind.
struct Attributes {
  std::map<std::string, std::string> strings;
  std::map<std::string, std::vector<double>> numbers;
  const std::string& text(const std::string& name) const;
  double number(const std::string& name) const;                         // one number (NaN allowed)
  double integer(const std::string& name, double lo, double hi) const;  // an integer in [lo, hi]
};
Attributes read_attributes(hid_t obj);
// The root attributes both cube readers rely on: axes, status, config (strings); seed,
// trials, theory_only, wall_seconds (numbers). Returns the trials per cell.
double check_common_attributes(const Attributes& a);

// Elements of `dims`, refusing a product that overflows or whose `bytes_per_element` exceed
// this machine's memory (a declared shape costs nothing in the file); `what` names it.
std::size_t checked_elements(const std::vector<hsize_t>& dims, std::size_t bytes_per_element,
                             const std::string& what);

// The grid axes the root `axes` attribute names, in order: each a 1-D float dataset of at
// least one finite value; names distinct and none for which `reserved` is true.
std::vector<Axis> read_axes(hid_t root, const Attributes& a,
                            const std::function<bool(const std::string&)>& reserved);

// Dataset `name`, opened once it is known to hold numbers of `type`'s class (float or
// integer) in exactly `shape` (empty: a scalar). `kind` names it in errors ("variable 'done'
// ...").
h5::Dataset open_variable(hid_t root, const std::string& name, VarType type,
                          const std::vector<hsize_t>& shape, std::string_view kind = "variable");
// open_variable, then all of it as doubles.
std::vector<double> read_variable(hid_t root, const std::string& name, VarType type,
                                  const std::vector<hsize_t>& shape,
                                  std::string_view kind = "variable");

// Refuses a value a variable of `type` cannot hold: a code (Int8) outside -1 (not computed)
// .. max, a counter (Int32) outside 0 .. max, a flag (UInt8) other than 0 or 1, a non-integer
// in any integer variable. Float64 takes anything: NaN is data. `width` values per cell;
// `cells`, when given, are the cells the values belong to (a block of the grid), else 0, 1, ...
void check_values(const std::string& name, VarType type, const std::vector<double>& values,
                  double max, std::size_t width = 1, std::span<const std::size_t> cells = {});

// A done cell has its closed-form code, and unless `theory_only` its simulated code too (a
// theory cube marks every cell done with no simulation).
struct DoneCodes {
  const std::vector<double>& done;
  const std::string& theory_name;
  const std::vector<double>& theory;
  const std::string& empirical_name;
  const std::vector<double>& empirical;
  bool theory_only;
  std::span<const std::size_t> cells = {};  // which cells these are (none: 0, 1, ...)
};
void check_done_cells(const DoneCodes& c);

}  // namespace phasecube::cube_io
