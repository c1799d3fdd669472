#include "dlpd/icap/icap_response.h"

#include <cstdio>

namespace dlp {
namespace {

const char* StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "ICAP Service Not Found";
    case 405:
      return "Method Not Allowed For Service";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 501:
      return "Method Not Implemented";
    case 503:
      return "Service Overloaded";
    case 505:
      return "ICAP Version Not Supported";
    default:
      return "Server Error";
  }
}

// ISTag: a quoted string of at most 32 characters, printable, no quote.
std::string IsTag(const IcapService& s) {
  std::string tag;
  for (char c : s.istag) {
    if (c > 32 && c < 127 && c != '"' && c != '\\' && tag.size() < 32) tag += c;
  }
  return "ISTag: \"" + (tag.empty() ? std::string("dlpd") : tag) + "\"\r\n";
}

std::string StatusLine(int status) {
  return "ICAP/1.0 " + std::to_string(status) + " " + StatusText(status) + "\r\n";
}

}  // namespace

std::string Chunk(std::string_view piece) {
  std::string out;
  if (!piece.empty()) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    out.reserve(piece.size() + 24);
    out += size;
    out += piece;
    out += "\r\n";
  }
  return out;
}

std::string ChunkedBody(std::string_view body) {
  return Chunk(body) + std::string(kLastChunk);
}

std::string IcapOptionsResponse(const IcapService& s) {
  return StatusLine(200) + "Methods: REQMOD\r\nService: " + s.name + "\r\n" + IsTag(s) +
         "Allow: 204\r\n" +
         (s.preview >= 0 ? "Preview: " + std::to_string(s.preview) + "\r\nTransfer-Preview: *\r\n"
                         : std::string()) +
         "Max-Connections: " + std::to_string(s.max_connections) +
         "\r\nOptions-TTL: " + std::to_string(s.options_ttl_s) +
         "\r\nEncapsulated: null-body=0\r\n\r\n";
}

std::string IcapContinue() {
  return StatusLine(100) + "\r\n";
}

std::string IcapNoChange(const IcapService& s) {
  return StatusLine(204) + IsTag(s) + "Encapsulated: null-body=0\r\n\r\n";
}

std::string IcapModifiedHead(const IcapService& s, std::string_view http_head, bool has_body) {
  return StatusLine(200) + IsTag(s) + "Encapsulated: req-hdr=0, " +
         (has_body ? "req-body=" : "null-body=") + std::to_string(http_head.size()) + "\r\n\r\n" +
         std::string(http_head);
}

std::string IcapModifiedRequest(const IcapService& s, std::string_view http_head,
                                std::string_view body, bool has_body) {
  std::string out = IcapModifiedHead(s, http_head, has_body);
  if (has_body) out += ChunkedBody(body);
  return out;
}

std::string IcapHttpResponse(const IcapService& s, int status, std::string_view reason,
                             std::string_view page) {
  const std::string http = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                           "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                           std::to_string(page.size()) +
                           "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  return StatusLine(200) + IsTag(s) +
         "Encapsulated: res-hdr=0, res-body=" + std::to_string(http.size()) + "\r\n\r\n" + http +
         ChunkedBody(page);
}

std::string IcapErrorResponse(const IcapService& s, int status) {
  return StatusLine(status) + IsTag(s) + "Connection: close\r\nEncapsulated: null-body=0\r\n\r\n";
}

}  // namespace dlp
