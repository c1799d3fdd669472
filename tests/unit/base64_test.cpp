// base64 the application decodes: a MIME part that says so and a data:
// URI are decoded and scanned, and a value in them is masked by encoding
// only its groups again, each character in the encoding it was written in,
// the length unchanged; base64 with no value leaves byte-identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dlpd/http/base64_text.h"
#include "dlpd/mask/stream_redactor.h"
#include "tests/unit/base64_support.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

// The byte between two regions of decoded text (Base64Text::kBoundaryByte).
const std::string kEnd(1, '\0');

using test::Gateway;
using test::Tcp4;

using test::b64::Decode;
using test::b64::DecodeLenient;
using test::b64::Encode;
using test::b64::kAlphabet;
using test::b64::Wrap;

const std::string kCsv =
    "name,card,ssn,gtin,amount\n"
    "alice,4111 1111 1111 1111,536-22-1457,4006381333931,12.50\n"
    "bob,5500-0000-0000-0004,078-05-1120,0012345678905,7.25\n";
const std::string kCsvMasked =
    "name,card,ssn,gtin,amount\n"
    "alice,XXXX XXXX XXXX XXXX,XXX-XX-XXXX,4006381333931,12.50\n"
    "bob,XXXX-XXXX-XXXX-XXXX,XXX-XX-XXXX,0012345678905,7.25\n";

std::string Multipart(const std::string& b64_lines) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.csv\"\r\n"
      "Content-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      b64_lines + "--XyZ--\r\n";
  return "POST /up HTTP/1.1\r\nHost: files.example\r\n"
         "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The part's base64 lines in a request Multipart made.
std::string PartOf(const std::string& req) {
  const size_t from = req.find("base64\r\n\r\n") + 10;
  return req.substr(from, req.find("--XyZ--") - from);
}

std::string Through(const std::string& req, const std::vector<size_t>& cuts = {},
                    Gateway* keep = nullptr) {
  Gateway local;
  Gateway& gw = keep != nullptr ? *keep : local;
  gw.Send(Tcp4(0, "", 0x02));
  size_t at = 0;
  for (size_t c : cuts) {
    gw.Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at, c - at)));
    at = c;
  }
  gw.Send(Tcp4(1 + static_cast<uint32_t>(at), req.substr(at)));
  gw.pipeline().Flush(gw);
  return gw.Delivered();
}

// Which characters of two base64 texts differ, by group.
std::vector<size_t> GroupsChanged(const std::string& a, const std::string& b) {
  std::vector<size_t> groups;
  size_t k = 0;  // alphabet characters seen
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == '\r' || a[i] == '\n') continue;
    if (a[i] != b[i] && (groups.empty() || groups.back() != k / 4)) groups.push_back(k / 4);
    ++k;
  }
  return groups;
}

TEST(Base64Text, RegionsAreWhatAMimeHeaderOrADataUriSays) {
  struct Case {
    std::string text;
    std::string decoded;
  };
  const std::string a = Encode("card 4111");  // "Y2FyZCA0MTEx"
  const Case cases[] = {
      {"Content-Transfer-Encoding: base64\r\n\r\n" + a + "\r\n--b", "card 4111" + kEnd},
      {"content-transfer-encoding:\t  BASE64  \r\nX: y\r\n\r\n" + a.substr(0, 8) + "\r\n" +
           a.substr(8) + "\r\n--b",
       "card 4111" + kEnd},
      {"<img src=\"data:image/png;base64," + a + "\">", "card 4111" + kEnd},
      {"{\"f\":\"data:text/plain;Base64," + a + "\"}", "card 4111" + kEnd},
      // JSON escapes inside: "\/" is '/', "\r\n" a line break.
      {"{\"f\":\"data:x;base64,\\/\\/\\/\\/\\r\\n" + a + "\"}",
       "\xFF\xFF\xFF"
       "card 4111" +
           kEnd},
      // The last group short: two characters make a byte, three make two.
      {"data:;base64,QUJD"
       "QQ==",
       "ABCA" + kEnd},
      {"data:;base64,QUJDQUI", "ABCAB" + kEnd},
      // Not a region: no blank line after the header, the header in prose,
      // "base64" with no ';' before it.
      {"Content-Transfer-Encoding: base64 or not\r\n\r\n" + a, ""},
      {"say base64,\r\n\r\n" + a, ""},
      {"Content-Transfer-Encoding: base64\r\n--b\r\n" + a, ""},
  };
  for (const Case& c : cases) {
    Base64Text t;
    std::vector<uint8_t> out;
    t.Feed(reinterpret_cast<const uint8_t*>(c.text.data()), c.text.size(), 100, &out);
    t.Finish(&out);
    EXPECT_EQ(std::string(out.begin(), out.end()), c.decoded) << c.text;
    // Every cut reads the same.
    for (size_t cut = 1; cut < c.text.size(); ++cut) {
      Base64Text u;
      std::vector<uint8_t> o;
      u.Feed(reinterpret_cast<const uint8_t*>(c.text.data()), cut, 100, &o);
      u.Feed(reinterpret_cast<const uint8_t*>(c.text.data()) + cut, c.text.size() - cut, 100 + cut,
             &o);
      u.Finish(&o);
      ASSERT_EQ(std::string(o.begin(), o.end()), c.decoded) << c.text << " cut at " << cut;
    }
  }
}

