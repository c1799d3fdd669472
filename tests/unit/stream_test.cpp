// The stream scanner must find exactly what the block scanner finds, however
// the input is cut: a value split across packets is the leak this project
// exists to close.
#include <gtest/gtest.h>

#include "dlpd/http/char_decoder.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/wire_findings.h"
#include "dlpd/mask/stream_redactor.h"
#include "rules/rule_loader.h"
#include "tests/unit/corpus.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::DefaultContext;
using test::Scan;
using test::StreamScan;

TEST(StreamScan, EveryTwoWayCut) {
  const std::string text =
      "a=1&ssn=536-22-1457&card=4111 1111 1111 1111&b=2&ssn=536221457 x 5555555555554444";
  const Findings block = Scan(text);
  ASSERT_EQ(block.size(), 4u);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(StreamScan(DefaultContext(), text, {cut}), block) << "cut at " << cut;
  }
}

// Found by an adversarial review: two values that begin at one place
// (a card and the same card printed with three digits more) both wait for
// what follows, and both are judged by it; and a blank line that ends a
// piece heads a table only if the next piece's first byte says so, as in
// one piece.
TEST(StreamScan, WaitingValuesThatShareAStartAndBlankLinesAtAnEdge) {
  for (const std::string text :
       {"4111 1111 1111 1111 110 6", "4111 1111 1111 1111 110 6 x", "8149-7290-4008-1191-59-5",
        "3036+473336+5070+34+9", "id|\n\n<\n5555555555554444", ";order\n\n<;3782 822463 10005",
        ",socSec\n\n ssn_123456789", "id|\n\n<\n4111 1111 1111 1111"}) {
    const Findings block = Scan(text);
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      EXPECT_EQ(StreamScan(DefaultContext(), text, {cut}), block)
          << "cut at " << cut << " in " << text;
    }
  }
  EXPECT_EQ(Scan("4111 1111 1111 1111 110 6").size(), 2u);
  EXPECT_EQ(Scan("id|\n\n<\n5555555555554444").size(), 0u);
}

TEST(StreamScan, EveryThreeWayCut) {
  const std::string text = "x=536-22-1457&c=378282246310005;";
  const Findings block = Scan(text);
  ASSERT_EQ(block.size(), 2u);
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = 0; a + b <= text.size(); ++b) {
      ASSERT_EQ(StreamScan(DefaultContext(), text, {a, b}), block) << a << "," << b;
    }
  }
}

// Percent-encoded values, read through the normalizer as the daemon reads
// a stream: found whole however they are cut (an escape cut by a piece's
// edge waits in the normalizer), as the block scan finds them.
TEST(StreamScan, EveryTwoWayCutOfEncodedValues) {
  const std::string text =
      "q=%27%27%27%27%27%27%27%27card%3A%20%34%31%31%31%20%31%31%31%31%20%31%31%31%31%20"
      "%31%31%31%31%20ok&ssn%3D%35%33%36-%32%32-%31%34%35%37&x=%2D%2D%2D%2D%2D%2D";
  const Findings block = test::DecodedScan(text);
  ASSERT_EQ(block.size(), 2u);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(test::DecodedStreamScan(text, {cut}), block) << "cut at " << cut;
  }
  for (size_t a = 0; a <= text.size(); a += 7) {
    for (size_t b = 0; a + b <= text.size(); b += 5) {
      ASSERT_EQ(test::DecodedStreamScan(text, {a, b}), block) << a << "," << b;
    }
  }
}

// One escape in a value (a digit, once and twice encoded), cut anywhere.
TEST(StreamScan, EveryCutOfAValueWithOneEscape) {
  for (const char* value :
       {" ssn %3536-22-1457 ", " 4111 1111 1111 %31111 ", " 4111%25201111%201111 1111 "}) {
    const std::string text = std::string(300, 'a') + value + std::string(300, 'b');
    const Findings block = test::DecodedScan(text);
    ASSERT_EQ(block.size(), 1u) << value;
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      EXPECT_EQ(test::DecodedStreamScan(text, {cut}), block) << value << " cut at " << cut;
    }
  }
}

TEST(StreamScan, OneByteAtATime) {
  test::CorpusGenerator gen(7);
  const std::string text = gen.Text(8000);
  const Findings block = test::DecodedScan(text);
  ASSERT_GT(block.size(), 10u);
  std::vector<size_t> ones(text.size(), 1);
  EXPECT_EQ(test::DecodedStreamScan(text, ones), block);
}

TEST(StreamScan, RandomCutsOnGeneratedText) {
  test::CorpusGenerator gen(11);
  std::mt19937 rng(3);
  for (int round = 0; round < 40; ++round) {
    const std::string text = round % 2 ? gen.Text(6000) : gen.Dense(3000);
    const Findings block = Scan(text);
    std::vector<size_t> cuts;
    for (size_t used = 0; used < text.size();) {
      size_t n = std::uniform_int_distribution<size_t>(0, 1500)(rng);
      cuts.push_back(n);
      used += n;
    }
    ASSERT_EQ(StreamScan(DefaultContext(), text, cuts), block) << "round " << round;
  }
}

TEST(StreamRedactor, SameBytesAsBlockMaskingForAnyChunking) {
  test::CorpusGenerator gen(5);
  std::mt19937 rng(9);
  for (int round = 0; round < 30; ++round) {
    const std::string text = gen.Text(20000);
    const std::string expected = test::Mask(text);
    ASSERT_NE(expected, text);
    auto red = StreamRedactor::Open(DefaultContext());
    ASSERT_TRUE(red);
    std::string out;
    Findings found;
    for (size_t pos = 0; pos < text.size();) {
      size_t n = std::min(text.size() - pos, std::uniform_int_distribution<size_t>(1, 3000)(rng));
      ASSERT_TRUE(red->Feed(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()) + pos,
                            n, &out, &found));
      pos += n;
      // Everything but the held tail has been released: the widest value's
      // characters, each at most kMaxEncodedChar wire bytes.
      EXPECT_GE(out.size() + kMaxEncodedChar * DefaultContext().rules().max_width(), pos);
    }
    ASSERT_TRUE(red->Finish(DefaultContext(), &out, &found));
    ASSERT_EQ(out.size(), text.size());
    size_t d = 0;
    while (d < out.size() && out[d] == expected[d]) ++d;
    EXPECT_EQ(d, out.size()) << "round " << round << " text "
                             << text.substr(d > 60 ? d - 60 : 0, 120) << "\n out "
                             << out.substr(d > 60 ? d - 60 : 0, 120) << "\n want "
                             << expected.substr(d > 60 ? d - 60 : 0, 120);
    Findings decoded;
    WireUnits units;
    ASSERT_TRUE(ScanDecodedBlock(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()),
                                 text.size(), &decoded, &units));
    EXPECT_EQ(found.size(), decoded.size());
  }
}

TEST(StreamScan, MemoryPerStreamIsSmall) {
  auto s = StreamScanner::Open(DefaultContext());
  ASSERT_TRUE(s);
  EXPECT_LT(DefaultContext().rules().stream_state_size(), 4096u);
  EXPECT_LE(DefaultContext().rules().max_width(), kMaxPatternWidth);
}

}  // namespace
}  // namespace dlp
