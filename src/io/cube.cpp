#include "io/cube.hpp"

#include <fcntl.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
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

}  // namespace

namespace {

static_assert(std::endian::native == std::endian::little,
              "the working cube is written with pwrite in the file's little-endian types");

// The two layouts of a cube. Working: every variable contiguous and allocated at creation,
// written in place with pwrite (a run in progress). Final: chunked and compressed.
enum class Layout { Working, Final };

// The chunk grid of the grid-shaped variables: the blocks the final layout is written in, so
// that each write fills whole chunks (compressed once) and memory stays one chunk of cells.
class BlockGrid {
 public:
  explicit BlockGrid(std::vector<hsize_t> dims) : dims_(std::move(dims)) {
    if (!dims_.empty()) chunk_ = cube_io::chunk_shape(dims_);
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      blocks_.push_back((dims_[i] + chunk_[i] - 1) / chunk_[i]);
      count_ *= blocks_.back();
    }
  }
  std::size_t count() const { return count_; }

  struct Box {
    std::vector<hsize_t> start, count;
  };
  Box box(std::size_t block) const {
    Box b{std::vector<hsize_t>(dims_.size()), std::vector<hsize_t>(dims_.size())};
    cell_coordinates<hsize_t>(blocks_, block, b.start.data());
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      b.start[i] *= chunk_[i];
      b.count[i] = std::min(chunk_[i], dims_[i] - b.start[i]);
    }
    return b;
  }
  static std::size_t size(const Box& b) {
    std::size_t n = 1;
    for (hsize_t c : b.count) n *= c;
    return n;
  }
  // The linear cells of a box, row-major within it.
  std::vector<std::size_t> cells(const Box& b) const {
    const std::size_t n = size(b);
    std::vector<std::size_t> out(n);
    std::vector<hsize_t> at(dims_.size());
    for (std::size_t l = 0; l < n; ++l) {
      cell_coordinates<hsize_t>(b.count, l, at.data());
      std::size_t cell = 0;
      for (std::size_t i = 0; i < dims_.size(); ++i) cell = cell * dims_[i] + b.start[i] + at[i];
      out[l] = cell;
    }
    return out;
  }
  // The block of `cell` and its position in that block's cells(). Runs once per written cell
  // (10^8 on resuming a full cube), so it walks the axes last to first without allocating.
  std::pair<std::size_t, std::size_t> locate(std::size_t cell) const {
    std::size_t block = 0, local = 0, block_stride = 1, local_stride = 1;
    for (std::size_t i = dims_.size(); i-- > 0;) {
      const hsize_t at = cell % dims_[i], b = at / chunk_[i];
      cell /= dims_[i];
      const hsize_t extent = std::min(chunk_[i], dims_[i] - b * chunk_[i]);
      block += b * block_stride;
      local += (at - b * chunk_[i]) * local_stride;
      block_stride *= blocks_[i];
      local_stride *= extent;
    }
    return {block, local};
  }

 private:
  std::vector<hsize_t> dims_, chunk_, blocks_;
  std::size_t count_ = 1;
};

std::size_t cell_count_of(const std::vector<hsize_t>& shape) {
  std::size_t n = 1;
  for (hsize_t d : shape) n *= d;
  return n;
}

// The index of the `done` variable in the schema's record, variables().size() when absent.
std::size_t done_index(const CubeSchema& schema) {
  const auto& vars = schema.variables();
  std::size_t vi = 0;
  while (vi < vars.size() && vars[vi].spec.name != "done") ++vi;
  return vi;
}

std::size_t stored_size(VarType t) {
  std::size_t size = 0;
  with_type(t, [&]<class T>(T) { size = sizeof(T); });
  return size;
}

