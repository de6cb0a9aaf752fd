// The regime of a cell with CP in the other direction (y -> x): closed form from Delta_CA and
// Delta_CP (y->x), simulated from CA's and CP y->x's recovery rates. With `regime` it stores
// both directions' regimes, so a verdict that picks the better CP direction (diagnose) is
// scored against the truth of the same question. Derived: on when ca and cp_rev are.
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_regime_rev", VarType::Int8,
     "closed-form regime with CP y->x: 0 Neither, 1 CA only, 2 CP only, 3 Both"},
    {"empirical_regime_rev", VarType::Int8,
     "simulated regime with CP y->x (recovery rate >= 0.5): 0 Neither, 1 CA only, 2 CP only, "
     "3 Both"},
};
constexpr std::string_view kReads[] = {"ca", "cp_rev"};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  const Theory& t = c.theory;
  slots(0) = static_cast<double>(regime_of(t.delta_ca > 1.0, t.delta_cp_rev > 1.0));
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes&, const RecordReader& r,
            MethodSlots slots) {
  const bool ca = r("ca_recovery_rate") >= 0.5, cp_rev = r("cp_rev_recovery_rate") >= 0.5;
  slots(1) = static_cast<double>(regime_of(ca, cp_rev));
}

}  // namespace

extern const TwoModalityMethod regime_rev_method;
const TwoModalityMethod regime_rev_method{.name = "regime_rev",
                                          .kind = MethodKind::Derived,
                                          .variables = kVariables,
                                          .needs = MethodNeeds::Nothing,
                                          .reads = kReads,
                                          .closed_form = closed_form,
                                          .reduce = reduce};

}  // namespace phasecube::methods
