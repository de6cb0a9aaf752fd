// The regime of a cell (Both, CA only, CP only, Neither): closed form from Delta_CA and
// Delta_CP, simulated from CA's and CP's recovery rates. Derived: on when ca and cp are.
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_regime", VarType::Int8, "closed-form regime: 0 Neither, 1 CA only, 2 CP only, 3 Both"},
    {"empirical_regime", VarType::Int8,
     "simulated regime (recovery rate >= 0.5): 0 Neither, 1 CA only, 2 CP only, 3 Both"},
};
constexpr std::string_view kReads[] = {"ca", "cp"};

void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  slots(0) = static_cast<double>(c.theory.regime);
}

void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes&, const RecordReader& r,
            MethodSlots slots) {
  const bool ca = r("ca_recovery_rate") >= 0.5, cp = r("cp_recovery_rate") >= 0.5;
  slots(1) = static_cast<double>(regime_of(ca, cp));
}

}  // namespace

extern const TwoModalityMethod regime_method;
const TwoModalityMethod regime_method{.name = "regime",
                                      .kind = MethodKind::Derived,
                                      .variables = kVariables,
                                      .needs = MethodNeeds::Nothing,
                                      .reads = kReads,
                                      .closed_form = closed_form,
                                      .reduce = reduce};

}  // namespace phasecube::methods
