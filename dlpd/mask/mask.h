// Same-length masking. The byte count never changes, so TCP sequence numbers
// and HTTP Content-Length stay valid after a value is overwritten. A digit is
// hidden as the display form hides it (dlpd/inspect/display_form.h, which
// also gives kMaskChar).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dlpd/http/wire_map.h"
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

// The same for findings located on wire bytes through the text the
// application reads (dlpd/http/stream_normalizer.h): `units` holds the
// encoded characters and framing in the findings' spans, in wire order.
// Each digit becomes 'X' in the encoding it was written in (%34 -> %58,
// \u0034 -> \u0058, &#52; -> &#88;, a full-width digit -> U+FF38), same
// length; framing is never changed.
size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    const WireUnits& units, uint8_t* buf, size_t len, uint64_t base);

// The same, for a buffer that may hold WebSocket payload bytes (XOR-masked
// with their keys, `xors`): masked where the text is read unmasked.
size_t MaskFindings(const CompiledRuleset& rules, const Finding* findings, size_t count,
                    const WireUnits& units, const WireXors& xors, uint8_t* buf, size_t len,
                    uint64_t base);

// Masks finding bytes [start, end) that fall in the buffer holding wire
// offsets [base, base + len), as MaskFindings does. keep_last digits stay
// (REQUIRES: the whole value is in the buffer when keep_last > 0).
void MaskWire(const WireUnits& units, uint64_t start, uint64_t end, bool all_bytes,
              size_t keep_last, uint8_t* buf, size_t len, uint64_t base);

// Masks, in place, every value in `s` read as decoded text on its own (a
// URI, Host or user name kept for an incident): the form they are stored
// in. The scanner's failure leaves `s` as it is.
class ScanContext;
void MaskValuesIn(ScanContext& ctx, std::string* s);

}  // namespace dlp
