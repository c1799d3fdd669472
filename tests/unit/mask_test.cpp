#include "dlpd/mask/mask.h"

#include <gtest/gtest.h>

#include <random>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/fingerprint.h"
#include "rules/boundary.h"
#include "rules/rule_loader.h"
#include "rules/validators.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

std::string Apply(MaskStyle style, std::string s) {
  MaskValue(style, reinterpret_cast<uint8_t*>(s.data()), s.size());
  return s;
}

TEST(Mask, Styles) {
  EXPECT_EQ(Apply(MaskStyle::kDigits, "536-22-1457"), "XXX-XX-XXXX");
  EXPECT_EQ(Apply(MaskStyle::kAll, "536-22-1457"), "XXXXXXXXXXX");
  EXPECT_EQ(Apply(MaskStyle::kKeepLast4, "536-22-1457"), "XXX-XX-1457");
  EXPECT_EQ(Apply(MaskStyle::kKeepLast4, "4111 1111 1111 1234"), "XXXX XXXX XXXX 1234");
  EXPECT_EQ(Apply(MaskStyle::kKeepLast4, "12"), "12");
}

TEST(Mask, DefaultRulesKeepLengthAndEveryOtherByte) {
  const std::string in = "ssn=536-22-1457&card=4111 1111 1111 1111";
  const std::string out = test::Mask(in);
  EXPECT_EQ(out, "ssn=XXX-XX-XXXX&card=XXXX XXXX XXXX XXXX");
  EXPECT_EQ(out.size(), in.size());
}

TEST(Mask, RuleChoosesStyle) {
  auto rules = CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", R"(rules:
  - id: all
    mask: all
    validator: us-ssn
    boundary: token
    patterns: ['\d{3}-\d{2}-\d{4}']
  - id: last4
    mask: keep-last-4
    validator: pan
    boundary: number
    patterns: ['\d{4}(?: \d{4}){3}']
)"}}));
  auto ctx = ScanContext::Create(rules);
  ASSERT_TRUE(ctx);
  std::string s = "a 536-22-1457 b 4111 1111 1111 1111 c";
  Findings f;
  ASSERT_TRUE(ScanBlock(**ctx, reinterpret_cast<const uint8_t*>(s.data()), s.size(), &f));
  MaskFindings(*rules, f.data(), f.size(), reinterpret_cast<uint8_t*>(s.data()), s.size(), 0);
  EXPECT_EQ(s, "a XXXXXXXXXXX b XXXX XXXX XXXX 1111 c");
}

TEST(Mask, PartialBufferMasksOnlyItsPart) {
  auto f = test::Scan("card=4111111111111111;");
  ASSERT_EQ(f.size(), 1u);
  // The buffer holds stream bytes [10, 16): "111111" of the card.
  std::string piece = "111111";
  EXPECT_EQ(MaskFindings(*test::DefaultRules(), f.data(), f.size(),
                         reinterpret_cast<uint8_t*>(piece.data()), piece.size(), 10),
            1u);
  EXPECT_EQ(piece, "XXXXXX");
  std::string after = ";abc";
  EXPECT_EQ(MaskFindings(*test::DefaultRules(), f.data(), f.size(),
                         reinterpret_cast<uint8_t*>(after.data()), after.size(), 21),
            0u);
  EXPECT_EQ(after, ";abc");
}

TEST(DisplayForm, NeverHoldsTheWholeValue) {
  EXPECT_EQ(DisplayForm("536221457"), "XXXXX1457");
  EXPECT_EQ(DisplayForm("4111-1111-1111-1111"), "XXXX-XXXX-XXXX-1111");
  Finding f;
  std::string longv(100, '7');
  SetDisplayForm(longv, &f);
  EXPECT_EQ(f.display_len, f.display.size());
  EXPECT_EQ(f.display_form().substr(0, 3), "...");
  EXPECT_EQ(f.display_form().substr(f.display_len - 5), "X7777");
}

