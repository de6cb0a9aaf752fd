#include "io/cube.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "io/binding_schema.hpp"
#include "io/cube_io.hpp"
#include "io/hdf5.hpp"
#include "io/output.hpp"
#include "phasecube/binding.hpp"
#include "support/cell_index.hpp"

namespace phasecube {

namespace fs = std::filesystem;

namespace {

using cube_io::with_type;

std::vector<hsize_t> shape_of(const std::vector<Axis>& axes) {
  std::vector<hsize_t> shape;
  for (const Axis& a : axes) shape.push_back(a.values.size());
  return shape;
}

void validate_axes(const RunInfo& info, const CubeSchema& schema) {
  std::set<std::string> seen;
  for (const Axis& a : info.axes) {
    if (a.values.empty()) throw InputError("axis " + a.name + " has no values");
    if (!seen.insert(a.name).second) throw InputError("axis " + a.name + " appears twice");
    if (schema.find(a.name) || (schema.modalities() > 0 && a.name == kModalityDimension))
      throw InputError("axis name " + a.name + " clashes with a variable");
  }
}

// The `modality` dimension scale: 0 .. M-1.
h5::Dataset write_modality_scale(hid_t r, int modalities) {
  const hsize_t mm = static_cast<hsize_t>(modalities);
  const std::string name(kModalityDimension);
  h5::Dataset ds = h5::create_dataset(r, name, H5T_STD_I32LE, std::span(&mm, 1));
  std::vector<std::int32_t> idx(mm);
  for (hsize_t i = 0; i < mm; ++i) idx[i] = static_cast<std::int32_t>(i);
  h5::check(H5Dwrite(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx.data()),
            "writing modality");
  h5::write_string_attribute(ds.get(), "long_name", "modality index m = 0 .. M-1");
  h5::check(H5DSset_scale(ds.get(), name.c_str()), "making modality a dimension scale");
  return ds;
}

// The file selection of `cells` in a variable of `dims` (the grid, then `width` modality
// slots when width > 1), with the memory space of their values in record order.
struct Selection {
  h5::Dataspace file, mem;
};
Selection select_cells(const std::vector<hsize_t>& grid, std::size_t width,
                       std::span<const std::size_t> cells, std::size_t cell_count) {
  std::vector<hsize_t> dims = grid;
  if (width > 1) dims.push_back(width);
  const std::size_t rank = dims.size();
  const hsize_t count = cells.size() * width;
  Selection s{
      h5::make_space(dims),
      h5::make_space(rank == 0 ? std::span<const hsize_t>{} : std::span<const hsize_t>(&count, 1))};
  if (rank == 0) {
    if (cells.size() != 1 || cells[0] != 0)
      throw std::out_of_range("write_cells: a cube without axes has the single cell 0");
    return s;
  }
  std::size_t next = 0;
  if (cells.size() == cell_count &&
      std::all_of(cells.begin(), cells.end(), [&](std::size_t c) { return c == next++; }))
    return s;  // every cell in order (a snapshot): the whole dataspace, no point list
  std::vector<hsize_t> coords;
  coords.reserve(count * rank);
  std::vector<hsize_t> at(grid.size());
  for (std::size_t c : cells) {
    if (c >= cell_count)
      throw std::out_of_range("write_cells: cell " + std::to_string(c) + " outside the cube of " +
                              std::to_string(cell_count) + " cells");
    cell_coordinates<hsize_t>(grid, c, at.data());
    for (std::size_t m = 0; m < width; ++m) {
      coords.insert(coords.end(), at.begin(), at.end());
      if (width > 1) coords.push_back(m);
    }
  }
  h5::check(H5Sselect_elements(s.file.get(), H5S_SELECT_SET, count, coords.data()),
            "selecting cells");
  return s;
}

}  // namespace

struct CubeWriter::Impl {
  // Declared first so it is closed last, after every object in it.
  h5::File file;
  h5::Group root;
  CubeSchema schema;
  std::vector<h5::Dataset> vars;  // schema.variables() order
  std::vector<hsize_t> shape;
  std::size_t cell_count = 1;