// A disk failure inside HDF5 as one line: the system's message when HDF5 quotes one
// ("No space left on device"), else HDF5's.
BuildFailure disk_failure(const h5::Error& e) {
  const std::string what = e.what();
  const std::string key = "error message = '";
  if (const auto at = what.find(key); at != std::string::npos) {
    const auto from = at + key.size();
    return BuildFailure(what.substr(from, what.find('\'', from) - from) + " (writing the cube)");
  }
  return BuildFailure(what);
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

// The storage of a variable of `dims` in `layout`.
h5::PropList storage_plist(const std::vector<hsize_t>& dims, const std::string& name,
                           Layout layout) {
  if (layout == Layout::Final) return cube_io::variable_creation_plist(dims, name);
  h5::PropList dcpl = h5::make_plist(H5P_DATASET_CREATE);
  const std::string what = "laying out " + name;
  h5::check(H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS), what);
  h5::check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), what);  // fixed offsets
  h5::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), what);    // a sparse file
  return dcpl;
}

// A cube's file: attributes, axes and variables (no data yet), in `layout`.
struct CubeFile {
  h5::File file;  // declared first so it is closed last, after every object in it
  h5::Group root;
  std::vector<h5::Dataset> vars;  // schema.variables() order

  void flush() { h5::check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flushing the cube"); }
};

h5::Dataset create_variable(hid_t root, const CubeVariable& v, const std::vector<hsize_t>& grid,
                            const CubeSchema& schema, Layout layout,
                            const std::vector<h5::Dataset>& scales, const RunInfo& info) {
  const std::string name(v.spec.name);
  std::vector<hsize_t> dims = grid;
  if (v.spec.per_modality) dims.push_back(static_cast<hsize_t>(schema.modalities()));
  h5::PropList dcpl = storage_plist(dims, name, layout);
  h5::Dataset ds;
  with_type(v.spec.type, [&]<class T>(T) {
    const auto fill = static_cast<T>(fill_value(v.spec.type));
    h5::check(H5Pset_fill_value(dcpl.get(), h5::native_type<T>(), &fill), "filling " + name);
    ds = h5::create_dataset(root, name, h5::file_type<T>(), dims, dcpl.get());
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
  return ds;
}

// `status`: "running" for a working cube, "complete" or "partial" for a final one.
// wall_seconds is NaN until known.
CubeFile create_cube_file(const std::string& file_path, const RunInfo& info,
                          const CubeSchema& schema, Layout layout, std::string_view status) {
  CubeFile c;
  c.file = h5::create_file(file_path, true);
  c.root = h5::Group(h5::check(H5Gopen2(c.file.get(), "/", H5P_DEFAULT), "opening /"));
  const hid_t r = c.root.get();
  h5::write_string_attribute(r, "Conventions", "CF-1.8");
  if (!schema.kind().empty()) h5::write_string_attribute(r, "schema", schema.kind());
  h5::write_string_attribute(r, "axes", cube_io::join_axis_names(info.axes));
  for (const auto& [name, value] : schema.root_attributes())
    h5::write_string_attribute(r, std::string(name), value);
  h5::write_string_attribute(r, "status", status, 8);
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
  const std::vector<hsize_t> grid = shape_of(info.axes);
  for (const CubeVariable& v : schema.variables())
    c.vars.push_back(create_variable(r, v, grid, schema, layout, scales, info));
  return c;
}

// The selection of a box of cells in a variable `width` values per cell wide.
struct Selection {
  h5::Dataspace file, mem;
};
Selection select_box(hid_t ds, const BlockGrid::Box& box, std::size_t width) {
  std::vector<hsize_t> start = box.start, count = box.count;
  if (width > 1) {
    start.push_back(0);
    count.push_back(width);
  }
  if (start.empty()) return {h5::make_space({}), h5::make_space({})};  // the one cell
  Selection s{h5::Dataspace(h5::check(H5Dget_space(ds), "selecting cells")), {}};
  h5::check(H5Sselect_hyperslab(s.file.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                nullptr),
            "selecting cells");
  // The memory buffer has the box's shape (row-major, as cells() orders it): with the same
  // shape on both sides HDF5 copies a chunk whole instead of mapping every element.
  s.mem = h5::make_space(count);
  return s;
}

// Writes the records of a box's cells (record i at records[i * record_size]) to every variable.
void write_box(const CubeFile& c, const CubeSchema& schema, const BlockGrid::Box& box,
               std::size_t cells, const std::vector<double>& records) {
  const std::size_t size = schema.record_size();
  std::vector<double> column;
  for (std::size_t vi = 0; vi < c.vars.size(); ++vi) {
    const CubeVariable& v = schema.variables()[vi];
    const Selection sel = select_box(c.vars[vi].get(), box, v.width);
    column.resize(cells * v.width);
    for (std::size_t i = 0; i < cells; ++i)
      std::copy_n(records.begin() + static_cast<std::ptrdiff_t>(i * size + v.offset), v.width,
                  column.begin() + static_cast<std::ptrdiff_t>(i * v.width));
    with_type(v.spec.type, [&]<class T>(T) {
      const std::vector<T> converted =
          cube_io::to_stored(column, static_cast<T>(fill_value(v.spec.type)));
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) data = converted.data();
      h5::check(H5Dwrite(c.vars[vi].get(), h5::native_type<T>(), sel.mem.get(), sel.file.get(),
                         H5P_DEFAULT, data),
                "writing " + std::string(v.spec.name));
    });
  }
}

// Builds a cube in a temporary renamed over `path`: `fill` writes its data. A failure of
// HDF5 while writing is a failure of the disk (the temporary is removed, `path` unchanged).
void replace_cube(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                  Layout layout, std::string_view status,
                  const std::function<void(CubeFile&)>& fill) {
  replace_file_atomically(path, [&](const std::string& temp) {
    try {
      CubeFile c = create_cube_file(temp, info, schema, layout, status);
      fill(c);
      c.flush();  // a failure to write must be seen here, not lost in a destructor
    } catch (const h5::Error& e) {
      throw disk_failure(e);
    }
  });
}

// All of `bytes` at `offset` through `io` (::pwrite or ::pread, which may do part of it);
// false (errno set) on failure.
template <class Byte, class Io>
bool transfer_all(Io io, int fd, Byte* p, std::size_t bytes, std::uint64_t offset) {
  while (bytes > 0) {
    const ssize_t n = io(fd, p, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}
bool pwrite_all(int fd, const void* data, std::size_t bytes, std::uint64_t offset) {
  return transfer_all(::pwrite, fd, static_cast<const unsigned char*>(data), bytes, offset);
}
bool pread_all(int fd, void* data, std::size_t bytes, std::uint64_t offset) {
  return transfer_all(::pread, fd, static_cast<unsigned char*>(data), bytes, offset);
}

// write_cube, visiting only `blocks` (ascending) when given: the blocks that hold a cell.
void write_final(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                 const BlockSource& source, bool complete,
                 const std::function<double()>& wall_seconds,
                 const std::vector<std::size_t>* blocks) {
  validate_axes(info, schema);
  const BlockGrid grid(shape_of(info.axes));
  replace_cube(path, info, schema, Layout::Final, complete ? "complete" : "partial",
               [&](CubeFile& c) {
                 std::vector<double> records;
                 auto write = [&](std::size_t b) {
                   const BlockGrid::Box box = grid.box(b);
                   const std::vector<std::size_t> cells = grid.cells(box);
                   records.resize(cells.size() * schema.record_size());
                   if (source(cells, records.data()))
                     write_box(c, schema, box, cells.size(), records);
                 };
                 if (blocks)
                   std::ranges::for_each(*blocks, write);
                 else
                   for (std::size_t b = 0; b < grid.count(); ++b) write(b);
                 h5::write_attribute<double>(c.root.get(), "wall_seconds", wall_seconds());
               });
}
}  // namespace

void write_cube(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                const BlockSource& source, bool complete,
                const std::function<double()>& wall_seconds) {
  write_final(path, info, schema, source, complete, wall_seconds, nullptr);
}

void write_cube_snapshot(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                         std::span<const double> records, bool complete, double wall_seconds) {
  const std::size_t size = schema.record_size();
  if (records.size() != cell_count_of(shape_of(info.axes)) * size)
    throw std::invalid_argument("write_cube_snapshot: " + std::to_string(records.size()) +
                                " record values for a cube of " +
                                std::to_string(cell_count_of(shape_of(info.axes))) + " cells");
  write_cube(
      path, info, schema,
      [&](std::span<const std::size_t> cells, double* out) {
        for (std::size_t i = 0; i < cells.size(); ++i)
          std::copy_n(records.begin() + static_cast<std::ptrdiff_t>(cells[i] * size), size,
                      out + i * size);
        return true;
      },
      complete, [&] { return wall_seconds; });
}

struct CubeWriter::Impl {
  std::string path;
  RunInfo info;
  CubeSchema schema;
  std::size_t cell_count = 1;
  BlockGrid blocks{{}};
  int fd = -1;
  std::vector<std::uint64_t> offsets;  // where each variable's data starts in the file
  std::map<std::size_t, std::vector<bool>> written;  // block -> which of its cells

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
  void init(const std::string& p, const RunInfo& i, const CubeSchema& s) {
    path = p;
    info = i;
    schema = s;
    cell_count = cell_count_of(shape_of(info.axes));
    blocks = BlockGrid(shape_of(info.axes));
  }
  void record_offsets(const CubeFile& c) {
    offsets.clear();
    for (const h5::Dataset& ds : c.vars) {
      const haddr_t at = H5Dget_offset(ds.get());
      if (at == HADDR_UNDEF) throw h5::Error("HDF5: a working variable has no storage");
      offsets.push_back(at);
    }
  }
  void open_raw() {
    fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      throw OutputFault("cannot write " + path + ": " + std::strerror(errno) + " (reopening it)");
  }
  void mark_written(std::size_t cell) {
    const auto [block, local] = blocks.locate(cell);
    std::vector<bool>& bits = written[block];
    if (bits.empty()) bits.resize(BlockGrid::size(blocks.box(block)));
    bits[local] = true;
  }
  [[noreturn]] void fault(const std::string& step) const {
    throw OutputFault("cannot write " + path + ": " + std::strerror(errno) + " (" + step +
                      "); it holds every cell written before");
  }
  void write_variable(std::size_t vi, std::span<const std::size_t> cells,
                      std::span<const double> records, const std::vector<std::size_t>& order);
  bool read_block(std::span<const std::size_t> cells, double* out) const;
};

CubeWriter::CubeWriter() : impl_(std::make_unique<Impl>()) {}

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
  impl_->init(path, info, schema);
  replace_cube(path, info, schema, Layout::Working, "running",
               [&](CubeFile& c) { impl_->record_offsets(c); });
  impl_->open_raw();
}

CubeWriter::~CubeWriter() = default;
CubeWriter::CubeWriter(CubeWriter&&) noexcept = default;
CubeWriter& CubeWriter::operator=(CubeWriter&&) noexcept = default;

void CubeWriter::Impl::write_variable(std::size_t vi, std::span<const std::size_t> cells,
                                      std::span<const double> records,
                                      const std::vector<std::size_t>& order) {
  const CubeVariable& v = schema.variables()[vi];
  const std::size_t size = schema.record_size(), elem = stored_size(v.spec.type);
  std::vector<double> column;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;  // a run of consecutive cells: one pwrite
    while (j < order.size() && cells[order[j]] == cells[order[j - 1]] + 1) ++j;
    column.clear();
    for (std::size_t k = i; k < j; ++k)
      for (std::size_t m = 0; m < v.width; ++m)
        column.push_back(records[order[k] * size + v.offset + m]);
    with_type(v.spec.type, [&]<class T>(T) {
      const std::vector<T> converted =
          cube_io::to_stored(column, static_cast<T>(fill_value(v.spec.type)));
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) data = converted.data();
      if (!pwrite_all(fd, data, column.size() * elem,
                      offsets[vi] + cells[order[i]] * v.width * elem))
        fault("writing variable " + std::string(v.spec.name));
    });
    i = j;
  }
}

