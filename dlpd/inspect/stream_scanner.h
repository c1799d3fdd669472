// Scans one direction of a flow as it arrives, in pieces of any size, with
// the same findings as a block scan of the whole (tests cut inputs at every
// byte to hold it to that).
//
// The last max_width() + 1 bytes are kept: gated patterns (the default
// rules) are found by the digit gate and a walk of its runs (shaped
// patterns) or a block scan over that history and the new piece, and a candidate reaching back into
// earlier pieces is re-matched and validated there. Patterns of rules without min_digits run in
// Hyperscan stream mode, which carries their state across pieces.
//
// A value is reported by the Feed that brings the byte that decides it:
// its trailing context, or, for a value at the very end of the bytes so
// far, the next byte (or Finish, where the end of the stream decides). A
// grouped value whose run of groups may go on past the bytes so far (is it
// a row of a table?) waits for the bytes that tell (pending_from(): hold
// it until then).
//
// The history also keeps the rules' lookback before every candidate (a
// label, a keyword before the value on its line), and the stream's CSV
// headers are tracked (dlpd/inspect/column_tracker.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/inspect/column_tracker.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"
#include "rules/match_engine.h"

namespace dlp {

class StreamScanner {
 public:
  // `ctx` must have been made for the same CompiledRuleset for the whole life
  // of the stream.
  static Result<StreamScanner> Open(ScanContext& ctx);
  StreamScanner(StreamScanner&& o) noexcept;
  StreamScanner& operator=(StreamScanner&& o) noexcept;
  ~StreamScanner();

  // Scans the next `len` bytes and appends the values that ended in them.
  Status Feed(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out);
  // Ends the stream: appends values that end at the very end (a value's
  // trailing context may be "end of stream"). Feed may not follow.
  Status Finish(ScanContext& ctx, Findings* out);

  // The values that would be confirmed if the stream ended now (a value
  // whose trailing context is "end of stream"), without ending it: the
  // Hyperscan stream is copied and the copy closed.
  Status ProbeEnd(ScanContext& ctx, Findings* out) const;

  uint64_t offset() const { return offset_; }
  // The earliest stream offset of a value left undecided (its verdict
  // waits for bytes to come), or UINT64_MAX. The packet path holds its
  // bytes as it holds an open run.
  uint64_t pending_from() const;
  // For ValuePrefixes: whether a value beginning at text[at] has its
  // rule's context, `text` being the history or a prefix of it.
  ValuePrefixes::ContextCheck context_check() const { return {&StreamScanner::HasContextAt, this}; }
  // The last bytes fed (the rules' widest match and one more, or all of
  // them), ending at offset().
  std::string_view history() const {
    return {reinterpret_cast<const char*>(history_.data()), history_.size()};
  }
  // The CSV tables this stream has read headers of.
  const ColumnTracker& columns() const { return columns_; }
  // Bytes of memory this stream holds (Hyperscan state + history).
  size_t memory_bytes() const;

 private:
  StreamScanner() = default;
  void Remember(const uint8_t* data, size_t len, unsigned width);
  static bool HasContextAt(const void* self, uint32_t rule, std::string_view text, size_t at);
  // Reads the piece's CSV headers (blank lines from the digit gate, when
  // it ran on the piece; null: found here).
  void FeedColumns(ScanContext& ctx, const uint8_t* data, size_t len,
                   const std::vector<uint64_t>* blank_line_ends);
  Surroundings Around(ScanContext& ctx, bool ends_stream) const {
    return {&columns_, ends_stream, UINT64_MAX, ctx.keyword_memo()};
  }
  // The gated candidates ending at the last byte so far, judged as the
  // end of the stream, less those already reported as decided.
  Status GatedAtEnd(ScanContext& ctx, Findings* found) const;
  // Closes `closing` (this stream's Hyperscan stream or a copy of it; null
  // without ungated patterns) and appends every value the stream's end
  // confirms: ProbeEnd and Finish differ only in what they close.
  Status JudgeEnd(ScanContext& ctx, hs_stream_t* closing, Findings* out) const;

  const CompiledRuleset* rules_ = nullptr;  // the ScanContext's, for the context check
  hs_stream_t* stream_ = nullptr;           // null without ungated patterns
  bool finished_ = false;
  std::vector<uint8_t> history_;    // the last history_width() bytes before offset_
  std::vector<Candidate> pending_;  // exact matches left undecided, by start
  ColumnTracker columns_;
  uint64_t offset_ = 0;
  size_t state_size_ = 0;
  // The last piece was dense with digits (a web-API body): this one is
  // walked whole, without the digit gate, whose spans would cover it all.
  // The walk says whether it still is.
  bool walk_whole_ = false;
};

}  // namespace dlp