  // The cube in memory (h5::create_memory_file): nothing reaches the disk until commit.
  void create(const RunInfo& info);
  void create_variable(const CubeVariable& v, const std::vector<h5::Dataset>& scales,
                       const RunInfo& info);
  void write_cells(std::span<const std::size_t> cells, std::span<const double> records);
  void set_status(bool complete, double wall_seconds);
  void commit(const std::string& path) { write_file_atomically(path, h5::file_image(file.get())); }
};

void CubeWriter::Impl::create(const RunInfo& info) {
  file = h5::create_memory_file();
  root = h5::Group(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
  const hid_t r = root.get();

  h5::write_string_attribute(r, "Conventions", "CF-1.8");
  if (!schema.kind().empty()) h5::write_string_attribute(r, "schema", schema.kind());
  h5::write_string_attribute(r, "axes", cube_io::join_axis_names(info.axes));
  for (const auto& [name, value] : schema.root_attributes())
    h5::write_string_attribute(r, std::string(name), value);
  h5::write_string_attribute(r, "status", "partial", 8);  // wide enough for "complete"
  cube_io::write_fixed_attributes(r, info.fixed);
  cube_io::write_provenance_attributes(r, {info.config_text, info.seed, info.trials, info.sampler,
                                           info.theory_only, info.command_line, info.mpi_ranks,
                                           info.threads, std::numeric_limits<double>::quiet_NaN()});

  std::vector<h5::Dataset> scales =
      cube_io::write_axis_scales(r, info.axes, [&](const std::string& name) {
        for (std::size_t i = 0; i < info.axis_long_names.size() && i < info.axes.size(); ++i)
          if (info.axes[i].name == name) return info.axis_long_names[i];
        return name;  // none given: the name itself
      });
  if (schema.modalities() > 0) scales.push_back(write_modality_scale(r, schema.modalities()));
  shape = shape_of(info.axes);
  for (hsize_t n : shape) cell_count *= n;
  for (const CubeVariable& v : schema.variables()) create_variable(v, scales, info);
}

void CubeWriter::Impl::create_variable(const CubeVariable& v,
                                       const std::vector<h5::Dataset>& scales,
                                       const RunInfo& info) {
  const std::string name(v.spec.name);
  std::vector<hsize_t> dims = shape;
  if (v.spec.per_modality) dims.push_back(static_cast<hsize_t>(schema.modalities()));
  h5::PropList dcpl = cube_io::variable_creation_plist(dims, name);
  h5::Dataset ds;
  with_type(v.spec.type, [&]<class T>(T) {
    const auto fill = static_cast<T>(fill_value(v.spec.type));
    h5::check(H5Pset_fill_value(dcpl.get(), h5::native_type<T>(), &fill), "filling " + name);
    ds = h5::create_dataset(root.get(), name, h5::file_type<T>(), dims, dcpl.get());
    h5::write_string_attribute(ds.get(), "long_name", v.spec.long_name);
    // netCDF/xarray mask _FillValue as missing: right for NaN and the -1 of codes, wrong
    // for the counters (trials_done, done), whose 0 is a real value.
    if (v.spec.type != VarType::Int32 && v.spec.type != VarType::UInt8)
      h5::write_attribute<T>(ds.get(), "_FillValue", fill);
  });
  if (!v.spec.flag_meanings.empty())
    h5::write_string_attribute(ds.get(), "flag_meanings", v.spec.flag_meanings);
  for (std::size_t i = 0; i < info.axes.size(); ++i)
    h5::check(H5DSattach_scale(ds.get(), scales[i].get(), static_cast<unsigned>(i)),
              "attaching " + info.axes[i].name + " to " + name);
  if (v.spec.per_modality)
    h5::check(
        H5DSattach_scale(ds.get(), scales.back().get(), static_cast<unsigned>(info.axes.size())),
        "attaching modality to " + name);
  vars.push_back(std::move(ds));
}

CubeWriter::CubeWriter(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                       bool overwrite)
    : impl_(std::make_unique<Impl>()) {
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("output directory " + dir.string() + " does not exist (output " + path + ")");
  if (fs::exists(p, ec) && !overwrite)
    throw InputError("output " + path + " exists; pass --overwrite to replace it");
  validate_axes(info, schema);
  impl_->schema = schema;
  impl_->create(info);
  impl_->commit(path);
  path_ = path;
}

CubeWriter::~CubeWriter() = default;
CubeWriter::CubeWriter(CubeWriter&&) noexcept = default;
CubeWriter& CubeWriter::operator=(CubeWriter&&) noexcept = default;

void CubeWriter::write_cells(std::span<const std::size_t> cells, std::span<const double> records) {
  if (!impl_) throw std::logic_error("CubeWriter used after move");
  impl_->write_cells(cells, records);
}

void CubeWriter::Impl::write_cells(std::span<const std::size_t> cells,
                                   std::span<const double> records) {
  const std::size_t size = schema.record_size();
  if (records.size() != cells.size() * size)
    throw std::invalid_argument("write_cells: " + std::to_string(cells.size()) + " cells but " +
                                std::to_string(records.size()) + " record values");
  if (cells.empty()) return;
  const Selection one = select_cells(shape, 1, cells, cell_count);
  std::optional<Selection> per_modality;  // built on first use
  std::vector<double> column;
  for (std::size_t vi = 0; vi < vars.size(); ++vi) {
    const CubeVariable& v = schema.variables()[vi];
    if (v.width > 1 && !per_modality)
      per_modality = select_cells(shape, v.width, cells, cell_count);
    const Selection& sel = v.width > 1 ? *per_modality : one;
    column.resize(cells.size() * v.width);
    for (std::size_t i = 0; i < cells.size(); ++i)
      for (std::size_t m = 0; m < v.width; ++m)
        column[i * v.width + m] = records[i * size + v.offset + m];
    with_type(v.spec.type, [&]<class T>(T) {
      const std::vector<T> converted =
          cube_io::to_stored(column, static_cast<T>(fill_value(v.spec.type)));
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) data = converted.data();
      h5::check(H5Dwrite(vars[vi].get(), h5::native_type<T>(), sel.mem.get(), sel.file.get(),
                         H5P_DEFAULT, data),
                "writing " + std::string(v.spec.name));
    });
  }
}

void CubeWriter::Impl::set_status(bool complete, double wall_seconds) {
  h5::write_string_attribute(root.get(), "status", complete ? "complete" : "partial", 8);
  h5::write_attribute<double>(root.get(), "wall_seconds", wall_seconds);
}

void CubeWriter::finish(bool complete, double wall_seconds) {
  if (!impl_) throw std::logic_error("CubeWriter used after move");
  impl_->set_status(complete, wall_seconds);
  impl_->commit(path_);
}

void write_cube_snapshot(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                         std::span<const double> records, bool complete, double wall_seconds) {
  validate_axes(info, schema);
  CubeWriter::Impl cube;
  cube.schema = schema;
  cube.create(info);
  std::vector<std::size_t> cells(records.size() / std::max<std::size_t>(1, schema.record_size()));
  std::iota(cells.begin(), cells.end(), std::size_t{0});
  cube.write_cells(cells, records);
  cube.set_status(complete, wall_seconds);
  cube.commit(path);
}

namespace {

// What the cube at root `r` says of its kind: root `schema` (none: two-modality), `methods`
// and, for a kind with a `modality` dimension, that scale's length.
StoredKind stored_kind(hid_t r, const cube_io::Attributes& attrs) {
  if (attrs.numbers.contains("schema")) throw cube_io::Malformed("attribute 'schema' is a number");
  if (attrs.numbers.contains("methods"))
    throw cube_io::Malformed("attribute 'methods' is a number");
  StoredKind k;
  if (const auto s = attrs.strings.find("schema"); s != attrs.strings.end()) k.kind = s->second;
  if (const auto m = attrs.strings.find("methods"); m != attrs.strings.end()) {
    k.methods_given = true;
    k.methods = cube_io::split_axis_names(m->second);
  }
  if (k.kind != kBindingSchema) return k;
  const std::string modality(kModalityDimension);
  if (!h5::has_link(r, modality)) throw cube_io::Malformed("dataset 'modality' missing");
  const std::vector<hsize_t> mdims = h5::dims_of(h5::open_dataset(r, modality).get());
  if (mdims.size() != 1 || mdims[0] < 2 || mdims[0] > kMaxModalities)
    throw cube_io::Malformed("dataset 'modality' is not 1-D with 2 .. " +
                             std::to_string(kMaxModalities) + " values");
  const std::vector<double> m =
      cube_io::read_variable(r, modality, VarType::Int32, mdims, "dataset");
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m[i] != static_cast<double>(i))
      throw cube_io::Malformed("dataset 'modality' is not 0 .. " + std::to_string(m.size() - 1));
  k.modalities = static_cast<int>(m.size());
  return k;
}

// Every variable of `schema` the cube has (the required ones must be there), values checked,
// so inspect, validate and --resume can index by what they read.
void read_variables(hid_t r, const CubeSchema& schema, const std::vector<hsize_t>& shape,
                    double trials, CubeContents& c) {
  for (const CubeVariable& v : schema.variables()) {
    const std::string name(v.spec.name);
    if (!v.required && !h5::has_link(r, name)) continue;
    std::vector<hsize_t> want = shape;
    if (v.spec.per_modality) want.push_back(static_cast<hsize_t>(schema.modalities()));
    std::vector<double> values = cube_io::read_variable(r, name, v.spec.type, want);
    cube_io::check_values(name, v.spec.type, values,
                          v.spec.type == VarType::Int8 ? v.spec.code_max : trials, v.width);
    c.variables[name] = std::move(values);
  }
  const std::string theory(schema.theory_code()), empirical(schema.empirical_code());
  if (theory.empty()) return;  // no code variable (e.g. methods without ca and cp)
  const bool theory_only = c.number_attributes.at("theory_only").at(0) == 1;
  // Without a simulated code (methods without both ca and cp) only the closed form is checked.
  const std::vector<double>& codes =
      empirical.empty() ? c.variables.at(theory) : c.variables.at(empirical);
  cube_io::check_done_cells({c.variables.at("done"), theory, c.variables.at(theory),
                             empirical.empty() ? theory : empirical, codes, theory_only});
}

}  // namespace

