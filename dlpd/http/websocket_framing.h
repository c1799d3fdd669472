// The client->server side of a WebSocket connection (RFC 6455) after its
// HTTP upgrade: frame headers are framing; data frames' payloads are text,
// XOR-masked with each frame's key as every client must send them; a
// message (a data frame with FIN, after its continuations) ends in a
// boundary. Control frames (close, ping, pong) are framing: they may come
// between a message's fragments and are not part of it.
//
// Hand-written: no Debian library parses frames incrementally from bytes
// it does not own and says where each payload byte is; the frame format is
// a few fixed fields.
//
// Thread-safety: none; one per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlp {

struct FramedRun;

class WebSocketFraming {
 public:
  // Reads wire bytes [data, data + len) at stream offset `off` (in order)
  // and appends what they are to *out.
  void Feed(const uint8_t* data, size_t len, uint64_t off, std::vector<FramedRun>* out);
  // Whether a message has begun and not ended (its next bytes will come).
  bool InMessage() const { return in_message_; }
  // Where a frame came that cannot be read as text (compressed: RSV1, an
  // extension dlpd refused), or UINT64_MAX.
  uint64_t unreadable_at() const { return unreadable_at_; }
  uint64_t frames() const { return frames_; }

 private:
  uint8_t header_[14] = {};
  size_t header_len_ = 0;
  size_t header_need_ = 2;
  uint64_t payload_left_ = 0;
  uint64_t payload_pos_ = 0;  // bytes of this frame's payload read
  uint8_t key_[4] = {};
  bool masked_ = false;
  bool data_frame_ = false;
  bool fin_ = false;
  bool in_message_ = false;
  uint64_t frames_ = 0;
  uint64_t unreadable_at_ = UINT64_MAX;
  uint64_t frame_start_ = 0;
};

}  // namespace dlp
