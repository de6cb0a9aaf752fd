#include "io/data_io.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "io/hdf5.hpp"
#include "phasecube/error.hpp"
#include "phasecube/model.hpp"
#include "support/memory.hpp"
#include "support/text.hpp"

namespace phasecube {

namespace fs = std::filesystem;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

std::string lower_extension(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

bool is_hdf5(const std::string& path) {
  const std::string e = lower_extension(path);
  return e == ".h5" || e == ".hdf5" || e == ".he5" || e == ".hdf" || e == ".nc";
}

Eigen::MatrixXd read_hdf5(const std::string& file, const std::string& dataset,
                          const std::string& what) {
  const std::string where = what + " " + file + ":" + dataset;
  try {
    h5::File f = h5::open_file(file, true);
    if (!h5::has_link(f.get(), dataset))
      throw InputError(where + ": no dataset '" + dataset + "' in the file");
    h5::Dataset ds = h5::open_dataset(f.get(), dataset);
    h5::Datatype type(h5::check(H5Dget_type(ds.get()), "reading the type of " + dataset));
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw InputError(where + ": not a numeric dataset");
    const std::vector<hsize_t> dims = h5::dims_of(ds.get());
    if (dims.empty() || dims.size() > 2)
      throw InputError(where + ": expected a 1-D or 2-D dataset, got " +
                       std::to_string(dims.size()) + "-D");
    const hsize_t rows_u = dims[0], cols_u = dims.size() == 2 ? dims[1] : 1;
    check_matrix_size(static_cast<double>(rows_u), static_cast<double>(cols_u), where);
    const auto rows = static_cast<Eigen::Index>(rows_u);
    const auto cols = static_cast<Eigen::Index>(cols_u);
    RowMatrix m(rows, cols);
    if (m.size() > 0) h5::read_dataset(ds.get(), H5T_NATIVE_DOUBLE, m.data(), "reading " + dataset);
    return m;
  } catch (const h5::Error& e) {
    throw InputError(where + ": " + e.what());
  }
}

}  // namespace

namespace {

// The header text of a .npy file, after its magic string and the header length (2 bytes in
// format version 1, 4 bytes in versions 2 and 3).
std::string read_npy_header(std::istream& in, const std::string& where) {
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw InputError(where + ": not a NumPy .npy file");
  std::uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) throw InputError(where + ": truncated header");
    header_len = static_cast<std::uint32_t>(b[0] | (b[1] << 8));
  } else {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw InputError(where + ": truncated header");
    header_len = static_cast<std::uint32_t>(b[0] | (b[1] << 8) | (b[2] << 16)) |
                 (static_cast<std::uint32_t>(b[3]) << 24);
  }
  if (header_len > (1u << 20)) throw InputError(where + ": header too large");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw InputError(where + ": truncated header");
  return header;
}

// What a .npy header declares: the dtype (e.g. "f8"), its width in bytes, and the shape.
struct NpyLayout {
  std::string kind;
  std::size_t width = 0;
  std::string shape;            // as written, for messages: "60, 3"
  std::vector<long long> dims;  // one or two
  bool fortran = false;         // column-major data (numpy's asfortranarray, a transposed view)
};

// The shape "(60, 3)" (or "(60,)") as integers; each entry must be one whole integer:
// "60.5" or "6e1" is a lying header, not 60.
std::vector<long long> npy_dims(const std::string& shape, const std::string& where) {
  std::vector<long long> dims;
  std::stringstream ss(shape);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto first = part.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    const auto last = part.find_last_not_of(' ');
    long long dim = 0;
    const char* end = part.data() + last + 1;
    const auto [stop, ec] = std::from_chars(part.data() + first, end, dim);
    if (ec != std::errc() || stop != end) throw InputError(where + ": bad shape '" + shape + "'");
    dims.push_back(dim);
  }
  if (dims.empty() || dims.size() > 2)
    throw InputError(where + ": expected a 1-D or 2-D array, shape (" + shape + ")");
  return dims;
}

