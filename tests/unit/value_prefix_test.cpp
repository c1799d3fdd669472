// Which runs at a stream's end may begin a value (rules/value_prefix.h): the
// judgement that decides what the gateway holds back. Its one safety rule:
// it never says "no" for bytes that begin a value the rest of the stream
// completes (or that value's first part leaves in clear). Checked on every
// cut of generated text; the examples pin down what it rules out.
#include "rules/value_prefix.h"

#include <gtest/gtest.h>

#include <string>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/value_context.h"
#include "tests/unit/corpus.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using Start = ValuePrefixes::Start;
constexpr size_t kNone = std::string_view::npos;

class ValuePrefixTest : public ::testing::Test {
 protected:
  size_t From(std::string_view text, Start start = Start::kStreamStart) {
    return rules_->prefixes().OpenValueFrom(text, start, scratch_, &context_);
  }
  // As a stream without CSV tables judges a bare number's keyword.
  static bool HasKeyword(const void* rules, uint32_t rule, std::string_view text, size_t at) {
    return HasContext(*static_cast<const CompiledRuleset*>(rules), rule, text, at, 0, nullptr);
  }
  std::shared_ptr<const CompiledRuleset> rules_ = test::DefaultRules();
  ValuePrefixes::Scratch scratch_;
  ValuePrefixes::ContextCheck context_{&HasKeyword, rules_.get()};
};

TEST_F(ValuePrefixTest, NumbersNoValueCanBeginAreNotOpen) {
  EXPECT_EQ(From("id=1771"), kNone);  // no brand begins with 1; an SSN has a separator
  EXPECT_EQ(From("ts=1700000000000"), kNone);
  EXPECT_EQ(From("ref=91"), kNone);  // no brand (Troy is 9792), and no SSN area is 9xx
  EXPECT_EQ(From("qty=73622"), kNone);
  EXPECT_EQ(From("zip=0213"), kNone);
  EXPECT_EQ(From("id=000-"), kNone);                    // area 000
  EXPECT_EQ(From("id=666-1"), kNone);                   // area 666
  EXPECT_EQ(From("x=536-00"), kNone);                   // group 00
  EXPECT_EQ(From("cpu=12.4111"), kNone);                // the fraction of a decimal number
  EXPECT_EQ(From("a=4111-1111 91"), kNone);             // two kinds of separator
  EXPECT_EQ(From("x4111"), kNone);                      // inside a longer token
  EXPECT_EQ(From("tag=abc "), kNone);                   // no digit
  EXPECT_EQ(From("536-22-1457,"), kNone);               // ended: judged, nothing open
  EXPECT_EQ(From("4111 1111 1111 1111 1111 "), kNone);  // 20 digits
}

TEST_F(ValuePrefixTest, BeginningsOfValuesAreOpenFromTheirFirstDigit) {
  EXPECT_EQ(From("id=1"), 3u);  // 1xx-xx-xxxx
  EXPECT_EQ(From("id=177"), 3u);
  EXPECT_EQ(From("id=177-1"), 3u);
  EXPECT_EQ(From("card=4"), 5u);
  EXPECT_EQ(From("card=4111 1111 1"), 5u);
  EXPECT_EQ(From("n=5362"), 2u);  // Mastercard 51-55
  EXPECT_EQ(From("n=2720"), 2u);  // Mastercard 2221-2720
  EXPECT_EQ(From("n=6011 0009 9"), 2u);
  EXPECT_EQ(From("ssn=53622"), 4u);  // nine bare digits after a keyword
  EXPECT_EQ(From("SSN: 5"), 5u);
  EXPECT_EQ(From("ssn=536-22-1457"), 4u);   // complete, but the next byte decides
  EXPECT_EQ(From("4111111111111111"), 0u);  // 16 digits: 19 is a Visa too
  // The earliest value that may begin, not the run's first byte.
  EXPECT_EQ(From("x=1771 4111"), 7u);
  // The text is decoded (an escape cut short waits in the normalizer): a
  // '%' here is punctuation, which ends a run of value bytes.
  EXPECT_EQ(From("c=4111 1111%"), kNone);
  EXPECT_EQ(From("c=4111%4111"), 7u);
}

