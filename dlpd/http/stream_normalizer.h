// The text the receiving application reads, from the wire bytes of one
// client->server stream: HTTP framing removed (RequestFraming), every
// character decoded (char_decoder.h), a boundary where each request ends,
// with the map back to the wire bytes of each character (WireMap). The
// scanner reads this text; findings are masked through the map.
//
// Without framing (a block of bytes, a stream known not to be HTTP) only
// the characters are decoded.
//
// Thread-safety: none; one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dlpd/http/body_inflater.h"
#include "dlpd/http/char_decoder.h"
#include "dlpd/http/request_framing.h"
#include "dlpd/http/wire_map.h"

namespace dlp {

class StreamNormalizer {
 public:
  // `http`: read HTTP/1 framing (a stream from its first byte); else only
  // decode characters.
  explicit StreamNormalizer(bool http);

  // Reads wire bytes [data, data + len) at stream offset `off` (REQUIRES:
  // in order) and appends the text they make to *out. A character that
  // more bytes decide is kept until they come (pending()).
  void Feed(const uint8_t* data, size_t len, uint64_t off, std::vector<uint8_t>* out);
  // The end of the bytes: what is kept reads as it is.
  void Finish(std::vector<uint8_t>* out);

  // Text bytes made so far (the scanner's stream offset).
  uint64_t normalized() const { return norm_; }
  // Wire bytes read so far.
  uint64_t wire_end() const { return wire_end_; }
  // Where the wire bytes kept for a character that more bytes decide
  // begin; wire_end() when none are.
  uint64_t pending_from() const {
    return pending_len_ > 0 ? pending_base_ + pending_delta_[0] : wire_end_;
  }

  // Bytes this normalizer holds: its map, the request framing, a body's
  // decoder (the pipeline's memory budget).
  size_t memory_bytes() const;
  const WireMap& map() const { return map_; }
  WireMap& map() { return map_; }
  // Null without framing.
  const RequestFraming* framing() const { return framing_.get(); }
  RequestFraming* framing() { return framing_.get(); }
  // How many characters were decoded (escapes, references, Unicode).
  uint64_t decoded() const { return decoded_; }
  // How many bytes compressed bodies inflated to.
  uint64_t inflated() const { return inflated_; }

 private:
  void Text(const uint8_t* p, size_t n, uint64_t off, std::vector<uint8_t>* out);
  void Plain(const uint8_t* p, size_t n, uint64_t off, std::vector<uint8_t>* out);
  void Decoded(const DecodedChar& c, const uint64_t* offs, std::vector<uint8_t>* out);
  // Adds a byte to those kept, and reads what they decide.
  void Push(uint8_t b, uint64_t off, std::vector<uint8_t>* out);
  // Reads the kept bytes while they decide; all of them when `final`.
  void Resolve(bool final, std::vector<uint8_t>* out);
  void Framing(uint64_t off, uint64_t len);
  void Boundary(uint64_t off, std::vector<uint8_t>* out);
  // Body data in a content coding: inflated, read as text that maps to the
  // wire offset where its input ends (it cannot be masked in place).
  void Coded(const FramedRun& r, const uint8_t* p, std::vector<uint8_t>* out);

  std::unique_ptr<RequestFraming> framing_;
  WireMap map_;
  uint64_t norm_ = 0;
  uint64_t wire_end_ = 0;
  uint64_t decoded_ = 0;
  uint64_t inflated_ = 0;
  std::unique_ptr<BodyInflater> inflater_;  // the current request body's
  uint64_t coded_from_ = 0;                 // where its compressed bytes begin
  // Characters in inflated text are decoded too: by a normalizer of its own
  // (its map unused: inflated text maps to the compressed bytes).
  std::unique_ptr<StreamNormalizer> coded_text_;
  uint64_t coded_wire_end_ = 0;
  void CodedText(const uint8_t* p, size_t n, bool final, std::vector<uint8_t>* out);
  uint8_t pending_[kMaxEncodedChar] = {};
  // Wire offsets of the kept bytes, from pending_base_ (framing may fall
  // between them).
  uint64_t pending_base_ = 0;
  uint32_t pending_delta_[kMaxEncodedChar] = {};
  size_t pending_len_ = 0;
};

}  // namespace dlp
