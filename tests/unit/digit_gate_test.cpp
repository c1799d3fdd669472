// The digit gate must never leave out a span a gated match could occupy:
// checked against its definition on random text, whole and cut into pieces.
#include "dlpd/inspect/digit_gate.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/reference_scanner.h"
#include "dlpd/inspect/stream_scanner.h"
#include "rules/boundary.h"
#include "rules/rule_loader.h"
#include "tests/unit/corpus.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

// True when some region holds [s, e) with a byte to spare on each side that
// the text has.
bool Covered(const std::vector<Region>& regions, size_t s, size_t e, size_t len) {
  for (const Region& r : regions) {
    if ((r.from < s || s == 0) && (r.to > e || e == len)) return true;
  }
  return false;
}

void CheckEverySpan(const std::string& text, unsigned n, unsigned w, const std::vector<Region>& got,
                    const std::string& what) {
  for (size_t s = 0; s < text.size(); ++s) {
    unsigned digits = 0;
    for (size_t e = s + 1; e <= text.size() && e - s <= w; ++e) {
      digits += (text[e - 1] >= '0' && text[e - 1] <= '9') ? 1 : 0;
      if (digits >= n) {
        ASSERT_TRUE(Covered(got, s, e, text.size())) << what << ": span " << s << ".." << e;
      }
    }
  }
}

TEST(DigitGate, EverySpanWithEnoughDigitsIsInARegion) {
  std::mt19937 rng(5);
  for (int round = 0; round < 60; ++round) {
    const unsigned n = 1 + rng() % 16;
    const unsigned w = n + rng() % 150;
    // From sparse to dense digits.
    const unsigned percent = rng() % 60;
    std::string text(1 + rng() % 700, 'a');
    for (char& c : text) {
      if (rng() % 100 < percent) c = static_cast<char>('0' + rng() % 10);
    }
    DigitGate whole(n, w);
    whole.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
    CheckEverySpan(text, n, w, whole.regions(), "whole, round " + std::to_string(round));
    // The same text in random pieces.
    DigitGate pieces(n, w);
    for (size_t at = 0; at < text.size();) {
      const size_t len = std::min<size_t>(text.size() - at, rng() % 90);
      pieces.Feed(reinterpret_cast<const uint8_t*>(text.data()) + at, len, at);
      at += len;
    }
    CheckEverySpan(text, n, w, pieces.regions(), "pieces, round " + std::to_string(round));
  }
}

// Every span of at most w bytes that holds n digits, each at most `gap`
// bytes from the next, must be covered.
void CheckEveryRun(const std::string& text, unsigned n, unsigned w, unsigned gap,
                   const std::vector<Region>& got, const std::string& what) {
  auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  for (size_t s = 0; s < text.size(); ++s) {
    unsigned chain = 0;
    size_t last = 0;
    for (size_t e = s + 1; e <= text.size() && e - s <= w; ++e) {
      if (!digit(e - 1)) continue;
      chain = chain > 0 && e - 1 - last - 1 <= gap ? chain + 1 : 1;
      last = e - 1;
      if (chain >= n) {
        ASSERT_TRUE(Covered(got, s, e, text.size())) << what << ": span " << s << ".." << e;
      }
    }
  }
}

// Digits alone, in groups with one-byte separators, or scattered; a few
// bytes above 0x7f, which signed vector compares must not take for digits
// ('0' + 0x80 is 0xb0).
std::string DigitText(std::mt19937& rng, size_t len) {
  std::string text(len, 'a');
  const unsigned percent = rng() % 70;
  for (size_t i = 0; i < text.size(); ++i) {
    if (rng() % 100 < percent) text[i] = static_cast<char>('0' + rng() % 10);
    if (rng() % 100 < 3) text[i] = "-+ .,%\xb0\xb9\xff"[rng() % 9];
  }
  return text;
}

void FeedInPieces(DigitGate& gate, const std::string& text, std::mt19937& rng) {
  for (size_t at = 0; at < text.size();) {
    const size_t len = std::min<size_t>(text.size() - at, rng() % 150);
    gate.Feed(reinterpret_cast<const uint8_t*>(text.data()) + at, len, at);
    at += len;
  }
}

