#include "io/cube.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "io/cube_io.hpp"
#include "io/hdf5.hpp"
#include "io/output.hpp"

namespace phasecube {

namespace fs = std::filesystem;

namespace {

using cube_io::with_type;

std::vector<hsize_t> shape_of(const std::vector<Axis>& axes) {
  std::vector<hsize_t> shape;
  for (const Axis& a : axes) shape.push_back(a.values.size());
  return shape;
}

// Chunks of at most ~64k elements, whole trailing dimensions first: a row of the last axis is
// what a cell batch usually touches, and it keeps chunk count low for small cubes.
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& dims) {
  std::vector<hsize_t> chunk(dims.size());
  hsize_t budget = 65536;
  for (std::size_t i = dims.size(); i-- > 0;) {
    chunk[i] = std::clamp<hsize_t>(dims[i], 1, budget);
    budget = std::max<hsize_t>(1, budget / chunk[i]);
  }
  return chunk;
}

std::string axis_long_name(const std::string& name) {
  for (const ParamSpec& p : kModelParams)
    if (p.name == name) return std::string(p.doc);
  return name;
}

void validate_axes(const std::vector<Axis>& axes) {
  std::set<std::string> seen;
  for (const Axis& a : axes) {
    if (a.values.empty()) throw InputError("axis " + a.name + " has no values");
    if (!seen.insert(a.name).second) throw InputError("axis " + a.name + " appears twice");
    for (std::size_t v = 0; v < kRecordSize; ++v)
      if (record_spec(v).name == a.name)
        throw InputError("axis name " + a.name + " clashes with a variable");
  }
}

}  // namespace

struct CubeWriter::Impl {
  // Declared first so it is closed last, after every object in it.
  h5::File file;
  h5::Group root;
  std::vector<h5::Dataset> axes;
  std::vector<h5::Dataset> vars;
  std::vector<hsize_t> shape;
  std::size_t cell_count = 1;

  // The cube in memory (h5::create_memory_file): nothing reaches the disk until commit.
  void create(const RunInfo& info);
  void write_cells(std::span<const std::size_t> cells, std::span<const CellRecord> records);
  void set_status(bool complete, double wall_seconds);
  void commit(const std::string& path) { write_file_atomically(path, h5::file_image(file.get())); }
};

void CubeWriter::Impl::create(const RunInfo& info) {
  file = h5::create_memory_file();
  root = h5::Group(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
  const hid_t r = root.get();

  h5::write_string_attribute(r, "Conventions", "CF-1.8");
  h5::write_string_attribute(r, "axes", cube_io::join_axis_names(info.axes));
  h5::write_string_attribute(r, "status", "partial", 8);  // wide enough for "complete"
  cube_io::write_fixed_attributes(r, info.fixed);
  cube_io::write_provenance_attributes(r, {info.config_text, info.seed, info.trials, info.sampler,
                                           info.theory_only, info.command_line, info.mpi_ranks,
                                           info.threads, std::numeric_limits<double>::quiet_NaN()});

  axes = cube_io::write_axis_scales(r, info.axes, axis_long_name);

  shape = shape_of(info.axes);
  for (hsize_t n : shape) cell_count *= n;
  const std::vector<hsize_t> chunk = chunk_shape(shape);
  const std::size_t nvars = info.diagnose ? kRecordSize : kNumVariables;
  for (std::size_t vi = 0; vi < nvars; ++vi) {
    const VariableSpec& v = record_spec(vi);
    const std::string name(v.name);
    h5::PropList dcpl = h5::make_plist(H5P_DATASET_CREATE);
    if (!shape.empty())
      h5::check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                "chunking " + name);
    h5::Dataset ds;
    with_type(v.type, [&]<class T>(T) {
      const auto fill = static_cast<T>(fill_value(v.type));
      h5::check(H5Pset_fill_value(dcpl.get(), h5::native_type<T>(), &fill), "filling " + name);
      ds = h5::create_dataset(r, name, h5::file_type<T>(), shape, dcpl.get());
      h5::write_string_attribute(ds.get(), "long_name", v.long_name);
      // netCDF/xarray mask _FillValue as missing: right for NaN and the -1 of codes, wrong
      // for the counters (trials_done, done), whose 0 is a real value.
      if (v.type != VarType::Int32 && v.type != VarType::UInt8)
        h5::write_attribute<T>(ds.get(), "_FillValue", fill);
    });
    for (std::size_t i = 0; i < axes.size(); ++i)
      h5::check(H5DSattach_scale(ds.get(), axes[i].get(), static_cast<unsigned>(i)),
                "attaching " + info.axes[i].name + " to " + name);
    vars.push_back(std::move(ds));
  }
}

CubeWriter::CubeWriter(const std::string& path, const RunInfo& info, bool overwrite)
    : impl_(std::make_unique<Impl>()) {
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("output directory " + dir.string() + " does not exist (output " + path + ")");
  if (fs::exists(p, ec) && !overwrite)
    throw InputError("output " + path + " exists; pass --overwrite to replace it");
  validate_axes(info.axes);
  impl_->create(info);
  impl_->commit(path);
  path_ = path;
}

CubeWriter::~CubeWriter() = default;
CubeWriter::CubeWriter(CubeWriter&&) noexcept = default;
CubeWriter& CubeWriter::operator=(CubeWriter&&) noexcept = default;

