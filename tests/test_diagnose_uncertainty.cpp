// diagnose --replicates: the resampled rows, the percentiles (NumPy's values) and the summary.
#include <Random123/philox.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "phasecube/diagnose_uncertainty.hpp"

namespace phasecube {
namespace {

std::vector<double> sorted(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Expected values printed by NumPy 1.24 (repr of np.percentile(a, p)): equal bit for bit.
TEST(Percentile, EqualsNumpyLinear) {
  const double ps[] = {2.5, 25, 50, 75, 97.5};
  const std::vector<double> a = sorted({0.3, 1.7, 2.2, 0.9, 5.5, 1.1, 3.3});
  const double want_a[] = {0.39, 1.0, 1.7, 2.75, 5.169999999999999};
  std::vector<double> b;
  for (int i = 0; i < 50; ++i) b.push_back(static_cast<double>((i * 7919) % 101) / 37.0 + 0.5);
  b = sorted(b);
  const double want_b[] = {0.5601351351351351, 1.1554054054054055, 1.7972972972972974,
                           2.506756756756757, 3.103378378378378};
  std::vector<double> c;
  for (int i = 0; i < 4; ++i) c.push_back(0.1 * i + 1.0 / 3);
  const double want_c[] = {0.3408333333333333, 0.4083333333333333, 0.48333333333333334,
                           0.5583333333333333, 0.6258333333333332};
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(percentile(a, ps[k]), want_a[k]) << ps[k];
    EXPECT_EQ(percentile(b, ps[k]), want_b[k]) << ps[k];
    EXPECT_EQ(percentile(c, ps[k]), want_c[k]) << ps[k];
  }
  EXPECT_EQ(percentile({4.0}, 97.5), 4.0);
}

// An infinite Delta (no nuisance floor) gives itself where NumPy would give NaN.
TEST(Percentile, InfiniteNeighbours) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(percentile({1.0, inf}, 25), inf);
  EXPECT_EQ(percentile({1.0, inf}, 75), inf);
  EXPECT_EQ(percentile({1.0, 2.0, inf}, 50), 2.0);  // an exact rank: NumPy gives NaN
  EXPECT_EQ(percentile({1.0, 2.0, inf}, 0), 1.0);
  EXPECT_EQ(percentile({inf, inf}, 60), inf);
}

TEST(Resample, StratifiedCounts) {
  EXPECT_EQ(resampled_labelled(100, 30, 50), 15);
  EXPECT_EQ(resampled_labelled(100, 30, 100), 30);
  EXPECT_EQ(resampled_labelled(7, 3, 5), 2);  // 15/7 = 2.14
  EXPECT_EQ(resampled_labelled(4, 1, 2), 1);  // 0.5 rounds up
  std::vector<bool> labelled(100, false);
  for (int i = 0; i < 100; i += 3) labelled[static_cast<std::size_t>(i)] = true;  // 34 labelled
  for (const bool replace : {false, true}) {
    Stream rng(1, 0, 0, StreamPurpose::DiagnoseResample, 1);
    const auto rows = resample_rows(labelled, 60, replace, rng);
    ASSERT_EQ(rows.size(), 60u);
    EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
    const auto lab = std::count_if(rows.begin(), rows.end(),
                                   [&](Eigen::Index r) { return labelled[std::size_t(r)]; });
    EXPECT_EQ(lab, resampled_labelled(100, 34, 60));
    EXPECT_GE(rows.front(), 0);
    EXPECT_LT(rows.back(), 100);
    const std::set<Eigen::Index> distinct(rows.begin(), rows.end());
    if (replace) {
      EXPECT_LT(distinct.size(), rows.size());  // 60 draws from 34 + 66 rows repeat some
    } else {
      EXPECT_EQ(distinct.size(), rows.size());
    }
    Stream again(1, 0, 0, StreamPurpose::DiagnoseResample, 1);
    EXPECT_EQ(resample_rows(labelled, 60, replace, again), rows);
    Stream other(1, 0, 0, StreamPurpose::DiagnoseResample, 2);
    EXPECT_NE(resample_rows(labelled, 60, replace, other), rows);
  }
  Stream rng(3, 0, 0, StreamPurpose::DiagnoseResample, 5);
  const auto all = resample_rows(labelled, 100, false, rng);  // every row once, in order
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], Eigen::Index(i));
}

