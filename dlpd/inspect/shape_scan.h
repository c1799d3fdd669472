// The shaped patterns' half of a gated scan (rules/value_shape.h): their
// matches are found by walking the text's groups of digits, instead of by
// Hyperscan and RE2. The walk reads the digit gate's spans (the chunks
// around its runs; all of a number-dense text, little of a document or of
// binary data), their groups straight from 64-byte masks of their digits
// (the gate's vector kernels), in one pass with no list of runs in
// between: number-dense text (web API bodies: ids, prices, timestamps) has
// a group every few bytes, and each costs a few instructions. Only a group
// whose width and first two digits may begin a value is walked on; the
// values whose groups fit a layout and pass the rule's validator become
// candidates, already knowing where their value lies (Candidate::known).
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

// What a walk saw: the groups it listed, and whether the text was dense
// with digits (most of it walked: the gate's spans cover a quarter of it,
// or, walked whole, it listed a group every kDenseBytesPerGroup bytes).
struct ShapedWalk {
  static constexpr size_t kDenseBytesPerGroup = 128;
  size_t listed = 0;
  bool dense = false;
};

// Appends to ctx.candidates() the matches of the shaped patterns in the
// gate's spans (DigitGate::spans; the gate fed at least `text`), or in all
// of it when `gate` is null, clipped to `text` (the bytes at stream
// offsets [base, base + size)) whose value passes its rule's validator;
// matches that end before `skip_before` may be left out. A match needs the
// byte before it in `text` unless it begins the stream (base 0).
ShapedWalk CollectShapedCandidates(ScanContext& ctx, const DigitGate* gate, const uint8_t* text,
                                   size_t size, uint64_t base, uint64_t skip_before = 0);

// Every match of pattern `p` (which has a shape) in `text` (the stream
// starts at text[0] when `at_stream_start`), before any validator:
// f(candidate), with offsets in `text`. The walk CollectShapedCandidates
// runs; `dlpctl rules check` holds it to the pattern's RE2 program.
void ForEachShapedMatch(const CompiledPattern& p, unsigned pattern_index, std::string_view text,
                        bool at_stream_start, const std::function<void(const Candidate&)>& f);

}  // namespace dlp
