// Readable report and JSON of a diagnose result.
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "diagnose/report.hpp"
#include "phasecube/diagnose.hpp"
#include "support/json_out.hpp"
#include "support/text.hpp"

namespace phasecube {

namespace {

std::string num(double v) {
  return significant_text(v, 4);  // printf writes "inf" and "-inf" as such
}

const char* classifier_name(DiagnoseClassifier c) {
  return c == DiagnoseClassifier::Elbow ? "elbow" : "permutation";
}

void step_line(const DiagnoseStep& s, const char* title, std::ostream& out) {
  out << "  " << title << ": ";
  if (s.n_signal == 0)
    out << "no label signal (" << s.no_signal << ")\n    values:";
  else
    out << s.n_signal << " of " << s.values.size() << " components signal; nuisance floor "
        << num(s.floor) << ", Delta " << num(s.delta) << ", r^ " << s.recovered << "\n    values:";
  for (Eigen::Index i = 0; i < s.values.size() && i < 12; ++i)
    out << " " << num(s.values(i)) << (s.signal[static_cast<std::size_t>(i)] ? "*" : "");
  if (s.values.size() > 12) out << " ...";
  out << "\n";
}

Json step_json(const DiagnoseStep& s) {
  const auto numbers = [](const Eigen::VectorXd& v) {
    return std::vector<double>(v.data(), v.data() + v.size());
  };
  return {{"values", numbers(s.values)}, {"r2", numbers(s.r2)},      {"signal", s.signal},
          {"n_signal", s.n_signal},      {"threshold", s.threshold}, {"null_level", s.null_level},
          {"no_signal", s.no_signal},    {"floor", s.floor},         {"delta", s.delta},
          {"recovered", s.recovered}};
}

// Only when set: a default run's report and JSON stay as they were.
std::string parity_text(const DiagnoseOptions& o) {
  std::string t;
  if (o.components > 0) t += ", components " + std::to_string(o.components);
  if (o.parity.any()) t += ", parity reference (the authors' implementation choices)";
  return t;
}

void add_parity_json(Json& doc, const DiagnoseResult& r, const DiagnoseOptions& o) {
  if (o.components > 0) doc["options"]["components"] = o.components;
  if (o.parity.any()) doc["options"]["parity"] = "reference";
  if (!r.warnings.empty()) doc["warnings"] = r.warnings;
}

}  // namespace

void print_diagnose_report(const DiagnoseResult& r, const DiagnoseOptions& o, std::ostream& out) {
  out << "phasecube diagnose: n = " << r.n << " rows (" << r.n_labelled << " labelled, "
      << r.label_columns << " label columns), d_x = " << r.dx << ", d_y = " << r.dy << "\n"
      << "options: folds " << o.folds << ", ridge " << num(o.ridge) << ", fold seed " << o.fold_seed
      << ", whitening regularisation " << num(o.whiten_reg) << ", classifier "
      << classifier_name(o.classifier) << ", pca " << (o.pca > 0 ? std::to_string(o.pca) : "off")
      << ", null permutations "
      << (o.classifier == DiagnoseClassifier::Elbow ? o.null_permutations : o.permutations)
      << parity_text(o)
      << "\n\nSteps (* = signal component, by cross-validated ridge R^2 against the labels):\n";
  step_line(r.svd_x, "SVD x ", out);
  step_line(r.svd_y, "SVD y ", out);
  step_line(r.pls, "PLS   ", out);
  step_line(r.cca, "CCA   ", out);
  step_line(r.cp, "CP x->y", out);
  step_line(r.cp_rev, "CP y->x", out);
  out << "\nEstimates:\n"
      << "  kappa^2 " << num(r.kappa2) << " (kappa " << num(std::sqrt(std::max(0.0, r.kappa2)))
      << "), nu " << num(r.nu) << "\n"
      << "  gamma_x " << num(r.gamma_x) << ", gamma_y " << num(r.gamma_y) << ", gamma_tilde_x "
      << num(r.gamma_tilde_x) << ", gamma_tilde_y " << num(r.gamma_tilde_y) << "\n"
      << "  Delta_CA " << num(r.delta_ca) << ", Delta_CP(x->y) " << num(r.delta_cp)
      << ", Delta_CP(y->x) " << num(r.delta_cp_rev) << "\n"
      << "\nVerdict: ";
  if (r.no_signal) {
    const bool flat = r.warning.find("No elbow") != std::string::npos;
    out << "no label signal: "
        << (flat ? "no elbow separates the labels' signal from the rest"
                 : "the labels do not predict either view")
        << "\n"
        << "  no regime and no recommended objective\n  WARNING: " << r.warning << "\n";
    return;
  }
  out << regime_name(r.regime) << "\n"
      << "  recommended objective: " << r.objective;
  if (r.objective == "CP") out << ", predicting " << r.direction;
  out << " (its Delta is " << num(r.margin) << " x the other objective's)\n";
  if (!r.warning.empty()) out << "  WARNING: " << r.warning << "\n";
}

Json diagnose_json_document(const DiagnoseResult& r, const DiagnoseOptions& o) {
  Json steps = Json::object();
  for (const DiagnoseStep* s : {&r.svd_x, &r.svd_y, &r.pls, &r.cca, &r.cp, &r.cp_rev})
    steps[s->name] = step_json(*s);
  Json doc = {{"n", r.n},
              {"n_labelled", r.n_labelled},
              {"label_columns", r.label_columns},
              {"dx", r.dx},
              {"dy", r.dy},
              {"options",
               {{"folds", o.folds},
                {"ridge", o.ridge},
                {"fold_seed", o.fold_seed},
                {"whiten_reg", o.whiten_reg},
                {"classifier", classifier_name(o.classifier)},
                {"pca", o.pca},
                {"permutations", o.permutations},
                {"null_permutations", o.null_permutations},
                {"null_quantile", o.null_quantile},
                {"elbow_contrast", o.elbow_contrast}}},
              {"steps", std::move(steps)},
              {"kappa2", r.kappa2},
              {"nu", r.nu},
              {"gamma_x", r.gamma_x},
              {"gamma_y", r.gamma_y},
              {"gamma_tilde_x", r.gamma_tilde_x},
              {"gamma_tilde_y", r.gamma_tilde_y},
              {"delta_ca", r.delta_ca},
              {"delta_cp", r.delta_cp},
              {"delta_cp_rev", r.delta_cp_rev},
              {"regime", verdict_name(r)},
              {"regime_code", verdict_code(r)},
              {"objective", r.objective},
              {"direction", r.direction},
              {"margin", r.margin},
              {"warning", r.warning}};
  add_parity_json(doc, r, o);
  return doc;
}

void print_diagnose_json(const DiagnoseResult& r, const DiagnoseOptions& o, std::ostream& out) {
  write_json(diagnose_json_document(r, o), out);
}

}  // namespace phasecube