// The replicate is the counter's last word: key (seed, cell), counter (trial, block, purpose,
// replicate); replicate 0 is every earlier stream.
TEST(Resample, StreamCounterLayout) {
  using P = r123::Philox4x64;
  Stream s(1, 2, 3, StreamPurpose::DiagnoseResample, 9);
  const P::ctr_type ctr = {{3, 0, static_cast<std::uint64_t>(StreamPurpose::DiagnoseResample), 9}};
  const P::ctr_type expect = P()(ctr, P::key_type{{1, 2}});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.next_u64(), expect.v[i]);
  Stream a(1, 2, 3, StreamPurpose::DiagnoseFolds), b(1, 2, 3, StreamPurpose::DiagnoseFolds, 0);
  EXPECT_EQ(a.next_u64(), b.next_u64());
}

// A replicate's folds and permutations come from its own stream: the same rows under
// replicates 0 and 1 give other cross-validated R^2, and the same replicate the same bits.
TEST(Resample, ReplicateFoldsDiffer) {
  Stream rng(5, 0, 0);
  const Eigen::Index n = 120;
  Eigen::MatrixXd x(n, 4), y(n, 3), labels(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double s = rng.normal();
    for (Eigen::Index j = 0; j < 4; ++j) x(i, j) = (j == 0 ? 2 * s : 0.0) + rng.normal();
    for (Eigen::Index j = 0; j < 3; ++j) y(i, j) = (j == 0 ? 2 * s : 0.0) + rng.normal();
    labels(i, 0) = s + 0.3 * rng.normal();
  }
  const std::vector<bool> all(static_cast<std::size_t>(n), true);
  DiagnoseOptions o;
  const DiagnoseResult r0 = diagnose(x, y, labels, all, o);
  o.stream_replicate = 1;
  const DiagnoseResult r1 = diagnose(x, y, labels, all, o);
  const DiagnoseResult again = diagnose(x, y, labels, all, o);
  EXPECT_NE(r0.cca.r2(0), r1.cca.r2(0));
  EXPECT_EQ(r1.cca.r2(0), again.cca.r2(0));
  EXPECT_EQ(r0.cca.values(0), r1.cca.values(0));  // the spectrum is the rows'
}

ReplicateOutcome outcome(int verdict, double delta_ca) {
  ReplicateOutcome o;
  o.verdict = verdict;
  o.values.fill(std::numeric_limits<double>::quiet_NaN());
  o.values[0] = delta_ca;
  o.values[1] = 2.0;
  return o;
}

TEST(Summary, FractionsSupportMajorityAndNan) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<ReplicateOutcome> v = {outcome(1, 1.5), outcome(1, 0.5), outcome(3, 1.2),
                                     outcome(kNoSignalCode, nan), outcome(3, 2.0)};
  const ReplicateSummary s = summarise_replicates(v, 3);
  EXPECT_EQ(s.replicates, 5);
  EXPECT_EQ(s.verdicts[1], 2);
  EXPECT_EQ(s.verdicts[3], 2);
  EXPECT_EQ(s.verdicts[kNoSignalCode], 1);
  EXPECT_EQ(s.support, 2);
  EXPECT_EQ(s.majority, 3);                           // a tie with CA only: the point verdict
  EXPECT_EQ(summarise_replicates(v, 0).majority, 1);  // a tie without it: the lower code
  const QuantitySpread& ca = s.spread[0];
  EXPECT_EQ(ca.count, 4);
  EXPECT_EQ(ca.nan, 1);
  EXPECT_EQ(ca.median, percentile({0.5, 1.2, 1.5, 2.0}, 50));
  EXPECT_TRUE(ca.straddles_one);
  EXPECT_FALSE(s.spread[1].straddles_one);  // every Delta_CP is 2
  EXPECT_EQ(s.spread[1].p2_5, 2.0);
  EXPECT_EQ(s.spread[3].count, 0);  // kappa^2 NaN throughout: no percentiles
  EXPECT_TRUE(std::isnan(s.spread[3].median));
}

}  // namespace
}  // namespace phasecube
