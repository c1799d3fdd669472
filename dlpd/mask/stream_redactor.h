// Masks a byte stream on the fly: bytes go in in pieces of any size, and
// come out masked, in order, with the same total length, as soon as no
// value that is not yet complete could still include them. That is all but
// the bytes of the last max_width() characters the application reads
// (and an escape not decided yet), held until more data or the end.
//
// The stream is read as the packet path reads a flow (StreamNormalizer):
// an HTTP request stream with its framing removed, characters decoded;
// findings are masked on their wire bytes in their own encoding.
//
// `dlpctl scan` uses it on stdin/files; it is the byte-stream form of what
// the packet path does per flow.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/http/stream_normalizer.h"
#include "dlpd/http/wire_map.h"
#include "dlpd/inspect/base64_scan.h"
#include "dlpd/inspect/stream_scanner.h"

namespace dlp {

class StreamRedactor {
 public:
  static Result<StreamRedactor> Open(ScanContext& ctx);

  // Appends to `ready` the bytes that are now final, and to `found` the
  // findings confirmed by this piece.
  Status Feed(ScanContext& ctx, const uint8_t* data, size_t len, std::string* ready,
              Findings* found);
  // Flushes everything that is left.
  Status Finish(ScanContext& ctx, std::string* ready, Findings* found);

  // Called on each new finding before it is masked, to set its action (the
  // policy); without one, every finding is masked.
  void set_decider(std::function<void(Finding&)> decide) { decide_ = std::move(decide); }

  // How the input was read: HTTP/1 requests, or not (RequestFraming::Mode).
  const RequestFraming& framing() const { return *normalizer_->framing(); }

 private:
  explicit StreamRedactor(StreamScanner s)
      : scanner_(std::move(s)), normalizer_(std::make_unique<StreamNormalizer>(/*http=*/true)) {}
  // Scans the text the normalizer made into text_, appending findings, and
  // the base64 it names (values into base64_found_, at decoded offsets).
  Status ScanText(ScanContext& ctx, Findings* found);
  void MaskAndRelease(ScanContext& ctx, size_t first_new, Findings* found, bool all,
                      std::string* ready);

  StreamScanner scanner_;
  std::unique_ptr<StreamNormalizer> normalizer_;
  std::vector<uint8_t> text_;
  WireUnits units_;      // of the findings in pending_
  WireXors xors_;        // and the WebSocket payloads they are in
  std::string pending_;  // bytes [pending_base_, scanner offset) not yet released
  uint64_t pending_base_ = 0;
  std::function<void(Finding&)> decide_;
  std::unique_ptr<Base64Scan> base64_;  // once the text names base64
  Findings base64_found_;
};

}  // namespace dlp
