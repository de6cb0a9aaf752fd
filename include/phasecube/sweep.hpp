#pragma once
// The sweep layer: drives every cell of a grid into one cube.
#include <iosfwd>
#include <string>

#include "phasecube/config.hpp"

namespace phasecube {

struct SweepOptions {
  std::string output;  // resolved output path
  bool overwrite = false;
  bool theory_only = false;  // `phasecube theory`: closed forms only
  std::string command_line;  // recorded in the cube
};

// Runs the sweep in this process (OpenMP threads inside each cell) and writes the cube.
// Progress lines go to `log`. Throws InputError for bad input discovered before any file
// is touched.
void run_serial_sweep(const Config& config, const SweepOptions& options, std::ostream& log);

}  // namespace phasecube
