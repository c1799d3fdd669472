// The display form of a value: every digit but the last four hidden
// ("XXX-XX-1457", "XXXX XXXX XXXX 1111"), the only trace of a value a
// Finding keeps, taken when the value is confirmed.
//
// How a digit is hidden is defined here, once, for the display form and for
// the mask stage (dlpd/mask/mask.h): mask comes after inspect on the data
// path and may include this, while inspect must not include mask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dlpd/inspect/finding.h"

namespace dlp {

constexpr char kMaskChar = 'X';

// Hides every digit of the value in [p, p+len) but the last `keep_last`: a
// plain digit becomes 'X', an escaped one "%58" (an escaped 'X'), so the
// length stays and a URL stays valid. Separators and other escapes stay.
void MaskDigits(uint8_t* p, size_t len, size_t keep_last);

// The form in which a value may be shown or stored: every digit but the last
// four masked. Never the full value.
std::string DisplayForm(std::string_view value);
// Stores DisplayForm(value) in f->display; a value longer than the field
// keeps its end, after "...".
void SetDisplayForm(std::string_view value, Finding* f);
// The same for a value without escapes that fits the field: its `size`
// bytes at `padded`, whose digit bytes are the set bits of `digits` (bit
// i: padded[i]), as the verdict read them. Eight bytes a step, no branch
// per byte; the field is zero past the value.
// REQUIRES: size <= f->display.size(), and f->display.size() bytes
// readable at `padded`; no '%' in the value; `digits` has exactly its
// digit bytes set.
void SetPlainDisplayForm(const uint8_t* padded, size_t size, uint64_t digits, Finding* f);

}  // namespace dlp
