// The text the application reads, from wire bytes: framing removed,
// characters decoded, and the map back to the wire bytes of each.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dlpd/http/body_inflater.h"
#include "dlpd/http/char_decoder.h"
#include "dlpd/http/stream_normalizer.h"

namespace dlp {
namespace {

// The byte the normalizer puts where a request (or a WebSocket message)
// ends: no value, and no line, goes on across it.
const std::string kEnd(1, '\0');

const uint8_t* Bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// Feeds `wire` cut at `cuts` (ascending), then finishes.
std::string Normalize(const std::string& wire, bool http, const std::vector<size_t>& cuts = {},
                      StreamNormalizer* keep = nullptr) {
  StreamNormalizer local(http);
  StreamNormalizer& n = keep != nullptr ? *keep : local;
  std::vector<uint8_t> out;
  size_t at = 0;
  for (size_t c : cuts) {
    n.Feed(Bytes(wire) + at, c - at, at, &out);
    at = c;
  }
  n.Feed(Bytes(wire) + at, wire.size() - at, at, &out);
  n.Finish(&out);
  return {out.begin(), out.end()};
}

const std::string kChunkedHead =
    "POST /up HTTP/1.1\r\nHost: files.example\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST(HttpNormalizer, ChunkFramingIsNotText) {
  const std::string wire =
      kChunkedHead + "5\r\ncard=\r\n9;ext=1\r\n4111 1111\r\n5\r\n 1111\r\n0\r\nX-T: 1\r\n\r\n";
  // Trailers reach the application: text, after the body's boundary.
  EXPECT_EQ(Normalize(wire, true),
            kChunkedHead + "card=4111 1111 1111" + kEnd + "X-T: 1\r\n\r\n" + kEnd);
}

TEST(HttpNormalizer, EveryCutOfAChunkedBodyReadsTheSame) {
  const std::string wire = kChunkedHead + "5\r\ncard=\r\n9\r\n4111 1111\r\n1\r\n \r\n4\r\n%31" +
                           "1\r\n0\r\nT: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: b\r\n\r\n";
  const std::string want = Normalize(wire, true);
  EXPECT_EQ(want, kChunkedHead + "card=4111 1111 11" + kEnd + "T: 1\r\n\r\n" + kEnd +
                      "GET /next HTTP/1.1\r\nHost: b\r\n\r\n" + kEnd);
  for (size_t a = 1; a < wire.size(); ++a) {
    for (size_t b = a; b < wire.size(); b += 7) {
      ASSERT_EQ(Normalize(wire, true, {a, b}), want) << a << " " << b;
    }
  }
}

TEST(HttpNormalizer, AnEscapeCutByChunkFramingIsOneCharacter) {
  // "%3" ends one chunk, "5" begins the next: the application reads '5'.
  const std::string wire = kChunkedHead + "2\r\n%3\r\n1\r\n5\r\n0\r\n\r\n";
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize(wire, true, {}, &n), kChunkedHead + "5" + kEnd);
  WireUnits units;
  n.map().UnitsIn(kChunkedHead.size(), wire.size(), &units);
  // The escape's two pieces and the framing around and between them.
  std::vector<std::pair<uint64_t, bool>> got;
  for (const WireUnit& u : units) got.emplace_back(u.off - kChunkedHead.size(), u.framing);
  const std::vector<std::pair<uint64_t, bool>> want = {
      {0, true}, {3, false}, {5, true}, {10, false}, {11, true}};
  EXPECT_EQ(got, want);
}

TEST(HttpNormalizer, LineBreaksBeforeTheFirstRequestAreReadWithTheirOwnBytes) {
  // http-parser skips them; they must be read in the feed that brings them
  // (each piece here is a buffer of its own, as a packet's payload is).
  const std::string wire = std::string(30, '\r') + "\r\nPOST /up HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    StreamNormalizer n(true);
    std::vector<uint8_t> out;
    const std::vector<uint8_t> one(wire.begin(), wire.begin() + static_cast<long>(cut));
    const std::vector<uint8_t> two(wire.begin() + static_cast<long>(cut), wire.end());
    n.Feed(one.data(), one.size(), 0, &out);
    n.Feed(two.data(), two.size(), cut, &out);
    n.Finish(&out);
    ASSERT_EQ(std::string(out.begin(), out.end()), wire + kEnd) << "cut at " << cut;  // its end
  }
}

