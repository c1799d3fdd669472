// Pulls the method, Host and path out of a segment that starts an HTTP
// request, for the incident record. Written by hand rather than with
// http-parser because only the first line and one header of a single
// segment are read, with no per-flow parser state to keep; the stream-aware
// flow table (issue 4) is where a full parser belongs.
#pragma once

#include <string>
#include <string_view>

namespace dlp {

struct HttpRequestInfo {
  std::string method, host, path;
};

// False unless `payload` starts with "<METHOD> <target> HTTP/1.x". Bounded:
// reads at most the first 8 KiB.
bool ParseHttpRequestHead(std::string_view payload, HttpRequestInfo* out);

}  // namespace dlp
