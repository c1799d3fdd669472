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

// Returns nullptr for an unknown name.
ValidatorFn FindValidator(std::string_view name);
std::vector<std::string> ValidatorNames();

// Exposed for tests and for rule authors' documentation.
bool LuhnValid(std::string_view digits);
Validation ValidateUsSsn(std::string_view value);
Validation ValidatePan(std::string_view value);
// The brand a 13-19 digit number belongs to by prefix and length, or nullptr.
const char* CardBrand(std::string_view digits);

}  // namespace dlp
