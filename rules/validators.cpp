#include "rules/validators.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>

#include "rules/value_text.h"

namespace dlp {
namespace {

constexpr size_t kMaxPanDigits = 19;
constexpr size_t kMaxChecksumChars = 64;

// Copies the digits of `value` into `out`; returns how many, or SIZE_MAX when
// there are more than `out` can hold.
template <size_t N>
size_t CollectDigits(std::string_view value, std::array<char, N>& out) {
  size_t n = 0;
  if (value.find('%') == std::string_view::npos) {
    // No escapes (the text scanned is decoded): every byte is a token.
    for (const char c : value) {
      if (static_cast<unsigned>(c - '0') >= 10U) continue;
      if (n == N) return SIZE_MAX;
      out[n++] = c;
    }
    return n;
  }
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

bool IsAsciiLetter(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

// True if every separator in `value` is the same ("4111 1111-1111 1111" is
// not a card); an escape like %20 counts as one separator. Letters are no
// separators when `letters_are_value` (an IBAN's bank code).
bool OneKindOfSeparator(std::string_view value, bool letters_are_value = false) {
  std::string_view sep;
  bool ok = true;
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    if (digit || (letters_are_value && t.size() == 1 && IsAsciiLetter(t[0]))) return;
    if (sep.empty()) sep = t;
    if (t != sep) ok = false;
  });
  return ok;
}

// The digits of `value`, whose separators must all be one kind, copied
// into `buf`. None when it holds more digits than `buf` or two kinds of
// separator.
template <size_t N>
std::optional<std::string_view> DigitsOf(std::string_view value, std::array<char, N>& buf) {
  // One pass for a value without escapes (what the scan path hands over:
  // its text is decoded): digits, and at most one kind of separator byte.
  size_t n = 0;
  char sep = 0;
  bool have_sep = false;  // a NUL may be one too
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (IsAsciiDigit(c)) {
      if (n == N) return std::nullopt;
      buf[n++] = c;
      continue;
    }
    if (c == '%') {
      // An escape: its tokens decide (%20 is one separator, %34 a digit).
      n = CollectDigits(value, buf);
      if (n == SIZE_MAX || !OneKindOfSeparator(value)) return std::nullopt;
      return std::string_view(buf.data(), n);
    }
    if (!have_sep) {
      sep = c;
      have_sep = true;
    } else if (c != sep) {
      return std::nullopt;
    }
  }
  return std::string_view(buf.data(), n);
}

uint32_t PrefixValue(std::string_view digits, size_t len) {
  uint32_t v = 0;
  for (size_t i = 0; i < len && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

// A length no longer issued, or issued far more rarely than numbers of
// that length are used for other things (a 14-digit Diners Club, a 13-digit
// Visa): such a number needs a card keyword nearby.
constexpr bool kLegacy = true;

PrefixRange Range(uint32_t lo, uint32_t hi, uint8_t digits, uint8_t min_len, uint8_t max_len,
                  const char* name, bool needs_context = false) {
  return {lo, hi, digits, min_len, max_len, needs_context, name, name};
}

// A Finding's detail is a bare pointer that may outlive the rule set (an
// incident written after a reload): names a rule file gives are kept for
// the life of the process. Rule sets are few, and so are their names.
const char* Interned(const std::string& name) {
  static std::mutex mu;
  static std::set<std::string>* names = new std::set<std::string>();  // never freed
  std::lock_guard<std::mutex> lock(mu);
  return names->insert(name).first->c_str();
}

// The first range of `ranges` (longest prefixes first) that `digits` lies
// in with a length it allows, or nullptr.
const PrefixRange* RangeOf(const std::vector<PrefixRange>& ranges, std::string_view digits) {
  for (const PrefixRange& r : ranges) {
    if (digits.size() < r.min_len || digits.size() > r.max_len) continue;
    const uint32_t p = PrefixValue(digits, r.digits);
    if (p >= r.lo && p <= r.hi) return &r;
  }
  return nullptr;
}

// Whether a number in one of `ranges` may begin with `digits`: the numbers
// of the range's prefix length that begin with the digits so far overlap it.
// With `length` (not 0): of that many digits.
bool RangesMayBegin(const std::vector<PrefixRange>& ranges, std::string_view digits,
                    unsigned length = 0) {
  for (const PrefixRange& r : ranges) {
    if (digits.size() > r.max_len) continue;
    if (length != 0 && (length < r.min_len || length > r.max_len)) continue;
    const size_t known = std::min<size_t>(digits.size(), r.digits);
    uint32_t lo = PrefixValue(digits, known);
    uint32_t hi = lo;
    for (size_t i = known; i < r.digits; ++i) {
      lo = lo * 10;
      hi = hi * 10 + 9;
    }
    if (hi >= r.lo && lo <= r.hi) return true;
  }
  return false;
}

Validation ValidateLuhnOnly(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  size_t n = CollectDigits(value, d);
  if (n == SIZE_MAX || n < 2) return {};
  return {LuhnValid(std::string_view(d.data(), n)), false, ""};
}

Validation LuhnOfDigits(std::string_view digits) {
  if (digits.size() < 2 || digits.size() > kMaxPanDigits) return {};
  return {LuhnValid(digits), false, ""};
}

Validation ValidateNone(std::string_view) {
  return {true, false, ""};
}

bool AnyBeginning(std::string_view) {
  return true;
}

struct Builtin {
  const char* name;
  Validation (*fn)(std::string_view);
  Validation (*of_digits)(std::string_view);
  bool (*may_begin)(std::string_view);
  // The prefix ranges it accepts, with their lengths; null: none.
  const std::vector<PrefixRange>& (*ranges)();
  unsigned shown_leading_digits;
  unsigned min_digits;  // of a value it accepts
  unsigned max_digits;
};
constexpr std::array<Builtin, 4> kBuiltins{{
    {"none", ValidateNone, ValidateNone, AnyBeginning, nullptr, 0, 0, UINT32_MAX},
    {"luhn", ValidateLuhnOnly, LuhnOfDigits, AnyBeginning, nullptr, 0, 2, kMaxPanDigits},
    {"pan", ValidatePan, PanOfDigits, PanMayBegin, CardBrands, 6, 13, kMaxPanDigits},
    {"us-ssn", ValidateUsSsn, UsSsnOfDigits, UsSsnMayBegin, nullptr, 3, 9, 9},
}};

}  // namespace

const std::vector<PrefixRange>& CardBrands() {
  // Issuer ranges as the networks publish them (IIN tables, 2026), longest
  // prefixes first so that e.g. Discover's 622126-622925 wins over
  // UnionPay's 62 and UnionPay's 8100-8171 over RuPay's 81. A number is
  // named after the first range that holds both its prefix and its length.
  static const std::vector<PrefixRange> brands = {
      Range(622126, 622925, 6, 16, 19, "discover"),
      Range(506099, 506198, 6, 16, 19, "verve"),
      Range(507865, 507964, 6, 16, 19, "verve"),
      Range(650002, 650027, 6, 16, 19, "verve"),
      Range(6011, 6011, 4, 16, 19, "discover"),
      Range(2221, 2720, 4, 16, 16, "mastercard"),
      Range(2200, 2204, 4, 16, 19, "mir"),
      Range(3528, 3589, 4, 16, 19, "jcb"),
      Range(3095, 3095, 4, 14, 14, "diners", kLegacy),
      Range(3095, 3095, 4, 16, 19, "diners"),
      Range(8100, 8171, 4, 16, 19, "unionpay"),
      Range(5018, 5018, 4, 13, 19, "maestro"),
      Range(5020, 5020, 4, 13, 19, "maestro"),
      Range(5038, 5038, 4, 13, 19, "maestro"),
      Range(5893, 5893, 4, 13, 19, "maestro"),
      Range(6304, 6304, 4, 13, 19, "maestro"),
      Range(6759, 6759, 4, 13, 19, "maestro"),
      Range(6761, 6763, 4, 13, 19, "maestro"),
      Range(5019, 5019, 4, 16, 16, "dankort"),
      Range(9792, 9792, 4, 16, 16, "troy"),
      // RuPay's published ranges, not all of 60, 65, 81 or 82: every range a
      // random number may begin is a number held at a segment's end, and on
      // a lossy link one a stalled sender may see masked (doc/security.md, Limits).
      Range(606985, 607984, 6, 16, 16, "rupay"),
      Range(608001, 608500, 6, 16, 16, "rupay"),
      Range(652150, 653149, 6, 16, 16, "rupay"),
      Range(817200, 820199, 6, 16, 16, "rupay"),
      Range(644, 649, 3, 16, 19, "discover"),
      Range(300, 305, 3, 14, 14, "diners", kLegacy),
      Range(300, 305, 3, 16, 19, "diners"),
      Range(508500, 508999, 6, 16, 16, "rupay"),
      Range(51, 55, 2, 16, 16, "mastercard"),
      Range(34, 34, 2, 15, 15, "amex"),
      Range(37, 37, 2, 15, 15, "amex"),
      Range(36, 36, 2, 14, 14, "diners", kLegacy),
      Range(36, 36, 2, 16, 19, "diners"),
      Range(38, 39, 2, 16, 19, "diners"),
      Range(65, 65, 2, 16, 19, "discover"),
      Range(62, 62, 2, 16, 19, "unionpay"),
      Range(4, 4, 1, 16, 16, "visa"),
      Range(4, 4, 1, 19, 19, "visa"),
      // No longer issued, and one EAN-13 barcode in ten with a 4xx prefix
      // passes: a 13-digit Visa counts only with a card keyword nearby.
      Range(4, 4, 1, 13, 13, "visa", kLegacy),
  };
  return brands;
}

bool LuhnValid(std::string_view digits) {
  // Every second digit from the right, doubled, digits summed: a table,
  // two digits a step.
  static constexpr uint8_t kDoubled[10] = {0, 2, 4, 6, 8, 1, 3, 5, 7, 9};
  const size_t n = digits.size();
  unsigned sum = 0;
  size_t k = n;
  for (; k >= 2; k -= 2) {
    const auto d = static_cast<unsigned>(digits[k - 1] - '0');
    const auto doubled = static_cast<unsigned>(digits[k - 2] - '0');
    if (std::max(d, doubled) > 9) return false;
    sum += d + kDoubled[doubled];
  }
  if (k == 1) {
    const auto d = static_cast<unsigned>(digits[0] - '0');
    if (d > 9) return false;
    sum += d;
  }
  return n != 0 && sum % 10 == 0;
}

bool Mod97Valid(std::string_view alnum) {
  if (alnum.size() < 5) return false;
  uint32_t rem = 0;
  auto add = [&](char c) {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + static_cast<uint32_t>(c - '0')) % 97;
    } else {
      rem = (rem * 100 + static_cast<uint32_t>((c | 0x20) - 'a' + 10)) % 97;
    }
  };
  for (char c : alnum.substr(4)) add(c);
  for (char c : alnum.substr(0, 4)) add(c);
  return rem == 1;
}

