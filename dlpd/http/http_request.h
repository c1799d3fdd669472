// Pulls the method, Host and path out of a segment that starts an HTTP
// request, for the incident record, and how the request's body is framed,
// so the pipeline knows where the message ends. Written by hand rather than
// with http-parser because only the head of a single segment is read, with
// no per-flow parser state to keep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dlp {

struct HttpRequestInfo {
  std::string method, host, path;
  // Bytes of the head up to and including its blank line; 0 when the head
  // does not end within what was read.
  size_t head_len = 0;
  // The body's length when the head is whole and says it: Content-Length,
  // or 0 with neither Content-Length nor Transfer-Encoding (RFC 9112 6.3).
  // Unset for chunked bodies (they end in "0\r\n\r\n", never in a value
  // byte) and for missing, conflicting or malformed lengths.
  std::optional<uint64_t> body_length;
};

// False unless `payload` starts with "<METHOD> <target> HTTP/1.x". Bounded:
// reads at most the first 8 KiB.
bool ParseHttpRequestHead(std::string_view payload, HttpRequestInfo* out);

}  // namespace dlp
