#include "rules/value_prefix.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <new>
#include <utility>

#include "rules/boundary.h"
#include "rules/value_text.h"

namespace dlp {
namespace {

pcre2_code* Code(void* p) {
  return static_cast<pcre2_code*>(p);
}

// A '%' or '%X' at the very end may become an escape (an encoded digit, a
// separator): it is left out of what the validator judges.
std::string_view WithoutOpenEscape(std::string_view v) {
  if (!v.empty() && v.back() == '%') return v.substr(0, v.size() - 1);
  if (v.size() >= 2 && v[v.size() - 2] == '%' && IsHexDigit(v.back())) {
    return v.substr(0, v.size() - 2);
  }
  return v;
}

}  // namespace

ValuePrefixes::Scratch::Scratch() : data_(pcre2_match_data_create(1, nullptr)) {
  if (data_ == nullptr) throw std::bad_alloc();
}

ValuePrefixes::Scratch::~Scratch() {
  pcre2_match_data_free(static_cast<pcre2_match_data*>(data_));
}

ValuePrefixes::ValuePrefixes() = default;

ValuePrefixes::~ValuePrefixes() {
  for (Prefix& p : prefixes_) pcre2_code_free(Code(p.code));
}

ValuePrefixes::ValuePrefixes(ValuePrefixes&& o) noexcept
    : prefixes_(std::move(o.prefixes_)), value_bytes_(o.value_bytes_) {
  o.prefixes_.clear();
}

ValuePrefixes& ValuePrefixes::operator=(ValuePrefixes&& o) noexcept {
  if (this != &o) {
    for (Prefix& p : prefixes_) pcre2_code_free(Code(p.code));
    prefixes_ = std::move(o.prefixes_);
    o.prefixes_.clear();
    value_bytes_ = o.value_bytes_;
  }
  return *this;
}

bool ValuePrefixes::Add(const std::string& expression, Boundary boundary, uint32_t rule,
                        bool needs_context, const Validator* validator, unsigned shown_digits,
                        unsigned width, std::string* error) {
  Prefix p;
  p.width = width;
  p.boundary = boundary;
  p.rule = rule;
  p.needs_context = needs_context;
  p.validator = validator;
  p.shown_digits = shown_digits;
  int code = 0;
  PCRE2_SIZE at = 0;
  // DOTALL and no UTF, as Hyperscan and RE2 compile it: bytes, '.' any byte.
  p.code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(expression.data()), expression.size(),
                         PCRE2_DOTALL, &code, &at, nullptr);
  if (p.code == nullptr) {
    std::array<PCRE2_UCHAR, 256> msg{};
    pcre2_get_error_message(code, msg.data(), msg.size());
    if (error != nullptr) {
      *error = "PCRE2 at offset " + std::to_string(at) + ": " +
               reinterpret_cast<const char*>(msg.data());
    }
  } else {
    pcre2_jit_compile(Code(p.code), PCRE2_JIT_PARTIAL_HARD);  // the interpreter if it cannot
  }
  prefixes_.push_back(p);
  return p.code != nullptr;
}

size_t ValuePrefixes::FirstValueToken(std::string_view text, size_t from) const {
  for (size_t i = from; i < text.size();) {
    // '%' or "%3" at the very end may become an encoded digit.
    if (text[i] == '%' && (i + 1 == text.size() || (i + 2 == text.size() && text[i + 1] == '3'))) {
      return i;
    }
    const size_t n = ValueTokenLength(text, i);
    if (n == 3 ? IsDigitToken(text, i, n) : IsAsciiAlnum(static_cast<uint8_t>(text[i]))) return i;
    i += n;
  }
  return std::string_view::npos;
}

