// The binding cube (binding_schema.hpp) on the HDF5 layer of hdf5.hpp: grid axes and the
// `modality` dimension as dimension scales, one dataset per variable, written whole and
// atomically like the two-modality cube's snapshots.
#include <fcntl.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "phasecube/binding_run.hpp"
#include "phasecube/cube.hpp"
#include "phasecube/hdf5.hpp"
#include "phasecube/version.hpp"

namespace phasecube {

namespace fs = std::filesystem;

namespace {

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

std::string axis_long_name(const std::string& name) {
  const IndexedName in = parse_indexed_name(name);
  if (const auto* spec = find_binding_param(in.base)) {
    std::string s(spec->doc);
    if (in.index >= 0) s += " (modality " + std::to_string(in.index) + " only)";
    return s;
  }
  return name;
}

void write_file(const std::string& path, const BindingCubeInfo& info, const BindingLayout& layout,
                const std::vector<std::vector<double>>& records, bool complete,
                double wall_seconds) {
  h5::File file = h5::create_file(path, true);
  h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
  const hid_t r = root.get();

  std::string axis_names;
  for (const Axis& a : info.axes) axis_names += (axis_names.empty() ? "" : ",") + a.name;
  h5::write_string_attribute(r, "Conventions", "CF-1.8");
  h5::write_string_attribute(r, "schema", kBindingSchema);
  h5::write_string_attribute(r, "axes", axis_names);
  h5::write_string_attribute(r, "methods", kBindingMethodList);
  h5::write_string_attribute(r, "winner_codes", kWinnerCodes);
  h5::write_string_attribute(r, "status", complete ? "complete" : "partial", 8);
  for (const auto& [name, values] : info.fixed) {
    if (values.size() == 1)
      h5::write_attribute<double>(r, name, values[0]);
    else if (!values.empty())
      h5::write_attribute<double>(r, name, std::span(values));
  }
  h5::write_string_attribute(r, "config", info.config_text);
  h5::write_attribute<std::uint64_t>(r, "seed", info.run.seed);
  h5::write_attribute<std::int64_t>(r, "trials", info.run.trials);
  h5::write_string_attribute(r, "sampler", sampler_name(info.run.sampler));
  h5::write_attribute<std::uint8_t>(r, "theory_only", static_cast<std::uint8_t>(info.theory_only));
  h5::write_string_attribute(r, "software_version", kVersion);
  h5::write_string_attribute(r, "git_commit", kGitCommit);
  h5::write_string_attribute(r, "command_line", info.command_line);
  h5::write_attribute<std::int32_t>(r, "mpi_ranks", info.mpi_ranks);
  h5::write_attribute<std::int32_t>(r, "threads", info.threads);
  h5::write_attribute<double>(r, "wall_seconds", wall_seconds);

  std::vector<h5::Dataset> scales;
  std::vector<hsize_t> shape;
  for (const Axis& a : info.axes) {
    const hsize_t n = a.values.size();
    h5::Dataset ds = h5::create_dataset(r, a.name, H5T_IEEE_F64LE, std::span(&n, 1));
    h5::check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()),
              "writing axis " + a.name);
    h5::write_string_attribute(ds.get(), "long_name", axis_long_name(a.name));
    h5::write_string_attribute(ds.get(), "spec", a.spec);
    h5::check(H5DSset_scale(ds.get(), a.name.c_str()), "making " + a.name + " a dimension scale");
    scales.push_back(std::move(ds));
    shape.push_back(n);
  }
  const hsize_t mm = static_cast<hsize_t>(layout.modalities());
  {
    h5::Dataset ds =
        h5::create_dataset(r, std::string(kModalityDimension), H5T_STD_I32LE, std::span(&mm, 1));
    std::vector<std::int32_t> idx(mm);
    for (hsize_t i = 0; i < mm; ++i) idx[i] = static_cast<std::int32_t>(i);
    h5::check(H5Dwrite(ds.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx.data()),
              "writing modality");
    h5::write_string_attribute(ds.get(), "long_name", "modality index m = 0 .. M-1");
    h5::check(H5DSset_scale(ds.get(), "modality"), "making modality a dimension scale");
    scales.push_back(std::move(ds));
  }

