// The winning binding method of a cell (binding_winner: most modalities recovered), closed
// form from the Deltas and simulated from the recovery rates. Derived: on with all four.
#include <array>
#include <string>
#include <vector>

#include "io/binding_schema.hpp"
#include "sweep/methods/method.hpp"

namespace phasecube::methods {
namespace {

constexpr VariableSpec kVariables[] = {
    {"theory_winner", VarType::Int8,
     "closed-form winner: 0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none (most modalities "
     "with Delta > 1; ties: centroid, anchor, best pair, all pairs)",
     false, kNoWinner, kWinnerCodes},
    {"empirical_winner", VarType::Int8,
     "simulated winner: 0 anchor, 1 centroid, 2 best_pair, 3 all_pairs, 4 none (most modalities "
     "with recovery rate >= 0.5; ties: centroid, anchor, best pair, all pairs)",
     false, kNoWinner, kWinnerCodes},
};
// In winner-code order (BindingMethod).
constexpr std::string_view kReads[] = {"anchor", "centroid", "best_pair", "all_pairs"};

void closed_form(const BindingModel::CellContext& c, MethodSlots slots) {
  slots(0) = c.theory.winner;
}

// A modality counts for a method when its recovery rate is >= 0.5 (NaN where the method does
// not bind it: not counted).
void reduce(const BindingModel::CellContext& c, const TrialOutcomes&, const RecordReader& r,
            MethodSlots slots) {
  std::array<std::vector<bool>, kBindingMethods> recovers;
  for (std::size_t meth = 0; meth < recovers.size(); ++meth) {
    std::string rate(kReads[meth]);
    rate += "_recovery_rate";
    recovers[meth].assign(static_cast<std::size_t>(c.p.m), false);
    for (int a = 0; a < c.p.m; ++a) recovers[meth][static_cast<std::size_t>(a)] = r(rate, a) >= 0.5;
  }
  slots(1) = binding_winner(recovers);
}

}  // namespace

extern const BindingMethodEntry winner_method;
const BindingMethodEntry winner_method{.name = "winner",
                                       .kind = MethodKind::Derived,
                                       .variables = kVariables,
                                       .needs = MethodNeeds::Nothing,
                                       .reads = kReads,
                                       .closed_form = closed_form,
                                       .reduce = reduce};

}  // namespace phasecube::methods
