// CA + probe: a least-squares readout of y from the CA encoder's features, scored by its
// population risks (no closed form).
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"ca_probe_risk_mean", VarType::Float64, "CA+probe mean population prediction risk of y"},
    {"ca_probe_signal_risk_mean", VarType::Float64,
     "CA+probe mean population risk against y_signal"},
};

void measure(const TwoModalityModel::TrialContext& t, double* out) {
  t.fit.ca_probe(t.scratch.estimators, t.scratch.ca_probe);
  out[0] = prediction_risk(t.scratch.ca_probe, t.cell.pop);
  out[1] = signal_risk(t.scratch.ca_probe, t.cell.pop, t.cell.p.kappa);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes& o, const RecordReader&,
            MethodSlots slots) {
  slots(0) = o.mean(0);
  slots(1) = o.mean(1);
}

}  // namespace

extern const TwoModalityMethod probe_method;
const TwoModalityMethod probe_method{
    .name = "probe", .variables = kVariables, .outcomes = 2, .measure = measure, .reduce = reduce};

}  // namespace phasecube::methods
