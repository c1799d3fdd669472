// The engine seam (rules/match_engine.h): the width analysis the RE2 engine
// rests on, held to Hyperscan's where Hyperscan is built; and the engine's
// scan contract, the same on both: every end of every match, once; '$' at
// the data's end only; streams that find what one block scan finds,
// wherever the text is cut.
#include "rules/match_engine.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "rules/regex_width.h"

namespace dlp {
namespace {

struct Case {
  const char* pattern;
  unsigned min, max;  // max UINT_MAX: unbounded
};

constexpr Case kCases[] = {
    {"abc", 3, 3},
    {"a|bcd", 1, 3},
    {"\\d{3}[ +-]\\d{2}[ +-]\\d{4}", 11, 11},
    {"\\d{13,19}", 13, 19},
    {"(?:^|[^0-9])(?P<value>\\d{9})(?:[^0-9]|$)", 9, 11},
    {"(?:\\b|_)x{2,}", 2, UINT_MAX},
    {"a*", 0, UINT_MAX},
    {"(?i)card", 4, 4},
    {"(?i:ab)c?", 2, 3},
    {"[]a]b", 2, 2},
    {"[^\\]x][[:digit:]]", 2, 2},
    {"\\Qa.b\\E+", 3, UINT_MAX},
    {"\\x{41}\\x42\\t\\n", 4, 4},
    {"(ab){2}(cd){0,3}", 4, 10},
    {"a{,3}", 5, 5},  // RE2 and Hyperscan read "{,3}" as itself
    {"(?:a{2}){3}", 6, 6},
    {"\\Aab\\z", 2, 2},
    {"a.b", 3, 3},
    {"x{0,1}y", 1, 2},
    {"(a|)b", 1, 2},
    {"a+?b??", 1, UINT_MAX},
    // A repeat after a quote binds to its last character, after an empty
    // quote to the atom before it (found by an attack on the RE2 engine:
    // read whole, K\Q\E{5} was one byte and its matches were missed).
    {"a\\Q\\E*", 0, UINT_MAX},
    {"x\\Q\\E{3}", 3, 3},
    {"\\Qab\\E?", 1, 2},
    {"\\Qabc\\E{0,1}", 2, 3},
    // "[:" with no ":]" after it: '[' is in the class.
    {"[[:[]a{100}]", 102, 102},
    {"[[:|]\\d{8}", 9, 9},
    {"[[:]", 1, 1},
    {"[[:(]\\d{9}", 10, 10},
    // Octal escapes are one byte.
    {"\\012", 1, 1},
    {"\\101\\102", 2, 2},
};

TEST(RegexWidth, AsHyperscanReadsThem) {
  for (const Case& c : kCases) {
    std::string error;
    const auto w = WidthOf(c.pattern, &error);
    ASSERT_TRUE(w.has_value()) << c.pattern << ": " << error;
    EXPECT_EQ(w->min, c.min) << c.pattern;
    EXPECT_EQ(w->max, c.max) << c.pattern;
    // Where Hyperscan is built, it is the judge of the table itself.
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    ASSERT_EQ(hs_expression_info(c.pattern, HS_FLAG_DOTALL, &info, &err), HS_SUCCESS)
        << c.pattern << ": " << (err != nullptr ? err->message : "");
    EXPECT_EQ(info->min_width, c.min) << c.pattern;
    EXPECT_EQ(info->max_width, c.max) << c.pattern;
    std::free(info);  // NOLINT: allocated by the engine with malloc
  }
}

TEST(RegexWidth, WhatDoesNotParseIsAnError) {
  for (const char* bad : {"(ab", "ab)", "[ab", "a\\", "*a", "(?<x", "(?#c)"}) {
    std::string error;
    EXPECT_FALSE(WidthOf(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

// Every (id, end) an engine reports, from a block scan or a stream.
using Ends = std::vector<std::pair<unsigned, unsigned long long>>;

int Collect(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned, void* ctx) {
  static_cast<Ends*>(ctx)->emplace_back(id, to);
  return 0;
}

struct Db {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  Db(const std::vector<const char*>& patterns, unsigned mode) {
    std::vector<unsigned> flags(patterns.size(), HS_FLAG_DOTALL);
    std::vector<unsigned> ids;
    for (unsigned i = 0; i < patterns.size(); ++i) ids.push_back(10 + i);
    hs_compile_error_t* err = nullptr;
    EXPECT_EQ(hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                               static_cast<unsigned>(patterns.size()), mode, nullptr, &db, &err),
              HS_SUCCESS);
    EXPECT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  }
  ~Db() {
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  Ends Block(const std::string& text) const {
    Ends out;
    EXPECT_EQ(
        hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, Collect, &out),
        HS_SUCCESS);
    return out;
  }
  // The text cut at `cuts` (sorted offsets), then closed.
  Ends Stream(const std::string& text, const std::vector<size_t>& cuts) const {
    Ends out;
    hs_stream_t* s = nullptr;
    EXPECT_EQ(hs_open_stream(db, 0, &s), HS_SUCCESS);
    size_t at = 0;
    for (size_t cut : cuts) {
      EXPECT_EQ(hs_scan_stream(s, text.data() + at, static_cast<unsigned>(cut - at), 0, scratch,
                               Collect, &out),
                HS_SUCCESS);
      at = cut;
    }
    EXPECT_EQ(hs_scan_stream(s, text.data() + at, static_cast<unsigned>(text.size() - at), 0,
                             scratch, Collect, &out),
              HS_SUCCESS);
    EXPECT_EQ(hs_close_stream(s, scratch, Collect, &out), HS_SUCCESS);
    return out;
  }
};

Ends Sorted(Ends e) {
  std::sort(e.begin(), e.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  return e;
}

TEST(MatchEngine, ReportsEveryEndOfEveryMatchOnce) {
  const Db block({"\\d{3,5}", "a(?:b|bc)", "x$", "^q"}, HS_MODE_BLOCK);
  // "1234567": runs of 3 to 5 digits end at 3..7 (from several starts,
  // each end once); "abc": ab and abc; "x" only at the end; "q" only at
  // the start.
  const Ends got = block.Block("q1234567 abc x x");
  const Ends want = {{13, 1}, {10, 4},  {10, 5},  {10, 6}, {10, 7},
                     {10, 8}, {11, 11}, {11, 12}, {12, 16}};
  EXPECT_EQ(Sorted(got), want);
}

TEST(MatchEngine, AStreamFindsWhatTheBlockFindsWhereverItIsCut) {
  const std::vector<const char*> patterns = {"\\d{3}-\\d{2}-\\d{4}", "(?:^|\\D)\\d{4}(?:\\D|$)",
                                             "\\bcard\\b", "end$"};
  const Db block(patterns, HS_MODE_BLOCK);
  const Db stream(patterns, HS_MODE_STREAM);
  std::mt19937 rng(3);
  const char* pieces[] = {"536-22-1457", " ", "1234", "card", "x", "cards", "\n", "9", "-", "end"};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) text += pieces[rng() % 10];
    const Ends whole = Sorted(block.Block(text));
    // Every single cut, and a few random cuts at once.
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      ASSERT_EQ(Sorted(stream.Stream(text, {cut})), whole) << "'" << text << "' cut at " << cut;
    }
    std::vector<size_t> cuts;
    for (size_t i = 0; i < text.size(); ++i) {
      if (rng() % 3 == 0) cuts.push_back(i);
    }
    ASSERT_EQ(Sorted(stream.Stream(text, cuts)), whole) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace dlp