TEST(HttpNormalizer, ARequestEndIsABoundary) {
  const std::string one = "POST /p0 HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n4111 1111";
  const std::string two = "POST /p1 HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n";
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize(one + two, true, {}, &n), one + kEnd + two + kEnd);
  ASSERT_NE(n.framing(), nullptr);
  EXPECT_EQ(n.framing()->requests(), 2u);
  EXPECT_EQ(n.framing()->RequestAt(one.size() - 1)->info.host, "a");
  EXPECT_EQ(n.framing()->RequestAt(one.size() + 3)->info.host, "b");
  EXPECT_EQ(n.framing()->RequestAt(one.size() + 3)->info.path, "/p1");
}

TEST(HttpNormalizer, EncodingsReadAsTheApplicationReadsThem) {
  struct Case {
    std::string wire, text;
  };
  const std::vector<Case> cases = {
      {"536%2D22%2d1457", "536-22-1457"},
      {"4111+1111", "4111+1111"},  // the rules read a form's '+' as a space
      {"\\u0034\\u00311", "411"},
      {"\\\\u0034", "\\u0034"},  // an escaped backslash: no escape follows
      {"&#52;&#x31;&#X31&#0049;", "4111"},
      {"&amp;#52;", "&amp;#52;"},  // no reference follows the '&' of "&amp;"
      {"4111&nbsp;1111&ndash;1", "4111 1111-1"},
      {"\xEF\xBC\x94\xEF\xBC\x91", "41"},  // full-width digits
      {"1\xC2\xA0"
       "2\xE2\x80\xAF"
       "3\xE2\x80\x89"
       "4",
       "1 2 3 4"},  // no-break, narrow, thin
      {"1\xE2\x80\x93"
       "2\xE2\x80\x91"
       "3\xE2\x88\x92"
       "4",
       "1-2-3-4"},  // en dash, nb hyphen, minus
      {"%EF%BC%94%C2%A0", "4 "},
      {"\\uFF14\\u00a0&#65300;&#x2212;", "4 4-"},
      {"caf\xC3\xA9 %E4%B8%AD", "caf\xC3\xA9 \xE4\xB8\xAD"},
      {"100% sure, 5%", "100% sure, 5%"},
      {"&#;&#x;&q", "&#;&#x;&q"},
      // Escaped twice (a URL in a parameter): the character it ends as;
      // "%25" before anything but two hex digits is a '%'.
      {"4111%25201111%2534", "4111 11114"},
      {"50%25 off, %25zz, %252", "50% off, %zz, %2"},
      {"%25C3%25A9", "%C3%A9"},  // no UTF-8 read through two layers
      // Read twice only to a digit or a space: "%2541" is "%41", as the
      // application that decodes once reads it.
      {"%25414111%252D1", "%414111%2D1"},
      {"1\xE2\x80\x84"
       "2",
       "1 2"},  // three-per-em space
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Normalize(c.wire, false), c.text) << c.wire;
    for (size_t cut = 1; cut < c.wire.size(); ++cut) {
      ASSERT_EQ(Normalize(c.wire, false, {cut}), c.text) << c.wire << " cut at " << cut;
    }
  }
}

TEST(HttpNormalizer, EachCharacterMapsToItsWireBytes) {
  const std::string wire = "a%34\\u0031&#49;\xEF\xBC\x91z";
  StreamNormalizer n(false);
  EXPECT_EQ(Normalize(wire, false, {}, &n), "a4111z");
  const std::vector<std::pair<uint64_t, uint64_t>> want = {{0, 1},   {1, 4},   {4, 10},
                                                           {10, 15}, {15, 18}, {18, 19}};
  for (uint64_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(n.map().WireStart(i), want[i].first) << i;
    EXPECT_EQ(n.map().WireEnd(i), want[i].second) << i;
  }
  EXPECT_EQ(n.map().NormalizedBefore(4), 2u);
  EXPECT_EQ(n.map().NormalizedBefore(5), 3u);  // a character cut by the offset counts
}

