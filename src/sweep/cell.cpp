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

template <class Model>
SamplerKind cell_sampler(const MethodPlan<Model>& plan, SamplerKind requested, int n,
                         int modalities, int d) {
  // Only the direct sampler draws the data matrix (the config refuses an explicit wishart).
  if (plan.needs_data()) return SamplerKind::Direct;
  return resolve_sampler(requested, n, modalities, d);
}
template SamplerKind cell_sampler(const MethodPlan<TwoModalityModel>&, SamplerKind, int, int, int);
template SamplerKind cell_sampler(const MethodPlan<BindingModel>&, SamplerKind, int, int, int);

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
  // A trial of methods that train on the data: the n x 2d data (direct sampler), the fit from
  // its covariance, and x, y for those methods, rotated when the run rotates (independent Haar
  // rotations from the trial's Rotation stream).
  template <class Workspace>
  static void draw_data_and_fit(Workspace& w, Stream& rng, const CellParams& p, bool rotate,
                                const RunSettings& run, std::uint64_t cell, std::uint64_t t) {
    TrialData& data = w.data;
    w.sampler.draw_data(rng, data.joint);
    const Eigen::Index dims = data.joint.cols();
    w.s.setZero(dims, dims);
    w.s.template selfadjointView<Eigen::Lower>().rankUpdate(data.joint.transpose(), 1.0 / p.n);
    w.s.template triangularView<Eigen::StrictlyUpper>() = w.s.transpose();
    w.fit.fit_joint_covariance(w.s, p.k);
    data.rotated = rotate;
    if (!rotate) {
      data.x = data.joint.leftCols(p.d);
      data.y = data.joint.rightCols(p.d);
      return;
    }
    Stream rotation(run.seed, cell, t, StreamPurpose::Rotation);
    draw_haar_rotation(rotation, p.d, data.qx);
    draw_haar_rotation(rotation, p.d, data.qy);
    data.x.noalias() = data.joint.leftCols(p.d) * data.qx.transpose();
    data.y.noalias() = data.joint.rightCols(p.d) * data.qy.transpose();
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
  static std::vector<Eigen::MatrixXd> blocks(const BindingParams& p) { return binding_blocks(p); }
  static constexpr int kChunk = 2;
  template <class Workspace>
  static void draw_and_fit(Workspace& w, Stream& rng, const BindingParams& p, SamplerKind) {
    w.sampler.draw(rng, w.s);
    w.fit.fit(w.s, p.m, p.k);
  }
  template <class Workspace>
  static void draw_data_and_fit(Workspace&, Stream&, const BindingParams&, bool, const RunSettings&,
                                std::uint64_t, std::uint64_t) {
    throw std::logic_error("binding trials do not draw the data matrix");  // MethodPlan refuses
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

template <class Model, class Workspace>
typename Model::TrialContext trial_context(const typename Model::CellContext& c, Workspace& w,
                                           std::uint64_t t, bool data) {
  if constexpr (std::is_same_v<Model, TwoModalityModel>)
    return {c, w.fit, w.scratch, t, data ? &w.data : nullptr};
  else
    return {c, w.fit, w.scratch, t};
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
  const int m = Model::modalities(p);
  const bool data = plan.needs_data(), rotate = plan.rotates(run.rotate);
  const SamplerKind kind = cell_sampler(plan, run.sampler, p.n, m, p.d);
  const auto& entries = plan.entries();
  const std::vector<std::size_t> starts = outcome_starts(plan, m);
  const std::size_t width = plan.trial_width(m), trials = static_cast<std::size_t>(run.trials);
  std::vector<double> outcomes(trials * width, std::numeric_limits<double>::quiet_NaN());
  const bool fit = plan.needs_fit();
  auto trial = [&](Workspace& w, std::size_t t) {
    if (fit) {
      Stream rng(run.seed, cell_index, t);
      if (data)
        Ops::draw_data_and_fit(w, rng, p, rotate, run, cell_index, t);
      else
        Ops::draw_and_fit(w, rng, p, kind);
    }
    const typename Model::TrialContext tc = trial_context<Model>(c, w, t, data);
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
  const int modalities = std::is_same_v<Model, BindingModel> ? Model::modalities(p) : 0;
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
