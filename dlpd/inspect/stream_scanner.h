// Scans one direction of a flow as it arrives, in pieces of any size, with
// the same findings as a block scan of the whole (tests cut inputs at every
// byte to hold it to that).
//
// Hyperscan stream mode carries pattern state across pieces; the scanner
// also keeps the last max_width() bytes so that a candidate reaching back
// into earlier pieces can be re-matched and validated.
#pragma once

#include <hs/hs.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"

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
  // Bytes of memory this stream holds (Hyperscan state + history).
  size_t memory_bytes() const;

 private:
  StreamScanner() = default;
  void Remember(const uint8_t* data, size_t len, unsigned width);

  hs_stream_t* stream_ = nullptr;
  std::vector<uint8_t> history_;  // the last max_width + 1 bytes before offset_
  std::vector<uint8_t> window_;   // scratch for history + piece, reused
  uint64_t offset_ = 0;
  size_t state_size_ = 0;
};

}  // namespace dlp
