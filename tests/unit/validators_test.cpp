#include "rules/validators.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/unit/test_support.h"

namespace dlp {
namespace {

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_FALSE(LuhnValid("41x1"));
}

TEST(Luhn, OddAndEvenLengthsAndStrayBytes) {
  // Two digits a step from the right: the leftover first digit of an odd
  // length counts undoubled, and a non-digit anywhere fails.
  EXPECT_TRUE(LuhnValid("0"));
  EXPECT_FALSE(LuhnValid("1"));
  EXPECT_TRUE(LuhnValid("18"));
  EXPECT_TRUE(LuhnValid("109"));
  EXPECT_FALSE(LuhnValid("1x9"));
  EXPECT_FALSE(LuhnValid("x09"));
  EXPECT_FALSE(LuhnValid("10:"));  // ':' - '0' is 10
  EXPECT_TRUE(LuhnValid("378282246310005"));
}

// LuhnValid takes two digits a step: the same answers as the textbook
// loop, for every length and for stray bytes anywhere.
TEST(Luhn, AsTheTextbookLoopAtEveryLength) {
  auto textbook = [](const std::string& s) {
    if (s.empty()) return false;
    unsigned sum = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[s.size() - 1 - i];
      if (c < '0' || c > '9') return false;
      unsigned d = static_cast<unsigned>(c - '0');
      if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return sum % 10 == 0;
  };
  std::mt19937 rng(3);
  size_t valid = 0;
  for (int i = 0; i < 300000; ++i) {
    std::string s(rng() % 41, '0');
    for (char& c : s) c = static_cast<char>('0' + rng() % 10);
    if (!s.empty() && rng() % 8 == 0) {
      static const char kStray[] = {'/', ':', ' ', 'a', '\0', '\x80', '\xff', '-'};
      s[rng() % s.size()] = kStray[rng() % 8];
    }
    const bool want = textbook(s);
    valid += want;
    ASSERT_EQ(LuhnValid(s), want) << s;
  }
  EXPECT_GT(valid, 20000u);
}

TEST(Luhn, EverySingleDigitErrorIsCaught) {
  const std::string good = "4539578763621486";
  ASSERT_TRUE(LuhnValid(good));
  for (size_t i = 0; i < good.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == good[i]) continue;
      std::string bad = good;
      bad[i] = d;
      EXPECT_FALSE(LuhnValid(bad)) << "position " << i;
    }
  }
}

struct BrandCase {
  const char* prefix;
  size_t length;
  const char* brand;  // nullptr: no brand
};

class CardBrandTest : public ::testing::TestWithParam<BrandCase> {};