void CubeWriter::write_cells(std::span<const std::size_t> cells, std::span<const double> records) {
  if (!impl_ || impl_->fd < 0) throw std::logic_error("CubeWriter used after finish or move");
  Impl& w = *impl_;
  const std::size_t size = w.schema.record_size();
  if (records.size() != cells.size() * size)
    throw std::invalid_argument("write_cells: " + std::to_string(cells.size()) + " cells but " +
                                std::to_string(records.size()) + " record values");
  for (std::size_t c : cells)
    if (c >= w.cell_count)
      throw std::out_of_range("write_cells: cell " + std::to_string(c) + " outside the cube of " +
                              std::to_string(w.cell_count) + " cells");
  if (cells.empty()) return;
  std::vector<std::size_t> order(cells.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cells[a] < cells[b]; });
  const std::size_t var_count = w.schema.variables().size(), done_var = done_index(w.schema);
  for (std::size_t vi = 0; vi < var_count; ++vi)
    if (vi != done_var) w.write_variable(vi, cells, records, order);
  // The data is on disk before any of these cells is marked done: a torn write is never done.
  if (::fdatasync(w.fd) != 0) w.fault("syncing the cells");
  if (done_var < var_count) w.write_variable(done_var, cells, records, order);
  if (::fdatasync(w.fd) != 0) w.fault("syncing the done map");
  for (std::size_t c : cells) w.mark_written(c);
}