NpyLayout parse_npy_header(const std::string& header, const std::string& where) {
  auto value_of = [&](const std::string& key) {
    const auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw InputError(where + ": header lacks '" + key + "'");
    const auto colon = header.find(':', k);
    return header.substr(colon + 1);
  };
  std::string descr = value_of("descr");
  descr = descr.substr(descr.find('\'') + 1);
  descr = descr.substr(0, descr.find('\''));
  NpyLayout l;
  l.fortran = value_of("fortran_order").find("True") < value_of("fortran_order").find(',');
  l.shape = value_of("shape");
  l.shape = l.shape.substr(l.shape.find('(') + 1);
  l.shape = l.shape.substr(0, l.shape.find(')'));
  l.dims = npy_dims(l.shape, where);
  if (descr.size() < 3) throw InputError(where + ": bad dtype '" + descr + "'");
  const bool little = descr[0] == '<' || descr[0] == '|' || descr[0] == '=';
  l.kind = descr.substr(1);
  if (!little || (l.kind != "f8" && l.kind != "f4" && l.kind != "i8" && l.kind != "i4"))
    throw InputError(where + ": dtype '" + descr +
                     "' is not supported (float32/float64/int32/int64, little endian)");
  l.width = l.kind[1] == '8' ? 8 : 4;
  return l;
}

// Rows and columns, checked against the bytes actually in the file before allocating
// anything: a negative or oversized header shape must be a bad-input error, not a crash or
// bad_alloc.
std::pair<Eigen::Index, Eigen::Index> npy_extent(std::istream& in, const NpyLayout& l,
                                                 const std::string& where) {
  const std::streamoff data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const std::streamoff data_bytes = in.tellg() - data_start;
  in.seekg(data_start);
  const long long rows_ll = l.dims[0], cols_ll = l.dims.size() == 2 ? l.dims[1] : 1;
  if (rows_ll < 0 || cols_ll < 0)
    throw InputError(where + ": bad shape (" + l.shape + "): negative size");
  if (cols_ll > 0 && rows_ll > data_bytes / static_cast<long long>(l.width) / cols_ll)
    throw InputError(where + ": truncated data (shape (" + l.shape + ") needs more than the " +
                     std::to_string(data_bytes) + " bytes in the file)");
  check_matrix_size(static_cast<double>(rows_ll), static_cast<double>(cols_ll), where);
  // A zero dimension fits any other in no bytes: bound it, or (0, 1e11) is 1e11 empty
  // columns for every later loop (found by fuzzing: a hang).
  constexpr long long kMaxEmptyExtent = 1 << 20;
  if ((rows_ll == 0 || cols_ll == 0) && std::max(rows_ll, cols_ll) > kMaxEmptyExtent)
    throw InputError(where + ": bad shape (" + l.shape + "): an empty array with more than " +
                     std::to_string(kMaxEmptyExtent) + " rows or columns");
  return {static_cast<Eigen::Index>(rows_ll), static_cast<Eigen::Index>(cols_ll)};
}

// Value i of the raw little-endian data as a double.
double npy_value(const std::vector<char>& raw, std::size_t i, const NpyLayout& l) {
  const char* p = raw.data() + i * l.width;
  double v = 0;
  if (l.kind == "f8") {
    std::memcpy(&v, p, 8);
  } else if (l.kind == "f4") {
    float f;
    std::memcpy(&f, p, 4);
    v = f;
  } else if (l.kind == "i8") {
    std::int64_t q;
    std::memcpy(&q, p, 8);
    v = static_cast<double>(q);
  } else {
    std::int32_t q;
    std::memcpy(&q, p, 4);
    v = q;
  }
  return v;
}

}  // namespace

