#include "dlpd/http/http_request.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace dlp {
namespace {
constexpr size_t kMaxHead = 8192;
constexpr size_t kMaxField = 1024;  // longer paths/hosts are cut for the record
constexpr std::array<std::string_view, 9> kMethods = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"};

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

std::string Printable(std::string_view s) {
  std::string out(s.substr(0, kMaxField));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return out;
}
}  // namespace

bool ParseHttpRequestHead(std::string_view payload, HttpRequestInfo* out) {
  std::string_view head = payload.substr(0, kMaxHead);
  // The method first: most segments are not the start of a request, and
  // this rejects them without reading further.
  size_t sp1 = head.substr(0, 8).find(' ');
  if (sp1 == std::string_view::npos) return false;
  std::string_view method = head.substr(0, sp1);
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) return false;
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return false;
  std::string_view line = head.substr(0, eol);
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1, 7) != "HTTP/1.") return false;
  out->method = std::string(method);
  out->path = Printable(line.substr(sp1 + 1, sp2 - sp1 - 1));
  out->host.clear();
  out->head_len = 0;
  out->body_length.reset();
  bool has_host = false, has_length = false, chunked = false, bad_length = false;
  uint64_t length = 0;
  size_t pos = eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) break;
    if (e == pos) {
      out->head_len = e + 2;
      break;
    }
    std::string_view h = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = h.substr(0, colon);
    std::string_view v = Trim(h.substr(colon + 1));
    if (!has_host && IEquals(name, "host")) {
      out->host = Printable(v);
      has_host = true;
    } else if (IEquals(name, "content-length")) {
      // Digits only (RFC 9110); repeated, it must say the same.
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size() ||
          (has_length && n != length)) {
        bad_length = true;
      }
      length = n;
      has_length = true;
    } else if (IEquals(name, "transfer-encoding")) {
      chunked = true;  // it frames the body, whatever Content-Length says (RFC 9112 6.3)
    }
  }
  if (out->head_len != 0 && !chunked && !bad_length) out->body_length = has_length ? length : 0;
  return true;
}

}  // namespace dlp
