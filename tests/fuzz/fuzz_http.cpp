// libFuzzer: the HTTP request head dlpd reads for incidents (method, Host,
// path, body framing) from attacker-controlled segments, then masked as the pipeline does
// before storing. Must never crash or read out of bounds.
#include <cstdint>
#include <string_view>

#include "dlpd/http/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dlp::HttpRequestInfo info;
  if (dlp::ParseHttpRequestHead({reinterpret_cast<const char*>(data), size}, &info)) {
    // What comes out is bounded by what went in.
    if (info.method.size() + info.path.size() + info.host.size() > size) __builtin_trap();
    // The head ends inside what was read, and a body length needs a whole head.
    if (info.head_len > size || (info.body_length && info.head_len == 0)) __builtin_trap();
  }
  return 0;
}
