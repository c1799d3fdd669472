// The HTTP/1.x framing of one client->server stream, read as the server
// reads it: every request head (pipelined, kept alive, cut anywhere by
// segment edges), and each body as Content-Length or chunked framing
// delimits it. Says which wire bytes are text the server's application
// reads (heads and body data) and which are framing it strips (chunk size
// lines, extensions, trailers, CRLFs), and where each request ends.
//
// Parsing is http-parser's (Debian libhttp-parser-dev, Node's parser
// before llhttp; upstream no longer develops it, Debian maintains it):
// strict on framing, incremental, and its body callbacks point into the
// bytes it is given, which is the offset bookkeeping the map to wire bytes
// needs. What is ours: the byte classes, the request records, and what a
// stream that stops being HTTP/1 becomes.
//
// A stream whose first bytes are no request (not HTTP, a stream picked up
// mid-way, the server's direction) is plain text from its start. After a
// WebSocket upgrade the rest is read as WebSocket frames
// (websocket_framing.h); after another upgrade (h2c) or CONNECT, as plain
// text; after framing that cannot be followed, too, and error() says where.
//
// Thread-safety: none; one per stream.
#pragma once

#include <http_parser.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dlpd/http/body_inflater.h"
#include "dlpd/http/framed_run.h"
#include "dlpd/http/http_request.h"
#include "dlpd/http/websocket_framing.h"

namespace dlp {

// One request, from where the stream's previous request ended.
struct RequestRecord {
  uint64_t begin = 0;  // wire offset
  HttpRequestInfo info;
  bool head_done = false;
  bool chunked = false;
  ContentCoding coding = ContentCoding::kIdentity;  // of the body
  bool coding_seen = false;
  bool odd_transfer_encoding = false;  // not exactly "chunked"
};

class RequestFraming {
 public:
  enum class Mode : uint8_t {
    kStart,      // no byte read yet
    kHttp,       // in requests
    kPlain,      // not HTTP/1 from its first bytes
    kUpgraded,   // after an upgrade or CONNECT: another protocol
    kWebSocket,  // after a WebSocket upgrade: frames
    kLost,       // framing that could not be followed (error())
  };

  RequestFraming();
  RequestFraming(const RequestFraming&) = delete;
  RequestFraming& operator=(const RequestFraming&) = delete;

  // Reads wire bytes [data, data + len) at stream offset `off` (REQUIRES:
  // in order, off == end of the last Feed) and appends what they are to
  // *out, in order, covering all of them.
  void Feed(const uint8_t* data, size_t len, uint64_t off, std::vector<FramedRun>* out);

  Mode mode() const { return mode_; }
  // Where framing was lost, and why (http-parser's error name).
  uint64_t error_at() const { return error_at_; }
  const char* error() const { return error_; }
  // Framing is lost at `at` because the stream cannot be inspected from
  // there (the normalizer says so too, of a body it cannot inflate).
  void Uninspectable(uint64_t at, const char* why);
  // Whether what was lost cannot be inspected at all (HTTP/2 with prior
  // knowledge, compressed WebSocket frames) rather than framing broken.
  bool uninspectable() const { return uninspectable_; }
  bool has_edits() const { return !edits_.empty(); }
  // Moves the head bytes to rewrite (WireEdit) into *out.
  // Bytes this framing holds (the pipeline's memory budget).
  size_t memory_bytes() const;
  void TakeEdits(std::vector<WireEdit>* out) {
    out->insert(out->end(), edits_.begin(), edits_.end());
    edits_.clear();
  }
  // Whether it was lost inside a body (a chunk size line, say), where a
  // server that reads on differently would read text dlpd did not: bytes
  // that are no request where a request must begin, a server refuses.
  bool error_in_body() const { return error_in_body_; }

