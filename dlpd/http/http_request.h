// What a request head says, for incidents and the policy (method, Host,
// path) and for framing (where the body ends). Read by RequestFraming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dlp {

struct HttpRequestInfo {
  std::string method, host, path;
  std::string user_agent;  // the first User-Agent field, printable bytes only
  // Bytes of the head up to and including its blank line; 0 when the head
  // does not end within what was read.
  size_t head_len = 0;
  // The body's length when the head is whole and says it: Content-Length,
  // or 0 with neither Content-Length nor Transfer-Encoding (RFC 9112 6.3).
  // Unset for chunked bodies (they end in "0\r\n\r\n", never in a value
  // byte) and for missing, conflicting or malformed lengths.
  std::optional<uint64_t> body_length;

  // Heap bytes of the strings (a short string's are in the object).
  size_t heap_bytes() const {
    auto heap = [](const std::string& x) { return x.capacity() > 15 ? x.capacity() + 1 : 0; };
    return heap(method) + heap(host) + heap(path) + heap(user_agent);
  }
};

}  // namespace dlp