namespace {

// CardBrands() by a number's first digit: the ranges a number that begins
// with it may lie in, in the table's order. Most numbers of an API body
// (timestamps beginning 17, ids) have none to try.
struct BrandIndex {
  std::array<std::vector<const PrefixRange*>, 10> by_first;
  BrandIndex() {
    for (const PrefixRange& r : CardBrands()) {
      uint32_t scale = 1;
      for (unsigned i = 1; i < r.digits; ++i) scale *= 10;
      for (uint32_t d = r.lo / scale; d <= r.hi / scale && d < 10; ++d) by_first[d].push_back(&r);
    }
  }
};

// RangeOf(CardBrands(), digits), with the digits' prefix read once.
const PrefixRange* CardRangeOf(std::string_view digits) {
  static const BrandIndex index;
  if (digits.empty()) return nullptr;
  const auto& ranges = index.by_first[static_cast<size_t>(digits[0] - '0')];
  if (ranges.empty()) return nullptr;
  uint32_t prefix[7] = {0};  // prefix[k]: the first k digits' value
  for (size_t k = 1; k <= 6; ++k) {
    prefix[k] = prefix[k - 1] * 10 + (k <= digits.size() ? digits[k - 1] - '0' : 0);
  }
  for (const PrefixRange* r : ranges) {
    if (digits.size() < r->min_len || digits.size() > r->max_len) continue;
    const uint32_t p = prefix[r->digits];
    if (p >= r->lo && p <= r->hi) return r;
  }
  return nullptr;
}

}  // namespace

