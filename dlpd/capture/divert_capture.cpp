#include "dlpd/capture/divert_capture.h"

#include <netinet/in.h>
#include <sys/socket.h>
#ifdef __FreeBSD__
#include <sys/capsicum.h>
#endif
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#if defined(__FreeBSD__) || defined(__OpenBSD__)
#include <poll.h>
#endif

namespace dlp {

struct DivertCapture::Origin {
  int fd;
  sockaddr_storage from;
  socklen_t fromlen;
};

DivertCapture::DivertCapture(uint16_t port, PacketHandler* pipeline, const Clock& clock)
    : port_(port), pipeline_(pipeline), clock_(clock) {}

void DivertCapture::Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
                         bool /*modified*/) {
  auto it = origins_.find(handle);
  if (it == origins_.end()) return;
  // Not written back = dropped.
  if (verdict == Verdict::kAccept &&
      ::sendto(it->second->fd, data, len, 0, reinterpret_cast<sockaddr*>(&it->second->from),
               it->second->fromlen) < 0) {
    counters_.send_errors.fetch_add(1);
  }
  counters_.verdicts.fetch_add(1);
  origins_.erase(it);
}

DivertCapture::~DivertCapture() {
  if (fd_ >= 0) ::close(fd_);
  if (fd6_ >= 0) ::close(fd6_);
}

#if defined(__FreeBSD__) || defined(__OpenBSD__)

Status DivertCapture::Open() {
#if defined(__OpenBSD__)
  // OpenBSD: one divert socket per address family (pf divert-packet).
  fd_ = ::socket(AF_INET, SOCK_RAW, IPPROTO_DIVERT);
  fd6_ = ::socket(AF_INET6, SOCK_RAW, IPPROTO_DIVERT);
  if (fd_ < 0 || fd6_ < 0) return Error{std::string("divert socket: ") + std::strerror(errno)};
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port_);
  if (::bind(fd6_, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) < 0) {
    return Error{std::string("bind divert6: ") + std::strerror(errno)};
  }
#else
  // FreeBSD: PF_DIVERT (14.0+) or the classic raw IPPROTO_DIVERT socket,
  // which carries both IPv4 and IPv6 packets.
#ifdef PF_DIVERT
  fd_ = ::socket(PF_DIVERT, SOCK_RAW, 0);
#else
  fd_ = ::socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT);
#endif
  if (fd_ < 0) return Error{std::string("divert socket: ") + std::strerror(errno)};
#endif
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) < 0) {
    return Error{std::string("bind divert port ") + std::to_string(port_) + ": " +
                 std::strerror(errno)};
  }
#ifdef __FreeBSD__
  // Capsicum: the divert socket can only receive, send and be polled from
  // here on (not re-bound or connected elsewhere), whatever else happens.
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_RECV, CAP_SEND, CAP_EVENT);
  if (cap_rights_limit(fd_, &rights) < 0 && errno != ENOSYS) {
    return Error{std::string("cap_rights_limit on the divert socket: ") + std::strerror(errno)};
  }
#endif
  return {};
}

Status DivertCapture::Run(const std::atomic<bool>& stop) {
  if (fd_ < 0) {
    if (Status st = Open(); !st) return st;
  }
  std::vector<uint8_t> buf(65535);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {fd6_, POLLIN, 0}};
  const int nfds = fd6_ >= 0 ? 2 : 1;
  while (!stop.load(std::memory_order_relaxed)) {
    int ready = ::poll(fds, nfds, pipeline_->held_packets() > 0 ? 5 : 200);
    pipeline_->Tick(clock_.NowMicros(), *this);
    if (ready <= 0) continue;
    for (int i = 0; i < nfds; ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      auto origin = std::make_unique<Origin>();
      origin->fd = fds[i].fd;
      origin->fromlen = sizeof origin->from;
      ssize_t n = ::recvfrom(fds[i].fd, buf.data(), buf.size(), 0,
                             reinterpret_cast<sockaddr*>(&origin->from), &origin->fromlen);
      if (n < 0) {
        if (errno != EINTR && errno != EAGAIN) counters_.recv_errors.fetch_add(1);
        continue;
      }
      const uint64_t handle = next_handle_++;
      origins_[handle] = std::move(origin);
      // Both BSDs fill in a delayed checksum before they divert a packet.
      pipeline_->Process(handle, buf.data(), static_cast<size_t>(n), clock_.NowMicros(), *this,
                         ChecksumState::kComplete);
    }
  }
  pipeline_->Flush(*this);
  return {};
}

#else  // no divert sockets on this platform

Status DivertCapture::Open() {
  return Error{"divert sockets exist only on FreeBSD and OpenBSD; on Linux use --nfqueue"};
}

Status DivertCapture::Run(const std::atomic<bool>&) {
  return Open();
}

#endif

}  // namespace dlp