TEST(DigitGate, EveryRunWithEnoughDigitsIsInARegion) {
  std::mt19937 rng(17);
  for (int round = 0; round < 80; ++round) {
    const unsigned n = 1 + rng() % 20;
    const unsigned w = n + rng() % 120;
    const unsigned gap = rng() % (DigitGate::kMaxGap + 1);
    const std::string text = DigitText(rng, 1 + rng() % 600);
    const std::string what = "round " + std::to_string(round) + " gap " + std::to_string(gap);
    DigitGate whole(n, w, gap);
    whole.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
    CheckEveryRun(text, n, w, gap, whole.regions(), "whole, " + what);
    DigitGate pieces(n, w, gap);
    FeedInPieces(pieces, text, rng);
    CheckEveryRun(text, n, w, gap, pieces.regions(), "pieces, " + what);
  }
}

// The ways of reading the masks this CPU can run.
std::vector<DigitGate::Kernel> KernelsOfThisCpu() {
  std::vector<DigitGate::Kernel> kernels;
  for (auto k :
       {DigitGate::Kernel::kPortable, DigitGate::Kernel::kSse2, DigitGate::Kernel::kAvx2}) {
    DigitGate probe(1, 1);
    if (probe.UseKernel(k)) kernels.push_back(k);
  }
  return kernels;
}