TEST(HttpNormalizer, NotHttpFromTheStartIsPlainText) {
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize("ssn=536-22-1457", true, {}, &n), "ssn=536-22-1457");
  EXPECT_EQ(n.framing()->mode(), RequestFraming::Mode::kPlain);
}

TEST(HttpNormalizer, BrokenFramingIsNamedAndTheRestIsPlainText) {
  const std::string wire = kChunkedHead + "5\r\nhello\r\nZZ\r\n4111 1111\r\n";
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize(wire, true, {}, &n), kChunkedHead + "helloZZ\r\n4111 1111\r\n");
  EXPECT_EQ(n.framing()->mode(), RequestFraming::Mode::kLost);
  EXPECT_EQ(n.framing()->error_at(), kChunkedHead.size() + 10);
  EXPECT_STREQ(n.framing()->error(), "HPE_INVALID_CHUNK_SIZE");
}

TEST(HttpNormalizer, AfterARefusedH2cUpgradeRequestsGoOnInHttp1) {
  const std::string head =
      "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";
  const std::string next =
      "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\n411\r\n2\r\n11\r\n0\r\n\r\n";
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize(head + next, true, {}, &n),
            head + kEnd + "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n41111" +
                kEnd);
  EXPECT_EQ(n.framing()->mode(), RequestFraming::Mode::kHttp);
  // Had the server upgraded (the edit too late), HTTP/2 follows: uninspectable.
  StreamNormalizer h2(true);
  Normalize(head + "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true, {}, &h2);
  EXPECT_TRUE(h2.framing()->uninspectable());
  // CONNECT: another protocol, read as text.
  StreamNormalizer c(true);
  EXPECT_EQ(Normalize("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01", true, {}, &c),
            "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n" + kEnd + "\x16\x03\x01");
  EXPECT_EQ(c.framing()->mode(), RequestFraming::Mode::kUpgraded);
}

// A client WebSocket frame (RFC 6455 5.2): FIN and opcode, the mask bit
// and length, the key, the payload XOR-masked with it.
std::string WsFrame(const std::string& payload, uint8_t opcode = 1, bool fin = true,
                    const std::string& key = "\x12\x34\x56\x78") {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xFF);
  }
  f += key;
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

const std::string kWsHead =
    "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

TEST(HttpNormalizer, WebSocketMessagesAreReadUnmaskedAcrossFragmentsAndControlFrames) {
  // A message in two fragments with a ping between them, then another.
  const std::string wire = kWsHead + WsFrame("{\"card\":\"4111 1111", 1, false) +
                           WsFrame("ping", 9) + WsFrame(" 1111 1111\"}", 0, true, "abcd") +
                           WsFrame(std::string(300, 'z') + "ssn=536-22-1457", 2);
  const std::string want = kWsHead + kEnd + "{\"card\":\"4111 1111 1111 1111\"}" + kEnd +
                           std::string(300, 'z') + "ssn=536-22-1457" + kEnd;
  StreamNormalizer n(true);
  EXPECT_EQ(Normalize(wire, true, {}, &n), want);
  EXPECT_EQ(n.framing()->mode(), RequestFraming::Mode::kWebSocket);
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    ASSERT_EQ(Normalize(wire, true, {cut}), want) << "cut at " << cut;
  }
}

