// The ICAP service over real sockets: keep-alive, previews, errors, slow
// and malformed clients (which hold only themselves), the connection
// bound, streamed answers for large bodies, block pages and reloads.
#include "dlpd/icap/icap_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "dlpd/icap/icap_response.h"
#include "dlpd/inspect/scan_context.h"
#include "policy/policy_loader.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_loader.h"

namespace dlp {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const CompiledRuleset> Rules() {
  static auto rules = CompiledRuleset::Compile(BuildRuleSet(DefaultRuleSources()));
  return rules;
}

std::vector<std::unique_ptr<ScanContext>> Contexts(size_t n) {
  std::vector<std::unique_ptr<ScanContext>> v;
  for (size_t i = 0; i < n; ++i) v.push_back(std::move(ScanContext::Create(Rules())).value());
  return v;
}

std::shared_ptr<const Policy> PolicyOf(const std::string& text) {
  return std::make_shared<const Policy>(ParsePolicy({"p.yaml", text}, {"us-ssn", "pan"}));
}

struct Server {
  explicit Server(IcapConfig c = {}, std::shared_ptr<const Policy> policy = nullptr) {
    c.listen = "127.0.0.1:0";
    auto s = IcapServer::Open(c, Contexts(c.threads), std::move(policy), "tag-one");
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    server = std::move(s).value();
    server->Start();
    port = static_cast<uint16_t>(std::stoi(server->address().substr(10)));
  }
  std::unique_ptr<IcapServer> server;
  uint16_t port = 0;
};

struct Client {
  explicit Client(uint16_t port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Client() { close(fd); }
  void Send(const std::string& s) const {
    size_t at = 0;
    while (at < s.size()) {
      const ssize_t n = send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<size_t>(n);
    }
  }
  // Reads what comes within `ms`, appending to `got`; false when closed.
  bool ReadFor(int ms) {
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      if (left <= 0) return true;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) return true;
      char buf[65536];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  // Reads until one whole response is in `got` (or `ms` pass); returns it
  // and keeps what follows.
  std::string Response(int ms = 5000) {
    const auto end = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      if (const size_t n = Whole(); n != 0) {
        std::string r = got.substr(0, n);
        got.erase(0, n);
        return r;
      }
      if (Clock::now() > end) return "";
      if (!ReadFor(20) && Whole() == 0) {
        closed = true;
        return std::exchange(got, "");
      }
    }
  }
  // The length of the first whole response in `got`, or 0.
  size_t Whole() const {
    const size_t head = got.find("\r\n\r\n");
    if (head == std::string::npos) return 0;
    if (got.rfind("ICAP/1.0 100", 0) == 0) return head + 4;
    const size_t enc = got.find("Encapsulated: ");
    if (enc == std::string::npos || enc > head) return head + 4;
    const std::string e = got.substr(enc, got.find("\r\n", enc) - enc);
    const size_t eq = e.rfind('=');
    const size_t off = std::stoul(e.substr(eq + 1));
    if (e.find("null-body") != std::string::npos) {
      return got.size() >= head + 4 + off ? head + 4 + off : 0;
    }
    const size_t body = head + 4 + off;
    if (got.size() < body) return 0;
    // Chunks to the last one.
    size_t at = body;
    for (;;) {
      const size_t eol = got.find("\r\n", at);
      if (eol == std::string::npos) return 0;
      const size_t n = std::stoul(got.substr(at, eol - at), nullptr, 16);
      if (n == 0) return got.size() >= eol + 4 ? eol + 4 : 0;
      at = eol + 2 + n + 2;
      if (at > got.size()) return 0;
    }
  }
  int fd;
  std::string got;
  bool closed = false;
};

// A REQMOD's head and its encapsulated HTTP head, a body to follow or not;
// `extra`: more ICAP fields ("Preview: 10\r\n").
std::string ReqmodHead(const std::string& http_head, bool has_body, bool allow_204 = true,
                       const std::string& extra = "") {
  return "REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n" +
         std::string(allow_204 ? "Allow: 204\r\n" : "") + extra + "Encapsulated: req-hdr=0, " +
         (has_body ? "req-body=" : "null-body=") + std::to_string(http_head.size()) + "\r\n\r\n" +
         http_head;
}

// A whole REQMOD, the body in one chunk (none when empty).
std::string Reqmod(const std::string& http_head, const std::string& body, bool allow_204 = true) {
  std::string r = ReqmodHead(http_head, !body.empty(), allow_204);
  if (!body.empty()) r += ChunkedBody(body);
  return r;
}

std::string HttpHead(size_t body_len, const std::string& host = "files.example") {
  return "POST https://" + host + "/upload HTTP/1.1\r\nHost: " + host +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body_len) + "\r\n\r\n";
}

