// Runs T trials of one cell on one thread, for profiling (e.g. under callgrind):
//   profile_trials wishart|direct D N T
// Comparing T = 256 with T = 512 under `valgrind --tool=callgrind` gives the exact
// instruction count per trial (the difference divided by 256), free of set-up costs.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sweep/cell.hpp"

using namespace phasecube;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: profile_trials wishart|direct D N T\n");
    return 2;
  }
  const std::string kind = argv[1];
  if (kind != "wishart" && kind != "direct") {
    std::fprintf(stderr, "profile_trials: sampler must be wishart or direct, got '%s'\n", argv[1]);
    return 2;
  }
  omp_set_num_threads(1);
  ParamValues v = default_param_values();
  v["d"] = {std::atof(argv[2])};
  v["k"] = {3};
  v["n"] = {std::atof(argv[3])};
  v["kappa"] = {1.5};
  v["nu"] = {0.4};
  const CellParams p = make_cell(v);
  RunSettings run;
  run.trials = std::atoi(argv[4]);
  run.sampler = kind == "wishart" ? SamplerKind::Wishart : SamplerKind::Direct;
  const CellRecord r = simulate_cell(p, run, 0);
  std::printf("ca_distance_mean %.17g cp_distance_mean %.17g\n", at(r, Var::ca_distance_mean),
              at(r, Var::cp_distance_mean));
  return 0;
}
