#include "rules/validators.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "rules/value_text.h"

namespace dlp {
namespace {

constexpr size_t kMaxPanDigits = 19;

// Copies the digits of `value` into `out`; returns how many, or SIZE_MAX when
// there are more than `out` can hold.
template <size_t N>
size_t CollectDigits(std::string_view value, std::array<char, N>& out) {
  size_t n = 0;
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    if (!digit) return;
    if (n == N || n == SIZE_MAX) {
      n = SIZE_MAX;
      return;
    }
    out[n++] = TokenDigit(t);
  });
  return n;
}

// True if every separator in `value` is the same ("4111 1111-1111 1111" is
// not a card); an escape like %20 counts as one separator.
bool OneKindOfSeparator(std::string_view value) {
  std::string_view sep;
  bool ok = true;
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    if (digit) return;
    if (sep.empty()) sep = t;
    if (t != sep) ok = false;
  });
  return ok;
}

uint32_t PrefixValue(std::string_view digits, size_t len) {
  uint32_t v = 0;
  for (size_t i = 0; i < len && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

struct BrandRule {
  const char* brand;
  uint8_t prefix_len;
  uint32_t lo, hi;  // inclusive range of the first prefix_len digits
  uint8_t min_len, max_len;
};

// Issuer ranges as published by the networks (IIN tables). Longest prefixes
// first so that e.g. Discover's 622126-622925 wins over UnionPay's 62.
constexpr std::array<BrandRule, 14> kBrands{{
    {"discover", 6, 622126, 622925, 16, 19},
    {"discover", 4, 6011, 6011, 16, 19},
    {"mastercard", 4, 2221, 2720, 16, 16},
    {"jcb", 4, 3528, 3589, 16, 19},
    {"diners", 4, 3095, 3095, 14, 19},
    {"discover", 3, 644, 649, 16, 19},
    {"diners", 3, 300, 305, 14, 19},
    {"mastercard", 2, 51, 55, 16, 16},
    {"amex", 2, 34, 34, 15, 15},
    {"amex", 2, 37, 37, 15, 15},
    {"diners", 2, 36, 36, 14, 19},
    {"diners", 2, 38, 39, 14, 19},
    {"discover", 2, 65, 65, 16, 19},
    {"unionpay", 2, 62, 62, 16, 19},
}};

Validation ValidateLuhnOnly(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  size_t n = CollectDigits(value, d);
  if (n == SIZE_MAX || n < 2) return {};
  return {LuhnValid(std::string_view(d.data(), n)), ""};
}

Validation ValidateNone(std::string_view) {
  return {true, ""};
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

const char* CardBrand(std::string_view digits) {
  if (digits.size() == 13 || digits.size() == 16 || digits.size() == 19) {
    if (digits[0] == '4') return "visa";
  }
  for (const auto& b : kBrands) {
    if (digits.size() < b.min_len || digits.size() > b.max_len) continue;
    uint32_t p = PrefixValue(digits, b.prefix_len);
    if (p >= b.lo && p <= b.hi) return b.brand;
  }
  return nullptr;
}

Validation ValidatePan(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  size_t n = CollectDigits(value, d);
  if (n == SIZE_MAX || n < 13) return {};
  std::string_view digits(d.data(), n);
  if (!OneKindOfSeparator(value)) return {};
  const char* brand = CardBrand(digits);
  if (brand == nullptr || !LuhnValid(digits)) return {};
  return {true, brand};
}

Validation ValidateUsSsn(std::string_view value) {
  std::array<char, 9> d{};
  size_t n = CollectDigits(value, d);
  if (n != 9) return {};
  if (!OneKindOfSeparator(value)) return {};
  std::string_view digits(d.data(), n);
  uint32_t area = PrefixValue(digits, 3);
  uint32_t group = PrefixValue(digits.substr(3), 2);
  uint32_t serial = PrefixValue(digits.substr(5), 4);
  if (area == 0 || area == 666 || area >= 900) return {};
  if (group == 0 || serial == 0) return {};
  return {true, ""};
}

bool PanMayBegin(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  const size_t n = CollectDigits(value, d);
  if (n == SIZE_MAX || !OneKindOfSeparator(value)) return false;
  if (n == 0 || d[0] == '4') return true;  // Visa: any length 13-19
  const std::string_view digits(d.data(), n);
  for (const auto& b : kBrands) {
    if (n > b.max_len) continue;
    // The numbers of prefix_len digits that begin with the digits so far.
    const size_t known = std::min<size_t>(n, b.prefix_len);
    uint32_t lo = PrefixValue(digits, known);
    uint32_t hi = lo;
    for (size_t i = known; i < b.prefix_len; ++i) {
      lo = lo * 10;
      hi = hi * 10 + 9;
    }
    if (hi >= b.lo && lo <= b.hi) return true;
  }
  return false;
}

bool UsSsnMayBegin(std::string_view value) {
  std::array<char, 9> d{};
  const size_t n = CollectDigits(value, d);
  if (n == SIZE_MAX || !OneKindOfSeparator(value)) return false;
  if (n == 0) return true;
  const std::string_view digits(d.data(), n);
  if (digits[0] == '9') return false;  // area 900-999
  if (n >= 3) {
    const uint32_t area = PrefixValue(digits, 3);
    if (area == 0 || area == 666) return false;
  }
  if (n >= 5 && PrefixValue(digits.substr(3), 2) == 0) return false;
  return n < 9 || PrefixValue(digits.substr(5), 4) != 0;
}

namespace {
bool AnyBeginning(std::string_view) {
  return true;
}

struct NamedValidator {
  const char* name;
  ValidatorFn fn;
  PrefixFn may_begin;
  unsigned shown_leading_digits;
};
constexpr std::array<NamedValidator, 4> kValidators{{
    {"none", ValidateNone, AnyBeginning, 0},
    {"luhn", ValidateLuhnOnly, AnyBeginning, 0},
    {"pan", ValidatePan, PanMayBegin, 6},
    {"us-ssn", ValidateUsSsn, UsSsnMayBegin, 3},
}};
}  // namespace

ValidatorFn FindValidator(std::string_view name) {
  for (const auto& v : kValidators) {
    if (name == v.name) return v.fn;
  }
  return nullptr;
}

unsigned ShownLeadingDigits(std::string_view name) {
  for (const auto& v : kValidators) {
    if (name == v.name) return v.shown_leading_digits;
  }
  return 0;
}

PrefixFn FindPrefixCheck(std::string_view name) {
  for (const auto& v : kValidators) {
    if (name == v.name) return v.may_begin;
  }
  return nullptr;
}

std::vector<std::string> ValidatorNames() {
  std::vector<std::string> out;
  for (const auto& v : kValidators) out.emplace_back(v.name);
  return out;
}

}  // namespace dlp