const char* CardBrand(std::string_view digits) {
  const PrefixRange* r = CardRangeOf(digits);
  return r != nullptr ? r->detail : nullptr;
}

Validation ValidatePan(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  const std::optional<std::string_view> digits = DigitsOf(value, d);
  if (!digits) return {};
  return PanOfDigits(*digits);
}

Validation PanOfDigits(std::string_view digits) {
  const size_t n = digits.size();
  if (n < 13 || n > kMaxPanDigits) return {};
  // Luhn first: it turns away nine numbers in ten, for less than a range
  // lookup costs.
  if (!LuhnValid(digits)) return {};
  const PrefixRange* brand = CardRangeOf(digits);
  if (brand == nullptr) return {};
  // Maestro's short numbers, and 17 to 19 digits (UnionPay, Maestro, a
  // 19-digit Visa): rare as cards, common as 64-bit ids and trace ids, so
  // they need a card keyword nearby, unless printed in an issuer's groups.
  const bool rare = n != 15 && n != 16;
  return {true, brand->needs_context || rare, brand->detail};
}

Validation ValidateUsSsn(std::string_view value) {
  std::array<char, 9> d{};
  const std::optional<std::string_view> digits = DigitsOf(value, d);
  if (!digits) return {};
  return UsSsnOfDigits(*digits);
}

