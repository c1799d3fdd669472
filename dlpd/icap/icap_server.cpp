#include "dlpd/icap/icap_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <random>

#include "dlpd/common/ascii.h"
#include "dlpd/common/clock.h"
#include "dlpd/common/last_catch.h"
#include "dlpd/common/log_every.h"
#include "dlpd/icap/icap_exchange.h"
#include "dlpd/icap/icap_incidents.h"
#include "dlpd/icap/icap_response.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/mask/mask.h"
#include "dlpd/pipeline/engine_handoff.h"

namespace dlp {
namespace {

constexpr size_t kReadSize = 64 << 10;
// Answer bytes a connection may have unsent before it stops reading the
// request (the proxy reads the answer while it sends: a streamed body
// waits for it here).
constexpr size_t kMaxUnsent = 4 << 20;
constexpr int kPollMs = 100;
// How long requests under way may take to end once the daemon stops.
constexpr int64_t kStopGraceMs = 2000;

int64_t NowMs() {
  return SystemClock::Instance().NowMicros() / 1000;
}

const char* kBuiltInPage =
    "<!DOCTYPE html>\n<html><head><title>Request blocked</title></head>\n"
    "<body><h1>Request blocked</h1>\n<p>This request carried data that the site's data "
    "protection policy does not allow to leave. It was not sent.</p></body></html>\n";

const char* ReasonOf(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 451:
      return "Unavailable For Legal Reasons";
    default:
      return "Blocked";
  }
}

// X-Client-IP and X-Authenticated-User, as the proxy sends them.
IcapOrigin OriginOf(const IcapRequest& r) {
  IcapOrigin o;
  if (const std::string* ip = r.Field("X-Client-IP")) {
    std::array<uint8_t, 16> a{};
    if (inet_pton(AF_INET, ip->c_str(), a.data()) == 1) {
      o.family = AF_INET;
    } else if (inet_pton(AF_INET6, ip->c_str(), a.data()) == 1) {
      o.family = AF_INET6;
      // An IPv4 client a dual-stack proxy names as ::ffff:a.b.c.d is the
      // IPv4 client its `src` scopes name.
      static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::memcmp(a.data(), kMapped, 12) == 0) {
        std::memmove(a.data(), a.data() + 12, 4);
        std::memset(a.data() + 4, 0, 12);
        o.family = AF_INET;
      }
    }
    if (o.family != 0) {
      o.client = a;
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(o.family, a.data(), text, sizeof text);
      o.client_text = text;
    }
  }
  if (const std::string* user = r.Field("X-Authenticated-User")) {
    for (char c : *user) {
      if (c >= 32 && c < 127 && o.user.size() < 256) o.user += c;
    }
  }
  return o;
}

Result<std::pair<int, std::string>> Listen(const std::string& spec) {
  std::string host, port;
  if (!spec.empty() && spec.front() == '[') {
    const size_t close = spec.find("]:");
    if (close == std::string::npos) return Error{"--icap: '" + spec + "' is not [ADDR6]:PORT"};
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else if (spec.find(':') == std::string::npos) {
    host = "127.0.0.1";
    port = spec;
  } else if (spec.find(':') == spec.rfind(':')) {
    host = spec.substr(0, spec.find(':'));
    port = spec.substr(spec.find(':') + 1);
  } else {
    return Error{"--icap: write an IPv6 address as [ADDR6]:PORT, not '" + spec + "'"};
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return Error{"--icap: '" + spec + "' needs a port (ADDR:PORT, 0-65535)"};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST;
  addrinfo* ai = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &ai); rc != 0) {
    return Error{"--icap: '" + host + "' is not an address to listen on: " + gai_strerror(rc)};
  }
  const int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    freeaddrinfo(ai);
    return Error{"--icap " + spec + ": socket: " + why};
  }
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
    const std::string why = std::strerror(errno);
    freeaddrinfo(ai);
    close(fd);
    return Error{"--icap " + spec + ": cannot listen: " + why};
  }
  freeaddrinfo(ai);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t bound_port = 0;
  if (bound.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&bound);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    bound_port = ntohs(a->sin6_port);
    return std::make_pair(fd, "[" + std::string(text) + "]:" + std::to_string(bound_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&bound);
  inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
  bound_port = ntohs(a->sin_port);
  return std::make_pair(fd, std::string(text) + ":" + std::to_string(bound_port));
}

}  // namespace