void CubeWriter::write_cells(std::span<const std::size_t> cells,
                             std::span<const CellRecord> records) {
  if (!impl_) throw std::logic_error("CubeWriter used after move");
  impl_->write_cells(cells, records);
}

void CubeWriter::Impl::write_cells(std::span<const std::size_t> cells,
                                   std::span<const CellRecord> records) {
  if (cells.size() != records.size())
    throw std::invalid_argument("write_cells: " + std::to_string(cells.size()) + " cells but " +
                                std::to_string(records.size()) + " records");
  if (cells.empty()) return;
  Impl& m = *this;
  const std::size_t rank = m.shape.size();
  const hsize_t count = cells.size();

  // One point selection shared by every variable (all have the cube's shape); the i-th
  // selected point receives the i-th element of the memory buffer.
  h5::Dataspace file_space = h5::make_space(m.shape);
  h5::Dataspace mem_space =
      h5::make_space(rank == 0 ? std::span<const hsize_t>{} : std::span<const hsize_t>(&count, 1));
  if (rank == 0) {
    if (cells.size() != 1 || cells[0] != 0)
      throw std::out_of_range("write_cells: a cube without axes has the single cell 0");
  } else if (std::size_t next = 0;
             cells.size() == m.cell_count &&
             std::all_of(cells.begin(), cells.end(), [&](std::size_t c) { return c == next++; })) {
    // Every cell in order (a snapshot): the whole dataspace, no point list.
  } else {
    std::vector<hsize_t> coords(cells.size() * rank);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::size_t c = cells[i];
      if (c >= m.cell_count)
        throw std::out_of_range("write_cells: cell " + std::to_string(c) + " outside the cube of " +
                                std::to_string(m.cell_count) + " cells");
      for (std::size_t d = rank; d-- > 0;) {  // row-major: last axis fastest
        coords[i * rank + d] = c % m.shape[d];
        c /= m.shape[d];
      }
    }
    h5::check(H5Sselect_elements(file_space.get(), H5S_SELECT_SET, cells.size(), coords.data()),
              "selecting cells");
  }

  std::vector<double> column(cells.size());
  for (std::size_t v = 0; v < m.vars.size(); ++v) {
    for (std::size_t i = 0; i < cells.size(); ++i) column[i] = records[i][v];
    const VarType type = record_spec(v).type;
    with_type(type, [&]<class T>(T) {
      const std::vector<T> converted = cube_io::to_stored(column, static_cast<T>(fill_value(type)));
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) data = converted.data();
      h5::check(H5Dwrite(m.vars[v].get(), h5::native_type<T>(), mem_space.get(), file_space.get(),
                         H5P_DEFAULT, data),
                "writing " + std::string(record_spec(v).name));
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

void write_cube_snapshot(const std::string& path, const RunInfo& info,
                         const std::vector<CellRecord>& records, bool complete,
                         double wall_seconds) {
  validate_axes(info.axes);
  CubeWriter::Impl cube;
  cube.create(info);
  std::vector<std::size_t> cells(records.size());
  std::iota(cells.begin(), cells.end(), std::size_t{0});
  cube.write_cells(cells, records);
  cube.set_status(complete, wall_seconds);
  cube.commit(path);
}

CubeContents read_cube(const std::string& path) {
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
    if (const auto s = attrs.strings.find("schema"); s != attrs.strings.end())
      throw not_cube("attribute 'schema' = '" + s->second + "': two-modality cubes have none");
    if (attrs.numbers.contains("schema")) throw not_cube("attribute 'schema' is a number");
    const double trials = cube_io::check_common_attributes(attrs);
    const bool theory_only = attrs.number("theory_only") == 1;
    CubeContents c;
    c.axes = cube_io::read_axes(r, attrs, [](const std::string& name) {
      for (std::size_t v = 0; v < kRecordSize; ++v)  // no views::iota: clang 14 (fuzz build)
        if (record_spec(v).name == name) return true;
      return false;
    });
    c.string_attributes = std::move(attrs.strings);
    c.number_attributes = std::move(attrs.numbers);
    const std::vector<hsize_t> shape = shape_of(c.axes);
    cube_io::checked_elements(shape, kRecordSize * sizeof(double), "the cube");

    // kVariables must all be there; kDiagVariables only with [diagnose]. Every value is
    // checked here, so inspect, validate and --resume can index by what they read.
    auto read_variable = [&](const VariableSpec& v, bool required) {
      const std::string name(v.name);
      if (!required && !h5::has_link(r, name)) return;
      std::vector<double> values = cube_io::read_variable(r, name, v.type, shape);
      cube_io::check_values(name, v.type, values, v.type == VarType::Int8 ? 3 : trials);
      c.variables[name] = std::move(values);
    };
    for (const VariableSpec& v : kVariables) read_variable(v, true);
    for (const VariableSpec& v : kDiagVariables) read_variable(v, false);
    const std::string theory = "theory_regime", empirical = "empirical_regime";
    cube_io::check_done_cells({c.variables.at("done"), theory, c.variables.at(theory), empirical,
                               c.variables.at(empirical), theory_only});
    return c;
  } catch (const h5::Error& e) {
    throw not_cube(e.what());
  } catch (const cube_io::Malformed& e) {
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