// Binary data (random bytes: nearly every 64-byte chunk holds a digit)
// takes the gate's batch path, with runs planted at random: of exactly
// min_digits digits or longer, across chunk and batch edges, and gaps of
// the most the rule allows; with every kernel, since the batch path has
// its own for AVX2. Half the rounds have min_digits past the 33 the batch
// path takes, so that its hand-over to the chunk by chunk path is held too.
TEST(DigitGate, EveryRunInBinaryDataIsInARegion) {
  std::mt19937 rng(41);
  for (int round = 0; round < 80; ++round) {
    const unsigned n = round % 2 == 0 ? 1 + rng() % 33 : 34 + rng() % 31;
    const unsigned w = n * (DigitGate::kMaxGap + 1) + rng() % 40;
    const unsigned gap = rng() % (DigitGate::kMaxGap + 1);
    std::string text(1 + rng() % 4000, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    for (unsigned runs = rng() % 6; runs > 0; --runs) {
      size_t at = rng() % text.size();
      const unsigned digits = n - 1 + rng() % 3;  // one short, exact or longer
      for (unsigned d = 0; d < digits && at < text.size(); ++d) {
        text[at] = static_cast<char>('0' + rng() % 10);
        at += 1 + (rng() % 2 == 0 ? gap : rng() % (gap + 1));
      }
    }
    const std::string what = "round " + std::to_string(round) + " n " + std::to_string(n) +
                             " gap " + std::to_string(gap);
    for (DigitGate::Kernel k : KernelsOfThisCpu()) {
      const std::string with = what + " kernel " + std::to_string(static_cast<int>(k));
      DigitGate whole(n, w, gap);
      ASSERT_TRUE(whole.UseKernel(k));
      whole.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
      CheckEveryRun(text, n, w, gap, whole.regions(), "whole, " + with);
      DigitGate pieces(n, w, gap);
      ASSERT_TRUE(pieces.UseKernel(k));
      std::mt19937 cuts(round);
      for (size_t at = 0; at < text.size();) {
        const size_t len = std::min<size_t>(text.size() - at, cuts() % 2500);
        pieces.Feed(reinterpret_cast<const uint8_t*>(text.data()) + at, len, at);
        at += len;
      }
      CheckEveryRun(text, n, w, gap, pieces.regions(), "pieces, " + with);
    }
  }
}

// A run cut by the end of a piece of binary data goes on in the next: for
// every length of the piece's last batch of 16 chunks (the first batch of a
// gate is taken chunk by chunk, the next ones of binary data in one go).
TEST(DigitGate, RunCutByThePieceEndOfBinaryDataIsInARegion) {
  std::mt19937 rng(43);
  for (size_t chunks = 1; chunks <= 36; ++chunks) {
    std::string text(chunks * 64 + 200, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    // No digit near the cut but the run's: "12345678" | "9012".
    const size_t cut = chunks * 64;
    for (size_t i = cut - 20; i < cut + 20; ++i) text[i] = 'x';
    text.replace(cut - 8, 12, "123456789012");
    for (DigitGate::Kernel k : KernelsOfThisCpu()) {
      DigitGate gate(9, 12, 1);
      ASSERT_TRUE(gate.UseKernel(k));
      gate.Feed(reinterpret_cast<const uint8_t*>(text.data()), cut, 0);
      gate.Feed(reinterpret_cast<const uint8_t*>(text.data()) + cut, text.size() - cut, cut);
      EXPECT_TRUE(Covered(gate.regions(), cut - 8, cut + 4, text.size()))
          << chunks << " chunks, kernel " << static_cast<int>(k);
    }
  }
}

// Every way of reading the masks finds the same regions.
TEST(DigitGate, KernelsAgree) {
  std::mt19937 rng(29);
  const std::vector<DigitGate::Kernel> kernels = KernelsOfThisCpu();
  ASSERT_GE(kernels.size(), 1u);
  for (int round = 0; round < 60; ++round) {
    const unsigned gap = round % 3 == 0 ? DigitGate::kAnyGap : rng() % 3;
    const std::string text = DigitText(rng, 1 + rng() % 3000);
    std::vector<std::vector<Region>> seen;
    for (DigitGate::Kernel k : kernels) {
      DigitGate gate(9, 49, gap);
      ASSERT_TRUE(gate.UseKernel(k));
      std::mt19937 cuts(round);
      FeedInPieces(gate, text, cuts);
      seen.push_back(gate.regions());
    }
    for (size_t i = 1; i < seen.size(); ++i) {
      ASSERT_EQ(seen[i].size(), seen[0].size()) << "round " << round;
      for (size_t r = 0; r < seen[0].size(); ++r) {
        EXPECT_EQ(seen[i][r].from, seen[0][r].from);
        EXPECT_EQ(seen[i][r].to, seen[0][r].to);
      }
    }
  }
}

// The masks of digits and marked bytes (the shaped walk's separators) are
// the bytes' own, by every kernel, for one to four marked bytes.
TEST(DigitGate, MarkKernelsFindTheBytesThemselves) {
  std::mt19937 rng(31);
  const std::vector<DigitGate::Kernel> kernels = KernelsOfThisCpu();
  for (int round = 0; round < 200; ++round) {
    std::string text(64 * 16, ' ');
    for (char& c : text) {
      c = static_cast<char>(rng() % 3 == 0 ? " -+./0123456789"[rng() % 15] : rng());
    }
    MarkBytes mark;
    mark.n = round % 5;  // none to four
    for (size_t i = 0; i < mark.n; ++i) {
      mark.bytes[i] = static_cast<uint8_t>(" -+.\x80\xff"[(round + i) % 6]);
    }
    const size_t chunks = 1 + rng() % 16;
    for (const DigitGate::Kernel k : kernels) {
      uint64_t digits[16];
      uint64_t marks[16];
      ReadDigitAndMarkMasks(reinterpret_cast<const uint8_t*>(text.data()), chunks, mark, digits,
                            marks, k);
      for (size_t b = 0; b < 64 * chunks; ++b) {
        const auto c = static_cast<uint8_t>(text[b]);
        const bool digit = c >= '0' && c <= '9';
        bool marked = false;
        for (size_t i = 0; i < mark.n; ++i) marked = marked || c == mark.bytes[i];
        ASSERT_EQ((digits[b / 64] >> (b % 64)) & 1, digit ? 1u : 0u)
            << "kernel " << static_cast<int>(k) << " byte " << b;
        ASSERT_EQ((marks[b / 64] >> (b % 64)) & 1, marked ? 1u : 0u)
            << "kernel " << static_cast<int>(k) << " byte " << b << " marks " << mark.n;
      }
    }
  }
}

TEST(DigitGate, TextWithoutDigitClustersHasNoRegion) {
  // Digits, but never 9 within reach of each other (the gate counts per 64
  // bytes, so "reach" is the width plus up to two chunks).
  std::string text;
  for (const char* few : {"2", "12", "4471", "11-22", "$1,299"}) {
    text += std::string(
                "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
                "eiusmod tempor incididunt ut labore et dolore magna aliqua.</p> ") +
            few;
  }
  DigitGate gate(9, 49);
  gate.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
  EXPECT_TRUE(gate.regions().empty());
  // Two numbers close together, neither with 9 digits: windows of 49
  // bytes count 14, runs of digits one byte apart at most 8.
  const std::string row = "<td>2026-11-22</td><td>$1,299.00</td>";
  DigitGate windows(9, 49);
  windows.Feed(reinterpret_cast<const uint8_t*>(row.data()), row.size(), 0);
  EXPECT_FALSE(windows.regions().empty());
  DigitGate runs(9, 49, 1);
  runs.Feed(reinterpret_cast<const uint8_t*>(row.data()), row.size(), 0);
  EXPECT_TRUE(runs.regions().empty());
  DigitGate dense(9, 49, 1);
  const std::string value = "x ssn=536-22-1457&";
  dense.Feed(reinterpret_cast<const uint8_t*>(value.data()), value.size(), 1000);
  ASSERT_EQ(dense.regions().size(), 1u);
  EXPECT_LE(dense.regions()[0].from, 1000u);
  EXPECT_GE(dense.regions()[0].to, 1000u + value.size());
}

// The default rules without their min_digits: every pattern then runs on
// every byte, as before the gate. Gated and ungated must find the same.
std::shared_ptr<const CompiledRuleset> UngatedDefaults() {
  RuleSet set = LoadDefaultRuleSet();
  for (Rule& r : set.rules) r.min_digits = 0;
  return CompiledRuleset::Compile(std::move(set));
}

// The scanner reads decoded text: a '%' there is a plain byte, which ends
// a value like any punctuation. Gated and ungated find the same around it,
// whole and cut anywhere.
TEST(DigitGate, PercentIsAPlainByte) {
  const std::string text =
      "width: 100%; card=4111111111111111% ssn 536-22-1457%; 4111 1111 1111 1111%x "
      "{\"pan\":\"5555555555554444%\"} 12%% off, ssn=078-05-1120%z, 4111111111111112% "
      "536-22-1457%%; q%;536 22 1457. 4111111111111111%3z 536-22-1457%2x.";
  ScanContext& ctx = test::DefaultContext();
  DigitGate& gate = ctx.gate();
  gate.Reset();
  gate.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0);
  auto ungated = std::move(ScanContext::Create(UngatedDefaults())).value();
  Findings plain;
  ASSERT_TRUE(
      ScanBlock(*ungated, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &plain));
  EXPECT_EQ(plain.size(), 9u);
  ASSERT_EQ(test::Scan(text), plain);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(test::StreamScan(ctx, text, {cut}), plain) << "cut at " << cut;
  }
}

