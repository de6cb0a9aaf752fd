#pragma once
// Random streams (DESIGN 1.5): Philox4x64-10, keyed by (seed, cell) and counted by
// (trial, block, purpose, replicate). A trial's numbers therefore depend only on (seed, cell,
// trial), never on ranks, threads, chunking or restarts. Normal and gamma variates are our own
// portable code (std:: distributions are implementation-defined).
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>

namespace phasecube {

// What a trial's stream is used for; distinct purposes never share counters.
enum class StreamPurpose : std::uint64_t {
  Sampler = 0,
  Labels = 1,
  DiagnoseData = 2,      // `[diagnose]` in run: the data matrices of a trial
  DiagnoseFolds = 3,     // diagnose: fold assignment and label permutations
  InfoNceInit = 4,       // InfoNCE: the initial encoders W, V
  InfoNceBatches = 5,    // InfoNCE: the rows of every batch
  Rotation = 6,          // the Haar rotations of x and y in trials of rotation-variant methods
  DiagnoseResample = 7,  // diagnose --replicates: the rows of every resample
  // diagnose --label-noise: the noise draws, the reassigned rows and their classes
  DiagnoseLabelNoise = 8,
  // diagnose --proxy-labels kmeans: the k-means++ seedings
  DiagnoseKmeans = 9,
};

class Stream {
 public:
  // `replicate` (the counter's last word, 0 for every stream but the resampling replicates
  // of diagnose, which use r + 1) keeps a replicate's streams apart from every trial's.
  Stream(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
         StreamPurpose purpose = StreamPurpose::Sampler, std::uint64_t replicate = 0);

  std::uint64_t next_u64() {
    if (used_ == 4) refill();
    return block_.v[used_++];
  }
  // Uniform on the open interval (0, 1), 53 random bits.
  double uniform() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }
  // Standard normal (Doornik's ZIGNOR ziggurat, 128 layers). The rectangle test, taken by
  // ~99% of draws, is inline; wedges and the tail are out of line.
  double normal() {
    const std::uint64_t bits = next_u64();
    // Top 53 bits give u in (-1, 1); the low 7 bits (disjoint) pick the layer.
    const double u = 2.0 * ((static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53) - 1.0;
    const auto layer = static_cast<unsigned>(bits & 0x7F);
    const double x = u * kZigguratX[layer];
    if (std::fabs(u) < kZigguratRatio[layer]) return x;
    return normal_slow(u, layer);
  }
  // Gamma(shape, 1), shape > 0 (Marsaglia-Tsang; boosted for shape < 1). O(1) expected draws.
  double gamma(double shape);
  // Chi-square with `dof` degrees of freedom: 2 Gamma(dof / 2).
  double chi_square(double dof) { return 2.0 * gamma(0.5 * dof); }

 private:
  void refill();
  double normal_slow(double u, unsigned layer);
  static const double* const kZigguratX;      // 129 layer edges
  static const double* const kZigguratRatio;  // x[i + 1] / x[i]
  using Philox = r123::Philox4x64;
  Philox::key_type key_;
  Philox::ctr_type ctr_;
  Philox::ctr_type block_;
  int used_ = 4;
};

}  // namespace phasecube
