#include "io/hdf5.hpp"

#include <algorithm>
#include <atomic>

namespace phasecube::h5 {

namespace {

// Called for each stack entry, innermost first: keep the innermost (most specific) message.
herr_t keep_innermost(unsigned n, const H5E_error2_t* err, void* data) {
  if (n == 0 && err->desc != nullptr) *static_cast<std::string*>(data) = err->desc;
  return 0;
}

[[noreturn]] void fail(std::string_view what) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  std::string msg = "HDF5: " + std::string(what);
  if (!detail.empty()) msg += ": " + detail;
  throw Error(msg);
}

Attribute open_attribute(hid_t obj, const std::string& name) {
  return Attribute(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "opening attribute " + name));
}

hssize_t npoints(hid_t space) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) fail("querying a dataspace");
  return n;
}

}  // namespace

void init() {
  static const bool done = [] {
    // No library shutdown at exit: a file whose close failed on a full disk stays open in
    // HDF5, and flushing it again from exit() crashes the library (H5F__close_cb). Every
    // cube is closed explicitly; a failed one is a temporary that is removed anyway.
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

hid_t check(hid_t id, std::string_view what) {
  if (id < 0) fail(what);
  return id;
}

herr_t check(herr_t status, std::string_view what) {
  if (status < 0) fail(what);
  return status;
}

namespace {

PropList creation_plist() {
  init();
  PropList fcpl = make_plist(H5P_FILE_CREATE);
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  check(H5Pset_link_creation_order(fcpl.get(), order), "setting link creation order");
  check(H5Pset_attr_creation_order(fcpl.get(), order), "setting attribute creation order");
  return fcpl;
}

}  // namespace

File create_file(const std::string& path, bool truncate) {
  PropList fcpl = creation_plist();
  const unsigned mode = truncate ? H5F_ACC_TRUNC : H5F_ACC_EXCL;
  return File(check(H5Fcreate(path.c_str(), mode, fcpl.get(), H5P_DEFAULT), "creating " + path));
}

File open_file(const std::string& path, bool read_only) {
  init();
  const unsigned mode = read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  return File(check(H5Fopen(path.c_str(), mode, H5P_DEFAULT), "opening " + path));
}

Dataspace make_space(std::span<const hsize_t> dims) {
  if (dims.empty()) return Dataspace(check(H5Screate(H5S_SCALAR), "creating a dataspace"));
  return Dataspace(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         "creating a dataspace"));
}

std::vector<hsize_t> dims_of(hid_t id) {
  const bool attr = H5Iget_type(id) == H5I_ATTR;
  Dataspace space(check(attr ? H5Aget_space(id) : H5Dget_space(id), "getting a dataspace"));
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "querying a dataspace");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "querying a dataspace");
  return dims;
}

PropList make_plist(hid_t cls) {
  return PropList(check(H5Pcreate(cls), "creating a property list"));
}

Dataset create_dataset(hid_t loc, const std::string& name, hid_t file_type,
                       std::span<const hsize_t> dims, hid_t dcpl) {
  const std::string what = "creating dataset " + name;
  PropList plist(check(dcpl == H5P_DEFAULT ? H5Pcreate(H5P_DATASET_CREATE) : H5Pcopy(dcpl), what));
  check(H5Pset_attr_creation_order(plist.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        what);
  Dataspace space = make_space(dims);
  return Dataset(check(
      H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT),
      what));
}

Dataset open_dataset(hid_t loc, const std::string& name) {
  return Dataset(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "opening dataset " + name));
}

void read_dataset(hid_t ds, hid_t mem_type, void* buf, std::string_view what, hid_t mem_space,
                  hid_t file_space) {
  const std::string w(what);
  PropList dcpl(check(H5Dget_create_plist(ds), w));
  const int filters = check(H5Pget_nfilters(dcpl.get()), w);
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t n_values = 0;
    char name[80] = "";
    const H5Z_filter_t id = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &n_values,
                                           nullptr, sizeof name, name, &config);
    check(id, w);
    if ((flags & H5Z_FLAG_OPTIONAL) == 0 && H5Zfilter_avail(id) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw Error("HDF5: " + w + ": stored with filter " + std::to_string(id) +
                  (name[0] != '\0' ? " (" + std::string(name) + ")" : "") +
                  ", which this HDF5 cannot decode");
    }
  }
  // Filters ran: a failure now is stored data they cannot decode (e.g. deflate's checksum).
  check(H5Dread(ds, mem_type, mem_space, file_space, H5P_DEFAULT, buf),
        w + (filters > 0 ? " (stored data corrupt)" : ""));
}

