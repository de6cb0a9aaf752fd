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
  ParamValues fixed;        // fixed model parameters -> one root attribute each
  std::string config_text;  // Config::resolved_text()
  std::uint64_t seed = 0;
  long trials = 0;
  std::string sampler;  // "auto", "wishart" or "direct"
  std::string command_line;
  int mpi_ranks = 1;
  int threads = 1;
  bool theory_only = false;  // `phasecube theory`: no Monte Carlo variables are computed
  bool diagnose = false;     // [diagnose]: also write the kDiagVariables
};

// Writes a complete cube (every cell's record, in row-major order) to `path` atomically:
// built in memory, then write_file_atomically (output.hpp). A reader, or a kill -9 at any
// moment, sees either the previous file or the new one, never a torn one. Throws
// OutputFault when the disk fails (`path` unchanged).
void write_cube_snapshot(const std::string& path, const RunInfo& info,
                         const std::vector<CellRecord>& records, bool complete,
                         double wall_seconds);

// The cube built in memory; the constructor and every finish() replace the file at `path`
// atomically with the cube as it stands.
class CubeWriter {
 public:
  // Creates the file with every axis, variable (filled with its fill value) and attribute,
  // status "partial". Fails if it exists unless `overwrite`. Throws InputError when the
  // path cannot be created.
  CubeWriter(const std::string& path, const RunInfo& info, bool overwrite);
  ~CubeWriter();
  CubeWriter(CubeWriter&&) noexcept;
  CubeWriter& operator=(CubeWriter&&) noexcept;

  // Writes the records of the given cells (linear indices, row-major) to every variable.
  void write_cells(std::span<const std::size_t> cells, std::span<const CellRecord> records);
  // Sets status ("complete" or "partial") and wall_seconds, and writes the file.
  void finish(bool complete, double wall_seconds);

 private:
  friend void write_cube_snapshot(const std::string&, const RunInfo&,
                                  const std::vector<CellRecord>&, bool, double);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Read side, used by `inspect` and tests.
struct CubeContents {
  std::vector<Axis> axes;                                        // names and values (spec empty)
  std::map<std::string, std::vector<double>> variables;          // every data variable, as double
  std::map<std::string, std::string> string_attributes;          // root string attributes
  std::map<std::string, std::vector<double>> number_attributes;  // root numeric attributes
};
// Throws InputError if the file is missing or is not a phasecube cube, naming what is wrong:
// every attribute, shape, type and code the readers rely on is checked (cube_io.hpp).
CubeContents read_cube(const std::string& path);

// The first difference between the axes read from a cube and a grid's (names, counts,
// values), or "" when they agree: a cube's arrays are only meaningful for its config's grid.
std::string axes_mismatch(const std::vector<Axis>& cube, const std::vector<Axis>& grid);

}  // namespace phasecube