TEST(HttpNormalizer, TheBodyGoesOnWhileItsLengthSaysSoOrItsLastChunkHasNotCome) {
  StreamNormalizer n(true);
  std::vector<uint8_t> out;
  const std::string head = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
  n.Feed(Bytes(head + "12345"), head.size() + 5, 0, &out);
  EXPECT_TRUE(n.framing()->BodyGoesOnAfter(head.size() + 5));
  EXPECT_FALSE(n.framing()->BodyGoesOnAfter(head.size() + 10));
  StreamNormalizer c(true);
  const std::string chunk = kChunkedHead + "a\r\n12345";
  c.Feed(Bytes(chunk), chunk.size(), 0, &out);
  EXPECT_TRUE(c.framing()->BodyGoesOnAfter(chunk.size()));
  const std::string more = "67890\r\n";  // the chunk ends; the body has not
  c.Feed(Bytes(more), more.size(), chunk.size(), &out);
  EXPECT_TRUE(c.framing()->BodyGoesOnAfter(chunk.size() + more.size()));
  const std::string last = "0\r\n\r\n";
  c.Feed(Bytes(last), last.size(), chunk.size() + more.size(), &out);
  EXPECT_FALSE(c.framing()->BodyGoesOnAfter(chunk.size() + more.size() + last.size()));
}

// The normalizer skips bytes >= 0x80 but four (random and compressed bytes
// are half such bytes): every other lead byte must begin no character that
// is read as ASCII. Every code point, encoded.
TEST(CharDecoder, OnlyFourLeadBytesBeginCharactersReadAsAscii) {
  size_t decoded = 0;
  for (uint32_t cp = 0x80; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    uint8_t b[4];
    size_t n = 0;
    if (cp < 0x800) {
      b[n++] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    } else if (cp < 0x10000) {
      b[n++] = static_cast<uint8_t>(0xE0 | (cp >> 12));
      b[n++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    } else {
      b[n++] = static_cast<uint8_t>(0xF0 | (cp >> 18));
      b[n++] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
      b[n++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    }
    b[n++] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    DecodedChar c;
    const Decode d = DecodeChar(b, n, /*final=*/true, &c);
    if (d == Decode::kDecoded) {
      ++decoded;
      ASSERT_TRUE(MayLeadReadUtf8(b[0])) << std::hex << cp;
    }
  }
  EXPECT_EQ(decoded, 30u);  // 12 spaces, 8 dashes, 10 full-width digits
}

TEST(CharDecoder, AMaskedDigitKeepsItsEncodingAndLength) {
  struct Case {
    std::string wire, masked;
  };
  const std::vector<Case> cases = {
      {"%34", "%58"},         {"%EF%BC%94", "%EF%BC%B8"},
      {"\\u0034", "\\u0058"}, {"\\uFF14", "\\uFF38"},
      {"&#52;", "&#88;"},     {"&#0052;", "&#0088;"},
      {"&#x34;", "&#x58;"},   {"&#65300;", "&#65336;"},
      {"&#xff14", "&#xFF38"}, {"\xEF\xBC\x94", "\xEF\xBC\xB8"},
      {"%2534", "%2558"},
  };
  for (const Case& c : cases) {
    DecodedChar d;
    ASSERT_EQ(DecodeChar(Bytes(c.wire), c.wire.size(), true, &d), Decode::kDecoded) << c.wire;
    ASSERT_TRUE(d.digit) << c.wire;
    ASSERT_EQ(d.wire_len, c.wire.size()) << c.wire;
    std::string out = c.wire;
    uint8_t rep[kMaxEncodedChar];
    bool keep[kMaxEncodedChar];
    MaskedEncoding(d.encoding, d.wire_len, d.fullwidth, d.semicolon, rep, keep);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!keep[i]) out[i] = static_cast<char>(rep[i]);
    }
    EXPECT_EQ(out, c.masked) << c.wire;
  }
}

}  // namespace
}  // namespace dlp

// Through the packet path: what the server reads is what is scanned, and
// masking writes each digit in its own encoding, never into framing.
#include <brotli/encode.h>
#include <zlib.h>

#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::Tcp4;

TEST(HttpOnThePath, AValueCutByChunkFramingIsMaskedAndTheFramingKept) {
  Gateway gw;
  const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = "7\r\ncard=41\r\n9\r\n11 1111 1\r\n6\r\n111 11\r\n2\r\n11\r\n0\r\n\r\n";
  gw.Send(Tcp4(1, head + body));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(),
            head + "7\r\ncard=XX\r\n9\r\nXX XXXX X\r\n6\r\nXXX XX\r\n2\r\nXX\r\n0\r\n\r\n");
  EXPECT_EQ(gw.pipeline().counters().findings.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().chunked_bodies.load(), 1u);
}

