#pragma once
// `phasecube inspect`: a human-readable summary of a cube (run metadata, axes, fixed
// parameters, completeness, theory vs simulated regimes).
#include <ostream>
#include <string>

namespace phasecube {

// Prints the summary of the cube at `path` (any kind) to `out` and returns 0. Throws
// InputError if the file is not a phasecube cube.
int inspect_cube(const std::string& path, std::ostream& out);

struct CubeContents;
// The summary of a binding cube already read from `path`: axes, completeness, per-method
// agreement of the closed forms with the simulation, winner table.
int inspect_binding_cube(const CubeContents& c, const std::string& path, std::ostream& out);

}  // namespace phasecube
