// Uses the installed library the way a downstream tool would: a cell's closed forms and one
// Monte Carlo draw of its sample covariance, from the public headers only.
#include <cstdio>

#include "phasecube/model.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/theory.hpp"
#include "phasecube/version.hpp"

int main() {
  using namespace phasecube;
  ParamValues values = default_param_values();
  values["d"] = {4};
  values["k"] = {1};
  values["n"] = {100};
  values["nu"] = {0.25};  // rho = 1/2 against nuisance correlation 1/4: Delta_CA = 2
  const CellParams cell = make_cell(values);
  const Theory t = theory(cell);
  CovarianceSampler sampler(coordinate_blocks(cell), cell.n, SamplerKind::Wishart);
  Stream rng(1, 0, 0);
  Eigen::MatrixXd s;
  sampler.draw(rng, s);
  std::printf("version %s numerics %d\n", kVersion, kNumericsVersion);
  std::printf("delta_ca %.17g regime %s\n", t.delta_ca, regime_name(t.regime));
  std::printf("sample %td x %td\n", s.rows(), s.cols());
  return 0;
}
