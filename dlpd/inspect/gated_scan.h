// The gated patterns' half of a scan (see rules/compiled_ruleset.h): walk
// the digit gate's spans for the shaped patterns (shape_scan.h), run
// Hyperscan on its regions only for the others, and decide the candidates
// that end exactly where the bytes at hand end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/inspect/digit_gate.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/shape_scan.h"

namespace dlp {

// Walks the gate's spans for the shaped patterns and scans its regions
// with the gated database, both clipped to `text` (the bytes at stream
// offsets [base, base + size)); appends the candidates to ctx.candidates(). Candidates
// that end before `skip_before` may be left out (judged by an earlier
// call), regions that end at or before it are. The gate must have been fed
// at least `text`.
// `walk`, when not null: what the shaped walk saw (shape_scan.h).
Status CollectGatedCandidates(ScanContext& ctx, const DigitGate& gate, const uint8_t* text,
                              size_t size, uint64_t base, uint64_t skip_before = 0,
                              ShapedWalk* walk = nullptr);

// Of `candidates`, which all end where `text` ends, the findings that hold
// whatever follows, or nothing: a trailing context byte is there, and no
// '$' or '\b' at the end depends on the next byte. Sorted and de-duplicated.
// Such a finding can be reported before the next byte arrives; the others
// wait for it (or for the end of the stream).
// A match whose verdict waits for more than the next byte (a grouped
// value: is the next line a row of a table?) goes to `undecided`.
Findings DecidedAtEnd(ScanContext& ctx, const std::vector<Candidate>& candidates,
                      const uint8_t* text, size_t size, uint64_t base,
                      const ColumnTracker* columns = nullptr,
                      std::vector<Candidate>* undecided = nullptr);

// a minus b, both sorted.
Findings Without(const Findings& a, const Findings& b);

}  // namespace dlp