std::vector<bool> CubeWriter::done_cells() const {
  if (!impl_ || impl_->fd < 0) throw std::logic_error("CubeWriter used after finish or move");
  const Impl& w = *impl_;
  std::vector<bool> done(w.cell_count, false);
  if (const std::size_t vi = done_index(w.schema); vi < w.schema.variables().size()) {
    std::vector<std::uint8_t> buf;
    for (std::size_t at = 0; at < w.cell_count; at += buf.size()) {
      buf.resize(std::min<std::size_t>(std::size_t{1} << 20, w.cell_count - at));
      if (!pread_all(w.fd, buf.data(), buf.size(), w.offsets[vi] + at))
        throw OutputFault("cannot read " + w.path + ": " + std::strerror(errno) +
                          " (reading its done map)");
      for (std::size_t i = 0; i < buf.size(); ++i) done[at + i] = buf[i] == 1;
    }
  }
  return done;
}

// The records of a block's cells from the working cube, every cell never written at its
// fill; false when the block has none.
bool CubeWriter::Impl::read_block(std::span<const std::size_t> cells, double* out) const {
  const auto it = written.find(blocks.locate(cells[0]).first);
  if (it == written.end()) return false;
  const std::size_t size = schema.record_size();
  const std::vector<double> fill = schema.fill_record();
  for (std::size_t i = 0; i < cells.size(); ++i)
    std::copy(fill.begin(), fill.end(), out + i * size);
  std::vector<unsigned char> bytes;
  for (std::size_t vi = 0; vi < schema.variables().size(); ++vi) {
    const CubeVariable& v = schema.variables()[vi];
    const std::size_t elem = stored_size(v.spec.type);
    for (std::size_t i = 0; i < cells.size();) {
      std::size_t j = i + 1;
      while (j < cells.size() && cells[j] == cells[j - 1] + 1) ++j;
      bytes.resize((j - i) * v.width * elem);
      if (!pread_all(fd, bytes.data(), bytes.size(), offsets[vi] + cells[i] * v.width * elem))
        throw BuildFailure(std::string(std::strerror(errno)) + " (reading the working cube)");
      with_type(v.spec.type, [&]<class T>(T) {
        for (std::size_t k = i; k < j; ++k)
          for (std::size_t m = 0; m < v.width; ++m) {
            T x;
            std::memcpy(&x, bytes.data() + ((k - i) * v.width + m) * elem, sizeof x);
            out[k * size + v.offset + m] = static_cast<double>(x);
          }
      });
      i = j;
    }
  }
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (!it->second[i]) std::copy(fill.begin(), fill.end(), out + i * size);
  return true;
}