// A value without escapes is masked byte by byte, one with an escape token
// by token: the same digits go either way (a "%20" put into a value, then
// read as the separator it stands for, leaves the masked digits as they
// were), at every length and count of digits kept.
TEST(DisplayForm, ValuesWithAndWithoutEscapesMaskTheSameDigits) {
  std::mt19937 rng(3);
  const std::string bytes = "0123456789 -+.x";
  for (int round = 0; round < 5000; ++round) {
    std::string plain;
    const size_t len = rng() % 24;
    for (size_t i = 0; i < len; ++i) plain += bytes[rng() % bytes.size()];
    const size_t keep = rng() % 6;
    std::string escaped = plain;
    for (size_t i = 0; i < escaped.size(); ++i) {
      if (escaped[i] == ' ') escaped.replace(i, 1, "%20");
    }
    MaskDigits(reinterpret_cast<uint8_t*>(plain.data()), plain.size(), keep);
    MaskDigits(reinterpret_cast<uint8_t*>(escaped.data()), escaped.size(), keep);
    for (size_t i = 0; i < escaped.size(); ++i) {
      if (escaped.compare(i, 3, "%20") == 0) escaped.replace(i, 3, " ");
    }
    ASSERT_EQ(plain, escaped) << "keep " << keep;
  }
  Finding f;
  SetDisplayForm("4111 1111 1111 1111", &f);
  EXPECT_EQ(f.display_form(), "XXXX XXXX XXXX 1111");
  SetDisplayForm("536-22-1457", &f);
  EXPECT_EQ(f.display_form(), "XXX-XX-1457");
  SetDisplayForm("1457", &f);
  EXPECT_EQ(f.display_form(), "1457");
}

// The verdict's display form, from the digit mask it read, is the byte
// loop's: at every length up to the field's, every count of digits, with
// digits after the value in the bytes it may read (none reaches the
// field) and bytes left in the field by a longer value before.
TEST(DisplayForm, FromTheDigitMaskAsByteByByte) {
  std::mt19937 rng(5);
  const std::string bytes = "0123456789 -+.x/";
  Finding reused;
  for (int round = 0; round < 20000; ++round) {
    std::string v;
    const size_t len = rng() % 49;
    for (size_t i = 0; i < len; ++i) v += bytes[rng() % bytes.size()];
    uint64_t digits = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      digits |= uint64_t{v[i] >= '0' && v[i] <= '9'} << i;
    }
    std::string padded = v + std::string(64, '7');
    Finding expected;
    SetDisplayForm(v, &expected);
    SetPlainDisplayForm(reinterpret_cast<const uint8_t*>(padded.data()), v.size(), digits, &reused);
    ASSERT_EQ(reused.display_form(), expected.display_form()) << v;
    for (size_t i = v.size(); i < reused.display.size(); ++i) ASSERT_EQ(reused.display[i], 0);
  }
  Finding f;
  const std::string card = "4111 1111 1111 1111" + std::string(48, '9');
  SetPlainDisplayForm(reinterpret_cast<const uint8_t*>(card.data()), 19, 0x7BDEF, &f);
  EXPECT_EQ(f.display_form(), "XXXX XXXX XXXX 1111");
}

// Form and URL encodings of a space: "+" and "%20" are separators, and the
// escape's hex digits are not the value's.
TEST(EncodedSeparators, ValidatorsReadTheValuesDigits) {
  EXPECT_TRUE(ValidatePan("4111+1111+1111+1111").valid);
  EXPECT_TRUE(ValidatePan("4111%201111%201111%201111").valid);
  EXPECT_FALSE(ValidatePan("4111%201111+1111%201111").valid);  // two kinds
  EXPECT_TRUE(ValidateUsSsn("536%2022%201457").valid);
  EXPECT_FALSE(ValidateUsSsn("536%2022 1457").valid);
  // "%2" without its second hex digit is no escape: its 2 is a digit.
  EXPECT_FALSE(ValidateUsSsn("536%22%1457").valid);
}

