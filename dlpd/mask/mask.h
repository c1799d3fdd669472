// Same-length masking. The byte count never changes, so TCP sequence numbers
// and HTTP Content-Length stay valid after a value is overwritten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dlpd/inspect/finding.h"
#include "rules/rule.h"

namespace dlp {

constexpr char kMaskChar = 'X';

// Overwrites the value in [p, p+len) in place.
void MaskValue(MaskStyle style, uint8_t* p, size_t len);

// Masks every finding the policy masks (action kMask) that lies (at least
// partly) in the buffer holding stream
// offsets [base, base + len), each with its rule's style. Returns how many
// findings touched the buffer.
class CompiledRuleset;
size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    uint8_t* buf, size_t len, uint64_t base);

// The form in which a value may be shown or stored: every digit but the last
// four masked ("XXX-XX-1457", "XXXX XXXX XXXX 1111"). Never the full value.
std::string DisplayForm(std::string_view value);
// Stores DisplayForm(value) in f->display; a value longer than the field
// keeps its end, after "...".
void SetDisplayForm(std::string_view value, Finding* f);

}  // namespace dlp
