// matequity: seeded, multithreaded bootstrap that gives the same replicates
// for any number of threads.
//
// Replicate b draws its resample from its own generator, a xoshiro256**
// seeded by splitmix64 from (seed, b), so replicate b does not depend on
// which thread runs it or on the other replicates; results are stored by
// replicate index. A resample is a vector of counts (how often each unit,
// or each cluster, was drawn), used as case weights: refitting with these
// weights is the same as refitting on the resampled rows.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace matequity {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Xoshiro256ss {
 public:
  Xoshiro256ss(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t sm = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    for (auto& v : s_) v = splitmix64(sm);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform integer in [0, bound), unbiased (Lemire's method).
  std::uint64_t below(std::uint64_t bound) {
    if (bound == 0) throw std::invalid_argument("bound must be positive");
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
    std::uint64_t l = static_cast<std::uint64_t>(m);
    if (l < bound) {
      const std::uint64_t t = (0 - bound) % bound;
      while (l < t) {
        m = static_cast<unsigned __int128>(next()) * bound;
        l = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Counts for replicate b: n_units draws with replacement from n_units units
// (or clusters). cluster codes (0..G-1 per row) turn cluster counts into
// row counts; pass an empty vector to resample rows. Written into w (and
// cw, the cluster counts), reusing their storage.
inline void bootstrap_counts_into(std::vector<double>& w, std::vector<double>& cw,
                                  std::uint64_t seed, std::uint64_t b, std::size_t n_rows,
                                  const std::vector<int>& cluster, int n_clusters) {
  Xoshiro256ss rng(seed, b);
  w.assign(n_rows, 0.0);
  if (cluster.empty()) {
    for (std::size_t k = 0; k < n_rows; ++k) w[rng.below(n_rows)] += 1.0;
    return;
  }
  cw.assign(static_cast<std::size_t>(n_clusters), 0.0);
  for (int k = 0; k < n_clusters; ++k)
    cw[rng.below(static_cast<std::uint64_t>(n_clusters))] += 1.0;
  for (std::size_t i = 0; i < n_rows; ++i) w[i] = cw[static_cast<std::size_t>(cluster[i])];
}

inline std::vector<double> bootstrap_counts(std::uint64_t seed, std::uint64_t b,
                                            std::size_t n_rows,
                                            const std::vector<int>& cluster,
                                            int n_clusters) {
  std::vector<double> w, cw;
  bootstrap_counts_into(w, cw, seed, b, n_rows, cluster, n_clusters);
  return w;
}

}  // namespace matequity