// The de-chunked body of a 200 response carrying a request.
std::string BodyOf(const std::string& response) {
  const size_t head = response.find("\r\n\r\n") + 4;
  const size_t enc = response.find("req-body=");
  if (enc == std::string::npos) return "";
  size_t at = head + std::stoul(response.substr(enc + 9));
  std::string body;
  for (;;) {
    const size_t eol = response.find("\r\n", at);
    const size_t n = std::stoul(response.substr(at, eol - at), nullptr, 16);
    if (n == 0) return body;
    body += response.substr(eol + 2, n);
    at = eol + 2 + n + 2;
  }
}

TEST(IcapServer, OptionsThenMaskedThenNoChangeOnOneConnection) {
  Server s;
  Client c(s.port);
  c.Send("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  const std::string options = c.Response();
  EXPECT_EQ(options.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << options;
  EXPECT_NE(options.find("ISTag: \"tag-one\""), std::string::npos);
  const std::string body = "ssn=536-22-1457 card=4111 1111 1111 1111";
  c.Send(Reqmod(HttpHead(body.size()), body));
  const std::string masked = c.Response();
  EXPECT_EQ(masked.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << masked;
  EXPECT_NE(masked.find(HttpHead(body.size())), std::string::npos);
  EXPECT_EQ(BodyOf(masked), "ssn=XXX-XX-XXXX card=XXXX XXXX XXXX XXXX");
  c.Send(Reqmod(HttpHead(11), "hello world"));
  EXPECT_EQ(c.Response().rfind("ICAP/1.0 204 No Content\r\n", 0), 0u);
  // Without Allow: 204, a clean request comes back as it was.
  c.Send(Reqmod(HttpHead(11), "hello world", /*allow_204=*/false));
  const std::string echoed = c.Response();
  EXPECT_EQ(BodyOf(echoed), "hello world");
  const IcapCounters& n = s.server->counters();
  EXPECT_EQ(n.options.load(), 1u);
  EXPECT_EQ(n.reqmod.load(), 3u);
  EXPECT_EQ(n.modified.load(), 1u);
  EXPECT_EQ(n.no_change.load(), 1u);
  EXPECT_EQ(n.unchanged.load(), 1u);
  EXPECT_EQ(n.findings.load(), 2u);
  EXPECT_EQ(n.connections.load(), 1u);
}

TEST(IcapServer, APreviewGetsContinueThenTheRestAndAnIeofIsAHit) {
  Server s;
  Client c(s.port);
  const std::string body = "ssn is 536-22-1457, the end";
  const std::string head = HttpHead(body.size());
  // A 10-byte preview that ends mid-value: 100 Continue, then the rest.
  std::string r = ReqmodHead(head, true, true, "Preview: 10\r\n") + Chunk(body.substr(0, 10)) +
                  std::string(kLastChunk);
  c.Send(r);
  EXPECT_EQ(c.Response().rfind("ICAP/1.0 100 Continue\r\n", 0), 0u);
  c.Send(Chunk(body.substr(10)) + std::string(kLastChunk));
  const std::string masked = c.Response();
  EXPECT_EQ(BodyOf(masked), "ssn is XXX-XX-XXXX, the end") << masked;
  // The whole body in the preview, with ieof: answered at once.
  r = ReqmodHead(head, true, true, "Preview: 100\r\n") + Chunk(body) + "0; ieof\r\n\r\n";
  c.Send(r);
  EXPECT_EQ(BodyOf(c.Response()), "ssn is XXX-XX-XXXX, the end");
  EXPECT_EQ(s.server->counters().preview_hits.load(), 1u);
}

TEST(IcapServer, MalformedRequestsGetAnErrorAndOthersAreServed) {
  IcapConfig cfg;
  cfg.threads = 1;  // all on one loop: nothing may stall it
  cfg.limits.max_head = 4096;
  Server s(cfg);
  Client stuck(s.port);  // half a request, then nothing
  stuck.Send("REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: x\r\nEncaps");
  for (const std::string& bad : {
           std::string("REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: req-hdr=5, "
                       "req-body=1\r\n\r\n"),
           std::string("REQMOD icap://127.0.0.1/reqmod ICAP/2.0\r\n\r\n"),
           std::string(
               "RESPMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n"),
           std::string("REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nX: ") + std::string(8000, 'a'),
           Reqmod(HttpHead(3), "").substr(0, 70) + "\r\n\r\n" + "zz\r\nabc\r\n",
           std::string(
               "REQMOD icap://127.0.0.1/nothere ICAP/1.0\r\nEncapsulated: null-body=0\r\n\r\n"),
       }) {
    Client c(s.port);
    c.Send(bad);
    const std::string r = c.Response(2000);
    EXPECT_TRUE(r.rfind("ICAP/1.0 4", 0) == 0 || r.rfind("ICAP/1.0 5", 0) == 0) << bad << "\n" << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
  }
  // A truncated chunk, then the client leaves: nothing to answer, no crash.
  {
    Client c(s.port);
    c.Send(Reqmod(HttpHead(100), std::string(100, 'a')).substr(0, 200));
  }
  Client good(s.port);
  const auto t0 = Clock::now();
  good.Send(Reqmod(HttpHead(15), "ssn=536-22-1457"));
  EXPECT_EQ(BodyOf(good.Response()), "ssn=XXX-XX-XXXX");
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(3000));
  EXPECT_GE(s.server->counters().errors.load(), 6u);
}

TEST(IcapServer, ASlowClientIsClosedAndHoldsNobodyElse) {
  IcapConfig cfg;
  cfg.threads = 1;
  cfg.request_timeout_ms = 1500;
  Server s(cfg);
  Client slow(s.port);
  const std::string req = Reqmod(HttpHead(15), "ssn=536-22-1457");
  slow.Send(req.substr(0, 90));  // inside the encapsulated head
  Client other(s.port);
  other.Send(req);
  const auto t0 = Clock::now();
  EXPECT_EQ(BodyOf(other.Response(1200)), "ssn=XXX-XX-XXXX");  // before the slow one's deadline
  EXPECT_TRUE(slow.got.empty());
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1200));
  const std::string r = slow.Response(5000);
  EXPECT_EQ(r.rfind("ICAP/1.0 408", 0), 0u) << r;
  EXPECT_EQ(s.server->counters().timeouts.load(), 1u);
}

