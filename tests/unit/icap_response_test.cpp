// The ICAP responses: their status lines and fields, and encapsulations
// whose offsets and chunks add up (read back with the request parser, the
// status line swapped for a request line: the same syntax follows it).
#include "dlpd/icap/icap_response.h"

#include <gtest/gtest.h>

#include <string>

#include "dlpd/icap/icap_parser.h"

namespace dlp {
namespace {

IcapService Service() {
  IcapService s;
  s.istag = "3d3547668843-94501099d22d";
  return s;
}

// The response read as a REQMOD request (its syntax after the first line).
IcapParser ReadBack(const std::string& response) {
  const size_t eol = response.find("\r\n");
  IcapParser p;
  p.Feed("REQMOD icap://h/dlp ICAP/1.0" + response.substr(eol));
  return p;
}

TEST(IcapResponse, OptionsSaysWhatTheServiceDoes) {
  const std::string r = IcapOptionsResponse(Service());
  EXPECT_EQ(r.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << r;
  for (const char* field :
       {"\r\nMethods: REQMOD\r\n", "\r\nISTag: \"3d3547668843-94501099d22d\"\r\n",
        "\r\nAllow: 204\r\n", "\r\nEncapsulated: null-body=0\r\n\r\n"}) {
    EXPECT_NE(r.find(field), std::string::npos) << field << " in " << r;
  }
  EXPECT_EQ(r.find("\r\n\r\n"), r.size() - 4);  // nothing after the head
  // No preview asked by default (each body comes whole, no 100 Continue
  // round trip); one when configured.
  EXPECT_EQ(r.find("Preview"), std::string::npos) << r;
  IcapService s = Service();
  s.preview = 0;
  const std::string p = IcapOptionsResponse(s);
  EXPECT_NE(p.find("\r\nPreview: 0\r\nTransfer-Preview: *\r\n"), std::string::npos) << p;
}

TEST(IcapResponse, AnISTagIsQuotedAndBounded) {
  IcapService s;
  s.istag = std::string(40, 'a') + "\"x";
  const std::string r = IcapNoChange(s);
  EXPECT_NE(r.find("ISTag: \"" + std::string(32, 'a') + "\"\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.rfind("ICAP/1.0 204 No Content\r\n", 0), 0u);
}

TEST(IcapResponse, AMaskedRequestKeepsItsHeadAndLength) {
  const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n";
  const std::string body = "ssn=XXX-XX-XXXX&x=12";
  const IcapParser p = ReadBack(IcapModifiedRequest(Service(), head, body, true));
  ASSERT_EQ(p.state(), IcapParser::State::kDone) << p.error().reason;
  EXPECT_EQ(p.request().http_head, head);
  EXPECT_EQ(p.request().body, body);
  const IcapParser get = ReadBack(IcapModifiedRequest(Service(), head, "", false));
  ASSERT_EQ(get.state(), IcapParser::State::kDone) << get.error().reason;
  EXPECT_FALSE(get.request().has_body);
}

TEST(IcapResponse, ABlockIsAnHttpResponseInThePlaceOfTheRequest) {
  const std::string page = "<html><body>Blocked by policy</body></html>";
  const std::string r = IcapHttpResponse(Service(), 403, "Forbidden", page);
  const size_t head_end = r.find("\r\n\r\n") + 4;
  const std::string http = r.substr(head_end);
  EXPECT_EQ(http.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << http;
  const size_t res_body = http.find("\r\n\r\n") + 4;
  EXPECT_NE(r.find("Encapsulated: res-hdr=0, res-body=" + std::to_string(res_body) + "\r\n"),
            std::string::npos)
      << r;
  EXPECT_NE(http.find("Content-Length: " + std::to_string(page.size()) + "\r\n"),
            std::string::npos);
  EXPECT_EQ(http.substr(res_body), ChunkedBody(page));
}

TEST(IcapResponse, ErrorsCloseTheConnection) {
  for (const auto& [status, line] :
       {std::pair{400, "ICAP/1.0 400 Bad Request\r\n"},
        std::pair{405, "ICAP/1.0 405 Method Not Allowed For Service\r\n"},
        std::pair{505, "ICAP/1.0 505 ICAP Version Not Supported\r\n"}}) {
    const std::string r = IcapErrorResponse(Service(), status);
    EXPECT_EQ(r.rfind(line, 0), 0u) << r;
    EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  }
  EXPECT_EQ(IcapContinue(), "ICAP/1.0 100 Continue\r\n\r\n");
  EXPECT_EQ(ChunkedBody(""), "0\r\n\r\n");
  EXPECT_EQ(ChunkedBody("abc"), "3\r\nabc\r\n0\r\n\r\n");
}

}  // namespace
}  // namespace dlp
