#include "io/cube_io.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <stdexcept>

#include "phasecube/version.hpp"
#include "support/memory.hpp"

namespace phasecube::cube_io {

std::string join_axis_names(const std::vector<Axis>& axes) {
  std::string axis_names;
  for (const Axis& a : axes) axis_names += (axis_names.empty() ? "" : ",") + a.name;
  return axis_names;
}

std::vector<std::string> split_axis_names(const std::string& names) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < names.size();) {
    const std::size_t end = std::min(names.find(',', pos), names.size());
    std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (!name.empty()) out.push_back(std::move(name));
  }
  return out;
}

void write_fixed_attributes(hid_t root, const ParamValues& fixed) {
  for (const auto& [name, values] : fixed) {
    if (values.size() == 1)
      h5::write_attribute<double>(root, name, values[0]);
    else if (!values.empty())
      h5::write_attribute<double>(root, name, std::span(values));
  }
}

void write_provenance_attributes(hid_t r, const Provenance& p) {
  h5::write_string_attribute(r, "config", p.config_text);
  h5::write_attribute<std::uint64_t>(r, "seed", p.seed);
  h5::write_attribute<std::int64_t>(r, "trials", p.trials);
  h5::write_string_attribute(r, "sampler", p.sampler);
  h5::write_attribute<std::uint8_t>(r, "theory_only", static_cast<std::uint8_t>(p.theory_only));
  h5::write_string_attribute(r, "software_version", kVersion);
  h5::write_string_attribute(r, "git_commit", kGitCommit);
  h5::write_attribute<std::int32_t>(r, "numerics_version", kNumericsVersion);
  h5::write_string_attribute(r, "command_line", p.command_line);
  h5::write_attribute<std::int32_t>(r, "mpi_ranks", p.mpi_ranks);
  h5::write_attribute<std::int32_t>(r, "threads", p.threads);
  h5::write_attribute<double>(r, "wall_seconds", p.wall_seconds);
}

namespace {

// The largest s with s^k <= n (k >= 1).
hsize_t integer_root(hsize_t n, std::size_t k) {
  auto fits = [&](hsize_t s) {  // s^k <= n, without overflow
    hsize_t p = 1;
    for (std::size_t i = 0; i < k; ++i) {
      if (p > n / s) return false;
      p *= s;
    }
    return true;
  };
  hsize_t s = std::max<hsize_t>(
      1, static_cast<hsize_t>(std::pow(static_cast<double>(n), 1.0 / static_cast<double>(k))));
  while (s > 1 && !fits(s)) --s;
  while (fits(s + 1)) ++s;
  return s;
}

}  // namespace

std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims) {
  // Shortest dimensions first: one shorter than its share takes all of it and leaves the
  // rest of the budget to the longer ones.
  std::vector<std::size_t> order(dims.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::stable_sort(order, {}, [&](std::size_t i) { return dims[i]; });
  std::vector<hsize_t> chunk(dims.size());
  hsize_t budget = kChunkElements;
  for (std::size_t j = 0; j < order.size(); ++j) {
    const hsize_t dim = std::max<hsize_t>(dims[order[j]], 1);
    const hsize_t side = std::min(dim, integer_root(budget, order.size() - j));
    const hsize_t pieces = (dim + side - 1) / side;
    chunk[order[j]] = (dim + pieces - 1) / pieces;  // balanced: no mostly-empty edge chunk
    budget = std::max<hsize_t>(budget / chunk[order[j]], 1);
  }
  return chunk;
}

h5::PropList variable_creation_plist(const std::vector<hsize_t>& dims, const std::string& name) {
  h5::PropList dcpl = h5::make_plist(H5P_DATASET_CREATE);
  if (dims.empty()) return dcpl;  // a scalar cannot be chunked
  const std::vector<hsize_t> chunk = chunk_shape(dims);
  const std::string what = "compressing " + name;
  h5::check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
  h5::check(H5Pset_shuffle(dcpl.get()), what);  // bytes of equal significance together
  h5::check(H5Pset_deflate(dcpl.get(), kDeflateLevel), what);
  return dcpl;
}

std::vector<h5::Dataset> write_axis_scales(
    hid_t r, const std::vector<Axis>& axes,
    const std::function<std::string(const std::string&)>& long_name) {
  std::vector<h5::Dataset> scales;
  for (const Axis& a : axes) {
    const hsize_t n = a.values.size();
    h5::Dataset ds = h5::create_dataset(r, a.name, H5T_IEEE_F64LE, std::span(&n, 1));
    h5::check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()),
              "writing axis " + a.name);
    h5::write_string_attribute(ds.get(), "long_name", long_name(a.name));
    h5::write_string_attribute(ds.get(), "spec", a.spec);
    h5::check(H5DSset_scale(ds.get(), a.name.c_str()), "making " + a.name + " a dimension scale");
    scales.push_back(std::move(ds));
  }
  return scales;
}