TEST(IcapServer, OverMaxConnectionsTheNextIsTold503) {
  IcapConfig cfg;
  cfg.max_connections = 2;
  Server s(cfg);
  Client a(s.port), b(s.port);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Client c(s.port);
  const std::string r = c.Response(2000);
  EXPECT_EQ(r.rfind("ICAP/1.0 503", 0), 0u) << r;
  EXPECT_EQ(s.server->counters().connections_refused.load(), 1u);
  a.Send("OPTIONS icap://127.0.0.1/reqmod ICAP/1.0\r\n\r\n");
  EXPECT_EQ(a.Response().rfind("ICAP/1.0 200", 0), 0u);
}

TEST(IcapServer, ALargeBodyIsAnsweredWhileItStillComes) {
  IcapConfig cfg;
  cfg.stream_after = 16 << 10;
  Server s(cfg);
  Client c(s.port);
  std::string body, want;
  for (int i = 0; i < 4000; ++i) {
    body += "row " + std::to_string(i) + " ssn 536-22-1457 ok\n";
    want += "row " + std::to_string(i) + " ssn XXX-XX-XXXX ok\n";
  }
  const std::string head = HttpHead(body.size());
  c.Send(ReqmodHead(head, true));
  const size_t half = body.size() / 2;
  c.Send(Chunk(body.substr(0, half)));
  // The answer has begun before the body's end was sent.
  for (int i = 0; i < 100 && c.got.size() <= half / 2; ++i) c.ReadFor(50);
  EXPECT_EQ(c.got.rfind("ICAP/1.0 200 OK\r\n", 0), 0u) << c.got.substr(0, 200);
  EXPECT_GT(c.got.size(), half / 2);
  c.Send(Chunk(body.substr(half)) + std::string(kLastChunk));
  const std::string r = c.Response();
  EXPECT_EQ(BodyOf(r), want);
  EXPECT_EQ(s.server->counters().streamed.load(), 1u);
}

