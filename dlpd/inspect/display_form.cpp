#include "dlpd/inspect/display_form.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "rules/value_text.h"

namespace dlp {
namespace {
// Masks the digit token at p[i] (ValueTokenLength n): a plain digit becomes
// 'X', an escaped one "%58" (an escaped 'X'), so the length stays and the
// URL stays valid.
void MaskDigitToken(uint8_t* p, size_t i, size_t n) {
  if (n == 1) {
    p[i] = kMaskChar;
  } else {
    p[i + 1] = '5';
    p[i + 2] = '8';
  }
}
}  // namespace

void MaskDigits(uint8_t* p, size_t len, size_t keep_last) {
  if (std::memchr(p, '%', len) == nullptr) {
    // No escapes (most values, and every value of decoded text): each
    // digit byte is a digit token.
    // Without a branch per byte: digits and separators alternate.
    size_t total = 0;
    if (keep_last > 0) {
      for (size_t i = 0; i < len; ++i) total += IsAsciiDigit(p[i]) ? 1U : 0U;
    }
    const size_t masked = keep_last == 0 ? len : total > keep_last ? total - keep_last : 0;
    size_t seen = 0;
    for (size_t i = 0; i < len; ++i) {
      const unsigned digit = IsAsciiDigit(p[i]) ? 1U : 0U;
      // All ones when this byte is masked: a select, not a branch.
      const auto mask = static_cast<uint8_t>(0U - (digit & (seen < masked ? 1U : 0U)));
      p[i] = static_cast<uint8_t>(p[i] ^ ((p[i] ^ static_cast<uint8_t>(kMaskChar)) & mask));
      seen += digit;
    }
    return;
  }
  const std::string_view v(reinterpret_cast<const char*>(p), len);
  // Which digits are the value's, front to back; then all but the last
  // `keep_last` go.
  size_t total = 0;
  if (keep_last > 0) {
    ForEachValueToken(v, [&](std::string_view, bool digit) { total += digit ? 1 : 0; });
  }
  size_t seen = 0;
  for (size_t i = 0; i < len;) {
    const size_t n = ValueTokenLength(v, i);
    if (IsDigitToken(v, i, n)) {
      if (keep_last == 0 || seen + keep_last < total) MaskDigitToken(p, i, n);
      ++seen;
    }
    i += n;
  }
}

std::string DisplayForm(std::string_view value) {
  std::string out(value);
  MaskDigits(reinterpret_cast<uint8_t*>(out.data()), out.size(), 4);
  return out;
}

void SetDisplayForm(std::string_view value, Finding* f) {
  const size_t cap = f->display.size();
  if (value.size() <= cap) {
    // Masked in place: no string to allocate (most values are longer than
    // a short string holds).
    std::copy(value.begin(), value.end(), f->display.begin());
    MaskDigits(reinterpret_cast<uint8_t*>(f->display.data()), value.size(), 4);
    f->display_len = static_cast<uint8_t>(value.size());
    return;
  }
  std::string d = DisplayForm(value);
  size_t n = 0;
  if (d.size() > cap) {
    for (char c : std::string_view("...")) f->display[n++] = c;
    d.erase(0, d.size() - (cap - n));
  }
  for (char c : d) f->display[n++] = c;
  f->display_len = static_cast<uint8_t>(n);
}

void SetPlainDisplayForm(const uint8_t* padded, size_t size, uint64_t digits, Finding* f) {
  constexpr size_t kField = std::tuple_size_v<decltype(f->display)>;
  static_assert(kField % 8 == 0 && kField < 64, "whole words, and a mask bit per byte");
  f->display = {};
  f->display_len = static_cast<uint8_t>(size);
  const uint64_t value = (uint64_t{1} << size) - 1;
  // The last four digits stay: their bits go, highest first (a select,
  // not a branch, when there are fewer).
  uint64_t hidden = digits;
  for (int k = 0; k < 4; ++k) {
    const uint64_t highest = uint64_t{1} << (63 - __builtin_clzll(hidden | 1));
    hidden ^= hidden != 0 ? highest : 0;
  }
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  // Bit k of `bits` to all of byte k: each byte of the product keeps its
  // own bit; adding 0x7F sets a byte's high bit when it is not zero.
  auto bytes_of = [](uint64_t bits) {
    const uint64_t spread = ((bits & 0xFF) * kOnes) & 0x8040201008040201ULL;
    return (((spread + 0x7F * kOnes) >> 7) & kOnes) * 0xFF;
  };
  for (size_t w = 0; w < size; w += 8) {
    uint64_t word = 0;
    std::memcpy(&word, padded + w, 8);
    const uint64_t masked = bytes_of(hidden >> w);
    word = (word & ~masked) | (static_cast<uint64_t>(kMaskChar) * kOnes & masked);
    word &= bytes_of(value >> w);  // the field stays zero past the value
    std::memcpy(f->display.data() + w, &word, 8);
  }
}

}  // namespace dlp