void CubeWriter::finish(bool complete, double wall_seconds) {
  if (!impl_ || impl_->fd < 0) throw std::logic_error("CubeWriter used after finish or move");
  Impl& w = *impl_;
  std::vector<std::size_t> blocks;  // only those with a written cell: the rest stay fill
  for (const auto& [b, _] : w.written) blocks.push_back(b);
  write_final(
      w.path, w.info, w.schema,
      [&](std::span<const std::size_t> cells, double* out) { return w.read_block(cells, out); },
      complete, [&] { return wall_seconds; }, &blocks);
  ::close(std::exchange(w.fd, -1));
}

namespace {

// The dataset `name` of a working cube as this build lays it out: contiguous, allocated, of
// `dims` and stored size `elem`; its file offset.
std::uint64_t working_offset(hid_t root, const std::string& name, const std::vector<hsize_t>& dims,
                             std::size_t elem) {
  h5::Dataset ds = h5::open_dataset(root, name);
  h5::PropList dcpl(h5::check(H5Dget_create_plist(ds.get()), "reading the layout of " + name));
  h5::Datatype type(h5::check(H5Dget_type(ds.get()), "reading the type of " + name));
  const haddr_t at = H5Dget_offset(ds.get());
  if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || at == HADDR_UNDEF ||
      h5::dims_of(ds.get()) != dims || H5Tget_size(type.get()) != elem)
    throw cube_io::Malformed("variable '" + name + "' is not laid out as a running cube's");
  return at;
}