TEST(EncodedSeparators, MaskingKeepsTheEscapes) {
  std::string v = "4111%201111%201111%201111";
  MaskValue(MaskStyle::kDigits, reinterpret_cast<uint8_t*>(v.data()), v.size());
  EXPECT_EQ(v, "XXXX%20XXXX%20XXXX%20XXXX");
  v = "4111%201111%201111%201111";
  MaskValue(MaskStyle::kKeepLast4, reinterpret_cast<uint8_t*>(v.data()), v.size());
  EXPECT_EQ(v, "XXXX%20XXXX%20XXXX%201111");
  EXPECT_EQ(DisplayForm("536%2022%201457"), "XXX%20XX%201457");
  EXPECT_EQ(test::Mask("q=536+22+1457&c=5555%205555%205555%204444;"),
            "q=XXX+XX+XXXX&c=XXXX%20XXXX%20XXXX%20XXXX;");
}

TEST(EncodedSeparators, OneValueOneFingerprintHoweverWritten) {
  const Fingerprinter fp(std::vector<unsigned char>(32, 7));
  const std::string plain = fp.Of("4111111111111111");
  for (const char* form : {"4111 1111 1111 1111", "4111-1111-1111-1111", "4111+1111+1111+1111",
                           "4111%201111%201111%201111", "%34111%2D1111-1111-1111",
                           "%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31"}) {
    EXPECT_EQ(fp.Of(form), plain) << form;
  }
  EXPECT_NE(fp.Of("4111111111111112"), plain);
}

TEST(EncodedDigits, AreDigitsToTheValidatorMaskAndDisplay) {
  EXPECT_EQ(DisplayForm("%35%33%36-22-1457"), "%58%58%58-XX-1457");
  EXPECT_EQ(test::Mask("a=%35%33%36-22-1457&b=%34111111111111111;"),
            "a=%58%58%58-XX-XXXX&b=%58XXXXXXXXXXXXXXX;");
  // Hex digits of other escapes are not digits; a digit escape in a longer
  // number makes it no value.
  EXPECT_EQ(test::Mask("x=%2041111111111111111%20"), "x=%2041111111111111111%20");
  EXPECT_EQ(test::Mask("x=4111111111111111%31;"), "x=4111111111111111%31;");
}

// A '%' the application reads next to a value ends it, however the '%'
// was written; an escape encoded twice is read twice only to a digit or a
// space (found by a review: "%2541" read as 'A' glued the card to a word).
TEST(EncodedDigits, APercentReadNextToAValueEndsIt) {
  EXPECT_EQ(test::Mask("x=%254111111111111111"), "x=%25XXXXXXXXXXXXXXXX");
  EXPECT_EQ(test::Mask("x=%25536-22-1457"), "x=%25XXX-XX-XXXX");
  EXPECT_EQ(test::Mask("ssn=%25536221457"), "ssn=%25XXXXXXXXX");
  EXPECT_EQ(test::Mask("c=%25%254111111111111111"), "c=%25%25XXXXXXXXXXXXXXXX");
  EXPECT_EQ(test::Mask("card=4111111111111111%2541&x=1"), "card=XXXXXXXXXXXXXXXX%2541&x=1");
  EXPECT_EQ(test::Mask("ssn=536221457%2541"), "ssn=XXXXXXXXX%2541");
  EXPECT_EQ(test::Mask("ssn=536-22-1457%252D9"), "ssn=XXX-XX-XXXX%252D9");
  EXPECT_EQ(test::Mask("c=4111%E2%80%841111%E2%80%841111%E2%80%841111"),
            "c=XXXX%E2%80%84XXXX%E2%80%84XXXX%E2%80%84XXXX");
  // Not values: a price, an escaped percent sign.
  EXPECT_EQ(test::Mask("sale=50%2520off&c=%25&d=%252"), "sale=50%2520off&c=%25&d=%252");
}

}  // namespace
}  // namespace dlp
