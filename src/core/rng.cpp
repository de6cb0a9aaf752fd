#include "phasecube/rng.hpp"

#include <array>
#include <cmath>

namespace phasecube {

Stream::Stream(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial, StreamPurpose purpose,
               std::uint64_t replicate) {
  key_ = {{seed, cell}};
  ctr_ = {{trial, 0, static_cast<std::uint64_t>(purpose), replicate}};
}

void Stream::refill() {
  block_ = Philox()(ctr_, key_);
  ++ctr_.v[1];  // draw-block index within this (trial, purpose)
  used_ = 0;
}

namespace {

// Doornik (2005), "An improved ziggurat method to generate normal random samples".
constexpr int kLayers = 128;
constexpr double kTailStart = 3.442619855899;
constexpr double kLayerArea = 9.91256303526217e-3;

struct ZigguratTables {
  std::array<double, kLayers + 1> x{};
  std::array<double, kLayers> ratio{};
  ZigguratTables() {
    double f = std::exp(-0.5 * kTailStart * kTailStart);
    x[0] = kLayerArea / f;
    x[1] = kTailStart;
    x[kLayers] = 0.0;
    for (int i = 2; i < kLayers; ++i) {
      x[i] = std::sqrt(-2.0 * std::log(kLayerArea / x[i - 1] + f));
      f = std::exp(-0.5 * x[i] * x[i]);
    }
    for (int i = 0; i < kLayers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

const ZigguratTables& tables() {
  static const ZigguratTables t;
  return t;
}

}  // namespace

const double* const Stream::kZigguratX = tables().x.data();
const double* const Stream::kZigguratRatio = tables().ratio.data();

// The rest of the ziggurat after the inline rectangle test failed for (u, layer).
double Stream::normal_slow(double u, unsigned layer) {
  const auto& t = tables();
  for (;;) {
    const std::size_t i = layer;
    if (std::fabs(u) < t.ratio[i]) return u * t.x[i];
    if (i == 0) {  // base layer: sample the tail beyond kTailStart
      double x, y;
      do {
        x = std::log(uniform()) / kTailStart;
        y = std::log(uniform());
      } while (-2.0 * y < x * x);
      return u < 0 ? x - kTailStart : kTailStart - x;
    }
    const double x = u * t.x[i];
    const double f0 = std::exp(-0.5 * (t.x[i] * t.x[i] - x * x));
    const double f1 = std::exp(-0.5 * (t.x[i + 1] * t.x[i + 1] - x * x));
    if (f1 + uniform() * (f0 - f1) < 1.0) return x;
    // Rejected: a fresh (u, layer), exactly as the loop of the reference algorithm.
    const std::uint64_t bits = next_u64();
    u = 2.0 * ((static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53) - 1.0;
    layer = static_cast<unsigned>(bits & 0x7F);
  }
}

double Stream::gamma(double shape) {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a)
    const double g = gamma(shape + 1.0);
    return g * std::pow(uniform(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace phasecube
