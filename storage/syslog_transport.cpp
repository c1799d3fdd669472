#include "storage/syslog_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <vector>

namespace dlp {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Errno(int e) {
  return std::strerror(e);
}

struct Address {
  sockaddr_storage sa{};
  socklen_t len = 0;
  std::string text;  // numeric, for messages
};

int SocketType(const SyslogTarget& t) {
  return t.transport == SyslogTarget::Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
}

// The target's addresses, resolved now (a name may have moved since the
// last connection), or why there are none.
Result<std::vector<Address>> Resolve(const SyslogTarget& t) {
  std::vector<Address> out;
  if (t.transport == SyslogTarget::Transport::kUnix) {
    Address a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.sa);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, t.path.c_str(), t.path.size() + 1);  // size checked by the parse
    a.len = sizeof(sockaddr_un);
    a.text = t.path;
    out.push_back(a);
    return out;
  }
  addrinfo hints{};
  hints.ai_socktype = SocketType(t);
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &res);
  if (rc != 0) return Error{"syslog target '" + t.text + "': " + gai_strerror(rc)};
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address a;
    std::memcpy(&a.sa, ai->ai_addr, ai->ai_addrlen);
    a.len = ai->ai_addrlen;
    char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
    getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
    a.text = ai->ai_family == AF_INET6 ? "[" + std::string(host) + "]:" + port
                                       : std::string(host) + ":" + port;
    out.push_back(a);
  }
  freeaddrinfo(res);
  if (out.empty()) return Error{"syslog target '" + t.text + "': no address"};
  return out;
}

// A non-blocking socket connected, or connecting (*in_progress), to `a`;
// -1 with errno set when the attempt failed at once.
int StartConnect(const Address& a, int type, bool* in_progress) {
  *in_progress = false;
  const int fd = socket(a.sa.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a.sa), a.len) == 0) return fd;
  if (errno == EINPROGRESS) {
    *in_progress = true;
    return fd;
  }
  const int e = errno;
  close(fd);
  errno = e;
  return -1;
}

