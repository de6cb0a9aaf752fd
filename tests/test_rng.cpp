// Random streams and variates (DESIGN 1.5): reproducible by key and counter, and with the
// right distributions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "phasecube/rng.hpp"

using namespace phasecube;

TEST(Stream, SameKeyAndCounterSameNumbers) {
  Stream a(7, 3, 11), b(7, 3, 11);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  Stream c(7, 3, 12), d(7, 4, 11), e(8, 3, 11), f(7, 3, 11, StreamPurpose::Labels);
  Stream g(7, 3, 11);
  const auto first = g.next_u64();
  EXPECT_NE(first, c.next_u64());
  EXPECT_NE(first, d.next_u64());
  EXPECT_NE(first, e.next_u64());
  EXPECT_NE(first, f.next_u64());
}

TEST(Stream, UniformIsInOpenUnitInterval) {
  Stream s(1, 0, 0);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  // mean 1/2, sd of the mean sqrt(1/12/n) = 6.5e-4; 5 sd.
  EXPECT_NEAR(sum / n, 0.5, 5 * std::sqrt(1.0 / 12 / n));
}

namespace {
double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}
}  // namespace

TEST(Stream, NormalMomentsAndKolmogorovSmirnov) {
  Stream s(2024, 1, 0);
  const int n = 400000;
  std::vector<double> x(n);
  double m1 = 0, m2 = 0, m4 = 0;
  for (auto& v : x) {
    v = s.normal();
    m1 += v;
    m2 += v * v;
    m4 += v * v * v * v;
  }
  m1 /= n;
  m2 /= n;
  m4 /= n;
  // Standard errors: mean 1/sqrt(n) = 1.6e-3, var sqrt(2/n) = 2.2e-3, E x^4 sqrt(96/n) = 0.015.
  EXPECT_NEAR(m1, 0.0, 5 / std::sqrt(n));
  EXPECT_NEAR(m2, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NEAR(m4, 3.0, 5 * std::sqrt(96.0 / n));
  // Tail beyond the ziggurat's base layer (3.4426) must be populated: P(|x| > 3.5) = 4.65e-4.
  const auto tail = std::count_if(x.begin(), x.end(), [](double v) { return std::fabs(v) > 3.5; });
  EXPECT_NEAR(static_cast<double>(tail) / n, 4.6525e-4, 5 * std::sqrt(4.65e-4 / n));
  std::sort(x.begin(), x.end());
  double ks = 0;
  for (int i = 0; i < n; ++i) {
    const double f = normal_cdf(x[static_cast<std::size_t>(i)]);
    ks = std::max({ks, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  // One-sample KS critical value at alpha = 0.001: 1.949 / sqrt(n).
  EXPECT_LT(ks, 1.949 / std::sqrt(n));
}

class GammaShape : public ::testing::TestWithParam<double> {};

TEST_P(GammaShape, MeanAndVariance) {
  const double a = GetParam();
  Stream s(99, static_cast<std::uint64_t>(a * 1000), 0);
  const int n = 200000;
  double m1 = 0, m2 = 0;
  for (int i = 0; i < n; ++i) {
    const double g = s.gamma(a);
    ASSERT_GT(g, 0.0);
    m1 += g;
    m2 += g * g;
  }
  m1 /= n;
  const double var = m2 / n - m1 * m1;
  // Gamma(a, 1): mean a, variance a; sd of the sample mean sqrt(a / n);
  // sd of the sample variance ~ sqrt((2 a^2 + 6 a) / n) (fourth central moment 3a^2 + 6a).
  EXPECT_NEAR(m1, a, 5 * std::sqrt(a / n));
  EXPECT_NEAR(var, a, 5 * std::sqrt((2 * a * a + 6 * a) / n));
}

INSTANTIATE_TEST_SUITE_P(Shapes, GammaShape, ::testing::Values(0.5, 1.0, 2.5, 30.0, 2500.0));

TEST(Stream, ChiSquareMean) {
  Stream s(5, 5, 5);
  double m = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) m += s.chi_square(1.0);
  EXPECT_NEAR(m / n, 1.0, 5 * std::sqrt(2.0 / n));
}
