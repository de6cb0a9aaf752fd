// The binding cube (binding_schema.hpp) on the HDF5 layer of hdf5.hpp: grid axes and the
// `modality` dimension as dimension scales, one dataset per variable, written whole and
// atomically like the two-modality cube's snapshots.
#include "io/binding_cube.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "io/cube.hpp"
#include "io/cube_io.hpp"
#include "io/hdf5.hpp"
#include "io/output.hpp"
#include "phasecube/binding.hpp"

namespace phasecube {

namespace fs = std::filesystem;

namespace {

using cube_io::with_type;

std::string axis_long_name(const std::string& name) {
  const IndexedName in = parse_indexed_name(name);
  if (const auto* spec = find_binding_param(in.base)) {
    std::string s(spec->doc);
    if (in.index >= 0) s += " (modality " + std::to_string(in.index) + " only)";
    return s;
  }
  return name;
}

// The cube's bytes, built in memory.
std::vector<unsigned char> cube_image(const BindingCubeInfo& info, const BindingLayout& layout,
                                      const std::vector<std::vector<double>>& records,
                                      bool complete, double wall_seconds) {
  h5::File file = h5::create_memory_file();
  h5::Group root(h5::check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "opening /"));
  const hid_t r = root.get();

  h5::write_string_attribute(r, "Conventions", "CF-1.8");
  h5::write_string_attribute(r, "schema", kBindingSchema);
  h5::write_string_attribute(r, "axes", cube_io::join_axis_names(info.axes));
  h5::write_string_attribute(r, "methods", kBindingMethodList);
  h5::write_string_attribute(r, "winner_codes", kWinnerCodes);
  h5::write_string_attribute(r, "status", complete ? "complete" : "partial", 8);
  cube_io::write_fixed_attributes(r, info.fixed);
  cube_io::write_provenance_attributes(
      r, {info.config_text, info.seed, info.trials, info.sampler, info.theory_only,
          info.command_line, info.mpi_ranks, info.threads, wall_seconds});

  std::vector<h5::Dataset> scales = cube_io::write_axis_scales(r, info.axes, axis_long_name);
  std::vector<hsize_t> shape;
  for (const Axis& a : info.axes) shape.push_back(a.values.size());
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
      const std::vector<T> converted = cube_io::to_stored(column, fill);
      const void* data = column.data();
      if constexpr (!std::is_same_v<T, double>) data = converted.data();
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
  return h5::file_image(file.get());
}

}  // namespace

void write_binding_cube(const std::string& path, const BindingCubeInfo& info,
                        const BindingLayout& layout,
                        const std::vector<std::vector<double>>& records, bool complete,
                        double wall_seconds) {
  std::vector<unsigned char> image;
  try {
    image = cube_image(info, layout, records, complete, wall_seconds);
  } catch (const h5::Error& e) {
    throw std::runtime_error("cannot write " + path + " (" + e.what() + ")");
  }
  write_file_atomically(path, image);
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
    if (!h5::has_attribute(r, "axes")) throw not_cube("no 'axes' attribute");
    cube_io::Attributes attrs = cube_io::read_attributes(r);
    const double trials = cube_io::check_common_attributes(attrs);
    const bool theory_only = attrs.number("theory_only") == 1;
    BindingCubeContents c;
    c.axes = cube_io::read_axes(r, attrs, [](const std::string& name) {
      return name == kModalityDimension ||
             std::ranges::any_of(kBindingVariables, [&](const auto& v) { return v.name == name; });
    });
    c.string_attributes = std::move(attrs.strings);
    c.number_attributes = std::move(attrs.numbers);
    std::vector<hsize_t> shape;
    for (const Axis& a : c.axes) shape.push_back(a.values.size());

    // The modality dimension: 0 .. M-1, M as a binding config allows.
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
    c.modalities = static_cast<int>(m.size());
    const BindingLayout layout(c.modalities);
    cube_io::checked_elements(shape, layout.size() * sizeof(double), "the cube");

    for (std::size_t v = 0; v < kNumBindingVariables; ++v) {
      const BindingVariableSpec& spec = kBindingVariables[v];
      const std::string name(spec.name);
      std::vector<hsize_t> want = shape;
      if (spec.per_modality) want.push_back(mdims[0]);
      std::vector<double> values = cube_io::read_variable(r, name, spec.type, want);
      const bool pair = name == "best_pair_first" || name == "best_pair_second";
      const double max = spec.type != VarType::Int8 ? trials
                         : pair                     ? static_cast<double>(mdims[0] - 1)
                                                    : kNoWinner;
      cube_io::check_values(name, spec.type, values, max, layout.width(v));
      c.variables[name] = std::move(values);
    }
    const std::string theory = "theory_winner", empirical = "empirical_winner";
    cube_io::check_done_cells({c.variables.at("done"), theory, c.variables.at(theory), empirical,
                               c.variables.at(empirical), theory_only});
    return c;
  } catch (const h5::Error& e) {
    throw not_cube(e.what());
  } catch (const cube_io::Malformed& e) {
    throw not_cube(e.what());
  }
}

}  // namespace phasecube
