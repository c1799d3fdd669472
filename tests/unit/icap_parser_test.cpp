// The ICAP request parser (RFC 3507) on requests as Squid and c-icap-client
// send them, whole and a byte at a time, and on what a client may get
// wrong: each error is the ICAP status a server answers, with its reason.
#include "dlpd/icap/icap_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace dlp {
namespace {

std::string Chunked(const std::string& body) {
  std::string out;
  for (size_t at = 0; at < body.size(); at += 7) {
    const std::string piece = body.substr(at, 7);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    out += std::string(size) + "\r\n" + piece + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string Reqmod(const std::string& body, const std::string& extra_fields = "") {
  const std::string http = "POST /upload HTTP/1.1\r\nHost: files.example\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  return "REQMOD icap://127.0.0.1:1344/dlp?mode=1 ICAP/1.0\r\nHost: 127.0.0.1:1344\r\n"
         "Allow: 204\r\n" +
         extra_fields + "Encapsulated: req-hdr=0, req-body=" + std::to_string(http.size()) +
         "\r\n\r\n" + http + Chunked(body);
}

// Feeds `text` whole, or a byte at a time; the parser's final state.
IcapParser Parse(const std::string& text, bool bytewise, size_t* used = nullptr) {
  IcapParser p;
  size_t n = 0;
  if (bytewise) {
    for (size_t i = 0; i < text.size(); ++i) {
      const size_t took = p.Feed(std::string_view(text).substr(i, 1));
      n += took;
      if (took == 0) break;
    }
  } else {
    n = p.Feed(text);
  }
  if (used != nullptr) *used = n;
  return p;
}

TEST(IcapParser, OptionsAsSquidSendsIt) {
  const std::string text =
      "OPTIONS icap://127.0.0.1:1344/dlp ICAP/1.0\r\nHost: 127.0.0.1:1344\r\n"
      "Encapsulated: null-body=0\r\n\r\n";
  for (const bool bytewise : {false, true}) {
    size_t used = 0;
    const IcapParser p = Parse(text, bytewise, &used);
    ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
    EXPECT_EQ(used, text.size());
    EXPECT_EQ(p.request().method, IcapMethod::kOptions);
    EXPECT_EQ(p.request().service, "dlp");
  }
}

TEST(IcapParser, ReqmodWithABodyWholeOrAByteAtATime) {
  const std::string body = "card=4111 1111 1111 1111&ssn=536-22-1457&note=" + std::string(300, 'x');
  const std::string text = Reqmod(body);
  for (const bool bytewise : {false, true}) {
    size_t used = 0;
    const IcapParser p = Parse(text, bytewise, &used);
    ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
    EXPECT_EQ(used, text.size());
    const IcapRequest& r = p.request();
    EXPECT_EQ(r.method, IcapMethod::kReqmod);
    EXPECT_EQ(r.service, "dlp");
    EXPECT_EQ(r.uri, "icap://127.0.0.1:1344/dlp?mode=1");
    EXPECT_TRUE(r.allow_204);
    EXPECT_TRUE(r.has_body);
    EXPECT_EQ(r.http_head.rfind("POST /upload HTTP/1.1\r\n", 0), 0u);
    EXPECT_EQ(r.body, body);
    ASSERT_NE(r.Field("host"), nullptr);
    EXPECT_EQ(*r.Field("HOST"), "127.0.0.1:1344");
  }
}

TEST(IcapParser, AGetHasNoBody) {
  const std::string http = "GET /q?ssn=536-22-1457 HTTP/1.1\r\nHost: a.example\r\n\r\n";
  const std::string text = "REQMOD icap://h/dlp ICAP/1.0\r\nEncapsulated: req-hdr=0, null-body=" +
                           std::to_string(http.size()) + "\r\n\r\n" + http;
  size_t used = 0;
  const IcapParser p = Parse(text, false, &used);
  ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
  EXPECT_EQ(used, text.size());
  EXPECT_FALSE(p.request().has_body);
  EXPECT_EQ(p.request().http_head, http);
}

TEST(IcapParser, PreviewThenContinueOrIeof) {
  const std::string http = "POST / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string head =
      "REQMOD icap://h/dlp ICAP/1.0\r\nPreview: 4\r\nEncapsulated: "
      "req-hdr=0, req-body=" +
      std::to_string(http.size()) + "\r\n\r\n" + http;
  // The body goes on after the preview: 100 Continue, then the rest.
  IcapParser p;
  const std::string preview = head + "4\r\nabcd\r\n0\r\n\r\n";
  EXPECT_EQ(p.Feed(preview + "garbage"), preview.size());  // nothing past the preview's end
  ASSERT_EQ(p.state(), IcapParser::State::kPreviewEnd) << p.error().reason;
  EXPECT_FALSE(p.request().ieof);
  p.Continue();
  const std::string rest = "3\r\nefg\r\n0\r\n\r\n";
  EXPECT_EQ(p.Feed(rest), rest.size());
  ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
  EXPECT_EQ(p.request().body, "abcdefg");
  // The whole body fit in the preview: ieof, done at once.
  IcapParser q;
  const std::string whole = head + "3\r\nabc\r\n0; ieof\r\n\r\n";
  EXPECT_EQ(q.Feed(whole), whole.size());
  ASSERT_EQ(q.state(), IcapParser::State::kDone) << q.error().reason;
  EXPECT_TRUE(q.request().ieof);
  EXPECT_EQ(q.request().body, "abc");
  // A preview longer than it said.
  IcapParser r;
  r.Feed(head + "5\r\nabcde\r\n0\r\n\r\n");
  EXPECT_EQ(r.state(), IcapParser::State::kError);
  EXPECT_EQ(r.error().status, 400);
}

TEST(IcapParser, PipelinedRequestsOnOneConnection) {
  const std::string a = Reqmod("one=1"), b = Reqmod("two=2");
  const std::string both = a + "\r\n" + b;  // an extra CRLF between is skipped
  IcapParser p;
  const size_t first = p.Feed(both);
  EXPECT_EQ(first, a.size());
  ASSERT_EQ(p.state(), IcapParser::State::kDone);
  EXPECT_EQ(p.request().body, "one=1");
  p.Reset();
  EXPECT_EQ(p.Feed(std::string_view(both).substr(first)), both.size() - first);
  ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
  EXPECT_EQ(p.request().body, "two=2");
}

TEST(IcapParser, EachMistakeIsItsStatusAndReason) {
  const std::string http = "POST / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string enc = "Encapsulated: req-hdr=0, req-body=" + std::to_string(http.size());
  const struct {
    std::string text;
    int status;
    const char* reason;
  } cases[] = {
      {"RESPMOD icap://h/dlp ICAP/1.0\r\n\r\n", 405, "RESPMOD"},
      {"GET icap://h/dlp ICAP/1.0\r\n\r\n", 501, "not implemented"},
      {"REQMOD icap://h/dlp ICAP/2.0\r\n\r\n", 505, "version"},
      {"REQMOD icap://h/dlp\r\n\r\n", 400, "request line"},
      {"REQMOD icap://h/d lp ICAP/1.0\r\n\r\n", 400, "request line"},
      {"REQMOD ftp://h/dlp ICAP/1.0\r\n\r\n", 400, "URI"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n\r\n", 400, "without Encapsulated"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n X: folded\r\n\r\n", 400, "folded"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nBad Name: x\r\n\r\n", 400, "NAME: VALUE"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nX: a\nb\r\n\r\n", 400, "bare CR, LF"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nEncapsulated: res-hdr=0, res-body=10\r\n\r\n", 400,
       "req-hdr=0"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=x\r\n\r\n", 400,
       "ENTITY=OFFSET"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=99999999\r\n\r\n", 400,
       "encapsulated request head of"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\nEncapsulated: null-body=0\r\n\r\n", 400,
       "twice"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nPreview: -1\r\n" + enc + "\r\n\r\n" + http, 400, "Preview"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nEncapsulated: req-hdr=0, req-body=" +
           std::to_string(http.size() + 1) + "\r\n\r\n" + http + "X",
       400, "does not end where the body begins"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + "zz\r\n", 400, "hex"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + "3\r\nabcX", 400, "CRLF"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + "3\nabc", 400, "CRLF"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + "ffffffffffffffffff\r\n", 400,
       "hex"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + "4000001\r\n", 400,
       "a body over"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\n" + enc + "\r\n\r\n" + http + std::string(2000, '1'), 400,
       "chunk line over"},
      {"OPTIONS icap://h/dlp ICAP/1.0\r\nEncapsulated: opt-body=0\r\n\r\n", 400, "no body"},
      {"REQMOD icap://h/dlp ICAP/1.0\r\nX: " + std::string(70000, 'a') + "\r\n\r\n", 400,
       "ICAP head over"},
  };
  IcapLimits limits;
  limits.max_body = 64 << 20;
  for (const auto& c : cases) {
    for (const bool bytewise : {false, true}) {
      const IcapParser p = Parse(c.text, bytewise);
      ASSERT_EQ(p.state(), IcapParser::State::kError) << c.text.substr(0, 80);
      EXPECT_EQ(p.error().status, c.status) << c.text.substr(0, 80);
      EXPECT_NE(p.error().reason.find(c.reason), std::string::npos)
          << p.error().reason << " | " << c.text.substr(0, 80);
    }
  }
}

TEST(IcapParser, TooManyFieldsAndTrailers) {
  std::string fields;
  for (int i = 0; i < 200; ++i) fields += "X-" + std::to_string(i) + ": y\r\n";
  IcapParser p;
  p.Feed(Reqmod("a", fields));
  ASSERT_EQ(p.state(), IcapParser::State::kError);
  EXPECT_NE(p.error().reason.find("header fields"), std::string::npos);
  // Trailers after the last chunk are read and ignored, up to 16.
  std::string ok = Reqmod("abc");
  ok.resize(ok.size() - 2);  // before the final CRLF
  IcapParser q;
  q.Feed(ok + "X-T: 1\r\n\r\n");
  EXPECT_EQ(q.state(), IcapParser::State::kDone) << q.error().reason;
  std::string many = ok;
  for (int i = 0; i < 20; ++i) many += "X-T: 1\r\n";
  IcapParser r;
  r.Feed(many + "\r\n");
  EXPECT_EQ(r.state(), IcapParser::State::kError);
}

}  // namespace
}  // namespace dlp
