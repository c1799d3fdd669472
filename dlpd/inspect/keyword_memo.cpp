#include "dlpd/inspect/keyword_memo.h"

#include <cstring>

namespace dlp {
namespace {

uint64_t Word(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

}  // namespace

// Collisions cost a judgement, never a wrong answer: the entry holds the
// whole text and is compared.
size_t KeywordMemo::SlotOf(const KeywordSet* set, std::string_view text) {
  uint64_t h = reinterpret_cast<uintptr_t>(set) ^ (text.size() * 0x9E3779B97F4A7C15ULL);
  if (text.size() >= 8) {
    // The first and last eight bytes (overlapping when shorter than 16),
    // and eight from the middle: labels differ at either end ("user_id",
    // "client_id") or in their middle.
    h ^= Word(text.data()) * 0xC2B2AE3D27D4EB4FULL;
    h ^= Word(text.data() + text.size() - 8) * 0x165667B19E3779F9ULL;
    h ^= Word(text.data() + (text.size() - 8) / 2) * 0x27D4EB2F165667C5ULL;
  } else {
    for (const char c : text) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001B3ULL;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return static_cast<size_t>(h >> 55);  // kSets = 512
}
static_assert(KeywordMemo::kSets == 512, "SlotOf takes the hash's top nine bits");

bool KeywordMemo::FoundIn(const KeywordSet& keywords, std::string_view text) {
  if (text.empty() || text.size() > kMaxText) return keywords.FoundIn(text);
  const size_t set = SlotOf(&keywords, text);
  for (size_t way = 0; way < kWays; ++way) {
    const Entry& e = entries_[set][way];
    if (e.set == &keywords && e.size == text.size() &&
        std::memcmp(e.text, text.data(), text.size()) == 0) {
      ++hits_;
      victim_[set] = static_cast<uint8_t>(1 - way);
      return e.found;
    }
  }
  ++misses_;
  Entry& e = entries_[set][victim_[set]];
  victim_[set] = static_cast<uint8_t>(1 - victim_[set]);
  e.found = keywords.FoundIn(text);
  e.set = &keywords;
  e.size = static_cast<uint8_t>(text.size());
  std::memcpy(e.text, text.data(), text.size());
  return e.found;
}

}  // namespace dlp
