// What the default rules find and, above all, what they must leave alone.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::RuleIds;
using test::Values;
using V = std::vector<std::string>;

TEST(SsnDetection, BothSeparatorsAndTheirBoundaries) {
  EXPECT_EQ(Values("ssn=536-22-1457&x"), V{"536-22-1457"});
  EXPECT_EQ(Values("536 22 1457"), V{"536 22 1457"});
  EXPECT_EQ(Values("(536-22-1457)"), V{"536-22-1457"});
  EXPECT_EQ(Values("a:536-22-1457\n"), V{"536-22-1457"});
  EXPECT_EQ(Values("536-22-1457,536-22-1458"), (V{"536-22-1457", "536-22-1458"}));
  EXPECT_EQ(Values("536-22-1457 536-22-1458"), (V{"536-22-1457", "536-22-1458"}));
  EXPECT_EQ(RuleIds("x 536-22-1457"), V{"us-ssn"});
}

TEST(SsnDetection, InsideLongerTokensIsNotAnSsn) {
  for (const char* s :
       {"1536-22-1457", "536-22-14571", "A536-22-1457", "536-22-1457b", "-536-22-1457",
        "536-22-1457-", "536-22 1457", "536 22-1457", "5362-2-1457", "536--22-1457"}) {
    EXPECT_TRUE(Values(s).empty()) << s;
  }
}

TEST(SsnDetection, InvalidRanges) {
  for (const char* s : {"000-22-1457", "666-22-1457", "900-22-1457", "950-22-1457", "999-22-1457",
                        "536-00-1457", "536-22-0000", "000 22 1457"}) {
    EXPECT_TRUE(Values(s).empty()) << s;
  }
}

TEST(SsnDetection, BareNineDigitsNeedAKeyword) {
  EXPECT_TRUE(Values("536221457").empty());
  EXPECT_TRUE(Values("order=536221457").empty());
  EXPECT_EQ(Values("ssn=536221457"), V{"536221457"});
  EXPECT_EQ(Values("SSN: 536221457"), V{"536221457"});
  EXPECT_EQ(Values("{\"ssn\":\"536221457\"}"), V{"536221457"});
  EXPECT_EQ(Values("Social Security Number: 536221457"), V{"536221457"});
  EXPECT_EQ(Values("social_security_no=536221457"), V{"536221457"});
  EXPECT_EQ(Values("SS# 536221457"), V{"536221457"});
  EXPECT_TRUE(Values("ssn=666221457").empty());    // still validated
  EXPECT_TRUE(Values("ssn=5362214570").empty());   // ten digits
  EXPECT_TRUE(Values("lessn=536221457").empty());  // keyword inside a word
}

TEST(PanDetection, ContiguousAndGrouped) {
  EXPECT_EQ(Values("card=4111111111111111&x"), V{"4111111111111111"});
  EXPECT_EQ(Values("4111 1111 1111 1111"), V{"4111 1111 1111 1111"});
  EXPECT_EQ(Values("4111-1111-1111-1111"), V{"4111-1111-1111-1111"});
  EXPECT_EQ(Values("3782 822463 10005"), V{"3782 822463 10005"});
  EXPECT_EQ(Values("\"5555555555554444\""), V{"5555555555554444"});
  EXPECT_EQ(RuleIds("4111111111111111"), V{"pan"});
}

TEST(PanDetection, EveryBrandIsFound) {
  for (const char* s :
       {"4222222222222", "4111111111111111", "4111111111111111110", "5105105105105100",
        "2223000048400011", "2720990000000007", "378282246310005", "341111111111111",
        "6011000990139424", "6445644564456445", "6221260000000000", "3566002020360505",
        "30569309025904", "36227206271667", "6200000000000005"}) {
    // A 13-, 14- or 17- to 19-digit number needs a card keyword (pan.yaml).
    const size_t n = strlen(s);
    std::string text = std::string(n == 15 || n == 16 ? "pay " : "card ") + s + ".";
    std::string digits = s;
    if (test::WithLuhnDigit(digits.substr(0, digits.size() - 1)) != digits) {
      ADD_FAILURE() << s << " is not Luhn-valid; fix the test";
      continue;
    }
    EXPECT_EQ(Values(text), V{s}) << s;
  }
}

