// A worker's memory of keyword answers for short texts: whether a
// KeywordSet is found in a value's label. Web-API bodies carry thousands of
// bare ids under a handful of labels ("client_id", "user_id", "sku"), and
// each id that could be a value (a nine-digit number may be an SSN) asks
// whether its label names one: the same question, with the same answer,
// thousands of times a second. Splitting a label into words and comparing
// them cost more than the rest of such a verdict; recalling the answer
// costs a hash and a compare of the label's bytes.
//
// One per ScanContext (per worker thread, never shared); not thread-safe.
// The KeywordSets it is asked about must outlive it or be asked about no
// more once freed (a ScanContext holds its ruleset, which holds them).
// Bounded: a fixed table of short texts (48 KiB), whatever the traffic; a text no
// entry holds is judged in full, as without a memo, so a client that sends
// a new label with every value costs what it did before and no more.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/keywords.h"

namespace dlp {

class KeywordMemo {
 public:
  // Texts longer than this are judged each time (labels are mostly shorter).
  static constexpr size_t kMaxText = 38;
  // Two ways to a set: labels that meet in one set both stay.
  static constexpr size_t kSets = 512;
  static constexpr size_t kWays = 2;

  // keywords.FoundIn(text), recalled when this memo holds it.
  bool FoundIn(const KeywordSet& keywords, std::string_view text);

  // Which set of entries a text of a keyword set is kept in (for tests
  // that make texts meet in one).
  static size_t SlotOf(const KeywordSet* keywords, std::string_view text);

  // For tests: answers recalled and answers judged since construction.
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    const KeywordSet* set = nullptr;
    uint8_t size = 0;
    bool found = false;
    char text[kMaxText];
  };
  std::array<std::array<Entry, kWays>, kSets> entries_{};
  // Per set, the way to replace next: the one not used last.
  std::array<uint8_t, kSets> victim_{};
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace dlp