TEST(Base64Text, EachByteKnowsTheCharactersOfItsGroup) {
  const std::string text = "data:;base64,QUJD\r\nRA==";
  Base64Text t;
  std::vector<uint8_t> out;
  t.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 1000, &out);
  t.Finish(&out);
  ASSERT_EQ(std::string(out.begin(), out.end()), "ABCD" + kEnd);
  const Base64Group* g = t.GroupOf(3);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->decoded, 3u);
  EXPECT_EQ(g->nchars, 2);
  EXPECT_EQ(g->norm[0], 1000u + 19);  // after the line break
  EXPECT_EQ(t.GroupOf(1)->norm[3], 1000u + 16);
  EXPECT_EQ(t.GroupOf(4), nullptr);  // the boundary
  t.PruneBefore(3);
  EXPECT_EQ(t.GroupOf(1), nullptr);
  EXPECT_EQ(t.regions(), 1u);
}

TEST(Base64Text, ANameCutAnywhereIsStillSeen) {
  const std::string s = "x;base64,";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(
        Base64Text::Mentioned(s.substr(0, cut), reinterpret_cast<const uint8_t*>(s.data()) + cut,
                              s.size() - cut),
        cut < 8)
        << cut;  // once "base64" is all before, this piece does not name it
  }
  const std::string none = "{\"id\":6464,\"base\":64}";
  EXPECT_FALSE(
      Base64Text::Mentioned("", reinterpret_cast<const uint8_t*>(none.data()), none.size()));
}

TEST(Base64OnThePath, AValueInAPartIsMaskedInItsGroupsOnly) {
  const std::string part = Wrap(Encode(kCsv));
  const std::string req = Multipart(part);
  Gateway gw;
  const std::string out = Through(req, {}, &gw);
  ASSERT_EQ(out.size(), req.size());
  EXPECT_EQ(Decode(PartOf(out)), kCsvMasked);
  // Only the groups that hold a masked byte changed: a value's 19 or 11
  // bytes touch at most 8 or 5 groups.
  EXPECT_LE(GroupsChanged(part, PartOf(out)).size(), 2u * 8 + 2 * 5);
  EXPECT_EQ(out.substr(0, req.find("base64\r\n\r\n")), req.substr(0, req.find("base64\r\n\r\n")));
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.findings.load(), 4u);
  EXPECT_EQ(c.base64_regions.load(), 1u);
}