TEST(PanDetection, LookAlikesAreLeftAlone) {
  for (const char* s : {
           "call 555-123-4567",                        // phone 3-3-4
           "call (555) 123-4567",                      //
           "zip 90210-1234",                           // ZIP+4
           "on 2026-11-22T10:00:00Z",                  // ISO date
           "from 192.168.100.200",                     // IPv4
           "id 550e8400-e29b-41d4-a716-446655440000",  // UUID
           "id 12345678-1234-5678-1234-567812345678",  // all-digit UUID
           "ts=1700000000000",                         // epoch milliseconds
           "ts=1732262400123",                         //
           "isbn 9783161484100",                       // ISBN-13
           "isbn 978-3-16-148410-0",                   //
           "n=41111111111111111111",                   // 20 digits: longer than any card
           "n=411111111111111100000000",               //
           "n=4111111111111112",                       // Luhn-invalid
           "n=1234567812345670",                       // Luhn-valid, no brand
           "n=9111111111111115",                       //
           "n=4111111111111113",                       //
           "n=4111 1111-1111 1111",                    // two kinds of separator
           "h=a4111111111111111",                      // inside a hex token
           "h=4111111111111111f",                      //
       }) {
    EXPECT_TRUE(Values(s).empty()) << s;
  }
}

TEST(PanDetection, NotInsideALongerDigitRunButNextToGroupsIsStillACard) {
  EXPECT_TRUE(Values("14111111111111111").empty());
  // A card followed by an expiry keeps being a card: treating the space as
  // part of a longer number would let it through.
  EXPECT_EQ(Values("4111 1111 1111 1111 12/28"), V{"4111 1111 1111 1111"});
}

// The digits after a decimal point are no card: a double in JSON prints up
// to 17 of them, and about 1 random double in 200 would otherwise pass Luhn
// and a brand's prefix, and be masked (corrupting the number).
TEST(PanDetection, TheFractionOfADecimalNumberIsNoCard) {
  for (const char* s : {"12.4111111111111111", "{\"cpu\":98.5105105105105100}",
                        "lat=0.4111 1111 1111 1111", "x=-3.4111111111111111e-05"}) {
    EXPECT_TRUE(Values(s).empty()) << s;
  }
  // A '.' that follows no digit is no decimal point.
  EXPECT_EQ(Values("ref no.4111111111111111"), V{"4111111111111111"});
  EXPECT_EQ(Values(".4111111111111111"), V{"4111111111111111"});
  EXPECT_EQ(Values("card 4111111111111111."), V{"4111111111111111"});

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> any(0, 1000);
  std::string json = "[";
  for (int i = 0; i < 20000; ++i) {
    char number[40];
    std::snprintf(number, sizeof number, "%.17g,", any(rng));
    json += number;
  }
  json += "0]";
  EXPECT_TRUE(Values(json).empty());
  // Cut anywhere, also between the '.' and the digits after it.
  std::vector<size_t> cuts;
  for (size_t at = 0; at < json.size(); at += 1 + rng() % 1500) cuts.push_back(1 + rng() % 1500);
  EXPECT_TRUE(test::StreamScan(test::DefaultContext(), json, cuts).empty());
}

TEST(Detection, ValuesAtStartAndEndOfInput) {
  EXPECT_EQ(Values("4111111111111111"), V{"4111111111111111"});
  EXPECT_EQ(Values("536-22-1457"), V{"536-22-1457"});
  EXPECT_EQ(Values("536-22-1457\n4111111111111111"), (V{"536-22-1457", "4111111111111111"}));
}

TEST(Detection, BinaryBytesAroundValuesAreBoundaries) {
  std::string s("\x00\xff", 2);
  s += "4111111111111111";
  s += std::string("\x80\x00", 2);
  EXPECT_EQ(Values(s), V{"4111111111111111"});
}

TEST(Detection, FindingCarriesOnlyTheDisplayForm) {
  auto f = test::Scan("ssn=536-22-1457 card=4111 1111 1111 1111");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].display_form(), "XXX-XX-1457");
  EXPECT_EQ(f[1].display_form(), "XXXX XXXX XXXX 1111");
  EXPECT_STREQ(f[1].detail, "visa");
}

}  // namespace
}  // namespace dlp
