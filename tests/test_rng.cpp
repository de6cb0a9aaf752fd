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

// Random123's published known-answer vectors for Philox4x64-10 (its kat_vectors file:
// counter, key, output): the generator as compiled here is the published one.
TEST(Philox, KnownAnswerVectors) {
  using P = r123::Philox4x64;
  struct Kat {
    P::ctr_type::value_type ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0},
       {0, 0},
       {0x16554d9eca36314c, 0xdb20fe9d672d0fdc, 0xd7e772cee186176b, 0x7e68b68aec7ba23b}},
      {{~0ull, ~0ull, ~0ull, ~0ull},
       {~0ull, ~0ull},
       {0x87b092c3013fe90b, 0x438c3c67be8d0224, 0x9cc7d7c69cd777b6, 0xa09caebf594f0ba0}},
      {{0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89},
       {0x452821e638d01377, 0xbe5466cf34e90c6c},
       {0xa528f45403e61d95, 0x38c72dbd566e9788, 0xa5a1610e72fd18b5, 0x57bd43b5e52b7fe6}},
  };
  for (const Kat& k : kats) {
    const P::ctr_type ctr = {{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}};
    const P::key_type key = {{k.key[0], k.key[1]}};
    const P::ctr_type out = P()(ctr, key);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], k.out[i]) << "word " << i;
  }
}

// DESIGN 1.5 made concrete: key = (seed, cell), counter = (trial, draw block, purpose, 0).
TEST(Stream, KeyAndCounterLayout) {
  using P = r123::Philox4x64;
  Stream s(1, 2, 3, StreamPurpose::DiagnoseData);
  const P::key_type key = {{1, 2}};
  for (std::uint64_t block = 0; block < 3; ++block) {
    const P::ctr_type ctr = {
        {3, block, static_cast<std::uint64_t>(StreamPurpose::DiagnoseData), 0}};
    const P::ctr_type expect = P()(ctr, key);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(s.next_u64(), expect.v[i]) << block << ":" << i;
  }
}

// Pinned variates of one stream, written as exact binary values: any change to the uniform,
// normal (ziggurat) or gamma code changes every cube, so it must come with a bump of
// kNumericsVersion (src/version.hpp.in) and new pins here.
TEST(Stream, PinnedVariates) {
  Stream t(7, 11, 13, StreamPurpose::Labels);
  EXPECT_EQ(t.uniform(), 0x1.80825f357e8c3p-2);
  EXPECT_EQ(t.normal(), -0x1.21765fe9720cfp-1);
  EXPECT_EQ(t.normal(), -0x1.008fd3515a5fbp-2);
  EXPECT_EQ(t.gamma(2.5), 0x1.d1a4dd5ac132fp-1);
  EXPECT_EQ(t.chi_square(0.7), 0x1.aad78826bfa1p+1);
}