// What a pattern's body can begin with: a digit for the numeric patterns,
// a letter of "ssn"/"social" (either case) for the keyword one. Starts
// whose next byte is outside that are not handed to RE2.
TEST(DigitGate, BodiesSayWhatTheyBeginWith) {
  for (const CompiledPattern& p : test::DefaultRules()->patterns()) {
    if (p.expression.find("ssn") != std::string::npos) {
      EXPECT_EQ(p.first_lo, 'S') << p.expression;
      EXPECT_EQ(p.first_hi, 's') << p.expression;
    } else {
      EXPECT_EQ(p.first_lo, '0') << p.expression;
      EXPECT_LE(p.first_hi, ':') << p.expression;  // '9', or its successor
    }
  }
}

// A body that begins with a letter, at the stream's start and after a lead
// byte: the starts tried must be the right ones, whole and cut anywhere.
TEST(DigitGate, StartsAreFilteredByWhatTheBodyBeginsWith) {
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", R"(rules:
  - id: tagged
    validator: none
    boundary: number
    min_digits: 9
    digit_gap: 0
    patterns: ['X\d{9}']
    value_chars: '[0-9X]'
)"}}));
  ASSERT_EQ(rules->patterns()[0].first_lo, 'X');
  ASSERT_EQ(rules->patterns()[0].first_hi, 'X');
  auto ctx = std::move(ScanContext::Create(rules)).value();
  const std::string text = "X123456789 and a X987654321.";
  EXPECT_EQ(ReferenceScan(*rules, text).size(), 2u);
  Findings block;
  ASSERT_TRUE(ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &block));
  EXPECT_EQ(block, ReferenceScan(*rules, text));
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    ASSERT_EQ(test::StreamScan(*ctx, text, {cut}), block) << "cut at " << cut;
  }
}

TEST(DigitGate, GatedRulesFindWhatUngatedRulesFind) {
  auto ungated = UngatedDefaults();
  ASSERT_EQ(ungated->gated_db(), nullptr);
  ASSERT_TRUE(test::DefaultRules()->gated());
  auto ctx = std::move(ScanContext::Create(ungated)).value();
  test::CorpusGenerator gen(23);
  std::mt19937 rng(9);
  for (int round = 0; round < 30; ++round) {
    const std::string text = round % 2 ? gen.Text(5000) : gen.Dense(2500);
    Findings plain;
    ASSERT_TRUE(
        ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &plain));
    const Findings gated = test::Scan(text);
    ASSERT_EQ(gated, plain) << "round " << round;
    std::vector<size_t> cuts;
    for (size_t used = 0; used < text.size(); used += cuts.back()) cuts.push_back(rng() % 700);
    ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, cuts), plain) << "round " << round;
  }
}