// What a stalled sender's copy may show (HoldQueue, withheld tails): every
// value that may begin holds no more digits than a truncated display of its
// kind (a card's first six, an SSN's area).
TEST_F(ValuePrefixTest, WithinShownDigitsJudgesEachValueThatMayBeginOnItsOwn) {
  auto within = [&](std::string_view text) {
    return rules_->prefixes().WithinShownDigits(text, Start::kStreamStart, scratch_, &context_);
  };
  EXPECT_TRUE(within("card=4111 11"));  // six: a card's first six
  EXPECT_FALSE(within("card=4111 111"));
  EXPECT_TRUE(within("card=4111 1"));  // a card's five; the SSN "1..." one digit
  EXPECT_TRUE(within("id=177"));       // an SSN's area
  EXPECT_FALSE(within("id=177-1"));
  EXPECT_TRUE(within("n=5362"));   // a card's four (an SSN has a separator after 536)
  EXPECT_TRUE(within("id=1771"));  // nothing may begin
  EXPECT_FALSE(within("ssn=5362"));
}

TEST_F(ValuePrefixTest, WhereTheTextStartsDecidesWhatLiesBeforeIt) {
  EXPECT_EQ(From("4111", Start::kStreamStart), 0u);
  EXPECT_EQ(From("4111", Start::kInside), kNone);  // a byte before it, unseen, may be a digit
  // Picked up mid-stream: its first bytes may go on from a value before them.
  EXPECT_EQ(From("22-1457", Start::kStreamStart), kNone);
  EXPECT_EQ(From("22-1457", Start::kPickedUp), 0u);
}

// For every cut of generated text (values, look-alikes, escapes, dense
// digits), every value the whole text holds that the cut splits begins at
// or after where the judgement says the open run begins.
TEST_F(ValuePrefixTest, NeverClosesAValueTheRestCompletes) {
  auto ctx = std::move(ScanContext::Create(rules_)).value();
  const size_t keep = rules_->max_width() + 1;
  size_t cuts = 0;
  size_t in_runs = 0;
  size_t ruled_out = 0;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    test::CorpusGenerator gen(seed);
    const std::string text = seed % 2 == 0 ? gen.Text(4000) : gen.Dense(4000);
    Findings found;
    ASSERT_TRUE(
        ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &found));
    for (size_t cut = 1; cut < text.size(); ++cut) {
      const size_t from_byte = cut > keep ? cut - keep : 0;
      const std::string_view tail(text.data() + from_byte, cut - from_byte);
      const size_t open = From(tail, from_byte == 0 ? Start::kStreamStart : Start::kInside);
      const uint64_t open_at = open == kNone ? cut : from_byte + open;
      for (const Finding& x : found) {
        if (x.start < cut && cut < x.end) {
          ASSERT_LE(open_at, x.start)
              << "seed " << seed << " cut " << cut << ": '" << text.substr(x.start, x.end - x.start)
              << "' split as '" << text.substr(from_byte, cut - from_byte) << "'";
        }
      }
      ++cuts;
      if (rules_->is_value_byte(static_cast<uint8_t>(text[cut - 1])) &&
          std::isdigit(static_cast<unsigned char>(text[cut - 1]))) {
        ++in_runs;
        ruled_out += open == kNone;
      }
    }
  }
  // Not a target, a sanity check that the judgement does rule out numbers.
  EXPECT_GT(ruled_out, 0u);
  std::printf("cuts %zu, after a digit %zu, of which no value can begin %zu\n", cuts, in_runs,
              ruled_out);
}

}  // namespace
}  // namespace dlp