TEST(IcapServer, ABlockAnswersTheBlockPageAndAReloadChangesTheTag) {
  IcapConfig cfg;
  cfg.block_page = "<p>no</p>";
  Server s(cfg, PolicyOf("statements:\n  - {name: b, when: {rule: pan}, action: block}\n"));
  Client c(s.port);
  c.Send(Reqmod(HttpHead(21), "card=4111111111111111"));
  const std::string r = c.Response();
  EXPECT_NE(r.find("Encapsulated: res-hdr=0, res-body="), std::string::npos) << r;
  EXPECT_NE(r.find("HTTP/1.1 403 Forbidden\r\n"), std::string::npos);
  EXPECT_NE(r.find("<p>no</p>"), std::string::npos);
  EXPECT_EQ(s.server->counters().blocked.load(), 1u);
  // A new policy (alert) and tag: the next request goes on unchanged.
  s.server->Offer({}, PolicyOf("statements:\n  - {name: a, when: {rule: pan}, action: alert}\n"));
  s.server->SetIsTag("tag-two");
  c.Send(Reqmod(HttpHead(21), "card=4111111111111111"));
  const std::string after = c.Response();
  EXPECT_EQ(after.rfind("ICAP/1.0 204", 0), 0u) << after;
  EXPECT_NE(after.find("ISTag: \"tag-two\""), std::string::npos);
}

TEST(IcapServer, ABodyItCannotReadIsBlockedFailClosedAndPassedFailOpen) {
  const std::string body = "card=4111111111111111";
  const std::string head =
      "POST https://a.example/x HTTP/1.1\r\nHost: a.example\r\n"
      "Content-Encoding: zstd\r\nContent-Length: 21\r\n\r\n";
  for (bool closed : {true, false}) {
    IcapConfig cfg;
    cfg.fail_closed = closed;
    Server s(cfg);
    Client c(s.port);
    c.Send(Reqmod(head, body));
    const std::string r = c.Response();
    if (closed) {
      EXPECT_NE(r.find("HTTP/1.1 403 Forbidden"), std::string::npos) << r;
    } else {
      // Unchanged: masking bytes of a body read as plain text would
      // corrupt what the server decodes.
      EXPECT_EQ(r.rfind("ICAP/1.0 204", 0), 0u) << r;
    }
    EXPECT_EQ(s.server->counters().uninspectable.load(), 1u);
  }
}