  // The request that wire offset `w` is in (the latest begun at or before
  // it); null before the first request or for a plain stream.
  const RequestRecord* RequestAt(uint64_t w) const;
  // The latest request, or null.
  const RequestRecord* current() const { return records_.empty() ? nullptr : &records_.back(); }
  // Forgets requests that ended before wire offset `w` (the last stays).
  void PruneBefore(uint64_t w);
  // Whether the body of the current request goes on after wire offset `w`
  // for certain: Content-Length says more bytes come, or a chunked body's
  // last chunk has not.
  bool BodyGoesOnAfter(uint64_t w) const;
  // Where the current request's body ends, when known (Content-Length);
  // UINT64_MAX otherwise.
  uint64_t body_end() const { return body_end_; }
  // Whether the stream is inside a chunked body or WebSocket frames (its
  // framing goes on: bytes beyond a gap cannot be judged alone).
  bool InChunkedBody() const {
    return mode_ == Mode::kWebSocket || (in_body_ && !records_.empty() && records_.back().chunked);
  }
  // Whether the stream is HTTP between two requests: the last one read
  // whole and no byte of the next yet. Only there does a fresh reader,
  // picked up where this one is, read what follows as this one would (in a
  // head or body, in WebSocket frames, another protocol or plain text, what
  // comes means what came before made it).
  bool BetweenRequests() const { return mode_ == Mode::kHttp && !in_message_ && !uninspectable_; }
  uint64_t requests() const { return requests_; }
  uint64_t chunked_bodies() const { return chunked_bodies_; }
  uint64_t websocket_frames() const { return websocket_ != nullptr ? websocket_->frames() : 0; }

 private:
  static const http_parser_settings& Settings();
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t len);
  static int OnHeaderField(http_parser* p, const char* at, size_t len);
  static int OnHeaderValue(http_parser* p, const char* at, size_t len);
  static int OnHeadersComplete(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t len);
  static int OnMessageComplete(http_parser* p);
  void EndHeader();
  uint64_t WireOf(const char* at) const;
  void Trailer(const char* at);
  // Rewrites byte `i` of value_ where it is on the wire.
  void EditValueByte(size_t i);
  // Appends [from, to) of the current request's body data.
  void AppendBody(uint64_t from, uint64_t to, std::vector<FramedRun>* out);
  // Appends [from, to) as framing or text, merging with the run before.
  void Append(FramedRun::Kind kind, uint64_t from, uint64_t to, std::vector<FramedRun>* out);

  enum class Event : uint8_t { kNone, kHeadersComplete, kMessageComplete };

  http_parser parser_{};
  Mode mode_ = Mode::kStart;
  bool in_body_ = false;
  Event event_ = Event::kNone;
  // During a Execute: where the bytes given begin, and the body runs found.
  const uint8_t* feed_base_ = nullptr;
  uint64_t feed_off_ = 0;
  std::vector<FramedRun>* body_out_ = nullptr;
  uint64_t classed_ = 0;  // wire bytes before it are in a run already
  // The head being read.
  std::string field_, value_;
  bool in_value_ = false;
  bool in_message_ = false;             // a request begun and not read whole
  std::vector<RequestRecord> records_;  // few: pruned as the scanner moves on
  uint64_t next_begin_ = 0;
  uint64_t body_end_ = UINT64_MAX;
  uint64_t error_at_ = 0;
  const char* error_ = "";
  bool websocket_asked_ = false;                 // the head being read asks for a WebSocket upgrade
  bool h2c_asked_ = false;                       // ... or for h2c
  std::unique_ptr<WebSocketFraming> websocket_;  // after a WebSocket upgrade
  // The stream's first bytes, to tell a head http-parser refuses from a
  // stream that is no HTTP.
  struct FirstLine {
    uint8_t bytes[24] = {};
    size_t used = 0;
    void Add(const uint8_t* data, size_t len);
    bool LooksLikeRequest() const;
  };
  FirstLine first_line_;
  bool error_in_body_ = false;
  bool uninspectable_ = false;
  std::vector<WireEdit> edits_;
  // The header value being read: (index in value_, wire offset) of each
  // piece, few.
  static constexpr size_t kMaxValuePieces = 8;
  std::vector<std::pair<size_t, uint64_t>> value_pieces_;
  bool in_trailers_ = false;
  uint64_t requests_ = 0;
  uint64_t chunked_bodies_ = 0;
};

}  // namespace dlp