// NumPy .npy, format versions 1-3.
Eigen::MatrixXd parse_npy(std::istream& in, const std::string& where) {
  const NpyLayout layout = parse_npy_header(read_npy_header(in, where), where);
  const auto [rows, cols] = npy_extent(in, layout, where);
  const std::size_t count = static_cast<std::size_t>(rows * cols);
  // Read through a bounded buffer straight into the matrix: the peak memory is the matrix
  // alone (a whole-file buffer and a row-major copy would triple it).
  constexpr std::size_t kChunk = std::size_t{1} << 16;  // values per read
  std::vector<char> raw(std::min(count, kChunk) * layout.width);
  Eigen::MatrixXd m(rows, cols);
  Eigen::Index row = 0, col = 0;  // of the next C-order value
  for (std::size_t at = 0; at < count;) {
    const std::size_t n = std::min(kChunk, count - at);
    if (!in.read(raw.data(), static_cast<std::streamsize>(n * layout.width)))
      throw InputError(where + ": truncated data (expected " + std::to_string(count) + " values)");
    for (std::size_t i = 0; i < n; ++i, ++at) {
      const double v = npy_value(raw, i, layout);
      if (layout.fortran) {  // Eigen's default order is numpy's Fortran order
        m.data()[at] = v;
        continue;
      }
      m(row, col) = v;
      if (++col == cols) col = 0, ++row;
    }
  }
  return m;
}

namespace {

// Whether `raw` is a number (v) or empty (v = NaN: missing). Quotes and blanks around it,
// and the CR of a CRLF line, do not count.
bool parse_field(const std::string& raw, double& v) {
  const auto b = raw.find_first_not_of(" \t\r\"");
  if (b == std::string::npos) {
    v = std::numeric_limits<double>::quiet_NaN();  // empty field: missing
    return true;
  }
  const auto e = raw.find_last_not_of(" \t\r\"");
  const std::string t = raw.substr(b, e - b + 1);
  char* end = nullptr;
  v = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

}  // namespace

Eigen::MatrixXd parse_csv(std::istream& in, const std::string& where) {
  std::vector<double> values;
  Eigen::Index cols = -1, rows = 0;
  std::string line;
  for (long line_no = 1; std::getline(in, line); ++line_no) {
    if (line_no == 1) strip_utf8_bom(line);  // else the first row would look like a header
    if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF as LF
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::vector<double> row;
    std::string bad_field;  // the first field that is not a number
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) {
      double v;
      if (!parse_field(field, v) && bad_field.empty()) bad_field = "'" + field + "'";
      row.push_back(v);
    }
    const bool numeric = bad_field.empty();
    if (!line.empty() && line.back() == ',')
      row.push_back(std::numeric_limits<double>::quiet_NaN());
    if (!numeric) {
      if (rows == 0 && cols < 0) {  // a header row
        cols = static_cast<Eigen::Index>(row.size());
        continue;
      }
      throw InputError(where + ": line " + std::to_string(line_no) + " is not numeric (field " +
                       bad_field + ")");
    }
    if (cols >= 0 && static_cast<Eigen::Index>(row.size()) != cols)
      throw InputError(where + ": line " + std::to_string(line_no) + " has " +
                       std::to_string(row.size()) + " fields, expected " + std::to_string(cols));
    cols = static_cast<Eigen::Index>(row.size());
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) throw InputError(where + ": no data rows");
  return Eigen::Map<RowMatrix>(values.data(), rows, cols);
}

void check_memory(double bytes, const std::string& what) {
  const MemoryLimit usable = memory_available();
  if (bytes > usable.bytes)
    throw InputError(what + " would need " + bytes_text(bytes) + " of memory, more than the " +
                     bytes_text(usable.bytes) + " this process can use (" + usable.source + ")");
}

void check_matrix_size(double rows, double cols, const std::string& what) {
  check_memory(rows * cols * static_cast<double>(sizeof(double)),
               what + ": shape (" + format_number(rows) + ", " + format_number(cols) + ")");
}

