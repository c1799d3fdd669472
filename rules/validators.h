// Validators confirm that a candidate the patterns found is a real value:
// a checksum, a range, a brand's prefix and length. They see only the value
// span (separators included) and never allocate while validating.
//
// A rule names a built-in validator (`validator: pan`) or describes one of
// the common checksum families (`validator: {checksum: mod97, ...}`; see
// ChecksumSpec), so a policy author adds an IBAN or routing-number rule
// without C++. Immutable once built; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlp {

// Sixteen bytes, the flags first: returned in two registers. (With the
// pointer between them it took 24, returned through memory, and read back
// as one load across two stores: a stall for every number a walk tries.)
struct Validation {
  bool valid = false;
  // Valid, but only with a keyword of its rule nearby (rules/keywords.h):
  // a number that is rarely this kind of value when nothing says so (a
  // 13-digit Visa looks like one EAN-13 barcode in ten).
  bool needs_context = false;
  const char* detail = "";  // e.g. the card brand; static storage, safe to log
};
static_assert(sizeof(Validation) == 16, "returned in registers");

// One issuer range: numbers whose first digits lie in [lo, hi] (both of
// `digits` digits) and whose length lies in [min_len, max_len].
struct PrefixRange {
  uint32_t lo = 0;
  uint32_t hi = 0;
  uint8_t digits = 0;
  uint8_t min_len = 0;
  uint8_t max_len = 0;
  bool needs_context = false;
  std::string name;         // the detail a match reports ("visa"); may be empty
  const char* detail = "";  // `name`, in storage that outlives every rule set
};

// A checksum family as a rule file describes it.
struct ChecksumSpec {
  enum class Kind { kLuhn, kMod97, kWeights };
  Kind kind = Kind::kLuhn;
  // kWeights: each digit times its weight (cycled from the first digit),
  // summed, is a multiple of `modulus` (ABA routing: 3 7 1, modulus 10).
  std::vector<unsigned> weights;
  unsigned modulus = 10;
  // Lengths the value may have, in digits (kMod97: letters and digits).
  unsigned min_len = 1;
  unsigned max_len = 64;
  // When not empty, the value must begin inside one of these (kLuhn,
  // kWeights); the longest matching range names it.
  std::vector<PrefixRange> prefixes;
};

class Validator {
 public:
  // A built-in validator by name, or none for an unknown name.
  static std::optional<Validator> Named(std::string_view name);
  static Validator Of(ChecksumSpec spec);
  static std::vector<std::string> Names();

  Validation operator()(std::string_view value) const;
  // The same judgement from a value's digits alone, for a value whose
  // separators are all one byte of one kind, none an escape (what the
  // shaped walk hands over: it knows the digit groups). REQUIRES:
  // takes_digits().
  bool takes_digits() const { return of_digits_ != nullptr; }
  Validation OfDigits(std::string_view digits) const { return of_digits_(digits); }
  // Whether a value that begins with `value` (its bytes so far, separators
  // and escapes included) may still, with more bytes, become one this
  // validator accepts: a card brand's prefix, an SSN area that is not 9xx.
  // Decides what the gateway holds back while it waits for the rest (the
  // more it rules out, the fewer legitimate numbers wait or are cut). Never
  // says false for the beginning of a valid value.
  bool MayBegin(std::string_view value) const;
  // Whether a value of exactly `length` digits that begins with the digits
  // `first` may be one this validator accepts: MayBegin, and the lengths
  // of its values (a card brand's: a 13-digit card is a Visa, a 14-digit
  // one a Diners Club or a Maestro). The walk over digit groups tries no
  // other number that stands alone.
  bool MayBeOfLength(std::string_view first, unsigned length) const;
  // How many digits at the start of a value of this kind a truncated
  // display may show: a card's first six (PCI DSS 3.4, the issuer's BIN),
  // an SSN's three-digit area; 0 for the others. The most of a value's
  // beginning the gateway lets through when a sender stalls on it.
  unsigned shown_leading_digits() const { return shown_; }
  // How many digits a value it accepts has, at least and at most (a
  // card 13-19, an SSN 9): a walk over digit groups tries no others.
  unsigned min_digits() const { return min_digits_; }
  unsigned max_digits() const { return max_digits_; }
  const std::string& name() const { return name_; }

 private:
  using Fn = Validation (*)(std::string_view value);
  using PrefixFn = bool (*)(std::string_view value);
  Validator() = default;
  Validation Checksum(std::string_view value) const;
  bool ChecksumMayBegin(std::string_view value) const;

  std::string name_;
  Fn fn_ = nullptr;  // built-in; null for a checksum spec
  Fn of_digits_ = nullptr;
  PrefixFn may_begin_ = nullptr;
  const std::vector<PrefixRange>& (*ranges_)() = nullptr;  // a builtin's; null: none
  unsigned shown_ = 0;
  unsigned min_digits_ = 0;
  unsigned max_digits_ = UINT32_MAX;
  ChecksumSpec spec_;
};

// Exposed for tests and for rule authors' documentation.
bool LuhnValid(std::string_view digits);
// ISO 13616 / ISO 7064 mod 97-10 over an IBAN's letters and digits: the
// first four moved to the end, letters as 10-35, the number mod 97 is 1.
bool Mod97Valid(std::string_view alnum);
Validation ValidateUsSsn(std::string_view value);
Validation ValidatePan(std::string_view value);
// The same from the value's digits (none of its separators).
Validation UsSsnOfDigits(std::string_view digits);
Validation PanOfDigits(std::string_view digits);
// The brand a 13-19 digit number belongs to by prefix and length, or nullptr.
const char* CardBrand(std::string_view digits);
bool PanMayBegin(std::string_view value);
bool UsSsnMayBegin(std::string_view value);
// The issuer ranges the `pan` validator knows, longest prefixes first.
const std::vector<PrefixRange>& CardBrands();

}  // namespace dlp
