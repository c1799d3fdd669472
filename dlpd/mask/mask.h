// Same-length masking. The byte count never changes, so TCP sequence numbers
// and HTTP Content-Length stay valid after a value is overwritten. A digit is
// hidden as the display form hides it (dlpd/inspect/display_form.h, which
// also gives kMaskChar).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dlpd/inspect/display_form.h"
#include "dlpd/inspect/finding.h"
#include "rules/rule.h"

namespace dlp {

// Overwrites the value in [p, p+len) in place.
void MaskValue(MaskStyle style, uint8_t* p, size_t len);

// Masks every finding the policy masks (action kMask) that lies (at least
// partly) in the buffer holding stream
// offsets [base, base + len), each with its rule's style. Returns how many
// findings touched the buffer.
class CompiledRuleset;
size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    uint8_t* buf, size_t len, uint64_t base);

}  // namespace dlp
