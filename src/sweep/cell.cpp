#include "sweep/cell.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "phasecube/estimators.hpp"
#include "phasecube/rng.hpp"
#include "phasecube/sampler.hpp"
#include "phasecube/theory.hpp"
#include "sweep/parallel.hpp"

namespace phasecube {

SamplerKind resolve_sampler(SamplerKind requested, int n, int modalities, int d) {
  if (requested != SamplerKind::Auto) return requested;
  return static_cast<long long>(n) >= static_cast<long long>(modalities) * d ? SamplerKind::Wishart
                                                                             : SamplerKind::Direct;
}

namespace {

// What the one driver needs of a model beyond what its methods see: the closed forms a cell
// computes once, its sampler's blocks, and how a trial's sample becomes its fit.
template <class Model>
struct ModelOps;

template <>
struct ModelOps<TwoModalityModel> {
  struct State {
    explicit State(const CellParams& p)
        : theory(phasecube::theory(p)), pop(population_covariance(p)) {}
    Theory theory;
    PopulationCovariance pop;
  };
  static TwoModalityModel::CellContext context(const CellParams& p, const State& s,
                                               const RunSettings& run, std::uint64_t cell) {
    return {p, s.theory, s.pop, run, cell};
  }
  static int modalities(const CellParams&) { return 2; }
  static std::vector<Eigen::MatrixXd> blocks(const CellParams& p) { return coordinate_blocks(p); }
  static constexpr int kChunk = 4;  // trials handed to a thread at a time
  template <class Workspace>
  static void draw_and_fit(Workspace& w, Stream& rng, const CellParams& p, SamplerKind kind) {
    if (kind == SamplerKind::Wishart) {  // the fit takes Bartlett's factor directly
      w.sampler.draw_factor(rng, w.s);
      w.fit.fit_factor(w.s, p.n, p.k);
    } else {
      w.sampler.draw(rng, w.s);
      w.fit.fit_joint_covariance(w.s, p.k);
    }
  }
};

template <>
struct ModelOps<BindingModel> {
  struct State {
    explicit State(const BindingParams& p) : theory(binding_theory(p)) {}
    BindingTheory theory;
  };
  static BindingModel::CellContext context(const BindingParams& p, const State& s,
                                           const RunSettings& run, std::uint64_t cell) {
    return {p, s.theory, run, cell};
  }
  static int modalities(const BindingParams& p) { return p.m; }
  static std::vector<Eigen::MatrixXd> blocks(const BindingParams& p) { return binding_blocks(p); }
  static constexpr int kChunk = 2;
  template <class Workspace>
  static void draw_and_fit(Workspace& w, Stream& rng, const BindingParams& p, SamplerKind) {
    w.sampler.draw(rng, w.s);
    w.fit.fit(w.s, p.m, p.k);
  }
};

template <class Model>
void closed_forms(const typename Model::CellContext& c, const MethodPlan<Model>& plan,
                  double* out) {
  for (const CubeVariable& v : plan.schema().variables())
    std::fill(out + v.offset, out + v.offset + v.width, fill_value(v.spec.type));
  const auto& entries = plan.entries();
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i]->closed_form) entries[i]->closed_form(c, MethodSlots(out, plan.offsets(i)));
}

// Each entry's first slot in a trial's row of outcomes.
template <class Model>
std::vector<std::size_t> outcome_starts(const MethodPlan<Model>& plan, int modalities) {
  std::vector<std::size_t> starts;
  std::size_t at = 0;
  for (const auto* e : plan.entries()) {
    starts.push_back(at);
    at += e->outcomes * (e->per_modality_outcomes ? static_cast<std::size_t>(modalities) : 1);
  }
  return starts;
}

void set_counters(const CubeSchema& schema, long trials, double* out) {
  out[schema.find(kTrialsDone.name)->offset] = static_cast<double>(trials);
  out[schema.find(kDone.name)->offset] = 1;
}

}  // namespace

template <class Model>
void theory_record(const typename Model::Cell& cell, const RunSettings& run,
                   const MethodPlan<Model>& plan, double* out) {
  const typename ModelOps<Model>::State state(cell);
  closed_forms(ModelOps<Model>::context(cell, state, run, 0), plan, out);
}