TEST_P(CardBrandTest, PrefixAndLength) {
  const BrandCase& c = GetParam();
  std::string body = c.prefix;
  while (body.size() < c.length - 1) body += '0';
  std::string number = test::WithLuhnDigit(body);
  ASSERT_EQ(number.size(), c.length);
  const char* brand = CardBrand(number);
  if (c.brand == nullptr) {
    EXPECT_EQ(brand, nullptr) << number;
    EXPECT_FALSE(ValidatePan(number).valid) << number;
  } else {
    ASSERT_NE(brand, nullptr) << number;
    EXPECT_STREQ(brand, c.brand) << number;
    EXPECT_TRUE(ValidatePan(number).valid) << number;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Brands, CardBrandTest,
    ::testing::Values(BrandCase{"4", 13, "visa"}, BrandCase{"4", 16, "visa"},
                      BrandCase{"4", 19, "visa"}, BrandCase{"4", 15, nullptr},
                      BrandCase{"51", 16, "mastercard"}, BrandCase{"55", 16, "mastercard"},
                      BrandCase{"56", 16, nullptr}, BrandCase{"50", 16, nullptr},
                      BrandCase{"2221", 16, "mastercard"}, BrandCase{"2720", 16, "mastercard"},
                      BrandCase{"2220", 16, nullptr}, BrandCase{"2721", 16, nullptr},
                      BrandCase{"55", 19, nullptr}, BrandCase{"34", 15, "amex"},
                      BrandCase{"37", 15, "amex"}, BrandCase{"34", 16, nullptr},
                      BrandCase{"35", 15, nullptr}, BrandCase{"6011", 16, "discover"},
                      BrandCase{"6011", 19, "discover"}, BrandCase{"644", 16, "discover"},
                      BrandCase{"649", 16, "discover"}, BrandCase{"65", 16, "discover"},
                      BrandCase{"622126", 16, "discover"}, BrandCase{"622925", 16, "discover"},
                      BrandCase{"3528", 16, "jcb"}, BrandCase{"3589", 19, "jcb"},
                      BrandCase{"3527", 16, nullptr}, BrandCase{"300", 14, "diners"},
                      BrandCase{"305", 14, "diners"}, BrandCase{"36", 14, "diners"},
                      BrandCase{"38", 16, "diners"}, BrandCase{"3095", 14, "diners"},
                      BrandCase{"306", 14, nullptr}, BrandCase{"62", 16, "unionpay"},
                      BrandCase{"6212", 19, "unionpay"}, BrandCase{"1", 16, nullptr},
                      BrandCase{"9", 16, nullptr}, BrandCase{"7", 16, nullptr}),
    [](const ::testing::TestParamInfo<BrandCase>& info) {
      return std::string(info.param.brand ? info.param.brand : "none") + "_" + info.param.prefix +
             "_" + std::to_string(info.param.length) + "_" + std::to_string(info.index);
    });

// The shaped walk hands a value's digits alone (its separators one kind):
// each built-in judges them as it judges the value.
TEST(Validators, FromDigitsAsFromTheValue) {
  std::vector<std::string> values;
  for (const char* v : {"4111111111111111",
                        "4111 1111 1111 1111",
                        "4111-1111-1111-1111",
                        "4111111111111112",
                        "378282246310005",
                        "3782 822463 10005",
                        "6011111111111117",
                        "5555555555554444",
                        "2221000000000009",
                        "4111111111111111110",
                        "41111111111111111111",
                        "411111111111",
                        "0",
                        "536-22-1457",
                        "536221457",
                        "000-22-1457",
                        "666-22-1457",
                        "900-22-1457",
                        "536-00-1457",
                        "536-22-0000",
                        "5362214571",
                        "53622145",
                        "12"}) {
    values.emplace_back(v);
  }
  for (uint64_t n = 1000000000000ULL; n < 1000000000000ULL + 2000; n += 7) {
    values.push_back("4" + std::to_string(n) + "12");  // 16 digits, Luhn or not
    values.push_back(std::to_string(n % 1000000000ULL));
  }
  for (const std::string& name : Validator::Names()) {
    const Validator v = *Validator::Named(name);
    ASSERT_TRUE(v.takes_digits()) << name;
    for (const std::string& value : values) {
      std::string digits;
      for (char c : value) {
        if (c >= '0' && c <= '9') digits += c;
      }
      const Validation a = v(value);
      const Validation b = v.OfDigits(digits);
      EXPECT_EQ(a.valid, b.valid) << name << " " << value;
      if (!a.valid || !b.valid) continue;
      EXPECT_STREQ(a.detail, b.detail) << name << " " << value;
      EXPECT_EQ(a.needs_context, b.needs_context) << name << " " << value;
    }
  }
}

// The walk tries a number that stands alone only if its validator may take
// a number of its length that begins so: never false for a valid one.
TEST(Validators, MayBeOfLengthNeverTurnsAwayAValidValue) {
  std::mt19937_64 rng(21);
  std::vector<Validator> validators;
  for (const std::string& name : Validator::Names()) validators.push_back(*Validator::Named(name));
  ChecksumSpec spec;
  spec.kind = ChecksumSpec::Kind::kLuhn;
  spec.min_len = 10;
  spec.max_len = 14;
  PrefixRange range;
  range.lo = 77;
  range.hi = 79;
  range.digits = 2;
  range.min_len = 12;
  range.max_len = 12;
  spec.prefixes.push_back(range);
  validators.push_back(Validator::Of(spec));
  size_t valid = 0;
  for (int i = 0; i < 400000; ++i) {
    // Card-like beginnings often, any digits otherwise.
    const size_t n = 9 + rng() % 11;
    std::string d;
    for (size_t k = 0; k < n; ++k) d += static_cast<char>('0' + rng() % 10);
    if (i % 2 == 0) {
      static const char* kBegins[] = {"4",  "51", "22", "34", "37", "30", "36", "60",
                                      "65", "62", "35", "50", "67", "77", "78", "9792"};
      const std::string b = kBegins[rng() % 16];
      d.replace(0, b.size(), b);
    }
    for (const Validator& v : validators) {
      if (!v(d).valid) continue;
      ++valid;
      EXPECT_TRUE(v.MayBeOfLength(d.substr(0, 2), static_cast<unsigned>(n)))
          << v.name() << " " << d;
      EXPECT_TRUE(v.MayBeOfLength(d.substr(0, 1), static_cast<unsigned>(n)))
          << v.name() << " " << d;
    }
  }
  EXPECT_GT(valid, 10000u);
  const Validator pan = *Validator::Named("pan");
  EXPECT_FALSE(pan.MayBeOfLength("17", 13));  // an epoch-millisecond timestamp
  EXPECT_TRUE(pan.MayBeOfLength("41", 13));   // a Visa of 13 digits
  EXPECT_FALSE(pan.MayBeOfLength("41", 14));  // no Visa has 14
  EXPECT_TRUE(pan.MayBeOfLength("36", 14));   // a Diners Club
  EXPECT_FALSE(pan.MayBeOfLength("41", 12));
  const Validator ssn = *Validator::Named("us-ssn");
  EXPECT_TRUE(ssn.MayBeOfLength("53", 9));
  EXPECT_FALSE(ssn.MayBeOfLength("53", 10));
  EXPECT_FALSE(ssn.MayBeOfLength("90", 9));
}

TEST(PanValidator, SeparatorsMustBeOneKind) {
  EXPECT_TRUE(ValidatePan("4111 1111 1111 1111").valid);
  EXPECT_TRUE(ValidatePan("4111-1111-1111-1111").valid);
  EXPECT_FALSE(ValidatePan("4111 1111-1111 1111").valid);
  EXPECT_STREQ(ValidatePan("4111-1111-1111-1111").detail, "visa");
  // An escape is one token: %20 one separator, %34 the digit 4; the first
  // '%' hands the whole value to the token reader.
  EXPECT_TRUE(ValidatePan("4111%201111%201111%201111").valid);
  EXPECT_TRUE(ValidatePan("%34111+1111+1111+1111").valid);
  EXPECT_FALSE(ValidatePan("4111%201111+1111%201111").valid);
  EXPECT_FALSE(ValidatePan("4111 1111 1111%2D1111").valid);
  EXPECT_FALSE(ValidatePan("41111111111111111111").valid);  // more digits than a card
  EXPECT_TRUE(ValidateUsSsn("536-22-1457").valid);
  EXPECT_FALSE(ValidateUsSsn("536-22 1457").valid);
  EXPECT_FALSE(ValidateUsSsn("5362214570").valid);
  EXPECT_FALSE(ValidateUsSsn(std::string_view("536\0"
                                              "22-1457",
                                              11))
                   .valid);
}

TEST(PanValidator, LengthBounds) {
  EXPECT_FALSE(ValidatePan(test::WithLuhnDigit("41111111111")).valid);          // 12 digits
  EXPECT_FALSE(ValidatePan(test::WithLuhnDigit("4111111111111111111")).valid);  // 20 digits
}

TEST(SsnValidator, Ranges) {
  EXPECT_TRUE(ValidateUsSsn("536-22-1457").valid);
  EXPECT_TRUE(ValidateUsSsn("001-01-0001").valid);
  EXPECT_TRUE(ValidateUsSsn("899-99-9999").valid);
  EXPECT_TRUE(ValidateUsSsn("665 99 9999").valid);
  EXPECT_TRUE(ValidateUsSsn("667221457").valid);
  EXPECT_FALSE(ValidateUsSsn("000-22-1457").valid);
  EXPECT_FALSE(ValidateUsSsn("666-22-1457").valid);
  for (int area = 900; area <= 999; area += 11) {
    EXPECT_FALSE(ValidateUsSsn(std::to_string(area) + "-22-1457").valid) << area;
  }
  EXPECT_FALSE(ValidateUsSsn("536-00-1457").valid);
  EXPECT_FALSE(ValidateUsSsn("536-22-0000").valid);
  EXPECT_FALSE(ValidateUsSsn("536-22 1457").valid);
  EXPECT_FALSE(ValidateUsSsn("53622145").valid);
}

TEST(ValidatorRegistry, KnowsItsNames) {
  EXPECT_TRUE(Validator::Named("pan").has_value());
  EXPECT_TRUE(Validator::Named("us-ssn").has_value());
  EXPECT_TRUE(Validator::Named("luhn").has_value());
  EXPECT_TRUE(Validator::Named("none").has_value());
  EXPECT_FALSE(Validator::Named("crc32").has_value());
}

}  // namespace
}  // namespace dlp
