// Fuzz target: the one cube reader (read_cube, both kinds of cube) and its
// consumers in `phasecube inspect`, driven structurally: the fuzzer's bytes choose a small
// HDF5 file (root attributes, axes, variables: names, types, shapes, values; missing,
// misshapen and mistyped parts), written with the plain HDF5 C API, and the readers read it.
//
// Raw bytes are not fed to HDF5 here: that would mostly fuzz HDF5 1.10's own file-format
// parser, which we cannot fix and which is known to crash on malformed files. Our layer is
// what reads attributes, shapes and codes out of a well-formed file that lies.
//
// Every choice reads one byte, and a byte of 0 (also past the end of the input) is the choice
// a real cube makes, so the empty input is a valid cube and each byte set breaks one thing.
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "app/inspect.hpp"
#include "fuzz_support.hpp"
#include "io/binding_schema.hpp"
#include "io/cube.hpp"
#include "io/hdf5.hpp"
#include "io/schema.hpp"
#include "sweep/methods/registry.hpp"

namespace {

using namespace phasecube;
using fuzz::Bytes;

constexpr std::array kAxisNames = {"kappa", "nu",   "d",        "k", "n",
                                   "gamma", "done", "kappa,nu", "",  "x"};
// Dimension lengths: small ones mostly; the large ones are declared (chunked, never written).
// (2^63 + 1) x 2 wraps a 64-bit element count to 2.
// Lengths either small, or so large that every reader must refuse them before allocating
// (2^32 doubles = 32 GB, more than the CI machine's memory). Lengths in between (2^20, 2^31)
// made lying cubes the readers may legitimately read, so the fuzzer's 2 GB limit stopped on
// them: a declared, never-written dataset still costs its memory when read (see README).
constexpr std::array<hsize_t, 10> kLengths = {2,  1,  3,          0,          4,
                                              64, 65, 1ull << 32, 1ull << 40, (1ull << 63) + 1};

hid_t stored_type(VarType t) {
  switch (t) {
    case VarType::Int8:
      return H5T_STD_I8LE;
    case VarType::Int32:
      return H5T_STD_I32LE;
    case VarType::UInt8:
      return H5T_STD_U8LE;
    case VarType::Float64:
      break;
  }
  return H5T_IEEE_F64LE;
}

struct Builder {
  Bytes& in;
  hid_t root;

  hid_t string_type(std::size_t size) {
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, std::max<std::size_t>(size, 1));
    return t;
  }