// A value is reported by the Feed that brings the byte deciding it, never
// later: the packet path forwards a segment once its Feed returns.
TEST(DigitGate, ValueIsReportedByTheFeedThatDecidesIt) {
  ScanContext& ctx = test::DefaultContext();
  auto feed = [&](StreamScanner& s, const std::string& piece) {
    Findings f;
    EXPECT_TRUE(s.Feed(ctx, reinterpret_cast<const uint8_t*>(piece.data()), piece.size(), &f));
    return f.size();
  };
  {
    // Its trailing context is the piece's last byte: decided at once.
    auto s = std::move(StreamScanner::Open(ctx)).value();
    EXPECT_EQ(feed(s, "a=1&ssn=536-22-1457&"), 1u);
    EXPECT_EQ(feed(s, "b=2"), 0u);
  }
  {
    // The piece ends with the value: the next byte decides.
    auto s = std::move(StreamScanner::Open(ctx)).value();
    EXPECT_EQ(feed(s, "a=1&ssn=536-22-1457"), 0u);
    EXPECT_EQ(feed(s, "&b=2"), 1u);
  }
  {
    auto s = std::move(StreamScanner::Open(ctx)).value();
    EXPECT_EQ(feed(s, "a=1&ssn=536-22-1457"), 0u);
    EXPECT_EQ(feed(s, "9&b=2"), 0u);  // 536-22-14579 is no SSN
  }
  {
    // Or the end of the stream, probed or final.
    auto s = std::move(StreamScanner::Open(ctx)).value();
    EXPECT_EQ(feed(s, "card=4111111111111111"), 0u);
    Findings probe;
    ASSERT_TRUE(s.ProbeEnd(ctx, &probe));
    EXPECT_EQ(probe.size(), 1u);
    Findings fin;
    ASSERT_TRUE(s.Finish(ctx, &fin));
    EXPECT_EQ(fin.size(), 1u);
  }
  {
    // Decided in one Feed, not reported again by the end.
    auto s = std::move(StreamScanner::Open(ctx)).value();
    EXPECT_EQ(feed(s, "card=4111111111111111 "), 1u);
    Findings fin;
    ASSERT_TRUE(s.Finish(ctx, &fin));
    EXPECT_EQ(fin.size(), 0u);
  }
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// The blank lines the gate notes for CSV headers (ColumnTracker): every
// '\n' that ends a line "" or "\r" (the text's start is a line's start),
// but those followed by markup or a bracket; the same for each kernel,
// however the text is cut into feeds.
TEST(DigitGate, NotesTheBlankLinesAHeaderMayFollow) {
  std::mt19937 rng(20);
  const char alphabet[] = "\n\n\r\r<a b,1{";
  for (int round = 0; round < 300; ++round) {
    std::string text(1 + rng() % 700, 'x');
    for (char& c : text) c = alphabet[rng() % (sizeof alphabet - 1)];
    std::vector<uint64_t> want;
    for (size_t j = 0; j < text.size(); ++j) {
      if (text[j] != '\n') continue;
      const bool blank = j == 0 || text[j - 1] == '\n' || (j == 1 && text[0] == '\r') ||
                         (j >= 2 && text[j - 1] == '\r' && text[j - 2] == '\n');
      if (!blank) continue;
      const char next = j + 1 < text.size() ? text[j + 1] : 'x';
      if (next == '<' || next == ' ' || next == '\t' || next == '{' || next == '[' || next == '}' ||
          next == ']') {
        continue;
      }
      want.push_back(j);
    }
    for (const auto k :
         {DigitGate::Kernel::kPortable, DigitGate::Kernel::kSse2, DigitGate::Kernel::kAvx2}) {
      DigitGate gate(9, 40, 1);
      if (!gate.UseKernel(k)) continue;
      gate.set_track_blank_lines(true);
      // Cut into feeds; a blank line whose next byte is in the next feed
      // is noted (the tracker reads that byte itself).
      std::vector<uint64_t> cuts;
      for (size_t at = 0; at < text.size();) {
        const size_t len = std::min<size_t>(text.size() - at, 1 + rng() % 200);
        gate.Feed(reinterpret_cast<const uint8_t*>(text.data()) + at, len, at);
        at += len;
        cuts.push_back(at);
      }
      std::vector<uint64_t> got = gate.blank_line_ends();
      // Those noted only because their next byte lay beyond a feed.
      std::vector<uint64_t> got_filtered;
      for (uint64_t b : got) {
        const bool at_edge = std::find(cuts.begin(), cuts.end(), b + 1) != cuts.end();
        if (at_edge && !std::binary_search(want.begin(), want.end(), b)) continue;
        got_filtered.push_back(b);
      }
      ASSERT_EQ(got_filtered, want) << "round " << round << " kernel " << static_cast<int>(k);
    }
  }
}

}  // namespace
}  // namespace dlp
