// Validators confirm that a candidate the patterns found is a real value:
// a checksum, a range, a brand's prefix and length. They see only the value
// span (separators included) and never allocate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlp {

struct Validation {
  bool valid = false;
  const char* detail = "";  // e.g. the card brand; static storage, safe to log
};

using ValidatorFn = Validation (*)(std::string_view value);

// Whether a value that begins with `value` (its bytes so far, separators
// and escapes included) may still, with more bytes, become one the
// validator accepts: a card brand's prefix, an SSN area that is not 9xx.
// Decides what the gateway holds back while it waits for the rest (the
// more it rules out, the fewer legitimate numbers wait or are cut). Must
// never say false for the beginning of a valid value.
using PrefixFn = bool (*)(std::string_view value);

// Returns nullptr for an unknown name.
ValidatorFn FindValidator(std::string_view name);
PrefixFn FindPrefixCheck(std::string_view name);
// How many digits at the start of a value of this kind a truncated display
// may show: a card's first six (PCI DSS 3.4, the issuer's BIN), an SSN's
// three-digit area; 0 for the others. The most of a value's beginning the
// gateway lets through when a sender stalls on it (see HoldQueue).
unsigned ShownLeadingDigits(std::string_view name);
std::vector<std::string> ValidatorNames();

// Exposed for tests and for rule authors' documentation.
bool LuhnValid(std::string_view digits);
Validation ValidateUsSsn(std::string_view value);
Validation ValidatePan(std::string_view value);
// The brand a 13-19 digit number belongs to by prefix and length, or nullptr.
const char* CardBrand(std::string_view digits);
bool PanMayBegin(std::string_view value);
bool UsSsnMayBegin(std::string_view value);

}  // namespace dlp
