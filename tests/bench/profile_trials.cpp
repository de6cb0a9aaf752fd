// Runs T trials of one cell on one thread, for profiling (e.g. under callgrind):
//   profile_trials wishart|direct D N T    a two-modality cell (k = 3)
//   profile_trials binding M D N T         a binding cell of M modalities (k = 2, Wishart)
// Comparing T = 256 with T = 512 under `valgrind --tool=callgrind` gives the exact
// instruction count per trial (the difference divided by 256), free of set-up costs.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sweep/cell.hpp"

using namespace phasecube;

namespace {

int binding(int m, double d, double n, long trials) {
  ParamValues v = default_binding_values();
  v["modalities"] = {static_cast<double>(m)};
  v["d"] = {d};
  v["k"] = {2};
  v["n"] = {n};
  v["gamma"] = {4, 0.3};
  const BindingParams p = make_binding_cell(v);
  RunSettings run;
  run.trials = trials;
  run.sampler = SamplerKind::Wishart;
  const CellRecord r = simulate_cell(p, run, 0);
  std::printf("anchor_distance_mean[0] %.17g centroid_distance_mean[0] %.17g\n",
              r["anchor_distance_mean"], r["centroid_distance_mean"]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string kind = argc > 1 ? argv[1] : "";
  if (argc != 5 + (kind == "binding")) {
    std::fprintf(stderr, "usage: profile_trials wishart|direct D N T | binding M D N T\n");
    return 2;
  }
  omp_set_num_threads(1);
  if (kind == "binding")
    return binding(std::atoi(argv[2]), std::atof(argv[3]), std::atof(argv[4]), std::atol(argv[5]));
  if (kind != "wishart" && kind != "direct") {
    std::fprintf(stderr, "profile_trials: sampler must be wishart or direct, got '%s'\n", argv[1]);
    return 2;
  }
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
  std::printf("ca_distance_mean %.17g cp_distance_mean %.17g\n", r["ca_distance_mean"],
              r["cp_distance_mean"]);
  return 0;
}
