#pragma once
// The cube layer (DESIGN 3): the HDF5 phase-diagram cube. Only this layer and hdf5.hpp
// know HDF5 exists.
#include <cstddef>
#include <cstdint>
#include <functional>
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

// The records of one block of cells (row-major linear indices), record i into
// out[i * record_size()]. Returns false when none of them has a record (the block is then
// left unwritten: every value reads as its fill).
using BlockSource = std::function<bool(std::span<const std::size_t> cells, double* out)>;

// Writes a final cube (chunked, compressed) to `path` atomically, block by block: each block
// is one chunk of the grid (at most 2^16 cells), so memory does not grow with the grid. It is
// built in a temporary renamed over `path` (replace_file_atomically, output.hpp): a reader or
// a kill -9 at any moment sees the previous file or the new one, never a torn one. Throws
// OutputFault when the disk fails (`path` unchanged). `wall_seconds` is asked once every cell
// is written.
void write_cube(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                const BlockSource& source, bool complete,
                const std::function<double()>& wall_seconds);
// write_cube of every cell's record held in memory (row-major, record_size() doubles each).
void write_cube_snapshot(const std::string& path, const RunInfo& info, const CubeSchema& schema,
                         std::span<const double> records, bool complete, double wall_seconds);

// The streaming writer of a run. The cube on disk is a working cube while the writer is open:
// status "running", every variable contiguous and allocated when created (a sparse file;
// nothing is written at creation), so its HDF5 metadata never changes and cells are written
// in place with pwrite. A cell's data reaches the file (and is synced) before its `done`
// byte, so a kill -9 at any moment leaves a cube whose done cells are whole; a reader opening
// it sees every done cell whole too (read `done` first). finish() converts it to the final
// layout (compressed, cells never written at their fill).
class CubeWriter {
 public:
  // Creates the working cube. Fails if `path` exists unless `overwrite`. Throws InputError
  // when the path cannot be created, OutputFault when the disk fails.
  CubeWriter(const std::string& path, const RunInfo& info, const CubeSchema& schema,
             bool overwrite);
  // --resume: reopens the working cube at `path` in place, or converts a final cube (status
  // partial or complete) into a working one holding its done cells. The caller has checked
  // that the cube is this run's (same config, axes, schema).
  static CubeWriter resume(const std::string& path, const RunInfo& info, const CubeSchema& schema);
  ~CubeWriter();
  CubeWriter(CubeWriter&&) noexcept;
  CubeWriter& operator=(CubeWriter&&) noexcept;

  // Which cells the cube on disk marks done (`done` = 1), linear row-major.
  std::vector<bool> done_cells() const;
  // Writes the records of the given cells (linear indices, row-major; record i at
  // records[i * record_size()]) in place: every variable, synced, then `done`, synced.
  // Throws OutputFault when the disk fails: the cube still holds every cell written before.
  void write_cells(std::span<const std::size_t> cells, std::span<const double> records);
  // Converts the cube to the final layout with status "complete" or "partial" and
  // wall_seconds (a cell never written holds its fill values), atomically.
  void finish(bool complete, double wall_seconds);

 private:
  CubeWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
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
// `All` refuses a cube whose variables exceed this machine's memory; `Header`: everything but
// the data variables, whatever the cube's size (for --resume's checks of a big cube). A cube
// with status "running" is read as it stands: every cell not done at its fill values.
enum class CubeParts { All, Header };
CubeContents read_cube(const std::string& path, SchemaResolver resolve,
                       CubeParts parts = CubeParts::All);

// One block of a cube's chunk grid (at most 2^16 cells) as read_cube_blocks gives it.
struct CubeBlock {
  std::vector<std::size_t> cells;  // row-major linear indices, ascending within the block
  // Every data variable over `cells`, as double, cell by cell (per-modality: modality last).
  std::map<std::string, std::vector<double>> variables;
};
// read_cube for readers whose memory must not grow with the grid (inspect of a cube bigger
// than memory): visit(header, block) for every block in block order, each read, checked and
// masked as read_cube's (the header as read_cube(..., Header) gives it); returns the header.
using BlockVisitor = std::function<void(const CubeContents& header, const CubeBlock& block)>;
CubeContents read_cube_blocks(const std::string& path, SchemaResolver resolve,
                              const BlockVisitor& visit);

// The first difference between the axes read from a cube and a grid's (names, counts,
// values), or "" when they agree: a cube's arrays are only meaningful for its config's grid.
std::string axes_mismatch(const std::vector<Axis>& cube, const std::vector<Axis>& grid);

}  // namespace phasecube
