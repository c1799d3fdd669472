// A request body's content coding undone (Content-Encoding: gzip, deflate,
// br), so that what the server's application reads is scanned: zlib and
// Brotli's decoders, fed as the body arrives. Bounded: a body inflates to
// at most kMaxOutput bytes and at most kMaxRatio times its input (plus a
// little); past either, or on input that does not decode, Feed fails and
// why() says which. A value found there cannot be masked in place (the
// length of the compressed bytes would change): the policy takes its
// action for compressed bodies (FlowInspection).
//
// Thread-safety: none; one per request body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dlp {

enum class ContentCoding : uint8_t { kIdentity, kGzip, kDeflate, kBrotli, kUnknown };

// The coding a Content-Encoding value names; kUnknown for one dlpd does not
// decode or for several stacked.
ContentCoding ParseContentCoding(const char* value, size_t len);

class BodyInflater {
 public:
  static constexpr uint64_t kMaxOutput = 16u << 20;
  // The most one decoder may allocate: zlib takes about 44 KiB; brotli its
  // window (4 MiB at the encoders' usual 22 bits) and 2 MiB of tables. A brotli
  // stream that asks for a larger window (up to 16 MiB) does not decode.
  static constexpr size_t kMaxDecoderBytes = size_t{8} << 20;
  static constexpr uint64_t kMaxRatio = 200;

  // REQUIRES: coding is kGzip, kDeflate or kBrotli.
  static std::unique_ptr<BodyInflater> Make(ContentCoding coding);
  virtual ~BodyInflater() = default;

  // Appends what [data, data + len) inflates to; false when the input does
  // not decode or a limit is reached (nothing more is read).
  bool Feed(const uint8_t* data, size_t len, std::vector<uint8_t>* out);
  const char* why() const { return why_; }
  uint64_t bytes_in() const { return in_; }
  uint64_t bytes_out() const { return out_; }
  // Bytes this inflater holds: its decoder's allocations (counted as they
  // are made) and the object.
  size_t memory_bytes() const { return allocated_ + 256; }

 protected:
  BodyInflater() = default;
  size_t allocated_ = 0;  // the decoder's live allocations
  // Inflates into buf (cap bytes); sets *used and *made. False on bad input.
  virtual bool Step(const uint8_t* data, size_t len, size_t* used, uint8_t* buf, size_t cap,
                    size_t* made, bool* done) = 0;
  // Starts a next member after one ended (gzip members and zlib streams
  // one after another, as gzip and most servers read them); false where
  // the format has none.
  virtual bool NextMember() = 0;

 private:
  uint64_t in_ = 0;
  uint64_t out_ = 0;
  bool done_ = false;
  const char* why_ = "";
};

}  // namespace dlp