TEST(Base64OnThePath, EveryCutOfTheSegmentsMasksTheValues) {
  // A group not complete at a segment's end is not held (held, every
  // packet of a base64 upload waits, and slow links stall): when a value
  // begins in it, the characters that left keep at most its first two
  // digits (fewer than a truncated display shows), recorded as partly sent.
  // All else is masked as when the request comes whole, and nothing outside
  // a value changes.
  const std::string req = Multipart(Wrap(Encode(kCsv)));
  const std::string whole = Through(req);
  ASSERT_EQ(Decode(PartOf(whole)), kCsvMasked);
  const size_t from = req.find("base64\r\n\r\n") - 40;
  for (size_t cut = from; cut < req.size(); ++cut) {
    Gateway gw;
    const std::string out = Through(req, {cut}, &gw);
    ASSERT_EQ(out.size(), req.size()) << "cut at " << cut;
    const std::string got = Decode(PartOf(out));
    ASSERT_EQ(got.size(), kCsvMasked.size()) << "cut at " << cut;
    // A byte of the group that left in part decodes from characters of both
    // kinds: neither the digit nor 'X', and never a digit in clear.
    size_t clear = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] == kCsvMasked[i]) continue;
      ASSERT_EQ(kCsvMasked[i], 'X') << "cut at " << cut << ": byte " << i << " outside a value";
      clear += got[i] == kCsv[i] ? 1 : 0;
    }
    ASSERT_LE(clear, 2u) << "cut at " << cut;
    if (out != whole) {
      EXPECT_EQ(gw.pipeline().counters().partial.load(), 1u) << "cut at " << cut;
    }
  }
}

TEST(Base64OnThePath, ChunkFramingInsideAGroupIsKept) {
  const std::string b64 = Encode("ssn=536-22-1457;");
  const std::string head = "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t split = 1; split < b64.size(); ++split) {
    const std::string d1 = "{\"f\":\"data:;base64," + b64.substr(0, split);
    const std::string d2 = b64.substr(split) + "\"}";
    auto chunk = [](const std::string& d) {
      char size[16];
      std::snprintf(size, sizeof(size), "%zx\r\n", d.size());
      return size + d + "\r\n";
    };
    const std::string req = head + chunk(d1) + chunk(d2) + "0\r\n\r\n";
    const std::string out = Through(req);
    ASSERT_EQ(out.size(), req.size());
    // The framing as it was; the data decodes masked.
    const std::string framing1 = chunk(d1).substr(0, chunk(d1).find("\r\n") + 2);
    ASSERT_EQ(out.substr(head.size(), framing1.size()), framing1) << split;
    const size_t c2 = head.size() + chunk(d1).size();
    const std::string data = out.substr(head.size() + framing1.size(), d1.size()) +
                             out.substr(c2 + chunk(d2).find("\r\n") + 2, d2.size());
    EXPECT_EQ(Decode(data.substr(data.find(',') + 1)), "ssn=XXX-XX-XXXX;") << split;
  }
}

TEST(Base64OnThePath, ACharacterWrittenAsAnEscapeIsWrittenBackAsOne) {
  // A form field that percent-encodes a data: URI: its '+', '/' and '='
  // (as encodeURIComponent does), or every character.
  const std::string plain = "pan 4111111111111111 ok?>>";
  const std::string b64 = Encode(plain);
  ASSERT_NE(b64.find_first_of("+/"), std::string::npos);
  for (const bool every : {false, true}) {
    std::string field;
    for (const char c : "data:text/plain;base64," + b64) {
      if (every || c == '+' || c == '/' || c == ':' || c == ';' || c == ',' || c == '=') {
        char esc[4];
        std::snprintf(esc, sizeof(esc), "%%%02X", static_cast<unsigned char>(c));
        field += esc;
      } else {
        field += c;
      }
    }
    const std::string body = "a=1&img=" + field + "&b=2";
    const std::string req =
        "POST /f HTTP/1.1\r\nHost: a\r\nContent-Type: "
        "application/x-www-form-urlencoded\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string out = Through(req);
    ASSERT_EQ(out.size(), req.size());
    // Percent-decoded as the application does, then base64.
    std::string got = out.substr(out.find("img=") + 4);
    got = got.substr(0, got.find('&'));
    std::string decoded;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i] == '%') {
        decoded += static_cast<char>(std::stoi(got.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += got[i];
      }
    }
    EXPECT_EQ(Decode(decoded.substr(decoded.find(',') + 1)), "pan XXXXXXXXXXXXXXXX ok?>>") << every;
    // Escapes stay escapes: as many '%' as before.
    EXPECT_EQ(std::count(out.begin(), out.end(), '%'), std::count(req.begin(), req.end(), '%'));
    EXPECT_EQ(out.substr(out.find("&b=2")), "&b=2");
  }
}