  // A root attribute `name` holding `text` as its real cube does (a string), or a lie.
  void attribute(const std::string& name, const std::string& text) {
    const std::size_t kind = in.pick(6);
    if (kind == 5) return;  // absent
    const std::string value = kind == 1 ? in.text(24) : text;
    const hsize_t n = kind == 4 ? 3 : 1;
    const hid_t space = kind == 4 ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_SCALAR);
    if (kind == 2 || kind == 3) {  // numeric instead of a string
      const hid_t type = kind == 2 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT32;
      const hid_t a = H5Acreate2(root, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      const std::array<double, 1> d = {in.raw<double>()};
      const std::array<int, 1> i = {static_cast<int>(in.raw<std::int8_t>())};
      H5Awrite(a, type, kind == 2 ? static_cast<const void*>(d.data()) : i.data());
      H5Aclose(a);
    } else {  // a string, or an array of three
      const hid_t type = string_type(value.size());
      const hid_t a = H5Acreate2(root, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      std::string buf = value;
      buf.resize(std::max<std::size_t>(value.size(), 1) * n, '\0');
      H5Awrite(a, type, buf.data());
      H5Aclose(a);
      H5Tclose(type);
    }
    H5Sclose(space);
  }

  void numeric_attribute(const std::string& name, double value) {
    if (in.pick(4) == 3) return;
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a =
        H5Acreate2(root, name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
    H5Aclose(a);
    H5Sclose(space);
  }

  // Choice 0 is the real cube's value: `real`, else 0.5 (floats) or 1 (codes, counters).
  double value(VarType type, const double* real) {
    switch (in.pick(4)) {
      case 0:
        return real != nullptr ? *real : type == VarType::Float64 ? 0.5 : 1;
      case 1:
        return static_cast<double>(in.raw<std::int8_t>());  // codes out of range, -1 fills
      case 2:
        return in.raw<double>();  // NaN, inf, huge
      default:
        return static_cast<double>(in.raw<std::int32_t>());
    }
  }

  // Dataset `name` of shape `dims` (a real cube's), or a lie: missing, a group, misshapen,
  // mistyped. Small datasets get values from the input; large ones are declared only.
  // `real`, when given, holds the real cube's values (e.g. the modality indices 0 .. M-1).
  void dataset(const std::string& name, std::vector<hsize_t> dims, VarType type,
               const std::vector<double>& real = {}) {
    const std::size_t what = in.pick(10);
    if (what == 6) return;  // missing
    if (what == 7) {
      H5Gclose(H5Gcreate2(root, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
      return;
    }
    if (what == 8) dims.push_back(kLengths[in.pick(kLengths.size())]);
    if (what == 9 && !dims.empty()) dims[in.pick(dims.size())] = kLengths[in.pick(kLengths.size())];
    const std::size_t as = in.pick(8);  // stored as the schema says, as float64, or as text
    const bool text = as == 7;
    const hid_t file_type = text ? string_type(4) : as == 6 ? H5T_IEEE_F64LE : stored_type(type);
    const hid_t space = dims.empty()
                            ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (!dims.empty()) {
      std::vector<hsize_t> chunk(dims.size());
      for (std::size_t i = 0; i < dims.size(); ++i) chunk[i] = std::clamp<hsize_t>(dims[i], 1, 4);
      H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    }
    const hid_t ds =
        H5Dcreate2(root, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    hsize_t count = 1;
    for (hsize_t d : dims) count = d > 64 ? 65 : count * d;
    if (ds >= 0 && count <= 64 && !text) {
      std::vector<double> v(count);
      for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = value(type, i < real.size() ? &real[i] : nullptr);
      H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    }
    if (ds >= 0) H5Dclose(ds);
    if (text) H5Tclose(file_type);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
};

// Writes the cube the input describes to `path`; false if HDF5 refused to create it.
bool build_cube(Bytes& in, const std::string& path) {
  const bool binding = in.flag();
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) return false;
  Builder b{in, H5Gopen2(file, "/", H5P_DEFAULT)};

  // The grid: zero to three axes (default 1), names and lengths chosen.
  std::vector<std::string> names;
  std::vector<hsize_t> shape;
  const std::size_t axes = (in.pick(4) + 1) % 4;
  for (std::size_t i = 0; i < axes; ++i) {
    names.emplace_back(i == 0 ? in.one_of(kAxisNames) : kAxisNames[(i + in.pick(10)) % 10]);
    shape.push_back(in.pick(8) == 7 ? kLengths[in.pick(kLengths.size())] : 1 + i);
  }
  std::string axis_list;
  for (const auto& n : names) axis_list += (axis_list.empty() ? "" : ",") + n;
  if (binding) b.attribute("schema", "binding");
  b.attribute("axes", in.pick(16) == 15 ? "" : axis_list);
  b.attribute("status", "complete");
  b.attribute("config", in.pick(4) == 3 ? in.text(64) : "[model]\nd = 4\nk = 1\n");
  b.numeric_attribute("trials", in.pick(8) == 7 ? 0 : 10);
  b.numeric_attribute("theory_only", in.pick(8) == 7 ? 1 : 0);
  b.numeric_attribute("seed", in.raw<double>());
  b.numeric_attribute("wall_seconds", 1.0);  // no choice: the corpus keeps its meaning

  for (std::size_t i = 0; i < names.size(); ++i)
    b.dataset(names[i].empty() ? "x" : names[i], {shape[i]}, VarType::Float64);
  if (binding) {
    const hsize_t m = 2 + in.pick(4);  // M >= 2 modalities
    std::vector<double> indices(m);
    for (hsize_t i = 0; i < m; ++i) indices[i] = static_cast<double>(i);
    b.dataset("modality", {m}, VarType::Int32, indices);
    StoredKind kind;
    kind.kind = "binding";
    kind.modalities = static_cast<int>(m);
    const CubeSchema schema = stored_schema(kind);
    for (const auto& v : schema.variables()) {
      std::vector<hsize_t> dims = shape;
      if (v.spec.per_modality) dims.push_back(m);
      b.dataset(std::string(v.spec.name), dims, v.spec.type);
    }
  } else {
    const bool diagnose = in.flag();  // the optional [diagnose] variables
    const CubeSchema schema = stored_schema(StoredKind{});
    for (const auto& v : schema.variables())
      if (v.required || diagnose) b.dataset(std::string(v.spec.name), shape, v.spec.type);
  }
  H5Gclose(b.root);
  H5Fclose(file);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::ScratchFile file(".h5");
  h5::init();  // HDF5 prints nothing; our readers turn its errors into messages
  Bytes in(data, size);
  if (!build_cube(in, file.path())) return 0;
  std::ostringstream sink;
  // Zeros after the first byte build the real cube: the readers must accept it (else the
  // generator no longer matches the schema and fuzzes nothing deep).
  if (std::all_of(data + std::min<std::size_t>(size, 1), data + size, [](auto b) { return !b; })) {
    try {
      inspect_cube(file.path(), sink);
    } catch (const InputError& e) {
      fuzz::broken(std::string("the generator's real cube is refused: ") + e.what());
    }
    return 0;
  }
  fuzz::expect_input_errors([&] { read_cube(file.path()); });
  fuzz::expect_input_errors([&] { inspect_cube(file.path(), sink); });
  return 0;
}