// Copies the done cells of the final cube at `old_path` into the new working cube `c`,
// block by block; calls mark(cell) for each.
void copy_done_cells(const std::string& old_path, const CubeFile& c, const CubeSchema& schema,
                     const BlockGrid& grid, const std::function<void(std::size_t)>& mark) {
  h5::File old = h5::open_file(old_path, true);
  h5::Group root(h5::check(H5Gopen2(old.get(), "/", H5P_DEFAULT), "opening /"));
  const auto& vars = schema.variables();
  const h5::Dataset done_ds = h5::open_dataset(root.get(), "done");
  std::vector<h5::Dataset> from_ds(vars.size());  // each opened once; an absent one stays empty
  for (std::size_t vi = 0; vi < vars.size(); ++vi)
    if (const std::string name(vars[vi].spec.name); h5::has_link(root.get(), name))
      from_ds[vi] = h5::open_dataset(root.get(), name);
  for (std::size_t b = 0; b < grid.count(); ++b) {
    const BlockGrid::Box box = grid.box(b);
    const std::vector<std::size_t> cells = grid.cells(box);
    std::vector<std::uint8_t> done(cells.size());
    const Selection sel = select_box(done_ds.get(), box, 1);
    h5::read_dataset(done_ds.get(), H5T_NATIVE_UINT8, done.data(), "reading done", sel.mem.get(),
                     sel.file.get());
    if (std::none_of(done.begin(), done.end(), [](std::uint8_t d) { return d == 1; })) continue;
    for (std::size_t vi = 0; vi < vars.size(); ++vi) {
      const CubeVariable& v = vars[vi];
      const std::string name(v.spec.name);
      const Selection to = select_box(c.vars[vi].get(), box, v.width);
      with_type(v.spec.type, [&]<class T>(T) {
        std::vector<T> values(cells.size() * v.width, static_cast<T>(fill_value(v.spec.type)));
        if (const h5::Dataset& ds = from_ds[vi]) {  // an optional variable may be absent: fill
          const Selection from = select_box(ds.get(), box, v.width);
          h5::read_dataset(ds.get(), h5::native_type<T>(), values.data(), "reading " + name,
                           from.mem.get(), from.file.get());
        }
        h5::check(H5Dwrite(c.vars[vi].get(), h5::native_type<T>(), to.mem.get(), to.file.get(),
                           H5P_DEFAULT, values.data()),
                  "writing " + name);
      });
    }
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (done[i] == 1) mark(cells[i]);
  }
}

}  // namespace