  const std::size_t cells = records.size();
  for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
    const BindingVariableSpec& spec = kBindingVariables[v];
    const std::string name(spec.name);
    std::vector<hsize_t> dims = shape;
    const std::size_t width = layout.width(v);
    if (spec.per_modality) dims.push_back(mm);
    std::vector<double> column(cells * width);
    for (std::size_t c = 0; c < cells; ++c)
      for (std::size_t i = 0; i < width; ++i)
        column[c * width + i] = records[c][layout.offset(v) + i];
    with_type(spec.type, [&]<class T>(T) {
      h5::PropList dcpl = h5::make_plist(H5P_DATASET_CREATE);
      const auto fill = static_cast<T>(fill_value(spec.type));
      h5::check(H5Pset_fill_value(dcpl.get(), h5::native_type<T>(), &fill), "filling " + name);
      h5::Dataset ds = h5::create_dataset(r, name, h5::file_type<T>(), dims, dcpl.get());
      std::vector<T> converted;
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) {
        for (double x : column)
          converted.push_back(std::isfinite(x) ? static_cast<T>(std::nearbyint(x)) : fill);
        data = converted.data();
      }
      if (!column.empty())
        h5::check(H5Dwrite(ds.get(), h5::native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                  "writing " + name);
      h5::write_string_attribute(ds.get(), "long_name", spec.long_name);
      if (spec.type != VarType::Int32 && spec.type != VarType::UInt8)
        h5::write_attribute<T>(ds.get(), "_FillValue", fill);
      if (name == "theory_winner" || name == "empirical_winner")
        h5::write_string_attribute(ds.get(), "flag_meanings", kWinnerCodes);
      for (std::size_t i = 0; i < info.axes.size(); ++i)
        h5::check(H5DSattach_scale(ds.get(), scales[i].get(), static_cast<unsigned>(i)),
                  "attaching " + info.axes[i].name + " to " + name);
      if (spec.per_modality)
        h5::check(H5DSattach_scale(ds.get(), scales.back().get(),
                                   static_cast<unsigned>(info.axes.size())),
                  "attaching modality to " + name);
    });
  }
  h5::check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "flushing");
}

}  // namespace

void write_binding_cube(const std::string& path, const BindingCubeInfo& info,
                        const BindingLayout& layout,
                        const std::vector<std::vector<double>>& records, bool complete,
                        double wall_seconds) {
  const std::string temp = snapshot_temp_path(path);
  try {
    write_file(temp, info, layout, records, complete, wall_seconds);
  } catch (const h5::Error& e) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw std::runtime_error("cannot write " + path + " (" + e.what() + ")");
  }
  const int fd = ::open(temp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot sync " + temp + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
}

bool is_binding_cube(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    h5::File file = h5::open_file(path, true);
    h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
    return h5::has_attribute(root.get(), "schema") &&
           h5::read_string_attribute(root.get(), "schema") == kBindingSchema;
  } catch (const h5::Error&) {
    return false;
  }
}

BindingCubeContents read_binding_cube(const std::string& path) {
  auto not_cube = [&](const std::string& why) {
    return InputError(path + ": not a phasecube binding cube (" + why + ")");
  };
  if (!is_binding_cube(path)) throw not_cube("no schema = binding attribute");
  try {
    h5::File file = h5::open_file(path, true);
    h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
    const hid_t r = root.get();
    BindingCubeContents c;
    for (const std::string& name : h5::attribute_names(r)) {
      const H5T_class_t cls = h5::attribute_class(r, name);
      if (cls == H5T_STRING)
        c.string_attributes[name] = h5::read_string_attribute(r, name);
      else if (cls == H5T_INTEGER || cls == H5T_FLOAT)
        c.number_attributes[name] = h5::read_numeric_attribute(r, name);
    }
    auto read_all = [&](const std::string& name, std::vector<hsize_t>& dims) {
      if (!h5::has_link(r, name)) throw not_cube("dataset '" + name + "' missing");
      h5::Dataset ds = h5::open_dataset(r, name);
      dims = h5::dims_of(ds.get());
      std::size_t n = 1;
      for (hsize_t x : dims) n *= x;
      std::vector<double> values(n);
      if (n > 0)
        h5::check(
            H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
            "reading " + name);
      return values;
    };
    const std::string& names = c.string_attributes.at("axes");
    std::vector<hsize_t> shape, dims;
    for (std::size_t pos = 0; pos < names.size();) {
      const std::size_t end = std::min(names.find(',', pos), names.size());
      Axis a;
      a.name = names.substr(pos, end - pos);
      pos = end + 1;
      if (a.name.empty()) continue;
      a.values = read_all(a.name, dims);
      shape.push_back(a.values.size());
      c.axes.push_back(std::move(a));
    }
    c.modalities = static_cast<int>(read_all(std::string(kModalityDimension), dims).size());
    for (const auto& v : kBindingVariables) {
      const std::string name(v.name);
      c.variables[name] = read_all(name, dims);
      std::vector<hsize_t> want = shape;
      if (v.per_modality) want.push_back(static_cast<hsize_t>(c.modalities));
      if (dims != want) throw not_cube("variable '" + name + "' has the wrong shape");
    }
    return c;
  } catch (const h5::Error& e) {
    throw not_cube(e.what());
  }
}

}  // namespace phasecube
