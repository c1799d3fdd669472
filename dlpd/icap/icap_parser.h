// One ICAP/1.0 request (RFC 3507) read as its bytes come: the request line,
// the ICAP headers, the encapsulated HTTP request head, and the chunked
// body, with Preview and its "ieof". For dlpd's REQMOD service
// (issue 26): a TLS-intercepting proxy (Squid with ssl-bump) hands it the
// decrypted requests.
//
// Hand-written: Debian's libicapapi (c-icap) parses requests only inside
// c-icap's own server loop (ci_request_t on its blocking connections) and
// its services are modules loaded into c-icap's process; dlpd serves ICAP
// from its own process, beside the packet path, with its engine, policy
// and incident writer. The parser is bounded everywhere (limits below) and
// fuzzed (tests/fuzz/fuzz_icap.cpp).
//
// Thread-safety: none; one parser per connection, one request at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dlp {

enum class IcapMethod { kOptions, kReqmod };

struct IcapLimits {
  size_t max_head = 64 << 10;       // request line and ICAP headers
  size_t max_fields = 128;          // ICAP header fields
  size_t max_http_head = 64 << 10;  // the encapsulated HTTP request head
  size_t max_body = 64 << 20;       // the de-chunked body
};

struct IcapRequest {
  IcapMethod method = IcapMethod::kOptions;
  std::string uri;      // as sent: icap://host[:port]/service[?args]
  std::string service;  // the path without its "/", up to '?'
  // The ICAP header fields as sent (names as written; compare with any case).
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<size_t> preview;  // Preview: N
  bool allow_204 = false;         // Allow: 204 (the client takes "no change")
  // Encapsulated (REQMOD): the request head's bytes (CRLF CRLF included),
  // and whether a body follows (req-body) or none (null-body).
  std::string http_head;
  bool has_body = false;
  // De-chunked so far. A reader may take bytes out of it as they come
  // (the limits count body_read, every byte the body had).
  std::string body;
  uint64_t body_read = 0;
  bool ieof = false;  // the preview's last chunk said the body ends there

  // The first field named `name` (any case), or nullptr.
  const std::string* Field(std::string_view name) const;
};

// Why a request cannot be served: the ICAP status to answer (400 bad
// request, 405 method not allowed for the service, 501 not implemented,
// 505 version not supported) and a reason for the log.
struct IcapError {
  int status = 400;
  std::string reason;
};

class IcapParser {
 public:
  enum class State {
    kHead,        // reading the request line and ICAP headers
    kHttpHead,    // reading the encapsulated HTTP request head
    kBody,        // reading chunks
    kPreviewEnd,  // the preview ended without ieof: answer 100 Continue
                  // (Continue()) or a final response
    kDone,        // request() is whole
    kError,       // error() says why; the connection closes
  };

  explicit IcapParser(IcapLimits limits = {}) : limits_(limits) {}

  // Reads from `data`; returns how many bytes it took. It takes none past
  // the request's end (kDone: what is left is the next request's), nor
  // past the preview's end (kPreviewEnd). Call again with more bytes while
  // the state is kHead, kHttpHead or kBody.
  size_t Feed(std::string_view data);
  // kPreviewEnd -> kBody: the client sends the rest of the body now.
  void Continue();
  // For the next request on the connection (keep-alive).
  void Reset();

  State state() const { return state_; }
  const IcapRequest& request() const { return req_; }
  IcapRequest& request() { return req_; }
  const IcapError& error() const { return error_; }

 private:
  size_t FeedHead(std::string_view data);
  size_t FeedHttpHead(std::string_view data);
  size_t FeedBody(std::string_view data);
  bool ParseHead();  // the request line and fields in head_
  bool ParseEncapsulated(const std::string& value);
  // Reads one chunk-size line in line_; false on error (set).
  bool ChunkSizeLine();
  void Fail(int status, std::string reason);

  IcapLimits limits_;
  State state_ = State::kHead;
  IcapRequest req_;
  IcapError error_;
  std::string head_;          // the ICAP head so far
  size_t http_head_len_ = 0;  // from Encapsulated
  bool in_preview_ = false;
  // Chunk reader.
  enum class Chunk { kSize, kData, kDataEnd, kTrailer } chunk_ = Chunk::kSize;
  std::string line_;  // a size or trailer line so far
  uint64_t chunk_left_ = 0;
  bool last_chunk_ = false;  // the 0-size chunk was read: trailers, then the end
  size_t trailers_ = 0;
};

}  // namespace dlp