Validation UsSsnOfDigits(std::string_view digits) {
  if (digits.size() != 9) return {};
  uint32_t area = PrefixValue(digits, 3);
  uint32_t group = PrefixValue(digits.substr(3), 2);
  uint32_t serial = PrefixValue(digits.substr(5), 4);
  if (area == 0 || area == 666 || area >= 900) return {};
  if (group == 0 || serial == 0) return {};
  return {true, false, ""};
}

bool PanMayBegin(std::string_view value) {
  std::array<char, kMaxPanDigits> d{};
  const std::optional<std::string_view> digits = DigitsOf(value, d);
  return digits && RangesMayBegin(CardBrands(), *digits);
}

bool UsSsnMayBegin(std::string_view value) {
  std::array<char, 9> d{};
  const std::optional<std::string_view> some = DigitsOf(value, d);
  if (!some) return false;
  const std::string_view digits = *some;
  const size_t n = digits.size();
  if (n == 0) return true;
  if (digits[0] == '9') return false;  // area 900-999
  if (n >= 3) {
    const uint32_t area = PrefixValue(digits, 3);
    if (area == 0 || area == 666) return false;
  }
  if (n >= 5 && PrefixValue(digits.substr(3), 2) == 0) return false;
  return n < 9 || PrefixValue(digits.substr(5), 4) != 0;
}

std::optional<Validator> Validator::Named(std::string_view name) {
  for (const auto& b : kBuiltins) {
    if (name != b.name) continue;
    Validator v;
    v.name_ = b.name;
    v.fn_ = b.fn;
    v.of_digits_ = b.of_digits;
    v.may_begin_ = b.may_begin;
    v.ranges_ = b.ranges;
    v.shown_ = b.shown_leading_digits;
    v.min_digits_ = b.min_digits;
    v.max_digits_ = b.max_digits;
    return v;
  }
  return std::nullopt;
}

Validator Validator::Of(ChecksumSpec spec) {
  Validator v;
  v.name_ = spec.kind == ChecksumSpec::Kind::kLuhn    ? "luhn"
            : spec.kind == ChecksumSpec::Kind::kMod97 ? "mod97"
                                                      : "weights";
  // Longest prefixes first, as CardBrands: the most specific range names.
  std::stable_sort(spec.prefixes.begin(), spec.prefixes.end(),
                   [](const PrefixRange& a, const PrefixRange& b) { return a.digits > b.digits; });
  for (PrefixRange& r : spec.prefixes) {
    if (r.min_len == 0) r.min_len = static_cast<uint8_t>(spec.min_len);
    if (r.max_len == 0) r.max_len = static_cast<uint8_t>(spec.max_len);
    r.detail = Interned(r.name);
  }
  if (spec.kind != ChecksumSpec::Kind::kMod97) {  // mod97 counts letters too
    v.min_digits_ = spec.min_len;
    v.max_digits_ = spec.max_len;
  }
  v.spec_ = std::move(spec);
  return v;
}

