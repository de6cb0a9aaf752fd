#pragma once
// Thin RAII layer over the HDF5 C API, used only by the cube layer. Every failing call
// becomes an h5::Error carrying what we were doing and HDF5's innermost message; HDF5's own
// error-stack printing is switched off so nothing is written to stderr behind our back.
#include <hdf5.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace phasecube::h5 {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Switches off HDF5's automatic error printing (once per process).
void init();

// Throws Error("HDF5: <what>: <innermost HDF5 message>") if `status` is negative.
hid_t check(hid_t id, std::string_view what);
herr_t check(herr_t status, std::string_view what);

// Move-only owner of one HDF5 identifier, released with `Close`.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0) Close(id_);  // errors on close cannot be reported from a destructor
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using PropList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;
using Datatype = Handle<H5Tclose>;

// Files. `create_file` fails if the file exists unless `truncate`. New files track link and
// attribute creation order, as netCDF-4 does, so tools list things in the order written.
File create_file(const std::string& path, bool truncate);
File open_file(const std::string& path, bool read_only);

// Dataspaces: scalar for empty `dims`, simple otherwise.
Dataspace make_space(std::span<const hsize_t> dims);
std::vector<hsize_t> dims_of(hid_t dataset_or_attribute);

// Datasets.
PropList make_plist(hid_t cls);
Dataset create_dataset(hid_t loc, const std::string& name, hid_t file_type,
                       std::span<const hsize_t> dims, hid_t dcpl = H5P_DEFAULT);
Dataset open_dataset(hid_t loc, const std::string& name);
bool has_link(hid_t loc, const std::string& name);
// Reads all of dataset `ds` as `mem_type` into `buf` (or the part `file_space` selects, into
// `mem_space`). A filter this HDF5 cannot run (e.g. a plugin compressor that is not installed)
// is refused by name before reading; corrupt compressed data fails the read itself (deflate's
// checksum). Both throw Error naming `what`.
void read_dataset(hid_t ds, hid_t mem_type, void* buf, std::string_view what,
                  hid_t mem_space = H5S_ALL, hid_t file_space = H5S_ALL);

// HDF5 types matching C++ arithmetic types: in memory (native) and on disk (little endian).
template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return H5T_NATIVE_INT8;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return H5T_NATIVE_UINT8;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return H5T_NATIVE_UINT64;
  else
    static_assert(sizeof(T) == 0, "no HDF5 type for T");
}
template <class T>
hid_t file_type() {
  if constexpr (std::is_same_v<T, double>)
    return H5T_IEEE_F64LE;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return H5T_STD_I8LE;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return H5T_STD_U8LE;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_STD_I32LE;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_STD_I64LE;
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return H5T_STD_U64LE;
  else
    static_assert(sizeof(T) == 0, "no HDF5 type for T");
}

// Attributes. Writers create the attribute, or overwrite it in place when it already exists
// with the same type and shape (else it is replaced).
bool has_attribute(hid_t obj, const std::string& name);
void write_attribute_raw(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                         std::span<const hsize_t> dims, const void* data);

template <class T>
void write_attribute(hid_t obj, const std::string& name, std::span<const T> values) {
  const hsize_t n = values.size();
  write_attribute_raw(obj, name, file_type<T>(), native_type<T>(), std::span(&n, 1), values.data());
}
template <class T>
void write_attribute(hid_t obj, const std::string& name, T value) {  // scalar
  write_attribute_raw(obj, name, file_type<T>(), native_type<T>(), {}, &value);
}

// A scalar fixed-length, null-terminated ASCII string: what netCDF calls a text attribute,
// read cleanly by ncdump, h5py and xarray. The stored size is max(text, min_width) + 1 so a
// later shorter or equal-length value can be written in place (e.g. "partial"/"complete").
void write_string_attribute(hid_t obj, const std::string& name, std::string_view text,
                            std::size_t min_width = 0);

// Readers. Strings: fixed- or variable-length; array elements are joined with '\n'.
std::vector<std::string> attribute_names(hid_t obj);
H5T_class_t attribute_class(hid_t obj, const std::string& name);
std::string read_string_attribute(hid_t obj, const std::string& name);
std::vector<double> read_numeric_attribute(hid_t obj, const std::string& name);

}  // namespace phasecube::h5