namespace {

std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string shape_text(const std::vector<hsize_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Where value i of a variable with `width` values per cell lies, for messages.
std::string cell_text(std::size_t i, std::size_t width) {
  std::string s = "cell " + std::to_string(i / width);
  if (width > 1) s += ", modality " + std::to_string(i % width);
  return s;
}

}  // namespace

Attributes read_attributes(hid_t r) {
  Attributes a;
  for (const std::string& name : h5::attribute_names(r)) {
    const H5T_class_t cls = h5::attribute_class(r, name);
    if (cls == H5T_STRING)
      a.strings[name] = h5::read_string_attribute(r, name);
    else if (cls == H5T_INTEGER || cls == H5T_FLOAT)
      a.numbers[name] = h5::read_numeric_attribute(r, name);
    // other kinds (compound, enum, ...): as if absent
  }
  return a;
}

const std::string& Attributes::text(const std::string& name) const {
  if (const auto it = strings.find(name); it != strings.end()) return it->second;
  if (numbers.contains(name)) throw Malformed("attribute '" + name + "' is a number, not a string");
  throw Malformed("attribute '" + name + "' missing or not a string");
}

double Attributes::number(const std::string& name) const {
  const auto it = numbers.find(name);
  if (it == numbers.end())
    throw Malformed("attribute '" + name + "' missing or not a number" +
                    (strings.contains(name) ? " (it is a string)" : ""));
  if (it->second.size() != 1)
    throw Malformed("attribute '" + name + "' holds " + std::to_string(it->second.size()) +
                    " values, not one number");
  return it->second[0];
}

double Attributes::integer(const std::string& name, double lo, double hi) const {
  const double x = number(name);
  if (!(x >= lo && x <= hi && x == std::floor(x)))
    throw Malformed("attribute '" + name + "' = " + number_text(x) + " is not an integer in " +
                    number_text(lo) + " .. " + number_text(hi));
  return x;
}

double check_common_attributes(const Attributes& a) {
  for (const char* name : {"axes", "status", "config"}) a.text(name);
  if (const std::string& s = a.text("status"); s != "complete" && s != "partial" && s != "running")
    throw Malformed("attribute 'status' = '" + s + "' is not complete, partial or running");
  a.integer("seed", 0, 0x1p64);
  a.integer("theory_only", 0, 1);
  a.number("wall_seconds");  // NaN until the first snapshot
  return a.integer("trials", 0, 0x1p53);
}

std::size_t checked_elements(const std::vector<hsize_t>& dims, std::size_t bytes_per_element,
                             const std::string& what) {
  std::size_t n = 1;
  double exact = 1;  // the product without overflow, for the message
  for (hsize_t d : dims) {
    exact *= static_cast<double>(d);
    n = d != 0 && n > std::numeric_limits<std::size_t>::max() / d ? 0 : n * d;
  }
  const double bytes = exact * static_cast<double>(bytes_per_element);
  const MemoryLimit memory = memory_available();
  if (bytes > memory.bytes || (n == 0 && exact != 0))
    throw Malformed(what + " declares shape " + shape_text(dims) + ": reading it needs " +
                    bytes_text(bytes) + ", more than the " + bytes_text(memory.bytes) +
                    " this process may use (" + memory.source + ")");
  return n;
}

std::vector<Axis> read_axes(hid_t root, const Attributes& a,
                            const std::function<bool(const std::string&)>& reserved) {
  std::vector<Axis> axes;
  for (const std::string& name : split_axis_names(a.text("axes"))) {
    if (name.find('/') != std::string::npos || name == ".")
      throw Malformed("axis name '" + name + "' in 'axes' is a path, not a parameter name");
    if (reserved(name)) throw Malformed("axis '" + name + "' has the name of a variable");
    for (const Axis& seen : axes)
      if (seen.name == name) throw Malformed("axis '" + name + "' appears twice in 'axes'");
    if (!h5::has_link(root, name)) throw Malformed("axis dataset '" + name + "' missing");
    const std::vector<hsize_t> dims = h5::dims_of(h5::open_dataset(root, name).get());
    if (dims.size() != 1) throw Malformed("axis '" + name + "' is not 1-D");
    if (dims[0] == 0) throw Malformed("axis '" + name + "' has no values");
    checked_elements(dims, sizeof(double), "axis '" + name + "'");
    Axis axis{name, "", read_variable(root, name, VarType::Float64, dims, "axis")};
    for (double x : axis.values)
      if (!std::isfinite(x))
        throw Malformed("axis '" + name + "' holds the non-finite value " + number_text(x));
    axes.push_back(std::move(axis));
  }
  return axes;
}

h5::Dataset open_variable(hid_t root, const std::string& name, VarType type,
                          const std::vector<hsize_t>& shape, std::string_view kind) {
  const std::string what = std::string(kind) + " '" + name + "'";
  if (!h5::has_link(root, name)) throw Malformed(what + " missing");
  h5::Dataset ds = h5::open_dataset(root, name);
  h5::Datatype file_type(h5::check(H5Dget_type(ds.get()), "reading the type of " + name));
  const H5T_class_t cls = H5Tget_class(file_type.get());
  const H5T_class_t want = type == VarType::Float64 ? H5T_FLOAT : H5T_INTEGER;
  if (cls != want)
    throw Malformed(what + " is not stored as " +
                    (want == H5T_FLOAT ? "floating-point numbers" : "integers"));
  const std::vector<hsize_t> dims = h5::dims_of(ds.get());
  if (dims != shape)
    throw Malformed(what + " has shape " + shape_text(dims) + ", expected " + shape_text(shape) +
                    " (from the axes)");
  h5::Dataspace space(h5::check(H5Dget_space(ds.get()), "reading " + name));
  std::size_t elements = 1;
  for (hsize_t d : shape) elements *= d;  // as dims == shape, only a null dataspace differs
  if (H5Sget_simple_extent_npoints(space.get()) != static_cast<hssize_t>(elements))
    throw Malformed(what + " holds no data (null dataspace)");
  return ds;
}

std::vector<double> read_variable(hid_t root, const std::string& name, VarType type,
                                  const std::vector<hsize_t>& shape, std::string_view kind) {
  const std::string what = std::string(kind) + " '" + name + "'";
  h5::Dataset ds = open_variable(root, name, type, shape, kind);
  std::vector<double> values(checked_elements(shape, sizeof(double), what));
  if (!values.empty())
    h5::read_dataset(ds.get(), H5T_NATIVE_DOUBLE, values.data(), "reading " + name);
  return values;
}

void check_values(const std::string& name, VarType type, const std::vector<double>& values,
                  double max, std::size_t width, std::span<const std::size_t> cells) {
  if (type == VarType::Float64) return;
  const double lo = type == VarType::Int8 ? -1 : 0;
  const double hi = type == VarType::UInt8 ? 1 : max;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    if (!(x >= lo && x <= hi && x == std::floor(x)))
      throw Malformed("variable '" + name + "' holds " + number_text(x) + " at " +
                      cell_text(cells.empty() ? i : cells[i / width] * width + i % width, width) +
                      ", outside " + number_text(lo) + " .. " + number_text(hi));
  }
}

void check_done_cells(const DoneCodes& c) {
  for (std::size_t i = 0; i < c.done.size(); ++i) {
    if (c.done[i] != 1) continue;
    const bool no_theory = c.theory[i] < 0, no_empirical = !c.theory_only && c.empirical[i] < 0;
    if (no_theory || no_empirical)
      throw Malformed("cell " + std::to_string(c.cells.empty() ? i : c.cells[i]) +
                      " is done but its '" + (no_theory ? c.theory_name : c.empirical_name) +
                      "' is -1 (not computed)");
  }
}

}  // namespace phasecube::cube_io
