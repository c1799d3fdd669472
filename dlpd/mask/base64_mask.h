// Masking a value found in base64 the application decodes
// (dlpd/inspect/base64_scan.h) without changing a byte's count: the value's
// bytes are masked in the decoded text as its rule says, and only the
// groups of four characters that hold them are encoded again. Each
// character that changes is written where it was on the wire, in the
// encoding it was written in (a '+' sent as "%2B" becomes "%41" for an
// 'A'); a group's other bytes decode as they did, and line breaks, chunk
// framing and the characters of other groups are never touched.
//
// Thread-safety: pure function.
#pragma once

#include <vector>

#include "dlpd/http/base64_text.h"
#include "dlpd/http/framed_run.h"
#include "dlpd/http/wire_map.h"
#include "dlpd/inspect/finding.h"
#include "rules/compiled_ruleset.h"

namespace dlp {

// Whether `x` (at decoded offsets of `text`, which still holds its groups;
// `map` still covers their characters) can be masked in place: false when
// a character cannot be written in its place at the same length (an HTML
// reference with too few digits for it, a named one) or has no bytes of its
// own (text inflated from a compressed body); *why then says which
// (kReasonBase64NotRewritable, kReasonCompressedBody).
bool Base64Maskable(const CompiledRuleset& rules, const Finding& x, const Base64Text& text,
                    const WireMap& map, const char** why);
// Appends to *out the wire bytes that mask `x`, XOR-masked again where
// they are in a WebSocket payload, and records the groups as masked in
// `text`. REQUIRES: Base64Maskable (else false, nothing changed).
bool Base64Edits(const CompiledRuleset& rules, const Finding& x, Base64Text& text,
                 const WireMap& map, std::vector<WireEdit>* out);

}  // namespace dlp
