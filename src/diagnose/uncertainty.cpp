#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

#include "phasecube/diagnose_uncertainty.hpp"

namespace phasecube {

namespace {

// `m` of the `stratum` rows: uniform draws with replacement, or the first m of a partial
// Fisher-Yates shuffle without.
void draw_stratum(const std::vector<Eigen::Index>& stratum, Eigen::Index m, bool replace,
                  Stream& rng, std::vector<Eigen::Index>& rows) {
  const std::size_t size = stratum.size();
  const auto pick = [&](std::size_t below) {  // uniform on 0 .. below-1
    const auto j = static_cast<std::size_t>(rng.uniform() * static_cast<double>(below));
    return std::min(j, below - 1);
  };
  if (replace) {
    for (Eigen::Index i = 0; i < m; ++i) rows.push_back(stratum[pick(size)]);
    return;
  }
  std::vector<Eigen::Index> v = stratum;
  for (std::size_t i = 0; i < static_cast<std::size_t>(m); ++i) {
    std::swap(v[i], v[i + pick(size - i)]);
    rows.push_back(v[i]);
  }
}

}  // namespace

Eigen::Index default_subsample_size(Eigen::Index n) {
  return static_cast<Eigen::Index>(std::floor(static_cast<double>(n) * 0.6321205588285577 + 0.5));
}

ResampledData take_rows(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                        const Eigen::MatrixXd& labels, const std::vector<bool>& labelled,
                        const std::vector<Eigen::Index>& rows) {
  const auto m = static_cast<Eigen::Index>(rows.size());
  ResampledData d{Eigen::MatrixXd(m, x.cols()), Eigen::MatrixXd(m, y.cols()),
                  Eigen::MatrixXd(m, labels.cols()), std::vector<bool>(rows.size())};
  for (Eigen::Index i = 0; i < m; ++i) {
    const Eigen::Index row = rows[static_cast<std::size_t>(i)];
    d.x.row(i) = x.row(row);
    d.y.row(i) = y.row(row);
    d.labels.row(i) = labels.row(row);
    d.labelled[static_cast<std::size_t>(i)] = labelled[static_cast<std::size_t>(row)];
  }
  return d;
}

Eigen::Index resampled_labelled(Eigen::Index n, Eigen::Index labelled, Eigen::Index size) {
  if (size == n || n <= 0) return labelled;
  // round(size * labelled / n) in integers (exact: size, labelled <= n < 2^31).
  const auto s = static_cast<std::uint64_t>(size), l = static_cast<std::uint64_t>(labelled);
  const auto nn = static_cast<std::uint64_t>(n);
  return static_cast<Eigen::Index>((2 * s * l + nn) / (2 * nn));
}

std::vector<Eigen::Index> resample_rows(const std::vector<bool>& labelled, Eigen::Index size,
                                        bool replace, Stream& rng) {
  std::vector<Eigen::Index> lab, unlab;
  for (std::size_t i = 0; i < labelled.size(); ++i)
    (labelled[i] ? lab : unlab).push_back(static_cast<Eigen::Index>(i));
  const auto n = static_cast<Eigen::Index>(labelled.size());
  const Eigen::Index ml = resampled_labelled(n, static_cast<Eigen::Index>(lab.size()), size);
  std::vector<Eigen::Index> rows;
  rows.reserve(static_cast<std::size_t>(size));
  draw_stratum(lab, ml, replace, rng, rows);
  draw_stratum(unlab, size - ml, replace, rng, rows);
  std::sort(rows.begin(), rows.end());
  return rows;
}

double percentile(const std::vector<double>& sorted, double p) {
  const double h = static_cast<double>(sorted.size() - 1) * (p / 100.0);
  const double below = std::floor(h);
  const auto i = static_cast<std::size_t>(below);
  const double g = h - below;
  const double a = sorted[i], b = sorted[std::min(i + 1, sorted.size() - 1)];
  if (g == 0 || a == b) return a;
  if (std::isinf(a) && std::isinf(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(a)) return a;
  if (std::isinf(b)) return b;
  const double d = b - a;  // NumPy's _lerp: from the nearer end
  return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

ReplicateOutcome replicate_outcome(const DiagnoseResult& r) {
  ReplicateOutcome o;
  o.verdict = verdict_code(r);
  const auto recovered = [](const DiagnoseStep& s) {
    return s.n_signal ? static_cast<double>(s.recovered) : std::numeric_limits<double>::quiet_NaN();
  };
  o.values = {
      r.delta_ca,      r.delta_cp,         r.delta_cp_rev,  r.kappa2,        r.nu,
      r.gamma_x,       r.gamma_y,          r.gamma_tilde_x, r.gamma_tilde_y, recovered(r.cca),
      recovered(r.cp), recovered(r.cp_rev)};
  return o;
}

namespace {

QuantitySpread spread_of(std::vector<double> v, bool delta) {
  QuantitySpread s;
  const auto kept = std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); });
  s.nan = static_cast<int>(v.end() - kept);
  v.erase(kept, v.end());
  s.count = static_cast<int>(v.size());
  if (v.empty()) {
    s.p2_5 = s.p25 = s.median = s.p75 = s.p97_5 = std::numeric_limits<double>::quiet_NaN();
    return s;
  }
  std::sort(v.begin(), v.end());
  s.p2_5 = percentile(v, 2.5);
  s.p25 = percentile(v, 25);
  s.median = percentile(v, 50);
  s.p75 = percentile(v, 75);
  s.p97_5 = percentile(v, 97.5);
  s.straddles_one = delta && s.p2_5 < 1 && s.p97_5 > 1;
  return s;
}

}  // namespace

int majority_verdict(const std::array<int, kVerdicts>& counts, int first) {
  int best = first;
  for (int c = 0; c < kVerdicts; ++c)
    if (counts[static_cast<std::size_t>(c)] > counts[static_cast<std::size_t>(best)]) best = c;
  return best;
}

ReplicateSummary summarise_replicates(const std::vector<ReplicateOutcome>& outcomes,
                                      int point_verdict) {
  ReplicateSummary s;
  s.replicates = static_cast<int>(outcomes.size());
  s.point_verdict = point_verdict;
  for (const ReplicateOutcome& o : outcomes) ++s.verdicts[static_cast<std::size_t>(o.verdict)];
  s.support = s.verdicts[static_cast<std::size_t>(point_verdict)];
  s.majority = majority_verdict(s.verdicts, point_verdict);
  for (std::size_t q = 0; q < kReplicateQuantities.size(); ++q) {
    std::vector<double> v;
    v.reserve(outcomes.size());
    for (const ReplicateOutcome& o : outcomes) v.push_back(o.values[q]);
    s.spread[q] = spread_of(std::move(v), q < kReplicateDeltas);
  }
  return s;
}

}  // namespace phasecube
