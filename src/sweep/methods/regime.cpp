// The regime of a cell (Both, CA only, CP only, Neither) for each CP direction: closed form
// from Delta_CA and Delta_CP, simulated from CA's and CP's recovery rates. `regime` asks with
// CP x->y (on when ca and cp are), `regime_rev` with CP y->x (on when ca and cp_rev are), so
// a verdict that picks the better direction (diagnose) is scored against the same question.
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_regime", VarType::Int8, "closed-form regime: 0 Neither, 1 CA only, 2 CP only, 3 Both"},
    {"empirical_regime", VarType::Int8,
     "simulated regime (recovery rate >= 0.5): 0 Neither, 1 CA only, 2 CP only, 3 Both"},
};
constexpr VariableSpec kRevVariables[] = {
    {"theory_regime_rev", VarType::Int8,
     "closed-form regime with CP y->x: 0 Neither, 1 CA only, 2 CP only, 3 Both"},
    {"empirical_regime_rev", VarType::Int8,
     "simulated regime with CP y->x (recovery rate >= 0.5): 0 Neither, 1 CA only, 2 CP only, "
     "3 Both"},
};
constexpr std::string_view kReads[] = {"ca", "cp"};
constexpr std::string_view kRevReads[] = {"ca", "cp_rev"};

template <bool Reverse>
void closed_form(const TwoModalityModel::CellContext& c, MethodSlots slots) {
  const Theory& t = c.theory;
  const Regime regime = Reverse ? regime_of(t.delta_ca > 1.0, t.delta_cp_rev > 1.0) : t.regime;
  slots(0) = static_cast<double>(regime);
}

template <bool Reverse>
void reduce(const TwoModalityModel::CellContext&, const TrialOutcomes&, const RecordReader& r,
            MethodSlots slots) {
  const bool ca = r("ca_recovery_rate") >= 0.5;
  const bool cp = r(Reverse ? "cp_rev_recovery_rate" : "cp_recovery_rate") >= 0.5;
  slots(1) = static_cast<double>(regime_of(ca, cp));
}

}  // namespace

extern const TwoModalityMethod regime_method;
const TwoModalityMethod regime_method{.name = "regime",
                                      .kind = MethodKind::Derived,
                                      .variables = kVariables,
                                      .needs = MethodNeeds::Nothing,
                                      .reads = kReads,
                                      .closed_form = closed_form<false>,
                                      .reduce = reduce<false>};
extern const TwoModalityMethod regime_rev_method;
const TwoModalityMethod regime_rev_method{.name = "regime_rev",
                                          .kind = MethodKind::Derived,
                                          .variables = kRevVariables,
                                          .needs = MethodNeeds::Nothing,
                                          .reads = kRevReads,
                                          .closed_form = closed_form<true>,
                                          .reduce = reduce<true>};

}  // namespace phasecube::methods