template <class Model>
bool simulate_cell(const typename Model::Cell& p, const RunSettings& run, std::uint64_t cell_index,
                   const MethodPlan<Model>& plan, const std::atomic<bool>* cancel, double* out) {
  using Ops = ModelOps<Model>;
  using Workspace = TrialWorkspace<typename Model::Fit>;
  const typename Ops::State state(p);
  const typename Model::CellContext c = Ops::context(p, state, run, cell_index);
  closed_forms(c, plan, out);
  const int m = Ops::modalities(p);
  const SamplerKind kind = resolve_sampler(run.sampler, p.n, m, p.d);
  const auto& entries = plan.entries();
  const std::vector<std::size_t> starts = outcome_starts(plan, m);
  const std::size_t width = plan.trial_width(m), trials = static_cast<std::size_t>(run.trials);
  std::vector<double> outcomes(trials * width, std::numeric_limits<double>::quiet_NaN());
  const bool fit = plan.needs_fit();
  auto trial = [&](Workspace& w, std::size_t t) {
    if (fit) {
      Stream rng(run.seed, cell_index, t);
      Ops::draw_and_fit(w, rng, p, kind);
    }
    const typename Model::TrialContext tc{c, w.fit, w.scratch, t};
    double* row = outcomes.data() + t * width;
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (entries[i]->measure) entries[i]->measure(tc, row + starts[i]);
  };
  parallel_trials<Workspace>(trials, Ops::kChunk, cancel, trial, Ops::blocks(p), p.n, kind);
  if (cancel && cancel->load()) return false;

  const RecordReader reader(plan.schema(), out);
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (entries[i]->reduce)
      entries[i]->reduce(c, TrialOutcomes(outcomes.data() + starts[i], trials, width), reader,
                         MethodSlots(out, plan.offsets(i)));
  set_counters(plan.schema(), run.trials, out);
  return true;
}

template void theory_record<TwoModalityModel>(const CellParams&, const RunSettings&,
                                              const MethodPlan<TwoModalityModel>&, double*);
template void theory_record<BindingModel>(const BindingParams&, const RunSettings&,
                                          const MethodPlan<BindingModel>&, double*);
template bool simulate_cell<TwoModalityModel>(const CellParams&, const RunSettings&, std::uint64_t,
                                              const MethodPlan<TwoModalityModel>&,
                                              const std::atomic<bool>*, double*);
template bool simulate_cell<BindingModel>(const BindingParams&, const RunSettings&, std::uint64_t,
                                          const MethodPlan<BindingModel>&, const std::atomic<bool>*,
                                          double*);

std::size_t CellRecord::slot(std::string_view name, int modality) const {
  const CubeVariable* v = schema_->find(name);
  if (!v) throw std::out_of_range("this record has no variable '" + std::string(name) + "'");
  if (modality < 0 || static_cast<std::size_t>(modality) >= v->width)
    throw std::out_of_range("variable '" + std::string(name) + "' has no modality " +
                            std::to_string(modality));
  return v->offset + static_cast<std::size_t>(modality);
}

namespace {

template <class Model>
CellRecord one_cell(const typename Model::Cell& p, const RunSettings& run, std::uint64_t cell,
                    bool monte_carlo) {
  const int modalities = std::is_same_v<Model, BindingModel> ? ModelOps<Model>::modalities(p) : 0;
  const MethodPlan<Model> plan(run.methods, run.diagnose ? SectionUse::On : SectionUse::Off,
                               modalities);
  CellRecord r(std::make_shared<const CubeSchema>(plan.schema()));
  if (monte_carlo)
    simulate_cell<Model>(p, run, cell, plan, nullptr, r.values().data());
  else
    theory_record<Model>(p, run, plan, r.values().data());
  return r;
}

}  // namespace

CellRecord simulate_cell(const CellParams& p, const RunSettings& run, std::uint64_t cell_index) {
  return one_cell<TwoModalityModel>(p, run, cell_index, true);
}
CellRecord simulate_cell(const BindingParams& p, const RunSettings& run, std::uint64_t cell_index) {
  return one_cell<BindingModel>(p, run, cell_index, true);
}
CellRecord theory_record(const CellParams& p, const RunSettings& run) {
  return one_cell<TwoModalityModel>(p, run, 0, false);
}
CellRecord theory_record(const BindingParams& p, const RunSettings& run) {
  return one_cell<BindingModel>(p, run, 0, false);
}

}  // namespace phasecube