std::vector<std::string> Validator::Names() {
  std::vector<std::string> out;
  for (const auto& b : kBuiltins) out.emplace_back(b.name);
  return out;
}

Validation Validator::operator()(std::string_view value) const {
  return fn_ != nullptr ? fn_(value) : Checksum(value);
}

bool Validator::MayBegin(std::string_view value) const {
  return may_begin_ != nullptr ? may_begin_(value) : ChecksumMayBegin(value);
}

bool Validator::MayBeOfLength(std::string_view first, unsigned length) const {
  if (length < min_digits_ || length > max_digits_ || first.size() > length) return false;
  // A builtin with ranges (pan) and a checksum spec with prefixes know
  // their ranges' lengths.
  if (ranges_ != nullptr) return RangesMayBegin(ranges_(), first, length);
  if (may_begin_ == nullptr && spec_.kind != ChecksumSpec::Kind::kMod97 &&
      !spec_.prefixes.empty()) {
    return RangesMayBegin(spec_.prefixes, first, length);
  }
  return MayBegin(first);
}

Validation Validator::Checksum(std::string_view value) const {
  std::array<char, kMaxChecksumChars> c{};
  size_t n = 0;
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    const bool letter = t.size() == 1 && IsAsciiLetter(t[0]);
    if (!digit && !(letter && spec_.kind == ChecksumSpec::Kind::kMod97)) return;
    if (n == c.size() || n == SIZE_MAX) {
      n = SIZE_MAX;
      return;
    }
    c[n++] = digit ? TokenDigit(t) : t[0];
  });
  if (n == SIZE_MAX || n < spec_.min_len || n > spec_.max_len) return {};
  if (!OneKindOfSeparator(value, spec_.kind == ChecksumSpec::Kind::kMod97)) return {};
  const std::string_view chars(c.data(), n);
  switch (spec_.kind) {
    case ChecksumSpec::Kind::kMod97:
      // Two letters (a country), two check digits, then the account.
      if (!IsAsciiLetter(chars[0]) || !IsAsciiLetter(chars[1]) || chars[2] > '9' ||
          chars[3] > '9' || chars[2] < '0' || chars[3] < '0') {
        return {};
      }
      return {Mod97Valid(chars), false, ""};
    case ChecksumSpec::Kind::kLuhn:
    case ChecksumSpec::Kind::kWeights: {
      const PrefixRange* range = nullptr;
      if (!spec_.prefixes.empty()) {
        range = RangeOf(spec_.prefixes, chars);
        if (range == nullptr) return {};
      }
      bool ok = false;
      if (spec_.kind == ChecksumSpec::Kind::kLuhn) {
        ok = LuhnValid(chars);
      } else {
        uint64_t sum = 0;
        for (size_t i = 0; i < n; ++i) {
          sum += static_cast<uint64_t>(chars[i] - '0') * spec_.weights[i % spec_.weights.size()];
        }
        ok = spec_.modulus != 0 && sum % spec_.modulus == 0;
      }
      if (!ok) return {};
      return {true, range != nullptr && range->needs_context,
              range != nullptr ? range->detail : ""};
    }
  }
  return {};
}

bool Validator::ChecksumMayBegin(std::string_view value) const {
  if (spec_.kind == ChecksumSpec::Kind::kMod97 || spec_.prefixes.empty()) return true;
  std::array<char, kMaxChecksumChars> d{};
  const std::optional<std::string_view> digits = DigitsOf(value, d);
  return digits && digits->size() <= spec_.max_len && RangesMayBegin(spec_.prefixes, *digits);
}

}  // namespace dlp