bool ValidPort(const std::string& p) {
  if (p.empty() || p.size() > 5 ||
      !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int n = std::stoi(p);
  return n >= 1 && n <= 65535;
}

class Forwarder {
 public:
  Forwarder(int input, const SyslogTarget& t, const ForwarderOptions& o, SyslogStats* s)
      : input_(input), t_(t), o_(o), s_(s) {}
  ~Forwarder() {
    if (out_ >= 0) close(out_);
  }
  void Run();

 private:
  bool stream() const { return t_.transport == SyslogTarget::Transport::kTcp; }
  void ReadInput(int64_t now);
  void Enqueue(std::string m);
  void TryConnect(int64_t now);
  void FinishConnect(int64_t now);
  void Connected(int64_t now);
  void Failed(const std::string& why, int64_t now);
  // Closes the connection, made or under way.
  void CloseOut();
  // One failed attempt (a connection refused, or lost soon after it was
  // made): counted, the backoff grows, the next attempt is set. True for
  // the first since a connection last lasted: the caller warns once, and
  // logs the rest at debug.
  bool Backoff(int64_t now);
  // `orderly`: the collector closed its end (what was written was read).
  void Disconnect(const std::string& why, bool orderly, int64_t now);
  void CheckPeer(int64_t now);
  void Send(int64_t now);
  void SendStream(int64_t now);
  void SendDatagrams(int64_t now);
  void Pop();
  // In-flight messages older than o_.settle_ms (all with `all`) count as sent.
  void Settle(int64_t now, bool all);
  std::string Framed(const std::string& m) const;

  const int input_;
  const SyslogTarget& t_;
  const ForwarderOptions& o_;
  SyslogStats* s_;
  std::string inbuf_;
  bool input_open_ = true;
  int64_t drain_until_ = 0;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool full_logged_ = false;
  // TCP: the front message as framed, and how much of it went out on this
  // connection (a lost connection sends it again whole on the next).
  std::string wire_;
  size_t wire_sent_ = 0;
  // TCP: messages written on this connection in the last o_.settle_ms (with
  // the time each went), in order. A reset in that time sends them again:
  // a collector that closes with data unread resets, and the kernel had
  // taken them. Their bytes count in queued_bytes_.
  std::deque<std::pair<int64_t, std::string>> in_flight_;
  int out_ = -1;
  bool connecting_ = false;
  int64_t connect_deadline_ = 0;
  std::vector<Address> addrs_;
  size_t next_addr_ = 0;
  std::string current_;  // the address being tried or connected to
  int64_t next_attempt_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t connected_at_ = 0;
  bool failing_logged_ = false;  // warned; quiet until a connection lasts
  bool back_logged_ = false;     // said "connected" since that warning
  bool shut_ = false;            // our end of the connection closed (the stop)
  uint64_t failures_ = 0;  // since the last connection
};

std::string Forwarder::Framed(const std::string& m) const {
  if (o_.lf_framing) {
    std::string line = m;
    std::replace(line.begin(), line.end(), '\n', ' ');  // a line break would split it
    return line + '\n';
  }
  return std::to_string(m.size()) + ' ' + m;  // RFC 6587 3.4.1
}

void Forwarder::Enqueue(std::string m) {
  if (queued_bytes_ + m.size() > o_.queue_bytes) {
    s_->dropped.fetch_add(1, std::memory_order_relaxed);
    if (!full_logged_) {
      full_logged_ = true;
      spdlog::warn("syslog {}: {} messages ({} KiB) wait for the collector; new ones are dropped",
                   t_.text, queue_.size(), queued_bytes_ >> 10);
    }
    return;
  }
  queued_bytes_ += m.size();
  queue_.push_back(std::move(m));
}

void Forwarder::Pop() {
  queued_bytes_ -= queue_.front().size();
  queue_.pop_front();
  s_->sent.fetch_add(1, std::memory_order_relaxed);
  if (queue_.empty()) full_logged_ = false;
}

void Forwarder::Settle(int64_t now, bool all) {
  while (!in_flight_.empty() && (all || now - in_flight_.front().first >= o_.settle_ms)) {
    queued_bytes_ -= in_flight_.front().second.size();
    in_flight_.pop_front();
    s_->sent.fetch_add(1, std::memory_order_relaxed);
  }
  if (out_ >= 0 && !connecting_ && now - connected_at_ >= o_.stable_ms) {
    backoff_ms_ = 0;  // a connection that lasted: the next loss starts over
    failing_logged_ = back_logged_ = false;
  }
}

void Forwarder::ReadInput(int64_t now) {
  // A round reads at most 1 MiB, so that sending gets its turn.
  for (size_t round = 0; round < 16; ++round) {
    char buf[65536];
    const ssize_t n = read(input_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {  // dlpd closed its end (or is gone): send what waits, then end
      input_open_ = false;
      drain_until_ = now + o_.drain_ms;
      if (out_ < 0) next_attempt_ = now;  // one try now, whatever the backoff said
      break;
    }
    inbuf_.append(buf, static_cast<size_t>(n));
    size_t at = 0;
    while (inbuf_.size() - at >= 4) {
      uint32_t len = 0;
      std::memcpy(&len, inbuf_.data() + at, 4);
      if (len > kMaxSyslogMessage) {  // not what SyslogInputFrame writes: stop reading
        spdlog::error("syslog {}: a message of {} bytes from dlpd: input ignored from here",
                      t_.text, len);
        input_open_ = false;
        drain_until_ = now + o_.drain_ms;
        return;
      }
      if (inbuf_.size() - at - 4 < len) break;
      s_->received.fetch_add(1, std::memory_order_relaxed);
      Enqueue(inbuf_.substr(at + 4, len));
      at += 4 + len;
    }
    inbuf_.erase(0, at);
  }
}

void Forwarder::TryConnect(int64_t now) {
  if (next_addr_ >= addrs_.size()) {
    auto resolved = Resolve(t_);
    if (!resolved) {
      addrs_.clear();
      next_addr_ = 0;
      current_.clear();
      Failed(resolved.error().message, now);
      return;
    }
    addrs_ = std::move(resolved).value();
    next_addr_ = 0;
  }
  const Address& a = addrs_[next_addr_++];
  current_ = a.text;
  bool in_progress = false;
  out_ = StartConnect(a, SocketType(t_), &in_progress);
  if (out_ < 0) {
    Failed(Errno(errno), now);
  } else if (in_progress) {
    connecting_ = true;
    connect_deadline_ = now + o_.connect_timeout_ms;
  } else {
    Connected(now);
  }
}

void Forwarder::FinishConnect(int64_t now) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(out_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  connecting_ = false;
  if (err != 0) {
    Failed(Errno(err), now);
  } else {
    Connected(now);
  }
}

void Forwarder::Connected(int64_t now) {
  connected_at_ = now;
  s_->connects.fetch_add(1, std::memory_order_relaxed);
  s_->connected.store(1, std::memory_order_relaxed);
  // Once at the start, and once after each warning.
  if (s_->connects.load(std::memory_order_relaxed) == 1 || (failing_logged_ && !back_logged_)) {
    back_logged_ = failing_logged_;
    spdlog::info("syslog {}: connected to {}{}", t_.text, current_,
                 failures_ > 0 ? " after " + std::to_string(failures_) + " failed attempts" : "");
  }
  shut_ = false;
  failures_ = 0;
  // backoff_ms_ stays until the connection has lasted o_.stable_ms (Settle):
  // a collector that accepts and then closes or resets at once is called
  // less and less often, as one that refuses.
  wire_.clear();
  wire_sent_ = 0;
  if (stream()) {
    // A collector host that vanishes without a reset (powered off, its
    // address moved) is noticed in about 90 s, not TCP's 15 minutes.
    const int on = 1;
    setsockopt(out_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
#ifdef TCP_KEEPIDLE
    const int idle = 60, interval = 10, count = 3;
    setsockopt(out_, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(out_, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(out_, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
#endif
#ifdef TCP_USER_TIMEOUT
    const unsigned timeout_ms = 30000;  // data unacknowledged this long: the connection is lost
    setsockopt(out_, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof timeout_ms);
#endif
  }
}

void Forwarder::CloseOut() {
  if (out_ >= 0) close(out_);
  out_ = -1;
  connecting_ = false;
  wire_.clear();
  wire_sent_ = 0;
  s_->connected.store(0, std::memory_order_relaxed);
}

bool Forwarder::Backoff(int64_t now) {
  s_->connect_failures.fetch_add(1, std::memory_order_relaxed);
  ++failures_;
  backoff_ms_ = backoff_ms_ == 0 ? o_.backoff_min_ms : std::min(2 * backoff_ms_, o_.backoff_max_ms);
  next_attempt_ = now + backoff_ms_;
  if (failing_logged_) return false;
  failing_logged_ = true;
  back_logged_ = false;
  return true;
}

void Forwarder::Failed(const std::string& why, int64_t now) {
  CloseOut();
  const std::string where = current_.empty() ? "" : current_ + ": ";
  if (next_addr_ < addrs_.size()) {  // the name's next address, at once
    s_->connect_failures.fetch_add(1, std::memory_order_relaxed);
    ++failures_;
    spdlog::debug("syslog {}: {}{}; trying the next address", t_.text, where, why);
    next_attempt_ = now;
    return;
  }
  addrs_.clear();  // the next attempt resolves the name again
  next_addr_ = 0;
  if (Backoff(now)) {
    spdlog::warn(
        "syslog {}: cannot connect: {}{}; trying again, every {:.1f} s at most, while up to {} KiB "
        "of messages wait",
        t_.text, where, why, static_cast<double>(o_.backoff_max_ms) / 1000, o_.queue_bytes >> 10);
  } else {
    spdlog::debug("syslog {}: cannot connect: {}{}; again in {} ms", t_.text, where, why,
                  backoff_ms_);
  }
}

void Forwarder::Disconnect(const std::string& why, bool orderly, int64_t now) {
  CloseOut();
  addrs_.clear();
  next_addr_ = 0;
  if (orderly) {
    // The collector closed its end having read what came (unread data
    // would have made its close a reset).
    Settle(now, true);
  } else if (!in_flight_.empty()) {
    // What it may not have read goes again, first, in order.
    s_->resent.fetch_add(in_flight_.size(), std::memory_order_relaxed);
    for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
      queue_.push_front(std::move(it->second));
    }
    in_flight_.clear();
  }
  const double lived_s = static_cast<double>(now - connected_at_) / 1000;
  if (shut_ && orderly) {  // the stop: the collector answered our close
    spdlog::debug("syslog {}: connection to {} closed in order", t_.text, current_);
    return;
  }
  if (now - connected_at_ >= o_.stable_ms) {
    backoff_ms_ = 0;
    failing_logged_ = back_logged_ = false;
    next_attempt_ = now + o_.backoff_min_ms;  // a restart takes a moment
  } else {
    // Lost soon after it was made: as a failure to connect, so a
    // collector that ends each connection at once is not called in a
    // loop, nor logged every time.
    if (!Backoff(now)) {
      spdlog::debug("syslog {}: connection to {} lost after {:.1f} s: {}; again in {} ms", t_.text,
                    current_, lived_s, why, backoff_ms_);
      return;
    }
  }
  spdlog::warn("syslog {}: connection to {} lost after {:.1f} s: {}; connecting again", t_.text,
               current_, lived_s, why);
}

void Forwarder::CheckPeer(int64_t now) {
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(out_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;  // collectors say nothing; whatever it is, read and ignored
    if (n == 0) {
      Disconnect("closed by the collector", true, now);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Disconnect(Errno(errno), false, now);
    }
    return;
  }
}

void Forwarder::SendStream(int64_t now) {
  while (!queue_.empty()) {
    if (wire_.empty()) {
      wire_ = Framed(queue_.front());
      wire_sent_ = 0;
    }
    const ssize_t n =
        send(out_, wire_.data() + wire_sent_, wire_.size() - wire_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) Disconnect(Errno(errno), false, now);
      return;
    }
    wire_sent_ += static_cast<size_t>(n);
    if (wire_sent_ == wire_.size()) {
      wire_.clear();
      in_flight_.emplace_back(now, std::move(queue_.front()));  // its bytes stay counted
      queue_.pop_front();
      if (queue_.empty()) full_logged_ = false;
    }
  }
}

void Forwarder::SendDatagrams(int64_t now) {
  bool retried = false;
  while (!queue_.empty()) {
    const std::string& m = queue_.front();
    if (send(out_, m.data(), m.size(), MSG_NOSIGNAL) >= 0) {
      Pop();
      retried = false;
      continue;
    }
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) return;  // a local reader's queue is full: POLLOUT
    if (e == ECONNREFUSED && t_.transport == SyslogTarget::Transport::kUdp && !retried) {
      // UDP: an earlier datagram's port-unreachable, reported now; this
      // one was not sent. Once more (UDP has no other way to know).
      retried = true;
      continue;
    }
    if (e == EMSGSIZE || e == ENOBUFS || t_.transport == SyslogTarget::Transport::kUdp) {
      // This message will not go (or the network is down, and UDP would
      // lose it anyway): counted, not retried.
      queued_bytes_ -= m.size();
      queue_.pop_front();
      s_->dropped.fetch_add(1, std::memory_order_relaxed);
      retried = false;
      if (t_.transport == SyslogTarget::Transport::kUdp && e != EMSGSIZE && e != ENOBUFS) {
        Disconnect(Errno(e), false,
                   now);  // resolved and connected again: the route may have changed
        return;
      }
      continue;
    }
    // A local socket whose reader went away (a syslog daemon restarting
    // makes a new one at the same path): connect again, the message kept.
    Disconnect(Errno(e), false, now);
    return;
  }
}

void Forwarder::Send(int64_t now) {
  if (stream()) {
    SendStream(now);
    return;
  }
  if (t_.transport == SyslogTarget::Transport::kUdp &&
      now - connected_at_ >= o_.datagram_refresh_ms) {
    // The name may have moved: resolved and connected again, quietly.
    const std::string was = current_;
    CloseOut();
    addrs_.clear();
    next_addr_ = 0;
    TryConnect(now);
    if (out_ < 0 || connecting_) return;
    if (current_ != was) spdlog::info("syslog {}: now sending to {}", t_.text, current_);
  }
  SendDatagrams(now);
}

void Forwarder::Run() {
  const int flags = fcntl(input_, F_GETFL);
  if (flags >= 0) fcntl(input_, F_SETFL, flags | O_NONBLOCK);
  for (;;) {
    int64_t now = NowMs();
    if (!input_open_ && ((queue_.empty() && in_flight_.empty()) || now >= drain_until_)) break;
    if (!input_open_ && queue_.empty() && out_ >= 0 && !connecting_ && stream() && !shut_) {
      // The stop, all written: our end closes, and the collector's close
      // in turn says it read what came (unread data would reset instead).
      shutdown(out_, SHUT_WR);
      shut_ = true;
    }
    if (out_ < 0 && now >= next_attempt_) TryConnect(now);
    pollfd fds[2];
    nfds_t n = 0;
    int in_at = -1, out_at = -1;
    if (input_open_) {
      in_at = static_cast<int>(n);
      fds[n++] = pollfd{input_, POLLIN, 0};
    }
    if (out_ >= 0) {
      short events = 0;
      if (connecting_) {
        events = POLLOUT;
      } else {
        if (!queue_.empty()) events |= POLLOUT;
        if (stream()) events |= POLLIN;  // the collector closing its end
      }
      if (events != 0) {
        out_at = static_cast<int>(n);
        fds[n++] = pollfd{out_, events, 0};
      }
    }
    int64_t wake = INT64_MAX;
    if (!in_flight_.empty()) wake = in_flight_.front().first + o_.settle_ms;
    if (out_ < 0) wake = std::min(wake, next_attempt_);
    if (connecting_) wake = std::min(wake, connect_deadline_);
    if (!input_open_) wake = std::min(wake, drain_until_);
    const int timeout =
        wake == INT64_MAX ? -1 : static_cast<int>(std::clamp<int64_t>(wake - now, 0, 60000));
    if (poll(fds, n, timeout) < 0 && errno != EINTR) {
      spdlog::error("syslog {}: poll: {}", t_.text, Errno(errno));
      break;
    }
    now = NowMs();
    if (o_.on_wake) o_.on_wake();
    if (in_at >= 0 && fds[in_at].revents != 0) ReadInput(now);
    if (out_at >= 0 && fds[out_at].revents != 0) {
      const short re = fds[out_at].revents;
      if (connecting_) {
        FinishConnect(now);
      } else {
        if (stream() && (re & (POLLIN | POLLHUP | POLLERR)) != 0) CheckPeer(now);
        if (out_ >= 0 && (re & (POLLOUT | POLLERR)) != 0) Send(now);
      }
    } else if (connecting_ && now >= connect_deadline_) {
      Failed("no answer in " + std::to_string(o_.connect_timeout_ms / 1000) + " s", now);
    }
    Settle(now, false);
    s_->queued.store(queue_.size() + in_flight_.size(), std::memory_order_relaxed);
  }
  // Written, and the collector said neither yes (its close) nor no (a
  // reset) by the end of the drain: counted as sent.
  Settle(NowMs(), true);
  s_->connected.store(0, std::memory_order_relaxed);
  if (!queue_.empty()) {
    s_->dropped.fetch_add(queue_.size(), std::memory_order_relaxed);
    spdlog::warn("syslog {}: {} messages not sent by the end", t_.text, queue_.size());
    queue_.clear();
  }
  s_->queued.store(0, std::memory_order_relaxed);
}

}  // namespace

Result<SyslogTarget> ParseSyslogTarget(const std::string& text) {
  SyslogTarget t;
  t.text = text;
  const std::string usage = "syslog target '" + text +
                            "': use tcp://HOST:PORT, udp://HOST:PORT, HOST:PORT (UDP) or "
                            "unix:PATH";
  if (text.rfind("unix:", 0) == 0) {
    t.transport = SyslogTarget::Transport::kUnix;
    t.path = text.substr(5);
    if (t.path.empty() || t.path[0] != '/') return Error{usage + " (an absolute path)"};
    if (t.path.size() >= sizeof(sockaddr_un{}.sun_path) || t.path.find('\0') != std::string::npos) {
      return Error{"syslog target '" + text + "': the socket path is too long"};
    }
    return t;
  }
  std::string rest = text;
  if (rest.rfind("tcp://", 0) == 0) {
    t.transport = SyslogTarget::Transport::kTcp;
    rest = rest.substr(6);
  } else if (rest.rfind("udp://", 0) == 0) {
    rest = rest.substr(6);
  } else if (rest.find("://") != std::string::npos) {
    return Error{usage};
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return Error{usage};
  t.host = rest.substr(0, colon);
  t.port = rest.substr(colon + 1);
  if (t.host.size() > 2 && t.host.front() == '[' && t.host.back() == ']') {
    t.host = t.host.substr(1, t.host.size() - 2);
  } else if (t.host.find_first_of(":[]") != std::string::npos) {
    return Error{usage + " ([ADDRESS]:PORT for IPv6)"};
  }
  if (t.host.empty() || t.host.find_first_of(" /\t") != std::string::npos) return Error{usage};
  if (!ValidPort(t.port)) return Error{"syslog target '" + text + "': port 1 to 65535"};
  return t;
}

SyslogProbe ProbeSyslogTarget(const SyslogTarget& target) {
  SyslogProbe p;
  auto addrs = Resolve(target);
  if (!addrs) {
    p.problem = addrs.error().message;
    return p;
  }
  if (target.transport == SyslogTarget::Transport::kUdp) return p;  // nothing to ask
  // One connection, as the forwarder would make it; waits 2 s at most.
  const Address& a = addrs.value().front();
  bool in_progress = false;
  const int fd = StartConnect(a, SocketType(target), &in_progress);
  int err = fd < 0 ? errno : 0;
  std::string why = fd < 0 ? Errno(err) : "";
  if (fd >= 0 && in_progress) {
    pollfd pfd{fd, POLLOUT, 0};
    socklen_t len = sizeof err;
    if (poll(&pfd, 1, 2000) <= 0) {
      why = "no answer in 2 s";
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      why = Errno(err);
    }
  }
  if (fd >= 0) close(fd);
  if (why.empty()) return p;
  const std::string said = "syslog target '" + target.text + "': " + a.text + ": " + why;
  if (err == EACCES || err == EPERM) {
    p.problem = said;  // not a collector that is down: no retry will change it
  } else {
    p.warning = said + " (dlpd keeps the messages and connects when the collector is up)";
  }
  return p;
}

std::string SyslogInputFrame(const std::string& message) {
  const uint32_t len = static_cast<uint32_t>(std::min(message.size(), kMaxSyslogMessage));
  std::string out(4 + len, '\0');
  std::memcpy(out.data(), &len, 4);
  std::memcpy(out.data() + 4, message.data(), len);
  return out;
}

void RunSyslogForwarder(int input, const SyslogTarget& target, const ForwarderOptions& options,
                        SyslogStats* stats) {
  Forwarder(input, target, options, stats).Run();
}

}  // namespace dlp
