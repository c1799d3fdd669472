// The shaped patterns' half of a gated scan (rules/value_shape.h): their
// matches are found by walking the runs of digits the digit gate found,
// group by group, instead of by Hyperscan and RE2. Number-dense text (web
// API bodies: ids, prices, timestamps) has a run every few dozen bytes;
// for each, a few compares and the rule's validator decide, and only the
// values that pass become candidates, already knowing where their value
// lies (Candidate::known).
//
// The walk reports what the pattern's expression reports: the same
// values, each with the match end Hyperscan would give (after the
// boundary's trailing context), so the stream scanner's rules for a match
// at a piece's end hold unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "dlpd/inspect/digit_gate.h"
#include "dlpd/inspect/scan_context.h"

namespace dlp {

// Appends to ctx.candidates() the matches of the shaped patterns whose
// value passes its rule's validator, inside the gate's runs clipped to
// `text` (the bytes at stream offsets [base, base + size)); runs whose
// matches all end before `skip_before` are left out. A match needs the
// byte before it in `text` unless it begins the stream (base 0).
void CollectShapedCandidates(ScanContext& ctx, const DigitGate& gate, const uint8_t* text,
                             size_t size, uint64_t base, uint64_t skip_before = 0);

// Every match of pattern `p` (which has a shape) inside the run of digits
// [from, to) of `text` (offsets in `text`; the stream starts at text[0]
// when `at_stream_start`), before any validator: f(candidate), with
// offsets in `text`. What CollectShapedCandidates walks; `dlpctl rules
// check` holds it to the pattern's RE2 program.
void ForEachShapedMatch(const CompiledPattern& p, unsigned pattern_index, std::string_view text,
                        size_t from, size_t to, bool at_stream_start,
                        const std::function<void(const Candidate&)>& f);

}  // namespace dlp