TEST(HttpOnThePath, EscapedDigitsAndSeparatorsAreMaskedInTheirEncoding) {
  Gateway gw;
  gw.Send(Tcp4(1,
               "a=536%2D22%2D1457;b=\\u0034111+1111+1111+&#49;111;c=\xEF\xBC\x95"
               "36-22-1457;"));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(),
            "a=XXX%2DXX%2DXXXX;b=\\u0058XXX+XXXX+XXXX+&#88;XXX;c=\xEF\xBC\xB8"
            "XX-XX-XXXX;");
  EXPECT_EQ(gw.pipeline().counters().findings.load(), 3u);
}

TEST(HttpOnThePath, AValueEndingABodyIsOneWhateverRequestFollows) {
  Gateway gw;
  const std::string one =
      "POST /p0 HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n4111111111111111";
  const std::string two = "POST /p1 HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n";
  gw.Send(Tcp4(1, one + two));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(), one.substr(0, one.size() - 16) + std::string(16, 'X') + two);
}

TEST(HttpOnThePath, AWebSocketValueIsMaskedUnderTheClientsKey) {
  Gateway gw;
  const std::string frame = WsFrame("{\"card\":\"4111 1111 1111 1111\",\"n\":1}");
  gw.Send(Tcp4(1, kWsHead + frame));
  gw.pipeline().Flush(gw);
  const std::string out = gw.Delivered();
  EXPECT_EQ(gw.pipeline().counters().findings.load(), 1u);
  ASSERT_EQ(out.size(), kWsHead.size() + frame.size());
  std::string payload = out.substr(kWsHead.size() + 6);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= "\x12\x34\x56\x78"[i % 4];
  EXPECT_EQ(payload, "{\"card\":\"XXXX XXXX XXXX XXXX\",\"n\":1}");
  EXPECT_EQ(out.substr(0, kWsHead.size() + 6), kWsHead + frame.substr(0, 6));
}

