#pragma once
// The cube layer (DESIGN 3): the HDF5 phase-diagram cube. Only this layer and hdf5.hpp
// know HDF5 exists.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/schema.hpp"
#include "phasecube/error.hpp"
#include "phasecube/model.hpp"

namespace phasecube {

// Everything the root attributes record about a run.
struct RunInfo {
  std::vector<Axis> axes;
  std::vector<std::string> axis_long_names;  // one per axis (the model's parameter docs)
  ParamValues fixed;                         // fixed model parameters -> one root attribute each
  std::string config_text;                   // the resolved config
  std::uint64_t seed = 0;
  long trials = 0;
  std::string sampler;  // "auto", "wishart" or "direct"
  std::string command_line;
  int mpi_ranks = 1;
  int threads = 1;
  bool theory_only = false;  // `phasecube theory`: no Monte Carlo variables are computed
};

// Writes a complete cube of `schema` (every cell's record, row-major cells, each
// schema.record_size() doubles) to `path` atomically: built in memory, then
// write_file_atomically (output.hpp). A reader, or a kill -9 at any moment, sees either the
// previous file or the new one, never a torn one. Throws OutputFault when the disk fails
// (`path` unchanged).
void write_cube_snapshot(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                         std::span<const double> records, bool complete, double wall_seconds);

// The cube built in memory; the constructor and every finish() replace the file at `path`
// atomically with the cube as it stands.
class CubeWriter {
 public:
  // Creates the file with every axis, variable (filled with its fill value) and attribute,
  // status "partial". Fails if it exists unless `overwrite`. Throws InputError when the
  // path cannot be created.
  CubeWriter(const std::string& path, const RunInfo& info, const CubeSchema& schema,
             bool overwrite);
  ~CubeWriter();
  CubeWriter(CubeWriter&&) noexcept;
  CubeWriter& operator=(CubeWriter&&) noexcept;

  // Writes the records of the given cells (linear indices, row-major; record i at
  // records[i * record_size()]) to every variable.
  void write_cells(std::span<const std::size_t> cells, std::span<const double> records);
  // Sets status ("complete" or "partial") and wall_seconds, and writes the file.
  void finish(bool complete, double wall_seconds);

 private:
  friend void write_cube_snapshot(const std::string&, const RunInfo&, const CubeSchema&,
                                  std::span<const double>, bool, double);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Read side, used by inspect, validate, --resume and tests: any kind of cube.
struct CubeContents {
  std::string kind;        // root `schema`: empty for two-modality cubes, "binding"
  int modalities = 0;      // length of the `modality` dimension (0: none)
  std::vector<Axis> axes;  // names and values (spec empty)
  // Every data variable, as double, row-major (per-modality variables: modality last).
  std::map<std::string, std::vector<double>> variables;
  std::map<std::string, std::string> string_attributes;          // root string attributes
  std::map<std::string, std::vector<double>> number_attributes;  // root numeric attributes
  std::vector<std::string> methods;  // root `methods` as stored (empty when absent)
  CubeSchema schema;                 // what the resolver made of its kind: variables, codes
};
// Throws InputError if the file is missing or is not a phasecube cube, naming what is wrong:
// every attribute, shape, type and code the readers rely on is checked (cube_io.hpp), the
// variables against the schema `resolve` gives for the stored kind (the sweep layer's
// read_cube(path) passes the method registry's).
CubeContents read_cube(const std::string& path, SchemaResolver resolve);

// The first difference between the axes read from a cube and a grid's (names, counts,
// values), or "" when they agree: a cube's arrays are only meaningful for its config's grid.
std::string axes_mismatch(const std::vector<Axis>& cube, const std::vector<Axis>& grid);

}  // namespace phasecube
