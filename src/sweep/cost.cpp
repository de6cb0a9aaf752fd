// The cost model of a run (cost.hpp): the large terms of its peak memory.
#include "sweep/cost.hpp"

#include <algorithm>

#include "io/binding_schema.hpp"
#include "io/schema.hpp"
#include "phasecube/infonce.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/cell.hpp"

namespace phasecube {

namespace {

constexpr double kDouble = sizeof(double);

// The largest valid value of an integer parameter over the fixed values and its axis
// (`fallback` when none is valid: invalid ones are refused on their own).
double largest(const ParamValues& fixed, const std::vector<Axis>& axes, const std::string& name,
               long long hi, double fallback) {
  std::vector<double> values;
  if (const auto it = fixed.find(name); it != fixed.end()) values = it->second;
  for (const auto& a : axes)
    if (a.name == name) values.insert(values.end(), a.values.begin(), a.values.end());
  double best = -1;
  for (double v : values)
    if (integer_problem(v, 0, hi).empty()) best = std::max(best, v);
  return best < 0 ? fallback : best;
}

double cell_count(const std::vector<Axis>& axes) {
  double cells = 1;
  for (const auto& a : axes) cells *= static_cast<double>(a.values.size());
  return cells;
}

// Per coordinate: an M x M block (heap matrix) for the covariance, its factor and its
// correlations, plus a dozen O(d) vectors of closed forms.
double cell_bytes(double d, double m) {
  return d * (3 * (m * m * kDouble + 64) + 16 * kDouble);
}

// One thread's trial workspace: the sampler's two (M d)^2 buffers and the sample itself,
// plus the fit: ~28 d x d matrices for two views (whiteners, cross products, three
// eigenproblems, predictors), 4 (M d)^2 + 6 M d^2 for M modalities (centroid problem).
double workspace_bytes(double d, double m) {
  const double p = m * d;
  const double fit = m == 2 ? 28 * d * d : 4 * p * p + 6 * m * d * d;
  return (3 * p * p + 128 * p + fit) * kDouble;
}

// A data-matrix trial: the n x 2d data, x and y (rotated copies) and the two rotations, plus
// a trained objective's batch buffers (InfoNCE: the B x B similarities and B x d batches).
double data_bytes(double n, double d, double batch) {
  return (4 * n * d + 2 * d * d + batch * batch + 4 * batch * d) * kDouble;
}

// A [diagnose] trial: the n x d draws of x and y with the procedure's copies of them
// (centred, whitened, per fold), and the n x L labels.
double diagnose_bytes(double n, double d, double labels) {
  return (6 * n * d + 2 * n * labels) * kDouble;
}

}  // namespace

namespace {
MemoryNeed binding_memory_need(const Config& c, int threads);

// Rank 0 holds the records of at most kRecordsInFlight cells (sweep.cpp's write buffer, and
// one block of the cube being finished), never the grid's.
constexpr double kRecordsInFlight = 1 << 17;
double records_in_flight(double cells, double record) {
  return std::min(cells, kRecordsInFlight) * record * kDouble;
}
double done_map_bytes(double cells) {
  return 2 * cells / 8;
}
}  // namespace

MemoryNeed memory_need(const Config& c, int threads) {
  if (c.binding()) return binding_memory_need(c, threads);
  MemoryNeed need;
  const double cells = cell_count(c.axes);
  const MethodPlan<TwoModalityModel> plan(c.run.methods,
                                          c.run.diagnose ? SectionUse::On : SectionUse::Off, 0);
  need.records = records_in_flight(cells, static_cast<double>(plan.schema().record_size()));
  need.done_map = done_map_bytes(cells);
  const double d = largest(c.fixed, c.axes, "d", kMaxModelInteger, 2);
  need.cell = cell_bytes(d, 2);
  if (threads > 0) {
    need.workspaces = threads * workspace_bytes(d, 2);
    if (const auto& dg = c.run.diagnose)
      need.workspaces +=
          threads *
          diagnose_bytes(largest(c.fixed, c.axes, "n", kMaxModelInteger, 1), d, dg->labels);
    if (plan.needs_data())
      need.workspaces +=
          threads * data_bytes(largest(c.fixed, c.axes, "n", kMaxModelInteger, 1), d,
                               largest(c.fixed, c.axes, "infonce_batch", kInfoNceMaxBatch, 1024));
    need.outcomes =
        static_cast<double>(c.run.trials) * static_cast<double>(trial_outcome_bytes(plan, 2));
  }
  return need;
}

namespace {
MemoryNeed binding_memory_need(const Config& c, int threads) {
  MemoryNeed need;
  const double cells = cell_count(c.axes);
  const double m = largest(c.fixed, c.axes, "modalities", kMaxModalities, 2);
  const MethodPlan<BindingModel> plan(c.run.methods, SectionUse::Off, static_cast<int>(m));
  const double record = static_cast<double>(plan.schema().record_size());
  need.records = records_in_flight(cells, record);
  need.done_map = done_map_bytes(cells);
  const double d = largest(c.fixed, c.axes, "d", kMaxBindingDimension, 2);
  need.cell = cell_bytes(d, m);
  if (threads > 0) {
    need.workspaces = threads * workspace_bytes(d, m);
    need.outcomes = static_cast<double>(c.run.trials) *
                    static_cast<double>(trial_outcome_bytes(plan, static_cast<int>(m)));
  }
  return need;
}

}  // namespace

double cell_cost(long trials, int modalities, int d, int n, bool wishart, double fit_pairs) {
  const double dd = d, md = static_cast<double>(modalities) * d;
  const double sample =
      wishart ? md * md * md / 6 + 30 * md * md : static_cast<double>(n) * md * (md / 2 + 10);
  return static_cast<double>(trials) * (sample + 40 * dd * dd * dd * fit_pairs);
}

}  // namespace phasecube