CubeWriter CubeWriter::resume(const std::string& path, const RunInfo& info,
                              const CubeSchema& schema) {
  CubeWriter out;
  Impl& w = *out.impl_;
  w.init(path, info, schema);
  validate_axes(info, schema);
  const std::vector<hsize_t> grid = shape_of(info.axes);
  bool running = false;
  try {
    h5::File file = h5::open_file(path, true);
    h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
    running = h5::read_string_attribute(root.get(), "status") == "running";
    if (running)
      for (const CubeVariable& v : schema.variables()) {
        std::vector<hsize_t> dims = grid;
        if (v.spec.per_modality) dims.push_back(static_cast<hsize_t>(schema.modalities()));
        w.offsets.push_back(
            working_offset(root.get(), std::string(v.spec.name), dims, stored_size(v.spec.type)));
      }
  } catch (const h5::Error& e) {
    throw InputError("--resume: " + path + ": " + e.what());
  } catch (const cube_io::Malformed& e) {
    throw InputError("--resume: " + path + ": " + e.what());
  }
  if (running) {
    w.open_raw();
    const std::vector<bool> done = out.done_cells();
    for (std::size_t c = 0; c < done.size(); ++c)
      if (done[c]) w.mark_written(c);
    return out;
  }
  replace_cube(path, info, schema, Layout::Working, "running", [&](CubeFile& c) {
    w.record_offsets(c);
    copy_done_cells(path, c, schema, w.blocks, [&](std::size_t cell) { w.mark_written(cell); });
  });
  w.open_raw();
  return out;
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

// The variables of a cube read one block of the grid's chunk grid at a time (one chunk each,
// decompressed once), checked so that inspect, validate and --resume can index by what they
// read: every variable of `schema` the cube has (the required ones must be there). A running
// cube is read `done` first, and every cell it does not mark done reads as fill: its other
// values may be being written (the writer marks a cell done only once its data is on disk).
class BlockReader {
 public:
  BlockReader(hid_t r, const CubeSchema& schema, const std::vector<hsize_t>& shape, double trials,
              bool running, bool theory_only)
      : schema_(schema),
        grid_(shape),
        trials_(trials),
        running_(running),
        theory_only_(theory_only) {
    for (const CubeVariable& v : schema.variables()) {
      const std::string name(v.spec.name);
      if (!v.required && !h5::has_link(r, name)) continue;
      std::vector<hsize_t> want = shape;
      if (v.spec.per_modality) want.push_back(static_cast<hsize_t>(schema.modalities()));
      vars_.push_back({&v, name, cube_io::open_variable(r, name, v.spec.type, want)});
    }
  }
  std::size_t count() const { return grid_.count(); }
  void read(std::size_t block, CubeBlock& out) const {
    const BlockGrid::Box box = grid_.box(block);
    out.cells = grid_.cells(box);
    out.variables.clear();
    std::vector<double> done;
    if (running_) done = read_box(*find("done"), box);
    for (const Variable& var : vars_) {
      std::vector<double> values = running_ && var.name == "done" ? done : read_box(var, box);
      const std::size_t width = var.v->width;
      if (running_ && var.name != "done")
        for (std::size_t i = 0; i < out.cells.size(); ++i)
          if (done[i] != 1)
            std::fill_n(values.begin() + static_cast<std::ptrdiff_t>(i * width), width,
                        fill_value(var.v->spec.type));
      cube_io::check_values(var.name, var.v->spec.type, values,
                            var.v->spec.type == VarType::Int8 ? var.v->spec.code_max : trials_,
                            width, out.cells);
      out.variables[var.name] = std::move(values);
    }
    check_codes(out);
  }

 private:
  struct Variable {
    const CubeVariable* v;
    std::string name;
    h5::Dataset ds;
  };
  const Variable* find(std::string_view name) const {
    for (const Variable& var : vars_)
      if (var.name == name) return &var;
    throw cube_io::Malformed("variable '" + std::string(name) + "' missing");
  }
  static std::vector<double> read_box(const Variable& var, const BlockGrid::Box& box) {
    const Selection sel = select_box(var.ds.get(), box, var.v->width);
    std::vector<double> values(BlockGrid::size(box) * var.v->width);
    h5::read_dataset(var.ds.get(), H5T_NATIVE_DOUBLE, values.data(), "reading " + var.name,
                     sel.mem.get(), sel.file.get());
    return values;
  }
  // A done cell has its closed-form code and (but in a theory cube) its simulated one.
  void check_codes(const CubeBlock& b) const {
    const std::string theory(schema_.theory_code()), empirical(schema_.empirical_code());
    if (theory.empty()) return;  // no code variable (e.g. methods without ca and cp)
    // Without a simulated code (methods without both ca and cp) only the closed form is checked.
    const std::vector<double>& codes =
        empirical.empty() ? b.variables.at(theory) : b.variables.at(empirical);
    cube_io::check_done_cells({b.variables.at("done"), theory, b.variables.at(theory),
                               empirical.empty() ? theory : empirical, codes, theory_only_,
                               b.cells});
  }

  const CubeSchema& schema_;
  BlockGrid grid_;
  double trials_;
  bool running_, theory_only_;
  std::vector<Variable> vars_;  // schema order
};

// read_cube and read_cube_blocks: the header, then (unless `visit` is null) every block.
CubeContents read_cube_parts(const std::string& path, const SchemaResolver& resolve,
                             const std::function<void(const CubeContents&)>& before_blocks,
                             const BlockVisitor* visit) {
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
    cube_io::checked_elements(shape_of(c.axes), 0, "the cube");  // the cell count fits
    if (before_blocks) before_blocks(c);
    if (visit) {
      const BlockReader reader(r, schema, shape_of(c.axes), trials,
                               c.string_attributes.at("status") == "running",
                               c.number_attributes.at("theory_only").at(0) == 1);
      CubeBlock block;
      for (std::size_t b = 0; b < reader.count(); ++b) {
        reader.read(b, block);
        (*visit)(c, block);
      }
    }
    return c;
  } catch (const h5::Error& e) {
    throw not_cube(e.what());
  } catch (const cube_io::Malformed& e) {
    throw not_cube(e.what());
  } catch (const SchemaError& e) {
    throw not_cube(e.what());
  }
}

}  // namespace

