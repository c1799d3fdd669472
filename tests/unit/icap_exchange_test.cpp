// One REQMOD request's inspection: what the server application would read
// of the forwarded request (de-chunked, decoded) has no value left, the
// bytes keep their length, and clean requests are left byte for byte.
#include "dlpd/icap/icap_exchange.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "dlpd/inspect/scan_context.h"
#include "policy/policy_loader.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_loader.h"

namespace dlp {
namespace {

std::shared_ptr<const CompiledRuleset> Rules() {
  static auto rules = CompiledRuleset::Compile(BuildRuleSet(DefaultRuleSources()));
  return rules;
}

std::shared_ptr<const Policy> PolicyOf(const std::string& text) {
  return std::make_shared<const Policy>(ParsePolicy({"p.yaml", text}, {"us-ssn", "pan"}));
}

IcapOrigin Client(const char* ip) {
  IcapOrigin o;
  o.family = std::string(ip).find(':') != std::string::npos ? AF_INET6 : AF_INET;
  inet_pton(o.family, ip, o.client.data());
  o.client_text = ip;
  return o;
}

struct Out {
  std::string head, body;
  bool changed = false, blocked = false;
  size_t findings = 0;
  std::string host, path;
};

// Runs one request through an exchange, the body in ICAP pieces of `piece`
// bytes (0: whole).
Out Inspect(const std::string& head, const std::string& body, size_t piece = 0,
            std::shared_ptr<const Policy> policy = nullptr, IcapOrigin origin = {},
            bool has_body = true) {
  auto ctx = ScanContext::Create(Rules());
  EXPECT_TRUE(ctx.ok());
  auto x = IcapExchange::Open(**ctx, std::move(policy), head, has_body, std::move(origin));
  EXPECT_TRUE(x.ok());
  Out out;
  const size_t step = piece == 0 ? std::max<size_t>(body.size(), 1) : piece;
  for (size_t at = 0; at < body.size(); at += step) {
    EXPECT_TRUE((*x)->Body(std::string_view(body).substr(at, step)).ok());
    out.body += (*x)->TakeBody();
  }
  EXPECT_TRUE((*x)->Finish().ok());
  out.body += (*x)->TakeBody();
  EXPECT_TRUE((*x)->head_ready());
  out.head = (*x)->head();
  out.changed = (*x)->changed();
  out.blocked = (*x)->blocked();
  out.findings = (*x)->values();
  if (const HttpRequestInfo* r = (*x)->request()) {
    out.host = r->host;
    out.path = r->path;
  }
  return out;
}

std::string Head(const std::string& fields, const std::string& target = "/upload") {
  return "POST https://files.example" + target + " HTTP/1.1\r\nHost: files.example\r\n" + fields +
         "\r\n";
}

TEST(IcapExchange, AFormBodyIsMaskedInPlaceWithItsLength) {
  const std::string body = "name=a&ssn=536-22-1457&card=4111+1111+1111+1111&note=%2D";
  const std::string head =
      Head("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n");
  for (size_t piece : {0, 1, 7}) {
    const Out o = Inspect(head, body, piece);
    EXPECT_EQ(o.head, head);
    EXPECT_EQ(o.body, "name=a&ssn=XXX-XX-XXXX&card=XXXX+XXXX+XXXX+XXXX&note=%2D") << piece;
    EXPECT_TRUE(o.changed);
    EXPECT_FALSE(o.blocked);
    EXPECT_EQ(o.host, "files.example");
    EXPECT_EQ(o.path, "https://files.example/upload");
  }
}

TEST(IcapExchange, WhatTheApplicationDecodesIsWhatIsMasked) {
  // Percent escapes in a form, \u escapes in JSON: masked in the encoding
  // they were written in.
  const std::string form = "ssn=536%2D22%2D1457";
  Out o = Inspect(Head("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                       std::to_string(form.size()) + "\r\n"),
                  form, 3);
  EXPECT_EQ(o.body, "ssn=XXX%2DXX%2DXXXX");
  const std::string json = R"({"ssn":"\u0035\u00336-22-1457"})";
  o = Inspect(Head("Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(json.size()) + "\r\n"),
              json, 5);
  EXPECT_EQ(o.body, R"({"ssn":"\u0058\u0058X-XX-XXXX"})");
}

TEST(IcapExchange, AChunkedRequestGetsItsBodyDechunkedAndComesBackSo) {
  // The proxy de-chunks; the head still says chunked. The value is split
  // across the proxy's pieces, and no framing of ours comes back.
  const std::string head = Head("Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n");
  const std::string body = "first part, then ssn 536-22-1457 and card 4111111111111111 end";
  for (size_t piece : {0, 1, 5, 24}) {
    const Out o = Inspect(head, body, piece);
    EXPECT_EQ(o.head, head);
    EXPECT_EQ(o.body, "first part, then ssn XXX-XX-XXXX and card XXXXXXXXXXXXXXXX end") << piece;
  }
}

TEST(IcapExchange, ABodyItsHeadDoesNotFrameIsStillReadAsABody) {
  // No Content-Length, no chunking: read as the chunked body it becomes,
  // with its Content-Type's decoding (a plain-text read would miss %2D).
  const std::string head =
      "POST /u HTTP/1.1\r\nHost: a.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "\r\n";
  const Out o = Inspect(head, "a=1&ssn=536%2D22%2D1457", 4);
  EXPECT_EQ(o.head, head);
  EXPECT_EQ(o.body, "a=1&ssn=XXX%2DXX%2DXXXX");
}

TEST(IcapExchange, AHeadThatDoesNotParseGetsItsBodyReadAsItIs) {
  // The normalizer reads such a stream as plain text: chunks of our making
  // would sit inside it and split its values (found by fuzz_icap_exchange).
  for (const std::string head : {std::string("POST /u HTTP/1.1\r\nHost: a\r\nA: b\rc\r\n\r\n"),
                                 std::string("not a request line\r\n\r\n")}) {
    for (size_t piece : {0, 1, 6, 17}) {
      const Out o = Inspect(head, "ssn=536%2D22%2D1457&c=4111111111111111", piece);
      EXPECT_EQ(o.body, "ssn=XXX%2DXX%2DXXXX&c=XXXXXXXXXXXXXXXX") << piece << " " << head;
      EXPECT_EQ(o.head, head);
    }
  }
}

TEST(IcapExchange, AValueInTheUrlIsMaskedInTheHead) {
  const std::string head =
      "GET https://a.example/find?ssn=536-22-1457 HTTP/1.1\r\nHost: a.example\r\n\r\n";
  const Out o = Inspect(head, "", 0, nullptr, {}, /*has_body=*/false);
  EXPECT_EQ(o.head,
            "GET https://a.example/find?ssn=XXX-XX-XXXX HTTP/1.1\r\nHost: a.example\r\n\r\n");
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(o.body, "");
}

TEST(IcapExchange, ACleanRequestIsLeftByteForByte) {
  std::string body;
  for (int i = 0; i < 2000; ++i) {
    body += "{\"id\":" + std::to_string(100000000 + i * 7919) +
            ",\"price\":" + std::to_string(i * 13) + ".99,\"ts\":1733480000" +
            std::to_string(i % 10) + "},";
  }
  const std::string head = Head(
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n");
  const Out o = Inspect(head, body, 1500);
  EXPECT_EQ(o.head, head);
  EXPECT_EQ(o.body, body);
  EXPECT_FALSE(o.changed);
  EXPECT_EQ(o.findings, 0u);
}

TEST(IcapExchange, ThePolicyReadsTheClientHostAndPath) {
  const auto policy = PolicyOf(
      "statements:\n"
      "  - {name: hr, when: {rule: us-ssn, src: 10.1.0.0/16, path: /hr}, action: pass}\n"
      "  - {name: stop, when: {rule: pan, host: files.example}, action: block}\n");
  const std::string body = "ssn=536-22-1457";
  const std::string fields = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  // The HR client posting to /hr/forms: exempt.
  Out o = Inspect(Head(fields, "/hr/forms"), body, 0, policy, Client("10.1.2.3"));
  EXPECT_EQ(o.body, body);
  EXPECT_FALSE(o.changed);
  // Another client, or another path, or a path that only looks like it:
  // masked.
  for (const auto& [ip, target] : std::vector<std::pair<const char*, std::string>>{
           {"10.2.0.1", "/hr/forms"},
           {"10.1.2.3", "/hrx"},
           {"10.1.2.3", "/hr/../public"},
           {"10.1.2.3", "/%68r/forms"},
       }) {
    o = Inspect(Head(fields, target), body, 0, policy, Client(ip));
    EXPECT_EQ(o.body, "ssn=XXX-XX-XXXX") << ip << " " << target;
  }
  // An unknown client (no X-Client-IP): the src scope does not match.
  o = Inspect(Head(fields, "/hr/forms"), body, 0, policy, {});
  EXPECT_EQ(o.body, "ssn=XXX-XX-XXXX");
  // A card to files.example: blocked.
  o = Inspect(Head("Content-Length: 16\r\n"), "4111111111111111", 0, policy, Client("10.1.2.3"));
  EXPECT_TRUE(o.blocked);
}

TEST(IcapExchange, AValueInACompressedBodyBlocks) {
  const std::string plain = "card=4111111111111111";
  uLongf n = compressBound(plain.size());
  std::string z(n, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(z.data()), &n,
                     reinterpret_cast<const Bytef*>(plain.data()), plain.size()),
            Z_OK);
  z.resize(n);
  // However the head frames it: the body is found, and inflated, only
  // where the head's framing says it is.
  for (const std::string& framing :
       {"Content-Length: " + std::to_string(z.size()) + "\r\n",
        std::string("Transfer-Encoding: chunked\r\n"), std::string()}) {
    const Out o = Inspect(Head("Content-Encoding: deflate\r\n" + framing), z, 3);
    EXPECT_TRUE(o.blocked) << framing;
    EXPECT_EQ(o.body, z);  // not masked: it cannot be, in place
  }
}

TEST(IcapExchange, ARepeatedContentLengthIsReadAsOne) {
  // As Squid forwards it (RFC 9110 8.6); http-parser alone refuses the
  // head, and the request's Host and path would be unknown to the policy.
  const std::string head =
      "POST http://a.example/hr HTTP/1.0\r\nContent-Length: 15\r\nContent-length:  15\r\n\r\n";
  const Out o = Inspect(head, "ssn=536-22-1457", 4);
  EXPECT_EQ(o.head, head);
  EXPECT_EQ(o.body, "ssn=XXX-XX-XXXX");
  EXPECT_EQ(o.path, "http://a.example/hr");
  // Two lengths that differ stay refused: the body is read as plain text.
  const Out differ =
      Inspect("POST /hr HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\nContent-Length: 16\r\n\r\n",
              "ssn=536-22-1457", 4);
  EXPECT_EQ(differ.body, "ssn=XXX-XX-XXXX");
}

// What the normalizer cannot read is said so (the server stops it fail
// closed): codings stacked, a compressed body past its ratio, raw deflate
// (no zlib header). A helper's attack found them answered 204.
TEST(IcapExchange, ABodyItCannotReadIsSaidSo) {
  const std::string plain = "ssn=536-22-1457&card=4111111111111111";
  auto pack = [](const std::string& in, int window_bits) {
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
    std::string out(compressBound(in.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  };
  const std::string gz = pack(plain, 31);
  const std::string gzgz = pack(gz, 31);
  const std::string bomb = pack(std::string(200000, ' ') + plain, 31);
  const std::string raw = pack(plain, -15);
  for (const auto& [coding, body] : std::vector<std::pair<std::string, std::string>>{
           {"gzip, gzip", gzgz}, {"gzip", bomb}, {"deflate", raw}, {"zstd", plain}}) {
    auto ctx = ScanContext::Create(Rules());
    auto x = IcapExchange::Open(**ctx, nullptr,
                                Head("Content-Encoding: " + coding +
                                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
                                true, {});
    ASSERT_TRUE(x.ok());
    ASSERT_TRUE((*x)->Body(body).ok());
    ASSERT_TRUE((*x)->Finish().ok());
    EXPECT_NE((*x)->uninspectable(), nullptr) << coding;
  }
  // One that it reads is not.
  const Out o = Inspect(
      Head("Content-Encoding: gzip\r\nContent-Length: " + std::to_string(gz.size()) + "\r\n"), gz);
  EXPECT_TRUE(o.blocked);
}

TEST(IcapExchange, ABodyOfValuesHoldsBoundedMemory) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "4111111111111111,536-22-1457;";
  auto ctx = ScanContext::Create(Rules());
  auto x = IcapExchange::Open(
      **ctx, nullptr, Head("Content-Length: " + std::to_string(body.size()) + "\r\n"), true, {});
  ASSERT_TRUE(x.ok());
  ASSERT_TRUE((*x)->Body(body).ok());
  ASSERT_TRUE((*x)->Finish().ok());
  EXPECT_EQ((*x)->values(), 10000u);
  ASSERT_EQ((*x)->tallies().size(), 2u);
  for (const IcapTally& t : (*x)->tallies()) {
    EXPECT_EQ(t.count, 5000u);
    EXPECT_EQ(t.kept.size(), IcapTally::kKept);
  }
}

TEST(IcapExchange, ABodyPastItsContentLengthIsSaidSo) {
  auto ctx = ScanContext::Create(Rules());
  auto x = IcapExchange::Open(**ctx, nullptr, Head("Content-Length: 9\r\n"), true, {});
  ASSERT_TRUE(x.ok());
  ASSERT_TRUE((*x)->Body("a=1&ssn=5").ok());
  EXPECT_FALSE((*x)->beyond_length());
  ASSERT_TRUE((*x)->Body("36-22-1457").ok());
  EXPECT_TRUE((*x)->beyond_length());
}

TEST(IcapExchange, TheUrlsPortIsTheScopesPort) {
  HttpRequestInfo r;
  r.path = "https://a.example/x";
  EXPECT_EQ(IcapPortOf(r), 443);
  r.path = "http://a.example:8080/x";
  EXPECT_EQ(IcapPortOf(r), 8080);
  r.path = "https://[2001:db8::1]/x";
  EXPECT_EQ(IcapPortOf(r), 443);
  r.path = "/x";
  r.host = "a.example:8443";
  EXPECT_EQ(IcapPortOf(r), 8443);
  r.host = "a.example:99999";
  EXPECT_EQ(IcapPortOf(r), 0);
}

}  // namespace
}  // namespace dlp
