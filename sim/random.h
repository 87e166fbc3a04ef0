// SPDX-License-Identifier: Apache-2.0
// Deterministic hashing and random numbers, so a seed means the same data everywhere.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace segsync::sim {

/// One splitmix64 step: a bijective 64-bit mix, used to seed generators and to hash.
constexpr uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Order-sensitive combination of two hashes.
constexpr uint64_t HashCombine(uint64_t a, uint64_t b) { return SplitMix64(a ^ SplitMix64(b)); }

/// FNV-1a over the bytes, then mixed; stable across platforms and runs.
constexpr uint64_t HashString(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return SplitMix64(h);
}

/// A hash as a fraction in [0, 1).
constexpr double HashToUnit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

/// xoshiro256** seeded through splitmix64. Deterministic on every platform, unlike
/// std:: distributions, so a seed always means the same workspace.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : state_) {
      seed = SplitMix64(seed);
      word = seed;
    }
  }
  /// A generator for one named part of the workspace, independent of every other part.
  static Rng For(uint64_t seed, std::string_view part, uint64_t index = 0) {
    return Rng(HashCombine(HashCombine(seed, HashString(part)), index));
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, bound); bound must be positive.
  uint64_t Below(uint64_t bound) {
    // Rejecting the short first stretch of 2^64 keeps the modulo unbiased.
    const uint64_t threshold = (0 - bound) % bound;
    uint64_t x = Next();
    while (x < threshold) {
      x = Next();
    }
    return x % bound;
  }
  /// Uniform in [lo, hi], both inclusive.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  /// Uniform in [0, 1).
  double Unit() { return HashToUnit(Next()); }
  bool Chance(double p) { return Unit() < p; }
  /// A uniformly chosen element of a non-empty array, vector or span.
  template <typename Container>
  const auto& Pick(const Container& values) {
    return values[Below(std::size(values))];
  }

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4] = {};
};

}  // namespace segsync::sim
