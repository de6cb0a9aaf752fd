#pragma once
// `phasecube inspect`: a human-readable summary of a cube (run metadata, axes, fixed
// parameters, completeness, theory vs simulated regimes).
#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace phasecube {

// Prints the summary of the cube at `path` (any kind) to `out` and returns 0. Throws
// InputError if the file is not a phasecube cube.
int inspect_cube(const std::string& path, std::ostream& out);

struct CubeContents;
// The summary of a binding cube already read from `path`: axes, completeness, per-method
// agreement of the closed forms with the simulation, winner table.
int inspect_binding_cube(const CubeContents& c, const std::string& path, std::ostream& out);

// A root attribute of a cube for a summary: its text ("?" when absent), or its first number
// (NaN when absent).
std::string attribute_text(const std::map<std::string, std::string>& attributes, const char* key);
double attribute_number(const std::map<std::string, std::vector<double>>& attributes,
                        const char* key);

// The name of regime code 0..3 ("Neither", "CA only", "CP only", "Both"), for the tables of
// inspect and validate.
const char* regime_label(std::size_t code);

}  // namespace phasecube