TEST(HttpOnThePath, WhatCannotBeMaskedInPlaceIsRefusedInTheHead) {
  // An h2c upgrade token and a WebSocket compression offer, each one byte
  // changed: the server stays on HTTP/1.1, or takes no compression.
  Gateway gw;
  const std::string h2c =
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
  gw.Send(Tcp4(1, h2c));
  std::string want = h2c;
  want.replace(want.find("h2c\r\n"), 1, "X");
  EXPECT_EQ(gw.Delivered(), want);
  Gateway ws;
  std::string head = kWsHead;
  head.insert(head.size() - 2,
              "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
  ws.Send(Tcp4(1, head));
  want = head;
  want.replace(want.find("permessage"), 1, "X");
  EXPECT_EQ(ws.Delivered(), want);
  EXPECT_EQ(ws.pipeline().counters().head_edits.load(), 1u);
}

TEST(HttpOnThePath, AnUninspectableProtocolStopsTheFlowWhenClosed) {
  Gateway gw;
  gw.Send(Tcp4(1, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  EXPECT_EQ(gw.pipeline().counters().uninspectable_protocol.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().flows_blocked.load(), 1u);
  EXPECT_EQ(gw.Delivered(), "");
  // A compressed WebSocket frame (RSV1) after the upgrade: stopped there.
  Gateway ws;
  std::string frame = WsFrame("card 4111 1111 1111 1111");
  frame[0] = static_cast<char>(frame[0] | 0x40);
  ws.Send(Tcp4(1, kWsHead + frame));
  EXPECT_EQ(ws.pipeline().counters().uninspectable_protocol.load(), 1u);
  EXPECT_EQ(ws.Delivered(), kWsHead);
}

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // + 16: gzip
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Brotli(const std::string& text) {
  size_t n = BrotliEncoderMaxCompressedSize(text.size());
  std::string out(n, '\0');
  BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, text.size(),
                        reinterpret_cast<const uint8_t*>(text.data()), &n,
                        reinterpret_cast<uint8_t*>(out.data()));
  out.resize(n);
  return out;
}

std::string CodedPost(const std::string& coding, const std::string& body) {
  return "POST /up HTTP/1.1\r\nHost: a\r\nContent-Encoding: " + coding +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// One decoder holds at most kMaxDecoderBytes (its allocations counted as
// made): a brotli stream whose 16 MiB window a sender chose does not decode;
// the usual 4 MiB window does, and zlib keeps its 44 KiB or so.
TEST(BodyInflaterMemory, ADecodersAllocationsAreCountedAndCapped) {
  std::string text;
  for (uint64_t i = 0; text.size() < (size_t{6} << 20); ++i) {
    text += "row " + std::to_string(i * 7919) + ";";
  }
  auto brotli = [&](int lgwin) {
    size_t n = BrotliEncoderMaxCompressedSize(text.size());
    std::string out(n, '\0');
    EXPECT_TRUE(BrotliEncoderCompress(1, lgwin, BROTLI_MODE_TEXT, text.size(),
                                      reinterpret_cast<const uint8_t*>(text.data()), &n,
                                      reinterpret_cast<uint8_t*>(out.data())));
    out.resize(n);
    return out;
  };
  for (const int lgwin : {22, 24}) {
    const std::string coded = brotli(lgwin);
    auto inflater = BodyInflater::Make(ContentCoding::kBrotli);
    std::vector<uint8_t> out;
    size_t peak = 0;
    bool ok = true;
    for (size_t at = 0; ok && at < coded.size(); at += 4096) {
      ok = inflater->Feed(reinterpret_cast<const uint8_t*>(coded.data()) + at,
                          std::min<size_t>(4096, coded.size() - at), &out);
      peak = std::max(peak, inflater->memory_bytes());
      out.clear();
    }
    EXPECT_LE(peak, BodyInflater::kMaxDecoderBytes + 256) << lgwin;
    EXPECT_EQ(ok, lgwin == 22) << lgwin << ": " << inflater->why();
    if (lgwin == 22) {
      EXPECT_GT(peak, size_t{4} << 20);  // the window is counted
    }
  }
  auto zlib = BodyInflater::Make(ContentCoding::kGzip);
  std::vector<uint8_t> out;
  const std::string gz = Gzip(text.substr(0, 100000));
  ASSERT_TRUE(zlib->Feed(reinterpret_cast<const uint8_t*>(gz.data()), gz.size(), &out));
  EXPECT_GT(zlib->memory_bytes(), size_t{32} << 10);
  EXPECT_LT(zlib->memory_bytes(), size_t{64} << 10);
}

TEST(HttpOnThePath, AValueInACompressedBodyIsBlockedAndRecorded) {
  for (const auto& [coding, body] :
       {std::pair{std::string("gzip"),
                  Gzip(std::string(3000, 'a') + "card=4111 1111 1111 1111&x=1")},
        std::pair{std::string("br"), Brotli("{\"ssn\":\"536-22-1457\"}")},
        std::pair{std::string("deflate"), std::string()}}) {
    std::string b = body;
    if (coding == "deflate") {  // zlib's format
      uLongf n = compressBound(30);
      b.assign(n, '\0');
      const std::string text = "pan=4111111111111111;";
      compress(reinterpret_cast<Bytef*>(b.data()), &n, reinterpret_cast<const Bytef*>(text.data()),
               text.size());
      b.resize(n);
    }
    Gateway gw;
    gw.Send(Tcp4(0, "", 0x02));
    const std::string req = CodedPost(coding, b);
    // In MSS-sized pieces: the value is found as the body inflates.
    for (size_t at = 0; at < req.size(); at += 512) {
      gw.Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at, 512)));
    }
    gw.pipeline().Flush(gw);
    const auto& c = gw.pipeline().counters();
    EXPECT_EQ(c.compressed_blocks.load(), 1u) << coding;
    EXPECT_EQ(c.flows_blocked.load(), 1u) << coding;
    EXPECT_GT(c.bytes_inflated.load(), 0u) << coding;
    EXPECT_LT(gw.Delivered().size(), req.size()) << coding;  // the request did not go whole
  }
}

