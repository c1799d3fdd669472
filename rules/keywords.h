// A rule's context keywords ("ssn", "Soc. Sec. No.", "social security"),
// matched the way labels are written: by words. A text is split into words
// at anything that is not a letter or digit, where letters turn into
// digits or ASCII into other bytes, and at camelCase humps ("userSSN", "socialSecurityNumber",
// "soc_sec_num", "S.S.N." are all words of the keywords above); '#' is a
// word of its own ("SS#"); case is ignored (ASCII) unless the keyword is
// written with a capital ("PAN" is not the "Pan" of a product name), and
// bytes above 0x7F are letters, so "número" is one word. A keyword matches
// where its words stand in a row; its last word may take an 's' ("ssns").
//
// Immutable once built; safe to share between threads. Matching does not
// allocate.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dlp {

class KeywordSet {
 public:
  KeywordSet() = default;
  explicit KeywordSet(const std::vector<std::string>& keywords);

  bool empty() const { return keywords_.empty(); }
  // Whether some keyword's words stand in a row in `text`.
  bool FoundIn(std::string_view text) const;
  // The same for a text already split (SplitWords), to match many sets.
  bool FoundIn(const std::string_view* words, size_t n) const;

 private:
  struct Keyword {
    std::vector<std::string> words;  // lowercased unless exact
    bool exact = false;              // written with a capital: case must agree
  };
  // The words of a keyword compared at most: a longer one is cut to its
  // first 16 (no label is written so; the array of words stays small).
  static constexpr size_t kMaxKeywordWords = 16;

  std::vector<Keyword> keywords_;
  // The first bytes (lowercase) a keyword's first word can begin with: a
  // word that begins with no such byte begins no keyword.
  std::array<bool, 256> first_{};
  // keywords_ are in order of that byte; those beginning with b are
  // [by_first_[b], by_first_[b + 1]).
  std::array<uint32_t, 257> by_first_{};
};

// Splits `text` into its words as KeywordSet reads them, at most `max`
// (the rest is not looked at); returns how many.
size_t SplitWords(std::string_view text, std::string_view* out, size_t max);

// The words of `text`, as KeywordSet reads them (for tests and rule
// authors' tools): calls f(word) for each, in order.
void ForEachWord(std::string_view text, const std::function<void(std::string_view)>& f);

}  // namespace dlp