CubeContents read_cube(const std::string& path, SchemaResolver resolve, CubeParts parts) {
  if (parts == CubeParts::Header) return read_cube_parts(path, resolve, nullptr, nullptr);
  std::size_t cells = 0;
  const std::function<void(const CubeContents&)> fits = [&](const CubeContents& h) {
    const std::vector<hsize_t> shape = shape_of(h.axes);
    cells = cube_io::checked_elements(shape, h.schema.record_size() * sizeof(double), "the cube");
  };
  std::map<std::string, std::vector<double>> variables;  // filled block by block
  const BlockVisitor gather = [&](const CubeContents&, const CubeBlock& b) {
    for (const auto& [name, values] : b.variables) {
      const std::size_t width = values.size() / b.cells.size();
      std::vector<double>& all = variables[name];
      if (all.empty()) all.resize(cells * width);
      for (std::size_t i = 0; i < b.cells.size(); ++i)
        std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(i * width), width,
                    all.begin() + static_cast<std::ptrdiff_t>(b.cells[i] * width));
    }
  };
  CubeContents c = read_cube_parts(path, resolve, fits, &gather);
  c.variables = std::move(variables);
  return c;
}

CubeContents read_cube_blocks(const std::string& path, SchemaResolver resolve,
                              const BlockVisitor& visit) {
  return read_cube_parts(path, resolve, nullptr, &visit);
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