TEST(HttpOnThePath, ACleanCompressedBodyLeavesByteIdentical) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += "{\"id\":" + std::to_string(100000 + i) + ",\"price\":12.5}\n";
  Gateway gw;
  const std::string req = CodedPost("gzip", Gzip(text));
  for (size_t at = 0; at < req.size(); at += 1400) {
    gw.Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at, 1400)));
  }
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(), req);
  EXPECT_EQ(gw.pipeline().counters().bytes_inflated.load(), text.size());
}

TEST(HttpOnThePath, ACompressedBodyThatCannotBeInspectedStopsTheFlowWhenClosed) {
  // Corrupt data, a bomb past the ratio limit, a coding dlpd does not read.
  const std::string bomb = Gzip(std::string(8u << 20, '0'));
  for (const std::string& req :
       {CodedPost("gzip",
                  std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) +
                      "\xff\xff\xff\xff"),  // a reserved block type CodedPost("gzip", bomb),
        CodedPost("zstd", "whatever")}) {
    Gateway gw;
    for (size_t at = 0; at < req.size(); at += 1400) {
      gw.Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at, 1400)));
    }
    EXPECT_EQ(gw.pipeline().counters().uninspectable_protocol.load(), 1u) << req.substr(0, 60);
    EXPECT_EQ(gw.pipeline().counters().flows_blocked.load(), 1u) << req.substr(0, 60);
  }
}

