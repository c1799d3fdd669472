// Generated text for the stream and differential tests: HTTP-ish filler with
// valid and invalid SSNs and card numbers (some percent-encoded), look-alikes, and dense runs of
// digits and separators, from a seeded generator so every run is the same.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace dlp::test {

class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint32_t seed) : rng_(seed) {}

  // About `size` bytes of mixed text.
  std::string Text(size_t size);
  // Bytes drawn only from digits, ' ', '-', '%' and a few letters: every boundary
  // case the patterns have, at high density.
  std::string Dense(size_t size);
  // Web-API request bodies as a gateway sees them, number-dense: JSON of
  // ids, epoch milliseconds, prices, GTINs, IBANs in groups, dates,
  // decimals, tracking numbers; forms; CSV with a header; tables of
  // 4-digit groups; and values among them, labelled, excluded, grouped.
  std::string Api(size_t size);

  std::string ValidSsn(char sep);
  std::string ValidPan(char sep);

 private:
  size_t Uniform(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }
  std::string Digits(size_t n);
  std::mt19937 rng_;
};

}  // namespace dlp::test