TEST(Base64OnThePath, TwoValuesInOneGroupAreBothMasked) {
  // Every alignment of the group that holds the end of one value and the
  // start of the next.
  for (size_t pad = 0; pad < 3; ++pad) {
    const std::string plain = std::string(pad, ' ') + "536-22-1457,078-05-1120";
    const std::string req = Multipart(Wrap(Encode(plain)));
    EXPECT_EQ(Decode(PartOf(Through(req))), std::string(pad, ' ') + "XXX-XX-XXXX,XXX-XX-XXXX")
        << pad;
  }
}

TEST(Base64OnThePath, AValueInAWebSocketDataUriIsMaskedUnderTheKey) {
  const std::string head =
      "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string payload = "{\"img\":\"data:;base64," + Encode("card=4111111111111111&") + "\"}";
  const std::string key = "\x12\x34\x56\x78";
  std::string frame = "\x81";
  frame += static_cast<char>(0x80 | payload.size());
  frame += key;
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ key[i % 4]);
  const std::string out = Through(head + frame);
  ASSERT_EQ(out.size(), head.size() + frame.size());
  std::string got = out.substr(head.size() + 6);
  for (size_t i = 0; i < got.size(); ++i) got[i] ^= key[i % 4];
  EXPECT_EQ(Decode(got.substr(got.find(',') + 1)), "card=XXXXXXXXXXXXXXXX&");
}

TEST(Base64OnThePath, WhatALenientDecoderReadsIsWhatIsMasked) {
  // Bytes a lenient decoder skips do not end a region: a stray '!', '=',
  // a long run of spaces, a line that begins with "--" but is not the
  // part's boundary; and the ways MIME and data: URLs may be written.
  const std::string plain = "card 4111111111111111 end";
  const std::string e = Encode(plain);
  auto mime = [](const std::string& headers, const std::string& body, const char* eol = "\r\n") {
    const std::string b = "--XyZ" + std::string(eol) + headers +
                          "Content-Transfer-Encoding: base64" + eol + eol + body + eol + "--XyZ--" +
                          eol;
    return "POST /m HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
           "Content-Length: " +
           std::to_string(b.size()) + "\r\n\r\n" + b;
  };
  auto post = [](const std::string& body) {
    return "POST /d HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  struct Case {
    std::string name, req;
  };
  const Case cases[] = {
      {"junk", mime("", e.substr(0, 4) + "!" + e.substr(4))},
      {"equals", mime("", e.substr(0, 4) + "=" + e.substr(4))},
      {"spaces", mime("", e.substr(0, 4) + std::string(200, ' ') + e.substr(4))},
      {"dash line", mime("", "--junk\r\n" + e)},
      {"long header", mime("X-Pad: " + std::string(9000, 'a') + "\r\n", e)},
      {"bare CR", mime("", e, "\r")},
      {"bare LF", mime("", e, "\n")},
      {"spaced marker", post("{\"f\":\"data:text/plain; base64 ," + e + "\"}")},
      {"form feed", post("{\"f\":\"data:;base64," + e.substr(0, 4) + "\\f" + e.substr(4) + "\"}")},
  };
  for (const Case& c : cases) {
    Gateway gw;
    const std::string out = Through(c.req, {}, &gw);
    ASSERT_EQ(out.size(), c.req.size()) << c.name;
    std::string data = out.substr(out.find("\r\n\r\n") + 4);
    const size_t mark = data.find("base64");
    data = data.substr(mark + 6);
    if (data.find("--XyZ--") != std::string::npos) data = data.substr(0, data.find("--XyZ--"));
    if (data.find('"') != std::string::npos) data = data.substr(0, data.find('"'));
    EXPECT_EQ(DecodeLenient(data.substr(data.find_first_of(",\r\n") + 1)).find("4111"),
              std::string::npos)
        << c.name << ": " << out;
    EXPECT_EQ(gw.pipeline().counters().findings.load(), 1u) << c.name;
  }
}