// Found by a review that tried to get values past this layer.
TEST(HttpOnThePath, WhatAReviewGotPastIsFoundOrStopped) {
  auto run = [](const std::string& req) {
    auto gw = std::make_unique<Gateway>();
    for (size_t at = 0; at < req.size(); at += 700) {
      gw->Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at, 700)));
    }
    gw->pipeline().Flush(*gw);
    return gw;
  };
  const std::string chunked = "f\r\ncard=4111 1111 \r\n9\r\n1111 1111\r\n0\r\n\r\n";
  // Heads http-parser refuses but servers read: uninspectable, stopped.
  for (const std::string& head :
       {std::string("QUERY / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
        std::string(
            "POST / HTTP/1.1\r\nHost: a\r\nX@Trace: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                    "5\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n")}) {
    auto gw = run(head + chunked);
    EXPECT_EQ(gw->pipeline().counters().uninspectable_protocol.load(), 1u) << head;
    EXPECT_EQ(gw->Delivered().find("1111 1111"), std::string::npos) << head;
  }
  // Compressed: escapes in the inflated text, a second gzip member, and a
  // repeated Content-Encoding.
  for (const std::string& req :
       {CodedPost("gzip", Gzip("{\"c\":\"\\u0034111111111111111\"}")),
        CodedPost("gzip", Gzip("hello=1&") + Gzip("card=4111 1111 1111 1111")),
        std::string("POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\n"
                    "Content-Encoding: identity\r\nContent-Length: 8\r\n\r\nwhatever")}) {
    auto gw = run(req);
    EXPECT_EQ(gw->pipeline().counters().flows_blocked.load(), 1u) << req.substr(0, 90);
  }
  // Escaped twice (a URL in a parameter, read by whoever follows it): a
  // separator stays, a digit is masked in its two layers ("%2535" ->
  // "%2558").
  auto gw = run("next=card%3D4111%25201111%25201111%25201111&x=1");
  EXPECT_EQ(gw->Delivered(), "next=card%3DXXXX%2520XXXX%2520XXXX%2520XXXX&x=1");
  gw = run("next=%2Fq%3Fssn%3D%2535%2533%2536-22-1457&x=1");
  EXPECT_EQ(gw->Delivered(), "next=%2Fq%3Fssn%3D%2558%2558%2558-XX-XXXX&x=1");
  // Trailers reach the application: scanned (after a boundary).
  gw =
      run("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Card\r\n\r\n"
          "2\r\n11\r\n0\r\nX-Card: 4111 1111 1111 1111\r\n\r\n");
  EXPECT_NE(gw->Delivered().find("X-Card: XXXX XXXX XXXX XXXX\r\n"), std::string::npos);
  EXPECT_NE(gw->Delivered().find("\r\n2\r\n11\r\n0\r\n"), std::string::npos);
  // Every extension offered is refused, not only the first.
  std::string ws = kWsHead;
  ws.insert(ws.size() - 2,
            "Sec-WebSocket-Extensions: x-webkit-deflate-frame, permessage-deflate\r\n");
  gw = run(ws);
  EXPECT_NE(gw->Delivered().find("X-webkit-deflate-frame, Xermessage-deflate"), std::string::npos);
  // "&nbsp" without its ';' is a space.
  gw = run("card=4111&nbsp1111&nbsp1111&nbsp1111 x");
  EXPECT_EQ(gw->Delivered(), "card=XXXX&nbspXXXX&nbspXXXX&nbspXXXX x");
}

TEST(HttpOnThePath, BrokenChunkFramingStopsTheFlowWhenClosed) {
  Gateway gw;
  gw.Send(Tcp4(1,
               "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
               "4\r\nab=1\r\nZZ\r\n4111 1111 1111 1111\r\n"));
  EXPECT_EQ(gw.pipeline().counters().http_framing_lost.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().flows_blocked.load(), 1u);
  EXPECT_EQ(gw.Delivered().find("4111"), std::string::npos);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// Differential: bodies made of text and values, every character written in
// a random encoding the application decodes (or as it is), sent chunked in
// random chunks and fed in random pieces: the text dlpd scans is the
// application's text, byte for byte (so the scanner finds what a scan of
// the application's text finds).
TEST(HttpNormalizerDifferential, TheTextScannedIsTheApplicationsText) {
  std::mt19937 rng(19);
  const std::vector<std::string> pieces = {"card=4111 1111 1111 1111",
                                           "ssn=536-22-1457",
                                           "id=1234567",
                                           "&note=see you at 10",
                                           "{\"pan\":\"5555555555554444\"}",
                                           " price 12.50 ",
                                           "ssn 078-05-1120;",
                                           "text "};
  auto encode = [&](char c) -> std::string {
    char buf[16];
    switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
      case 0:
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        return buf;
      case 1:
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
        return buf;
      case 2:
        std::snprintf(buf, sizeof buf, "&#%d;", static_cast<unsigned char>(c));
        return buf;
      case 3:
        if (c >= '0' && c <= '9')
          return std::string("\xEF\xBC") + static_cast<char>(0x90 + (c - '0'));
        return std::string(1, c);
      default:
        return std::string(1, c);
    }
  };
  for (int round = 0; round < 200; ++round) {
    std::string app, body;
    for (int k = 0; k < 12; ++k) {
      const std::string& p =
          pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
      app += p;
      for (char c : p) body += (c == '%' || c == '&' || c == '\\') ? std::string(1, c) : encode(c);
      app += ' ';
      body += ' ';
    }
    std::string wire = "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string head = wire;
    for (size_t at = 0; at < body.size();) {
      const size_t n =
          std::min(body.size() - at, std::uniform_int_distribution<size_t>(1, 40)(rng));
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      wire += size + body.substr(at, n) + "\r\n";
      at += n;
    }
    wire += "0\r\n\r\n";
    StreamNormalizer n(true);
    std::vector<uint8_t> text;
    for (size_t at = 0; at < wire.size();) {
      const size_t len =
          std::min(wire.size() - at, std::uniform_int_distribution<size_t>(1, 300)(rng));
      n.Feed(Bytes(wire) + at, len, at, &text);
      at += len;
    }
    n.Finish(&text);
    ASSERT_EQ(std::string(text.begin(), text.end()), head + app + kEnd) << "round " << round;
  }
}

}  // namespace
}  // namespace dlp