bool has_link(hid_t loc, const std::string& name) {
  return check(H5Lexists(loc, name.c_str(), H5P_DEFAULT), "looking up " + name) > 0;
}

bool has_attribute(hid_t obj, const std::string& name) {
  return check(H5Aexists(obj, name.c_str()), "looking up attribute " + name) > 0;
}

void write_attribute_raw(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type,
                         std::span<const hsize_t> dims, const void* data) {
  const std::string what = "writing attribute " + name;
  if (has_attribute(obj, name)) {
    Attribute attr = open_attribute(obj, name);
    Datatype type(check(H5Aget_type(attr.get()), what));
    if (H5Tequal(type.get(), file_type) > 0 && std::ranges::equal(dims_of(attr.get()), dims)) {
      check(H5Awrite(attr.get(), mem_type, data), what);
      return;
    }
    attr.reset();
    check(H5Adelete(obj, name.c_str()), what);
  }
  Dataspace space = make_space(dims);
  Attribute attr(
      check(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), what));
  check(H5Awrite(attr.get(), mem_type, data), what);
}

void write_string_attribute(hid_t obj, const std::string& name, std::string_view text,
                            std::size_t min_width) {
  // The terminating null must be inside the stored size: ncdump and h5py drop the last
  // character of a NULLTERM string that fills its whole size.
  std::size_t size = std::max(text.size(), min_width) + 1;
  if (has_attribute(obj, name)) {  // reuse a wide-enough existing attribute: overwrite in place
    Attribute attr = open_attribute(obj, name);
    Datatype type(check(H5Aget_type(attr.get()), "reading attribute " + name));
    const std::size_t old = H5Tget_size(type.get());
    if (H5Tget_class(type.get()) == H5T_STRING && H5Tis_variable_str(type.get()) == 0 &&
        old > text.size())
      size = old;
  }
  Datatype type(check(H5Tcopy(H5T_C_S1), "creating a string type"));
  check(H5Tset_size(type.get(), size), "creating a string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "creating a string type");
  check(H5Tset_cset(type.get(), H5T_CSET_ASCII), "creating a string type");
  std::string buffer(text);
  buffer.resize(size, '\0');
  write_attribute_raw(obj, name, type.get(), type.get(), {}, buffer.data());
}

std::vector<std::string> attribute_names(hid_t obj) {
  std::vector<std::string> names;
  auto add = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, add, &names), "listing attributes");
  return names;
}

H5T_class_t attribute_class(hid_t obj, const std::string& name) {
  Attribute attr = open_attribute(obj, name);
  Datatype type(check(H5Aget_type(attr.get()), "reading attribute " + name));
  return H5Tget_class(type.get());
}

std::string read_string_attribute(hid_t obj, const std::string& name) {
  const std::string what = "reading attribute " + name;
  Attribute attr = open_attribute(obj, name);
  Datatype type(check(H5Aget_type(attr.get()), what));
  if (H5Tget_class(type.get()) != H5T_STRING) throw Error(what + ": not a string");
  Dataspace space(check(H5Aget_space(attr.get()), what));
  const auto n = static_cast<std::size_t>(npoints(space.get()));
  std::vector<std::string> parts;
  if (H5Tis_variable_str(type.get()) > 0) {
    Datatype mem(check(H5Tcopy(H5T_C_S1), what));
    check(H5Tset_size(mem.get(), H5T_VARIABLE), what);
    check(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), what);
    std::vector<char*> ptrs(n, nullptr);
    check(H5Aread(attr.get(), mem.get(), ptrs.data()), what);
    for (const char* p : ptrs) parts.emplace_back(p != nullptr ? p : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t size = H5Tget_size(type.get());
    std::vector<char> buffer(n * size);
    check(H5Aread(attr.get(), type.get(), buffer.data()), what);
    const bool space_pad = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
    for (std::size_t i = 0; i < n; ++i) {
      std::string s(buffer.data() + i * size, size);
      s.resize(std::min(s.find('\0'), s.size()));
      if (space_pad) s.erase(s.find_last_not_of(' ') + 1);
      parts.push_back(std::move(s));
    }
  }
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) joined += (i ? "\n" : "") + parts[i];
  return joined;
}

std::vector<double> read_numeric_attribute(hid_t obj, const std::string& name) {
  const std::string what = "reading attribute " + name;
  Attribute attr = open_attribute(obj, name);
  Datatype type(check(H5Aget_type(attr.get()), what));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) throw Error(what + ": not a number");
  Dataspace space(check(H5Aget_space(attr.get()), what));
  std::vector<double> values(static_cast<std::size_t>(npoints(space.get())));
  if (!values.empty()) check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()), what);
  return values;
}

}  // namespace phasecube::h5