Eigen::MatrixXd read_matrix(const std::string& spec, const std::string& what) {
  std::string file = spec, dataset;
  std::error_code ec;
  const auto colon = spec.rfind(':');
  if (!fs::exists(spec, ec) && colon != std::string::npos) {
    file = spec.substr(0, colon);
    dataset = spec.substr(colon + 1);
  }
  if (file.empty()) throw InputError(what + " '" + spec + "': no file name");
  if (!fs::is_regular_file(file, ec))
    throw InputError(what + " " + file + ": " +
                     (fs::exists(file, ec) ? "not a regular file" : "no such file"));
  Eigen::MatrixXd m;
  if (is_hdf5(file)) {
    if (dataset.empty())
      throw InputError(what + " " + file + ": an HDF5 file needs a dataset (FILE:DATASET)");
    m = read_hdf5(file, dataset, what);
  } else if (!dataset.empty()) {
    throw InputError(what + " " + spec + ": a dataset name is only for HDF5 files");
  } else {
    const std::string where = what + " " + file;
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(where + ": cannot open");
    m = lower_extension(file) == ".npy" ? parse_npy(in, where) : parse_csv(in, where);
  }
  // Every dimension is checked here, once, before anything uses it.
  check_not_empty(m, what + " " + spec);
  return m;
}

void check_not_empty(const Eigen::MatrixXd& m, const std::string& what) {
  if (m.rows() == 0 || m.cols() == 0)
    throw InputError(what + ": shape (" + std::to_string(m.rows()) + ", " +
                     std::to_string(m.cols()) + ") has no " + (m.rows() == 0 ? "rows" : "columns"));
}

LabelTable make_label_table(const Eigen::MatrixXd& raw) {
  LabelTable t;
  const Eigen::Index n = raw.rows();
  t.labelled.assign(static_cast<std::size_t>(n), true);
  bool integer = raw.cols() == 1;
  for (Eigen::Index i = 0; integer && i < n; ++i) {
    const double v = raw(i, 0);
    if (!std::isnan(v) && (!std::isfinite(v) || v != std::floor(v))) integer = false;
  }
  if (integer) {
    std::map<double, Eigen::Index> index;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double v = raw(i, 0);
      if (std::isnan(v) || v == -1) {
        t.labelled[static_cast<std::size_t>(i)] = false;
        continue;
      }
      index.emplace(v, 0);
    }
    Eigen::Index c = 0;
    for (auto& [v, idx] : index) {
      idx = c++;
      t.class_values.push_back(v);
    }
    t.classes = true;
    // One column per distinct value: up to n x n for a column of (nearly) unique integers.
    check_matrix_size(static_cast<double>(n), static_cast<double>(c),
                      "labels one-hot encoded (" + std::to_string(c) + " classes)");
    t.values = Eigen::MatrixXd::Zero(n, std::max<Eigen::Index>(c, 1));
    for (Eigen::Index i = 0; i < n; ++i)
      if (t.labelled[static_cast<std::size_t>(i)]) t.values(i, index.at(raw(i, 0))) = 1.0;
    return t;
  }
  t.values = raw;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < raw.cols(); ++j)
      if (!std::isfinite(raw(i, j))) {
        t.labelled[static_cast<std::size_t>(i)] = false;
        t.values.row(i).setZero();
        break;
      }
  return t;
}

void check_labels_present(const LabelTable& t, const std::string& what) {
  if (std::find(t.labelled.begin(), t.labelled.end(), true) == t.labelled.end())
    throw InputError(what +
                     ": no row is labelled (every label is missing: NaN, or -1 for classes)");
}

std::vector<Eigen::Index> constant_columns(const Eigen::MatrixXd& m) {
  std::vector<Eigen::Index> out;
  if (m.rows() == 0) return out;
  const Eigen::MatrixXd c = m.rowwise() - m.colwise().mean();
  const Eigen::VectorXd var = c.colwise().squaredNorm().transpose();
  const double scale = std::max(var.maxCoeff(), std::numeric_limits<double>::min());
  for (Eigen::Index j = 0; j < var.size(); ++j)
    if (!(var(j) > 1e-12 * scale)) out.push_back(j);
  return out;
}

Eigen::MatrixXd drop_columns(const Eigen::MatrixXd& m, const std::vector<Eigen::Index>& drop) {
  Eigen::MatrixXd out(m.rows(), m.cols() - static_cast<Eigen::Index>(drop.size()));
  Eigen::Index k = 0;
  for (Eigen::Index j = 0; j < m.cols(); ++j)
    if (std::find(drop.begin(), drop.end(), j) == drop.end()) out.col(k++) = m.col(j);
  return out;
}

}  // namespace phasecube
