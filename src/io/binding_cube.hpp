#pragma once
// The binding cube (binding_schema.hpp): many-modality records with a `modality` dimension.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/binding_schema.hpp"
#include "io/schema.hpp"
#include "phasecube/model.hpp"

namespace phasecube {

struct BindingCubeInfo {
  std::vector<Axis> axes;
  ParamValues fixed;
  std::string config_text;
  std::uint64_t seed = 0;
  long trials = 0;
  std::string sampler;  // "auto", "wishart" or "direct"
  std::string command_line;
  int mpi_ranks = 1;
  int threads = 1;
  bool theory_only = false;
};

// Writes the whole cube atomically (temporary file, fsync, rename), as write_cube_snapshot.
void write_binding_cube(const std::string& path, const BindingCubeInfo& info,
                        const BindingLayout& layout,
                        const std::vector<std::vector<double>>& records, bool complete,
                        double wall_seconds);

struct BindingCubeContents {
  std::vector<Axis> axes;
  int modalities = 0;                                            // M_max
  std::map<std::string, std::vector<double>> variables;          // row-major, modality last
  std::map<std::string, std::string> string_attributes;          // root
  std::map<std::string, std::vector<double>> number_attributes;  // root
};
bool is_binding_cube(const std::string& path);
BindingCubeContents read_binding_cube(const std::string& path);

}  // namespace phasecube