TEST(IcapServer, ABlockDecidedInThePreviewAnswersAtOnce) {
  Server s({}, PolicyOf("statements:\n  - {name: b, when: {rule: pan}, action: block}\n"));
  Client c(s.port);
  const std::string body = "card=4111111111111111&rest=" + std::string(100, 'a');
  const std::string head = HttpHead(body.size());
  c.Send(ReqmodHead(head, true, true, "Preview: 30\r\n") + Chunk(body.substr(0, 30)) +
         std::string(kLastChunk));
  const std::string r = c.Response();
  EXPECT_NE(r.find("HTTP/1.1 403 Forbidden"), std::string::npos) << r;  // no 100 Continue first
  EXPECT_EQ(s.server->counters().blocked.load(), 1u);
  EXPECT_EQ(s.server->counters().preview_hits.load(), 0u);
}

TEST(IcapServer, PipelinedRequestsWaitWhileTheirAnswersAreUnread) {
  // Each blocked request answers a 100 KB page; a client that sends 200 in
  // one go and reads nothing must not make dlpd hold 20 MB.
  IcapConfig cfg;
  cfg.threads = 1;
  cfg.block_page = std::string(100 << 10, 'p');
  Server s(cfg, PolicyOf("statements:\n  - {name: b, when: {rule: us-ssn}, action: block}\n"));
  Client c(s.port);
  std::string burst;
  const std::string one =
      Reqmod("GET http://x.example/?s=536-22-1457 HTTP/1.1\r\nHost: x\r\n\r\n", "");
  for (int i = 0; i < 200; ++i) burst += one;
  std::thread sender([&] { c.Send(burst); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t unsent = s.server->counters().unsent_bytes.load();
  EXPECT_LT(unsent, 6u << 20);  // bounded (4 MiB and a page), not 20 MB
  int pages = 0;
  for (; pages < 200; ++pages) {
    if (c.Response().find("HTTP/1.1 403 Forbidden") == std::string::npos) break;
  }
  sender.join();
  EXPECT_EQ(pages, 200);
  EXPECT_EQ(s.server->counters().blocked.load(), 200u);
}

TEST(IcapServer, ABodyPastItsContentLengthIsRefused) {
  Server s;
  Client c(s.port);
  c.Send(Reqmod(HttpHead(9), "a=1&ssn=536-22-1457"));
  const std::string r = c.Response();
  EXPECT_EQ(r.rfind("ICAP/1.0 400", 0), 0u) << r;
}

TEST(IcapServer, ABlockedUploadHoldsNothingOfItsBody) {
  IcapConfig cfg;
  cfg.stream_after = 1 << 20;
  Server s(cfg, PolicyOf("statements:\n  - {name: b, when: {rule: pan}, action: block}\n"));
  Client c(s.port);
  const std::string tail(256 << 10, 'a');
  const std::string head = HttpHead(22 + 4 * tail.size());
  c.Send(ReqmodHead(head, true) + Chunk("card=4111111111111111&"));
  uint64_t most = 0;
  for (int i = 0; i < 4; ++i) {
    c.Send(Chunk(tail));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    most = std::max<uint64_t>(most, s.server->counters().held_bytes.load());
  }
  EXPECT_LT(most, 4096u);  // not the megabyte sent after the card
  c.Send(std::string(kLastChunk));
  EXPECT_NE(c.Response().find("HTTP/1.1 403 Forbidden"), std::string::npos);
  EXPECT_EQ(s.server->counters().held_bytes.load(), 0u);
}

TEST(IcapServer, AConnectionThatSendsNothingIsClosedAfterTheRequestTimeout) {
  IcapConfig cfg;
  cfg.request_timeout_ms = 300;
  cfg.idle_timeout_ms = 60000;
  Server s(cfg);
  Client c(s.port);
  const auto t0 = Clock::now();
  const std::string r = c.Response(3000);
  EXPECT_EQ(r.rfind("ICAP/1.0 408", 0), 0u) << r;
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2000));
}

}  // namespace
}  // namespace dlp