CubeContents read_cube(const std::string& path, SchemaResolver resolve) {
  auto not_cube = [&](const std::string& why) {
    return InputError(path + ": not a phasecube cube (" + why + ")");
  };
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw not_cube(fs::exists(path, ec) ? "not a regular file" : "no such file");
  try {
    h5::File file = h5::open_file(path, true);
    h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
    const hid_t r = root.get();
    if (!h5::has_attribute(r, "axes")) throw not_cube("no 'axes' attribute");
    cube_io::Attributes attrs = cube_io::read_attributes(r);
    CubeContents c;
    StoredKind stored = stored_kind(r, attrs);
    c.schema = resolve(stored);
    const CubeSchema& schema = c.schema;
    c.kind = std::move(stored.kind);
    c.modalities = stored.modalities;
    c.methods = std::move(stored.methods);
    const double trials = cube_io::check_common_attributes(attrs);
    c.axes = cube_io::read_axes(r, attrs, [&](const std::string& name) {
      return schema.find(name) != nullptr ||
             (schema.modalities() > 0 && name == kModalityDimension);
    });
    c.string_attributes = std::move(attrs.strings);
    c.number_attributes = std::move(attrs.numbers);
    const std::vector<hsize_t> shape = shape_of(c.axes);
    cube_io::checked_elements(shape, schema.record_size() * sizeof(double), "the cube");
    read_variables(r, schema, shape, trials, c);
    return c;
  } catch (const h5::Error& e) {
    throw not_cube(e.what());
  } catch (const cube_io::Malformed& e) {
    throw not_cube(e.what());
  } catch (const SchemaError& e) {
    throw not_cube(e.what());
  }
}

std::string axes_mismatch(const std::vector<Axis>& cube, const std::vector<Axis>& grid) {
  if (cube.size() != grid.size())
    return "the cube has " + std::to_string(cube.size()) + " axes, the config " +
           std::to_string(grid.size());
  for (std::size_t i = 0; i < cube.size(); ++i) {
    if (cube[i].name != grid[i].name)
      return "axis " + std::to_string(i + 1) + " is " + cube[i].name + " in the cube, " +
             grid[i].name + " in the config";
    if (cube[i].values.size() != grid[i].values.size())
      return "axis " + cube[i].name + " has " + std::to_string(cube[i].values.size()) +
             " values in the cube, " + std::to_string(grid[i].values.size()) + " in the config";
    if (cube[i].values != grid[i].values)
      return "the values of axis " + cube[i].name + " differ from the config's";
  }
  return "";
}

}  // namespace phasecube
