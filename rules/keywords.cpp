#include "rules/keywords.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace dlp {
namespace {

enum class Kind { kNone, kLower, kUpper, kDigit, kOther, kHash };

constexpr Kind KindOfByte(uint8_t c) {
  if (c >= 'a' && c <= 'z') return Kind::kLower;
  if (c >= 'A' && c <= 'Z') return Kind::kUpper;
  if (c >= '0' && c <= '9') return Kind::kDigit;
  if (c >= 0x80) return Kind::kOther;  // UTF-8 letters: "número"
  if (c == '#') return Kind::kHash;
  return Kind::kNone;
}

// By table: words are split a byte at a time, and a chain of compares per
// byte was most of that.
constexpr std::array<Kind, 256> kKinds = [] {
  std::array<Kind, 256> kinds{};
  for (size_t c = 0; c < kinds.size(); ++c) kinds[c] = KindOfByte(static_cast<uint8_t>(c));
  return kinds;
}();

Kind KindOf(uint8_t c) {
  return kKinds[c];
}

// Whether a word ends between text[i - 1] and text[i] (both word bytes).
bool Splits(std::string_view text, size_t i) {
  const Kind a = KindOf(static_cast<uint8_t>(text[i - 1]));
  const Kind b = KindOf(static_cast<uint8_t>(text[i]));
  if (a == Kind::kHash || b == Kind::kHash) return true;
  if ((a == Kind::kDigit) != (b == Kind::kDigit)) return true;  // "ssn2"
  // ASCII and other bytes: "ssn" stays a word before a stray byte
  // ("ssn\xA1"); a keyword is split the same way, so "número" still matches.
  if ((a == Kind::kOther) != (b == Kind::kOther)) return true;
  if (a == Kind::kLower && b == Kind::kUpper) return true;  // "userSsn"
  // "SSNNumber": the last capital of a run begins the next word.
  if (a == Kind::kUpper && b == Kind::kUpper && i + 1 < text.size() &&
      KindOf(static_cast<uint8_t>(text[i + 1])) == Kind::kLower) {
    return true;
  }
  return false;
}

// The next word at or after text[*at]: false when there is none; else
// `word` is it and *at the byte after it.
bool NextWord(std::string_view text, size_t* at, std::string_view* word) {
  size_t i = *at;
  while (i < text.size() && KindOf(static_cast<uint8_t>(text[i])) == Kind::kNone) ++i;
  if (i == text.size()) {
    *at = i;
    return false;
  }
  size_t j = i + 1;
  while (j < text.size() && KindOf(static_cast<uint8_t>(text[j])) != Kind::kNone &&
         !Splits(text, j)) {
    ++j;
  }
  *word = text.substr(i, j - i);
  *at = j;
  return true;
}

// Calls f(word) for each word; stops when f returns false.
template <typename F>
void Words(std::string_view text, F&& f) {
  size_t at = 0;
  std::string_view w;
  while (NextWord(text, &at, &w)) {
    if (!f(w)) return;
  }
}

uint8_t Lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c | 0x20) : c;
}

// `plural`: the word may also be the keyword's with an 's' ("ssns").
// `exact`: case too must agree (`k` as written).
bool SameWord(std::string_view k, std::string_view word, bool plural, bool exact) {
  if (plural && word.size() == k.size() + 1 && (word.back() | 0x20) == 's') word.remove_suffix(1);
  if (k.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    const uint8_t w = static_cast<uint8_t>(word[i]);
    if (static_cast<uint8_t>(k[i]) != (exact ? w : Lower(w))) return false;
  }
  return true;
}

}  // namespace

void ForEachWord(std::string_view text, const std::function<void(std::string_view)>& f) {
  Words(text, [&](std::string_view w) {
    f(w);
    return true;
  });
}

KeywordSet::KeywordSet(const std::vector<std::string>& keywords) {
  for (const std::string& k : keywords) {
    Keyword kw;
    kw.exact = std::any_of(k.begin(), k.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    Words(k, [&](std::string_view w) {
      std::string word(w);
      if (!kw.exact) {
        for (char& c : word) c = static_cast<char>(Lower(static_cast<uint8_t>(c)));
      }
      kw.words.push_back(std::move(word));
      return true;
    });
    if (kw.words.empty()) continue;
    if (kw.words.size() > kMaxKeywordWords) kw.words.resize(kMaxKeywordWords);
    first_[Lower(static_cast<uint8_t>(kw.words[0][0]))] = true;
    keywords_.push_back(std::move(kw));
  }
  // By first byte, so that a word is compared only with the keywords that
  // begin as it does (an exclude list holds some sixty).
  auto first = [](const Keyword& k) { return Lower(static_cast<uint8_t>(k.words[0][0])); };
  std::stable_sort(keywords_.begin(), keywords_.end(),
                   [&](const Keyword& a, const Keyword& b) { return first(a) < first(b); });
  size_t at = 0;
  for (size_t b = 0; b <= 256; ++b) {
    while (at < keywords_.size() && first(keywords_[at]) < b) ++at;
    by_first_[b] = static_cast<uint32_t>(at);
  }
}

size_t SplitWords(std::string_view text, std::string_view* out, size_t max) {
  size_t n = 0;
  if (max == 0) return 0;
  Words(text, [&](std::string_view w) {
    out[n++] = w;
    return n < max;
  });
  return n;
}

bool KeywordSet::FoundIn(std::string_view text) const {
  if (keywords_.empty()) return false;
  // Not split whole: only where a word begins with a byte that some
  // keyword's first word begins with is that word split, and the words
  // after it only once a keyword's first word is it (a label or a line
  // before a value is tens of bytes, and most of them begin no keyword;
  // splitting every word cost more than the rest of a verdict).
  std::array<std::string_view, kMaxKeywordWords> words;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t b = Lower(static_cast<uint8_t>(text[i]));
    if (!first_[b]) continue;
    if (i > 0 && KindOf(static_cast<uint8_t>(text[i - 1])) != Kind::kNone && !Splits(text, i)) {
      continue;  // inside a word
    }
    // Splits at j >= 1 reads bytes j - 1 to j + 1: the words from i are
    // those of the whole text. text[i] begins a keyword's word, so a word
    // begins there.
    size_t next = i;
    size_t n = NextWord(text, &next, &words[0]) ? 1 : 0;
    for (uint32_t j = by_first_[b]; j < by_first_[b + 1] && n > 0; ++j) {
      const Keyword& k = keywords_[j];
      const size_t size = k.words.size();
      if (!SameWord(k.words[0], words[0], size == 1, k.exact)) continue;
      while (n < size && NextWord(text, &next, &words[n])) ++n;
      if (n < size) continue;
      size_t m = 1;
      while (m < size && SameWord(k.words[m], words[m], m + 1 == size, k.exact)) ++m;
      if (m == size) return true;
    }
  }
  return false;
}

bool KeywordSet::FoundIn(const std::string_view* words, size_t n) const {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = Lower(static_cast<uint8_t>(words[i][0]));
    for (uint32_t j = by_first_[b]; j < by_first_[b + 1]; ++j) {
      const Keyword& k = keywords_[j];
      const size_t size = k.words.size();
      if (size > n - i) continue;
      size_t m = 0;
      while (m < size && SameWord(k.words[m], words[i + m], m + 1 == size, k.exact)) ++m;
      if (m == size) return true;
    }
  }
  return false;
}

}  // namespace dlp
