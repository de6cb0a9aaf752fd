#include "phasecube/cube_io.hpp"

#include <hdf5_hl.h>

#include <algorithm>
#include <span>
#include <stdexcept>

#include "phasecube/version.hpp"

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

void read_attributes(hid_t r, std::map<std::string, std::string>& strings,
                     std::map<std::string, std::vector<double>>& numbers) {
  for (const std::string& name : h5::attribute_names(r)) {
    const H5T_class_t cls = h5::attribute_class(r, name);
    if (cls == H5T_STRING)
      strings[name] = h5::read_string_attribute(r, name);
    else if (cls == H5T_INTEGER || cls == H5T_FLOAT)
      numbers[name] = h5::read_numeric_attribute(r, name);
  }
}

std::vector<double> read_doubles(hid_t ds, std::size_t count, const std::string& what) {
  std::vector<double> values(count);
  if (count > 0)
    h5::check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), what);
  return values;
}

}  // namespace phasecube::cube_io