Status ProbeIcapListen(const std::string& spec) {
  auto l = Listen(spec);
  if (!l) return l.error();
  close(l->first);
  return {};
}

std::string IcapIsTag(std::string_view rules_version, std::string_view policy_version) {
  return std::string(rules_version.substr(0, 12)) + "-" + std::string(policy_version.substr(0, 12));
}

// One event loop: its connections, its scanning context, its thread.
class IcapServer::Loop {
 public:
  Loop(IcapServer& server, std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy,
       uint64_t salt)
      : server_(server), ctx_(std::move(ctx)), policy_(std::move(policy)), salt_(salt) {}
  ~Loop() {
    for (Conn& c : conns_) close(c.fd);
  }

  void Offer(std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy) {
    auto e = std::make_unique<EngineHandoff::Engine>();
    e->ctx = std::move(ctx);
    e->policy = std::move(policy);
    handoff_.Offer(std::move(e));
  }
  void SetFingerprinter(const Fingerprinter* f) {
    fingerprinter_ = f;
    ctx_->set_fingerprinter(f);
  }
  void SetWriter(IncidentWriter* w) { writer_ = w; }
  void SetIsTag(const std::string& istag) {
    std::lock_guard<std::mutex> lock(istag_mu_);
    istag_ = istag;
  }

  void Run();

 private:
  struct Conn {
    explicit Conn(int fd, const IcapLimits& limits) : fd(fd), parser(limits) {}
    int fd;
    IcapParser parser;
    std::string in;                    // read, not yet taken by the parser
    std::string out;                   // to send
    std::shared_ptr<ScanContext> ctx;  // the request's rules (kept across a reload)
    std::unique_ptr<IcapExchange> exchange;
    std::string held;          // masked body waiting for the request's end
    bool streaming = false;    // the answer has begun
    bool close_after = false;  // close once `out` is sent
    int64_t last_in_ms = 0;  // the last byte read or sent
    int64_t request_began_ms = 0;
    bool in_request = false;
  };

  void Accept();
  // Reads what the socket has; false when the connection is done with.
  bool Read(Conn& c);
  bool Write(Conn& c);
  // Runs the parser over c.in and acts on what it reads.
  void Serve(Conn& c);
  void OnHead(Conn& c);
  void OnBody(Conn& c);
  void OnPreviewEnd(Conn& c);
  void OnDone(Conn& c);
  void Fail(Conn& c, int status, const std::string& why);
  void EndRequest(Conn& c);
  IcapService Service() {
    IcapService s;
    {
      std::lock_guard<std::mutex> lock(istag_mu_);
      s.istag = istag_;
    }
    s.max_connections = static_cast<int>(server_.config_.max_connections);
    s.preview = server_.config_.preview;
    return s;
  }
  void CloseConn(std::list<Conn>::iterator it);
  // The request must not go on: a value decided "block", or (fail closed)
  // its body cannot be read.
  bool Stopped(const Conn& c) const {
    return c.exchange != nullptr &&
           (c.exchange->blocked() ||
            (server_.config_.fail_closed && c.exchange->uninspectable() != nullptr));
  }
  // Lets go of c.held (its capacity too: the next request may be small),
  // counted off held_bytes.
  void Release(Conn& c) {
    server_.counters_.held_bytes.fetch_sub(c.held.size(), std::memory_order_relaxed);
    std::string().swap(c.held);
  }
  void TakeReload();

