// The ICAP/1.0 responses dlpd's REQMOD service sends (RFC 3507): OPTIONS,
// 100 Continue after a preview, 204 when nothing changed, 200 with the
// request (masked: same head, same body length), 200 with an HTTP response
// in its place (block), and errors. Each names the service's ISTag, which
// changes with the rule set and policy so a proxy drops its cached OPTIONS.
//
// Pure functions: no I/O, no state.
#pragma once

#include <string>
#include <string_view>

namespace dlp {

struct IcapService {
  std::string istag;  // up to 32 characters, quoted when sent
  std::string name = "dlpd";
  int max_connections = 256;
  int options_ttl_s = 3600;
  // Preview bytes asked of the client, or -1: none asked (the client
  // sends each body whole, with no round trip for 100 Continue; dlpd
  // reads every body to its end anyway). A preview lets a value in the
  // URL or head block the request before its body is sent.
  int preview = -1;
};

// "ICAP/1.0 200 OK" to OPTIONS: Methods REQMOD, Allow 204, Preview,
// Transfer-Preview *, ISTag, Max-Connections, Options-TTL.
std::string IcapOptionsResponse(const IcapService& s);
// After a preview without ieof: the client may send the rest.
std::string IcapContinue();
// The request goes on unchanged (the client said Allow: 204).
std::string IcapNoChange(const IcapService& s);
// The request as it goes on: `http_head` (CRLF CRLF included) and `body`
// (sent chunked; empty and `has_body` false for none).
std::string IcapModifiedRequest(const IcapService& s, std::string_view http_head,
                                std::string_view body, bool has_body);
// The start of that response when its body follows in pieces (Chunk, then
// kLastChunk): sent while the request's body still comes.
std::string IcapModifiedHead(const IcapService& s, std::string_view http_head, bool has_body);
// An HTTP response instead of the request (block): `status` and `reason`
// ("403", "Forbidden") with an HTML `page`.
std::string IcapHttpResponse(const IcapService& s, int status, std::string_view reason,
                             std::string_view page);
// An ICAP error (400, 404, 405, 408, 413, 500, 501, 503, 505), and
// Connection: close.
std::string IcapErrorResponse(const IcapService& s, int status);

// The body as chunked transfer coding (one chunk, then the last).
std::string ChunkedBody(std::string_view body);
// One chunk ("" for an empty piece: an empty chunk would end the body).
std::string Chunk(std::string_view piece);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace dlp