TEST(Base64OnThePath, AHeaderWhoseNameLeftBeforeItsValueCameStillOpensThePart) {
  // The header's name and the spaces after it in one segment, "base64" in
  // the next: the stream's scanner no longer holds the name when the word
  // comes.
  const std::string e = Encode("card 4111111111111111 end");
  const std::string body = "--XyZ\r\nContent-Transfer-Encoding:" + std::string(60, ' ') +
                           "base64\r\n\r\n" + e + "\r\n--XyZ--\r\n";
  const std::string req =
      "POST /m HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
      body;
  const size_t word = req.find("base64");
  for (size_t cut = word - 3; cut <= word + 3; ++cut) {
    const std::string out = Through(req, {cut});
    EXPECT_EQ(out.find(e), std::string::npos) << cut;
    EXPECT_NE(Decode(out.substr(out.find("\r\n\r\n", word) + 4)).find("XXXXXXXXXXXXXXXX"),
              std::string::npos)
        << cut;
  }
}

TEST(Base64OnThePath, BinaryAndNumberDenseBase64LeavesByteIdentical) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::string data(3000 + round, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    // Ids, prices, timestamps, a GTIN: numbers that are no values.
    if (round % 2 == 1) {
      data.clear();
      while (data.size() < 3000) {
        data += "{\"id\":" + std::to_string(rng() % 100000000) +
                ",\"price\":" + std::to_string(rng() % 10000) + "." + std::to_string(rng() % 100) +
                ",\"ts\":1733" + std::to_string(rng() % 1000000) + ",\"gtin\":4006381333931}";
      }
    }
    const std::string req = Multipart(Wrap(Encode(data)));
    ASSERT_EQ(Through(req, {req.size() / 3, req.size() / 2}), req) << round;
  }
}

TEST(Base64OnThePath, AValueThatCannotBeWrittenBackIsBlocked) {
  // Every character an HTML reference with as few digits as it needs: the
  // character masking makes may need one more ('d' is &#100;), so the value
  // cannot be masked in place. It is never left in clear: masked, or the
  // flow stopped.
  const std::string b64 = Encode("ssn 536-22-1457 x");
  std::string refs;
  for (const char c : b64) refs += "&#" + std::to_string(static_cast<int>(c)) + ";";
  const std::string body = "<img src=\"data:;base64," + refs + "\">";
  const std::string req =
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
      body;
  Gateway gw;
  const std::string out = Through(req, {}, &gw);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.findings.load(), 1u);
  EXPECT_EQ(c.compressed_blocks.load(), 1u);
  EXPECT_EQ(c.flows_blocked.load(), 1u);
  // Nothing from the value's first group on left.
  std::string first_group;
  for (const char ch : b64.substr(0, 4))
    first_group += "&#" + std::to_string(static_cast<int>(ch)) + ";";
  EXPECT_LE(out.size(), req.find(refs) + first_group.size());
}

TEST(Base64Scan, DlpctlScanMasksAsTheGatewayDoes) {
  const std::string req = Multipart(Wrap(Encode(kCsv)));
  auto ctx = std::move(ScanContext::Create(test::DefaultRules())).value();
  for (size_t piece : {size_t{7}, size_t{64}, req.size()}) {
    auto red = std::move(StreamRedactor::Open(*ctx)).value();
    std::string out;
    Findings found;
    for (size_t at = 0; at < req.size(); at += piece) {
      const std::string p = req.substr(at, piece);
      ASSERT_TRUE(
          red.Feed(*ctx, reinterpret_cast<const uint8_t*>(p.data()), p.size(), &out, &found));
    }
    ASSERT_TRUE(red.Finish(*ctx, &out, &found));
    EXPECT_EQ(out, Through(req)) << piece;
    EXPECT_EQ(found.size(), 4u) << piece;
  }
}

}  // namespace
}  // namespace dlp