  IcapServer& server_;
  std::shared_ptr<ScanContext> ctx_;
  std::shared_ptr<const Policy> policy_;
  EngineHandoff handoff_;
  const Fingerprinter* fingerprinter_ = nullptr;
  IncidentWriter* writer_ = nullptr;
  std::mutex istag_mu_;
  std::string istag_;  // guarded by istag_mu_
  uint64_t salt_;
  uint64_t next_id_ = 0;
  uint64_t unsent_ = 0;  // this loop's part of counters_.unsent_bytes
  std::list<Conn> conns_;
  LogEvery log_every_{10'000'000};          // errors answered
  LogEvery uninspectable_log_{10'000'000};  // requests not inspected
};

void IcapServer::Loop::TakeReload() {
  if (!handoff_.pending()) return;
  std::unique_ptr<EngineHandoff::Engine> next = handoff_.Take();
  if (next == nullptr) return;
  if (next->ctx != nullptr) {
    ctx_ = std::move(next->ctx);
    ctx_->set_fingerprinter(fingerprinter_);
  }
  policy_ = std::move(next->policy);
}

void IcapServer::Loop::Accept() {
  IcapCounters& n = server_.counters_;
  for (int i = 0; i < 16; ++i) {
    const int fd = accept4(server_.fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN: another loop took it, or none waits
    if (n.connections_open.load(std::memory_order_relaxed) >= server_.config_.max_connections) {
      n.connections_refused.fetch_add(1, std::memory_order_relaxed);
      const std::string busy = IcapErrorResponse(Service(), 503);
      (void)!send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    n.connections.fetch_add(1, std::memory_order_relaxed);
    n.connections_open.fetch_add(1, std::memory_order_relaxed);
    Conn& c = conns_.emplace_back(fd, server_.config_.limits);
    // A new connection is inside its first request at once: one that
    // sends nothing is closed after the request timeout, not the idle one.
    c.last_in_ms = c.request_began_ms = NowMs();
    c.in_request = true;
  }
}

void IcapServer::Loop::CloseConn(std::list<Conn>::iterator it) {
  close(it->fd);
  conns_.erase(it);
  server_.counters_.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

bool IcapServer::Loop::Read(Conn& c) {
  char buf[kReadSize];
  const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) {
    // The client is done sending: what is answered already still goes
    // (it may read after closing its side); a request cut short is not
    // answered.
    c.close_after = true;
    return !c.out.empty();
  }
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  c.in.append(buf, static_cast<size_t>(n));
  c.last_in_ms = NowMs();
  Serve(c);
  return true;
}

bool IcapServer::Loop::Write(Conn& c) {
  while (!c.out.empty()) {
    const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c.out.erase(0, static_cast<size_t>(n));
    c.last_in_ms = NowMs();
  }
  return !c.close_after;
}

void IcapServer::Loop::Fail(Conn& c, int status, const std::string& why) {
  server_.counters_.errors.fetch_add(1, std::memory_order_relaxed);
  if (uint64_t skipped = 0; log_every_.Due(&skipped)) {
    spdlog::warn("icap: answered {}: {}{}", status, why,
                 skipped == 0 ? "" : fmt::format(" ({} more not logged)", skipped));
  }
  if (!c.streaming) c.out += IcapErrorResponse(Service(), status);
  c.close_after = true;
  c.in.clear();
}

void IcapServer::Loop::Serve(Conn& c) {
  // Answers wait to be read past kMaxUnsent: pipelined requests wait in
  // c.in (Run serves them again as the answers drain).
  while (!c.close_after && !c.in.empty() && c.out.size() < kMaxUnsent) {
    if (!c.in_request) {
      c.in_request = true;
      c.request_began_ms = NowMs();
    }
    const size_t used = c.parser.Feed(c.in);
    c.in.erase(0, used);
    const IcapParser::State st = c.parser.state();
    if (st == IcapParser::State::kError) {
      Fail(c, c.parser.error().status, c.parser.error().reason);
      return;
    }
    if (c.exchange == nullptr && c.parser.request().method == IcapMethod::kReqmod &&
        st != IcapParser::State::kHead && st != IcapParser::State::kHttpHead) {
      OnHead(c);
      if (c.close_after) return;
    }
    if (c.exchange != nullptr) OnBody(c);
    if (c.close_after) return;
    if (st == IcapParser::State::kPreviewEnd) {
      OnPreviewEnd(c);
    } else if (st == IcapParser::State::kDone) {
      OnDone(c);
    } else if (used == 0) {
      return;  // needs more bytes
    }
  }
}

void IcapServer::Loop::OnHead(Conn& c) {
  IcapRequest& r = c.parser.request();
  if (!r.service.empty() && AsciiLower(r.service) != "reqmod" && AsciiLower(r.service) != "dlp" &&
      AsciiLower(r.service) != "dlpd") {
    Fail(c, 404, "no ICAP service '" + r.service + "' (reqmod, dlp or dlpd)");
    return;
  }
  TakeReload();
  c.ctx = ctx_;
  auto x = IcapExchange::Open(*c.ctx, policy_, r.http_head, r.has_body, OriginOf(r));
  if (!x) {
    Fail(c, 500, x.error().message);
    return;
  }
  c.exchange = std::move(x).value();
  c.exchange->set_fail_open(!server_.config_.fail_closed);
}

void IcapServer::Loop::OnBody(Conn& c) {
  IcapRequest& r = c.parser.request();
  if (!r.body.empty()) {
    server_.counters_.body_bytes.fetch_add(r.body.size(), std::memory_order_relaxed);
    if (Status st = c.exchange->Body(r.body); !st) {
      r.body.clear();
      Fail(c, 500, st.error().message);
      return;
    }
    r.body.clear();
  }
  if (c.exchange->beyond_length()) {
    Fail(c, 400, "a request body longer than its Content-Length");
    return;
  }
  if (c.streaming) {
    if (Stopped(c)) {
      // Too late for the block page: cut the answer, so the request
      // never completes.
      server_.counters_.blocked.fetch_add(1, std::memory_order_relaxed);
      EndRequest(c);
      c.out.clear();
      c.close_after = true;
      shutdown(c.fd, SHUT_RDWR);
      return;
    }
    c.out += Chunk(c.exchange->TakeBody());
    return;
  }
  if (Stopped(c)) {
    // The block page will answer: nothing of the body is held for it.
    c.exchange->TakeBody();
    Release(c);
    return;
  }
  const std::string more = c.exchange->TakeBody();
  server_.counters_.held_bytes.fetch_add(more.size(), std::memory_order_relaxed);
  c.held += more;
  if (c.held.size() > server_.config_.stream_after && c.exchange->head_ready() &&
      c.parser.state() == IcapParser::State::kBody) {
    // Past the bound, the answer starts now; the head is final.
    server_.counters_.streamed.fetch_add(1, std::memory_order_relaxed);
    c.streaming = true;
    c.out += IcapModifiedHead(Service(), c.exchange->head(), /*has_body=*/true);
    c.out += Chunk(c.held);
    Release(c);
  }
}

void IcapServer::Loop::OnPreviewEnd(Conn& c) {
  if (Stopped(c)) {
    // Decided on the preview: the rest of the body is not needed.
    OnDone(c);
    c.close_after = true;  // the client may still send the rest: do not read it as a request
    return;
  }
  c.out += IcapContinue();
  c.parser.Continue();
}

void IcapServer::Loop::OnDone(Conn& c) {
  IcapCounters& n = server_.counters_;
  IcapRequest& r = c.parser.request();
  n.requests.fetch_add(1, std::memory_order_relaxed);
  if (r.method == IcapMethod::kOptions) {
    n.options.fetch_add(1, std::memory_order_relaxed);
    c.out += IcapOptionsResponse(Service());
    EndRequest(c);
    return;
  }
  if (r.ieof) n.preview_hits.fetch_add(1, std::memory_order_relaxed);
  if (Status st = c.exchange->Finish(); !st) {
    Fail(c, 500, st.error().message);
    return;
  }
  OnBody(c);  // what Finish released
  if (c.close_after) return;
  n.reqmod.fetch_add(1, std::memory_order_relaxed);
  IcapExchange& x = *c.exchange;
  const IcapService s = Service();
  if (const char* why = x.uninspectable(); why != nullptr) {
    n.uninspectable.fetch_add(1, std::memory_order_relaxed);
    if (uint64_t skipped = 0; uninspectable_log_.Due(&skipped)) {
      std::string host = x.request() != nullptr ? x.request()->host : std::string("?");
      MaskValuesIn(x.ctx(), &host);  // a Host may hold a value too
      spdlog::warn("icap: a request to {} could not be inspected ({}): {}{}", host, why,
                   server_.config_.fail_closed ? "blocked (fail closed)" : "passed (fail open)",
                   skipped == 0 ? "" : fmt::format(" ({} more not logged)", skipped));
    }
  }
  if (c.streaming) {
    c.out += kLastChunk;
    (x.changed() ? n.modified : n.unchanged).fetch_add(1, std::memory_order_relaxed);
  } else if (Stopped(c)) {
    n.blocked.fetch_add(1, std::memory_order_relaxed);
    const int status = server_.config_.block_status;
    c.out += IcapHttpResponse(s, status, ReasonOf(status),
                              server_.config_.block_page.empty() ? std::string_view(kBuiltInPage)
                                                                 : server_.config_.block_page);
  } else if (x.changed()) {
    n.modified.fetch_add(1, std::memory_order_relaxed);
    c.out += IcapModifiedRequest(s, x.head(), c.held, r.has_body);
  } else if (r.allow_204) {
    n.no_change.fetch_add(1, std::memory_order_relaxed);
    c.out += IcapNoChange(s);
  } else {
    n.unchanged.fetch_add(1, std::memory_order_relaxed);
    c.out += IcapModifiedRequest(s, x.head(), c.held, r.has_body);
  }
  EndRequest(c);
}

void IcapServer::Loop::EndRequest(Conn& c) {
  if (c.exchange != nullptr) {
    server_.counters_.findings.fetch_add(c.exchange->values(), std::memory_order_relaxed);
    const uint64_t id = salt_ ^ (++next_id_ * 0x9e3779b97f4a7c15ULL);
    const IcapRecorded rec =
        RecordIcapIncidents(*c.exchange, id, SystemClock::Instance().WallMicros(), writer_);
    server_.counters_.incidents_dropped.fetch_add(rec.dropped, std::memory_order_relaxed);
  }
  c.exchange.reset();
  c.ctx.reset();
  Release(c);
  c.streaming = false;
  c.in_request = false;
  c.parser.Reset();
}

void IcapServer::Loop::Run() {
  std::vector<pollfd> fds;
  int64_t stop_at = 0;
  for (;;) {
    const bool stopping = server_.stop_.load(std::memory_order_relaxed);
    if (stopping && stop_at == 0) stop_at = NowMs() + kStopGraceMs;
    const int64_t now = NowMs();
    // Deadlines, and the stop: idle connections go at once, those under
    // way after the grace.
    for (auto it = conns_.begin(); it != conns_.end();) {
      Conn& c = *it;
      const int64_t quiet = now - c.last_in_ms;
      bool drop = false;
      const bool stalled =
          (c.in_request || !c.out.empty()) && quiet > server_.config_.request_timeout_ms;
      const bool too_long =
          c.in_request && now - c.request_began_ms > server_.config_.max_request_ms;
      if (stalled || too_long) {
        server_.counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
        Fail(c, 408,
             stalled
                 ? "a client stalled for over " +
                       std::to_string(server_.config_.request_timeout_ms) + " ms"
                 : "a request took over " + std::to_string(server_.config_.max_request_ms) + " ms");
        (void)Write(c);
        drop = true;
      } else if (!c.in_request && c.out.empty() &&
                 (quiet > server_.config_.idle_timeout_ms || stopping)) {
        drop = true;
      } else if (stopping && now > stop_at) {
        drop = true;
      }
      if (drop) {
        if (c.exchange != nullptr) EndRequest(c);  // what it found is recorded
        auto gone = it++;
        CloseConn(gone);
      } else {
        ++it;
      }
    }
    // What waits to be sent, this loop's share of the gauge.
    uint64_t unsent = 0;
    for (const Conn& c : conns_) unsent += c.out.size();
    server_.counters_.unsent_bytes.fetch_add(unsent - unsent_, std::memory_order_relaxed);
    unsent_ = unsent;
    if (stopping && conns_.empty()) return;
    fds.clear();
    fds.push_back({stopping ? -1 : server_.fd_, POLLIN, 0});
    for (Conn& c : conns_) {
      short events = 0;
      if (!c.close_after && c.out.size() < kMaxUnsent) events |= POLLIN;
      if (!c.out.empty()) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
    }
    const int ready = poll(fds.data(), fds.size(), kPollMs);
    if (ready < 0) {
      if (errno != EINTR) {
        spdlog::error("icap: poll: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      }
      continue;
    }
    if (ready == 0) continue;
    size_t i = 1;
    for (auto it = conns_.begin(); it != conns_.end(); ++i) {
      Conn& c = *it;
      const short got = fds[i].revents;
      bool keep = true;
      if (got & (POLLIN | POLLHUP | POLLERR)) keep = Read(c);
      if (keep && !c.out.empty()) keep = Write(c);
      // Pipelined requests that waited for answers to drain: served until
      // their answers wait again, or what is left waits for more bytes
      // (a write that drains all would leave them with no event to wake).
      while (keep && !c.close_after && !c.in.empty() && c.out.size() < kMaxUnsent) {
        const size_t before = c.in.size();
        Serve(c);
        if (!c.out.empty()) keep = Write(c);
        if (c.in.size() == before) break;
      }
      if (keep && c.close_after && c.out.empty()) keep = false;
      if (!keep) {
        if (c.exchange != nullptr) EndRequest(c);
        auto gone = it++;
        CloseConn(gone);
      } else {
        ++it;
      }
    }
    if (fds[0].revents & POLLIN) Accept();
  }
}

Result<std::unique_ptr<IcapServer>> IcapServer::Open(
    const IcapConfig& config, std::vector<std::unique_ptr<ScanContext>> contexts,
    std::shared_ptr<const Policy> policy, std::string istag) {
  if (contexts.empty()) return Error{"--icap: no event loop (icap threads 0)"};
  auto l = Listen(config.listen);
  if (!l) return l.error();
  std::unique_ptr<IcapServer> s(new IcapServer(config, l->first, l->second));
  std::random_device rd;
  for (auto& ctx : contexts) {
    const uint64_t salt = (static_cast<uint64_t>(rd()) << 32) ^ rd();
    s->loops_.push_back(std::make_unique<Loop>(*s, std::move(ctx), policy, salt));
    s->loops_.back()->SetIsTag(istag);
  }
  return s;
}

IcapServer::IcapServer(const IcapConfig& config, int fd, std::string address)
    : config_(config), fd_(fd), address_(std::move(address)) {}

void IcapServer::Stop() {
  stop_.store(true);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

IcapServer::~IcapServer() {
  Stop();
  loops_.clear();
  close(fd_);
}

void IcapServer::SetOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter) {
  for (auto& l : loops_) {
    l->SetWriter(writer);
    l->SetFingerprinter(fingerprinter);
  }
}

void IcapServer::Start() {
  for (auto& l : loops_) {
    threads_.emplace_back([loop = l.get()] {
      // The last catch: a loop that throws logs it, counts it and serves on.
      while (!RunGuarded("icap", [loop] { loop->Run(); })) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      }
    });
  }
}

void IcapServer::Offer(std::vector<std::unique_ptr<ScanContext>> contexts,
                       std::shared_ptr<const Policy> policy) {
  for (size_t i = 0; i < loops_.size(); ++i) {
    loops_[i]->Offer(i < contexts.size() ? std::move(contexts[i]) : nullptr, policy);
  }
}

void IcapServer::SetIsTag(std::string istag) {
  for (auto& l : loops_) l->SetIsTag(istag);
}

}  // namespace dlp