size_t ValuePrefixes::RunOf(std::string_view text) const {
  size_t run = text.size();
  while (run > 0 && value_bytes_[static_cast<uint8_t>(text[run - 1])]) --run;
  // A letter that is an escape's first hex digit ("%A1") is not a value
  // byte: the run then starts at the escape's last hex digit, which is no
  // digit of a value (read as one, "%A14111..." is "14111...", no card).
  if (run >= 2 && run < text.size() && text[run - 2] == '%' && IsHexDigit(text[run - 1]) &&
      IsHexDigit(text[run])) {
    ++run;
  }
  return run;
}

size_t ValuePrefixes::OpenValueFrom(std::string_view text, Start start, Scratch& scratch,
                                    const ContextCheck* context) const {
  const size_t run = RunOf(text);
  const size_t first = FirstValueToken(text, run);
  if (first == std::string_view::npos) return first;        // no letter or digit: no value yet
  if (start == Start::kPickedUp && run == 0) return first;  // it may go on from before
  size_t best = std::string_view::npos;
  for (const Prefix& p : prefixes_) {
    best = std::min(best, OpenFor(p, text, run, start != Start::kInside, scratch, context));
    if (best == first) break;  // nothing begins earlier
  }
  return best;
}

bool ValuePrefixes::WithinShownDigits(std::string_view text, Start start, Scratch& scratch,
                                      const ContextCheck* context) const {
  const size_t run = RunOf(text);
  const size_t first = FirstValueToken(text, run);
  if (first == std::string_view::npos) return true;
  if (start == Start::kPickedUp && run == 0) return false;  // what came before is unknown
  for (const Prefix& p : prefixes_) {
    if (p.code == nullptr) return false;  // cannot tell
    if (OpenFor(p, text, run, start != Start::kInside, scratch, context, &p.shown_digits) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

size_t ValuePrefixes::OpenFor(const Prefix& p, std::string_view text, size_t run,
                              bool at_stream_start, Scratch& scratch, const ContextCheck* context,
                              const unsigned* most_digits) const {
  if (p.code == nullptr) return FirstValueToken(text, run);
  auto* md = static_cast<pcre2_match_data*>(scratch.data());
  const uint32_t options = PCRE2_PARTIAL_HARD | (at_stream_start ? 0 : PCRE2_NOTBOL);
  // A match that reaches the end begins within its width of it: the search
  // starts there (on digit-dense text, a quarter of the bytes or less).
  for (PCRE2_SIZE start = text.size() > p.width ? text.size() - p.width : 0; start < text.size();) {
    const int rc = pcre2_match(Code(p.code), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                               start, options, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) return std::string_view::npos;
    if (rc < 0 && rc != PCRE2_ERROR_PARTIAL) return FirstValueToken(text, run);  // cannot tell
    const PCRE2_SIZE match_from = pcre2_get_ovector_pointer(md)[0];
    start = match_from + 1;
    // A complete match (PCRE2_PARTIAL_HARD reports one that reaches the end
    // as partial) ended before the end: it was judged, try later starts.
    if (rc != PCRE2_ERROR_PARTIAL) continue;
    // Its value is the value bytes at the end of the match so far, from the
    // first letter or digit (before it: a boundary's byte, a keyword).
    const size_t value = FirstValueToken(text, std::max<size_t>(match_from, run));
    if (value == std::string_view::npos) continue;  // only what comes before a value
    if (FractionOfDecimal(p.boundary, text.data(), text.data() + value)) continue;
    const std::string_view so_far = WithoutOpenEscape(text.substr(value));
    if (p.validator != nullptr && !p.validator->MayBegin(so_far)) continue;
    // Its keyword stands before it, or nowhere: what follows cannot add one.
    if (p.needs_context && context != nullptr && context->has != nullptr &&
        !context->has(context->arg, p.rule, text, value)) {
      continue;
    }
    if (most_digits != nullptr) {
      size_t digits = 0;
      ForEachValueToken(so_far, [&digits](std::string_view, bool d) { digits += d ? 1 : 0; });
      if (digits <= *most_digits) continue;  // within what a display shows: try later starts
    }
    return value;
  }
  return std::string_view::npos;
}

}  // namespace dlp
