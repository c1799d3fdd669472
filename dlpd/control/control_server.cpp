#include "dlpd/control/control_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dlpd/common/clock.h"
#include "dlpd/common/last_catch.h"

namespace dlp {
namespace {

constexpr size_t kMaxCommand = 256;

bool FillAddress(const std::string& path, sockaddr_un* sa) {
  if (path.empty() || path.size() >= sizeof sa->sun_path) return false;
  sa->sun_family = AF_UNIX;
  std::memcpy(sa->sun_path, path.c_str(), path.size() + 1);
  return true;
}

int64_t NowMs() {
  return SystemClock::Instance().NowMicros() / 1000;
}

// Waits until `fd` has `events` (in 100 ms steps, so that a stop is seen);
// false at the deadline, on a stop, or on an error.
bool WaitFor(int fd, short events, int64_t deadline_ms, const std::atomic<bool>* stop) {
  for (;;) {
    if (stop != nullptr && stop->load()) return false;
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// Sends all of `s` on the non-blocking `fd` by the deadline.
bool SendAll(int fd, const std::string& s, int64_t deadline_ms) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(fd, POLLOUT, deadline_ms, nullptr)) {
      continue;
    }
    return false;
  }
  return true;
}

// The uid of the process at the other end of unix socket `fd`; -1 when
// the system does not say.
long PeerUid(int fd) {
#ifdef __linux__
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) return static_cast<long>(cred.uid);
#else
  uid_t uid = 0;
  gid_t gid = 0;
  if (getpeereid(fd, &uid, &gid) == 0) return static_cast<long>(uid);
#endif
  return -1;
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path,
                                                            Handler handler) {
  sockaddr_un sa{};
  if (!FillAddress(path, &sa)) return Error{"control socket path too long: " + path};
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  // A file already there: a running dlpd answers on it; a dead one's is stale.
  if (std::filesystem::exists(path, ec)) {
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live =
        probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    if (probe >= 0) close(probe);
    if (live) return Error{"control socket " + path + " is in use by another dlpd"};
    unlink(path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{std::string("control socket: ") + std::strerror(errno)};
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 8) != 0) {
    const std::string err = std::strerror(errno);
    close(fd);
    return Error{"control socket " + path + ": " + err};
  }
  chmod(path.c_str(), 0660);
  return std::unique_ptr<ControlServer>(new ControlServer(path, fd, std::move(handler)));
}

ControlServer::ControlServer(std::string path, int fd, Handler handler)
    : path_(std::move(path)), fd_(fd), handler_(std::move(handler)), thread_([this] { Serve(); }) {}

ControlServer::~ControlServer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  close(fd_);
  unlink(path_.c_str());
  for (Client& c : clients_) c.thread.join();
}

void ControlServer::Reap() {
  for (size_t i = 0; i < clients_.size();) {
    if (clients_[i].done->load()) {
      clients_[i].thread.join();
      clients_[i] = std::move(clients_.back());
      clients_.pop_back();
    } else {
      ++i;
    }
  }
}

void ControlServer::Serve() {
  while (!stop_.load()) {
    Reap();
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) continue;
    const long uid = PeerUid(client);
    const auto from_user = static_cast<size_t>(std::count_if(
        clients_.begin(), clients_.end(), [uid](const Client& c) { return c.uid == uid; }));
    if (clients_.size() >= kMaxClients || from_user >= kMaxClientsPerUser) {
      // Told at once and never waited on: the socket's buffer takes the line.
      static constexpr char kBusy[] = "{\"ok\":false,\"error\":\"busy: too many clients\"}\n";
      send(client, kBusy, sizeof kBusy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      close(client);
      continue;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    // A thread that cannot start costs its client, not the control socket.
    const bool started = RunGuarded("control socket", [&] {
      clients_.push_back({std::thread([this, client, done] {
                            // A handler that throws loses its client's answer,
                            // not the control socket.
                            RunGuarded("control socket", [&] { Answer(client); });
                            close(client);
                            done->store(true);
                          }),
                          done, uid});
    });
    if (!started) close(client);
  }
}

void ControlServer::Answer(int client) {
  // One line, at most kMaxCommand bytes, within the deadline.
  const int64_t deadline = NowMs() + kClientDeadlineMs;
  std::string line;
  char buf[kMaxCommand];
  while (line.size() < kMaxCommand && line.find('\n') == std::string::npos &&
         WaitFor(client, POLLIN, deadline, &stop_)) {
    const ssize_t n = recv(client, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  const size_t nl = line.find('\n');
  if (nl == std::string::npos) {
    SendAll(client, "{\"ok\":false,\"error\":\"send one command line\"}\n",
            NowMs() + kClientDeadlineMs);
    return;
  }
  line.resize(nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  // The command line is all a client sends: end of file from it now means
  // it has hung up (dlpctl killed, or a client that only wanted to hold a
  // slot while a reload runs).
  const ClientGone gone = [client] {
    char c = 0;
    const ssize_t n = recv(client, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  };
  // The answer has its own deadline: a reload may take long to answer.
  SendAll(client, handler_(line, gone) + "\n", NowMs() + kClientDeadlineMs);
}

Result<std::string> ControlRequest(const std::string& path, const std::string& command,
                                   int timeout_ms) {
  sockaddr_un sa{};
  if (!FillAddress(path, &sa)) return Error{"control socket path too long: " + path};
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const std::string err = std::strerror(errno);
    close(fd);
    return Error{"cannot reach dlpd at " + path + ": " + err +
                 " (is it running? --socket or DLPD_SOCKET picks another socket)"};
  }
  const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string answer;
  if (!WriteAll(fd, command + "\n")) {
    close(fd);
    return Error{"cannot send to dlpd at " + path};
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return Error{"no answer from dlpd at " + path + ": " + std::strerror(errno)};
    }
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > (16U << 20)) break;
  }
  close(fd);
  return answer;
}

}  // namespace dlp
