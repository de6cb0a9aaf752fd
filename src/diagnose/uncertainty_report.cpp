// Report and JSON of the uncertainty of a diagnosis (diagnose_uncertainty.hpp).
#include <algorithm>
#include <array>
#include <iomanip>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "diagnose/report.hpp"
#include "phasecube/diagnose_uncertainty.hpp"
#include "support/json_out.hpp"
#include "support/text.hpp"

namespace phasecube {

namespace {

std::string num(double v) {
  return significant_text(v, 4);
}

const char* code_name(int code) {
  return code == kNoSignalCode ? "no signal" : regime_name(static_cast<Regime>(code));
}

// Report names of kReplicateQuantities.
constexpr std::array<const char*, kReplicateQuantities.size()> kTitles = {
    "Delta_CA", "Delta_CP(x->y)", "Delta_CP(y->x)", "kappa^2", "nu",         "gamma_x",
    "gamma_y",  "gamma_tilde_x",  "gamma_tilde_y",  "r^ CCA",  "r^ CP x->y", "r^ CP y->x"};

std::string resample_text(bool bootstrap, Eigen::Index rows, Eigen::Index labelled, int n) {
  return (bootstrap ? "a bootstrap of " : "a subsample of ") + std::to_string(rows) + " of the " +
         std::to_string(n) + " rows " + (bootstrap ? "with" : "without") + " replacement (" +
         std::to_string(labelled) + " labelled)";
}

// "CA only 0.92 (46), Both 0.08 (4)": the verdicts that occur, most frequent first.
std::string fractions_text(const ReplicateSummary& s) {
  std::vector<int> codes;
  for (int c = 0; c < kVerdicts; ++c)
    if (s.verdicts[static_cast<std::size_t>(c)] > 0) codes.push_back(c);
  std::stable_sort(codes.begin(), codes.end(), [&](int a, int b) {
    return s.verdicts[static_cast<std::size_t>(a)] > s.verdicts[static_cast<std::size_t>(b)];
  });
  std::string text;
  for (const int c : codes) {
    const int k = s.verdicts[static_cast<std::size_t>(c)];
    text += (text.empty() ? "" : ", ") + std::string(code_name(c)) + " " +
            num(static_cast<double>(k) / s.replicates) + " (" + std::to_string(k) + ")";
  }
  return text;
}

void spread_table(const ReplicateSummary& s, std::ostream& out) {
  out << "  " << std::left << std::setw(16) << "" << std::right;
  for (const char* h : {"median", "2.5%", "25%", "75%", "97.5%", "values", "NaN"})
    out << std::setw(10) << h;
  out << "\n";
  for (std::size_t q = 0; q < kTitles.size(); ++q) {
    const QuantitySpread& p = s.spread[q];
    out << "  " << std::left << std::setw(16) << kTitles[q] << std::right;
    for (const double v : {p.median, p.p2_5, p.p25, p.p75, p.p97_5}) out << std::setw(10) << num(v);
    out << std::setw(10) << p.count << std::setw(10) << p.nan
        << (p.straddles_one ? "  2.5-97.5% straddles 1" : "") << "\n";
  }
}

void table_report(const DiagnoseUncertainty& u, int n, std::ostream& out) {
  out << "\nSensitivity (whitening regularisation epsilon x rows n; per cell "
      << (u.table_replicates > 0
              ? std::to_string(u.table_replicates) +
                    (u.table_bootstrap ? " bootstrap" : " subsample") + " replicates"
              : std::string("one subsample without replacement"))
      << " of the " << n << " rows, every epsilon on the same rows; median Deltas"
      << (u.table_replicates > 0 ? ", * = 2.5-97.5% straddles 1" : "") << "):\n";
  out << "  " << std::setw(10) << "epsilon" << std::setw(8) << "n" << std::setw(10) << "labelled";
  for (std::size_t q = 0; q < kReplicateDeltas; ++q) out << std::setw(16) << kTitles[q];
  out << "  verdicts\n";
  for (const SensitivityCell& c : u.table) {
    out << "  " << std::setw(10) << num(c.epsilon) << std::setw(8) << c.rows << std::setw(10)
        << c.labelled;
    for (std::size_t q = 0; q < kReplicateDeltas; ++q) {
      const QuantitySpread& p = c.summary.spread[q];
      out << std::setw(16) << num(p.median) + (p.straddles_one ? "*" : " ");
    }
    out << "  " << fractions_text(c.summary) << "\n";
  }
}

Json spread_json(const ReplicateSummary& s) {
  Json verdicts = Json::object(), quantities = Json::object();
  for (int c = 0; c < kVerdicts; ++c) {
    const int k = s.verdicts[static_cast<std::size_t>(c)];
    verdicts[code_name(c)] = {{"count", k}, {"fraction", static_cast<double>(k) / s.replicates}};
  }
  for (std::size_t q = 0; q < kReplicateQuantities.size(); ++q) {
    const QuantitySpread& p = s.spread[q];
    quantities[kReplicateQuantities[q]] = {{"count", p.count}, {"nan", p.nan}, {"median", p.median},
                                           {"p2.5", p.p2_5},   {"p25", p.p25}, {"p75", p.p75},
                                           {"p97.5", p.p97_5}};
    if (q < kReplicateDeltas)
      quantities[kReplicateQuantities[q]]["straddles_one"] = p.straddles_one;
  }
  return {{"replicates", s.replicates},
          {"regimes", std::move(verdicts)},
          {"support",
           {{"verdict", code_name(s.point_verdict)},
            {"count", s.support},
            {"fraction", static_cast<double>(s.support) / s.replicates}}},
          {"majority",
           {{"verdict", code_name(s.majority)},
            {"count", s.verdicts[static_cast<std::size_t>(s.majority)]}}},
          {"quantities", std::move(quantities)}};
}

Json per_replicate_json(const std::vector<ReplicateOutcome>& outcomes) {
  Json doc = Json::object();
  std::vector<int> codes;
  for (const ReplicateOutcome& o : outcomes) codes.push_back(o.verdict);
  doc["regime_code"] = codes;
  for (std::size_t q = 0; q < kReplicateQuantities.size(); ++q) {
    std::vector<double> v;
    for (const ReplicateOutcome& o : outcomes) v.push_back(o.values[q]);
    doc[kReplicateQuantities[q]] = v;
  }
  return doc;
}

}  // namespace

void print_uncertainty_report(const DiagnoseResult& r, const DiagnoseUncertainty& u,
                              std::ostream& out) {
  if (u.replicates > 0) {
    const ReplicateSummary& s = u.summary;
    out << "  support: " << code_name(s.point_verdict) << " in " << s.support << " of "
        << s.replicates << " replicates; majority verdict " << code_name(s.majority) << " ("
        << s.verdicts[static_cast<std::size_t>(s.majority)] << ")\n\nUncertainty: " << u.replicates
        << " replicates, each " << resample_text(u.bootstrap, u.rows, u.labelled, r.n)
        << "\n  verdicts: " << fractions_text(s)
        << "\n  percentiles over the replicates (linear, NumPy's default; NaN = no signal "
           "there, not used):\n";
    spread_table(s, out);
  }
  if (!u.table.empty()) table_report(u, r.n, out);
}

void print_diagnose_json(const DiagnoseResult& r, const DiagnoseOptions& o,
                         const DiagnoseUncertainty& u, std::ostream& out) {
  Json doc = diagnose_json_document(r, o);
  if (u.replicates > 0) {
    Json un = {{"replicates", u.replicates},
               {"resample", u.bootstrap ? "bootstrap" : "subsample"},
               {"rows", u.rows},
               {"labelled_rows", u.labelled},
               {"percentiles", "linear (numpy.percentile default); NaN values excluded"}};
    un.update(spread_json(u.summary));
    un["per_replicate"] = per_replicate_json(u.outcomes);
    doc["uncertainty"] = std::move(un);
  }
  if (!u.table.empty()) {
    Json cells = Json::array();
    for (const SensitivityCell& c : u.table) {
      Json cell = {{"epsilon", c.epsilon}, {"n", c.rows}, {"labelled", c.labelled}};
      cell.update(spread_json(c.summary));
      cells.push_back(std::move(cell));
    }
    doc["sensitivity"] = {{"replicates", u.table_replicates},
                          {"resample", u.table_bootstrap ? "bootstrap" : "subsample"},
                          {"cells", std::move(cells)}};
  }
  write_json(std::move(doc), out);
}

}  // namespace phasecube
