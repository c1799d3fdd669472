// What a run of a client stream's wire bytes is to the server, as the
// framing readers (request_framing.h, websocket_framing.h) class them.
#pragma once

#include <cstdint>

namespace dlp {

struct FramedRun {
  enum class Kind : uint8_t {
    kText,     // a head, body data, a WebSocket payload, or a stream not (or no longer) HTTP
    kFraming,  // chunk size lines, extensions, trailers, CRLFs, WebSocket frame headers
    kEnd,      // a request or a WebSocket message ends at `off` (len 0)
  };
  Kind kind = Kind::kText;
  uint64_t off = 0;
  uint64_t len = 0;
  // Text XOR-masked as a WebSocket client sends it: the byte at `off` with
  // key[phase], the next with key[(phase + 1) % 4], and so on.
  bool masked = false;
  // Body data in a content coding (body_inflater.h ContentCoding, as a
  // number; 0: none): read after it is undone, never masked in place.
  uint8_t coding = 0;
  uint8_t phase = 0;
  uint8_t key[4] = {};
};

// A byte of a request head rewritten in place, same length, so that the
// server does not agree to what dlpd cannot inspect: the first byte of a
// WebSocket extension offer (compression), the 'h' of an h2c upgrade token.
struct WireEdit {
  uint64_t off = 0;
  uint8_t byte = 0;
};

}  // namespace dlp
