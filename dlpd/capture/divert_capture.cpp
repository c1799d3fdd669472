#include "dlpd/capture/divert_capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#ifdef __FreeBSD__
#include <sys/capsicum.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <vector>

namespace dlp {
namespace {
// Packets read from one socket per wake-up before timers run again.
constexpr int kMaxBurst = 64;

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// A larger receive buffer absorbs bursts (the kernel drops what does not
// fit, as it drops a full NFQUEUE's packets). The system caps it (Linux
// unless privileged, OpenBSD at sb_max): the largest it takes, halving.
void GrowReceiveBuffer(int fd, uint16_t port) {
#ifdef SO_RCVBUFFORCE
  int forced = 8 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &forced, sizeof forced) == 0) return;
#endif
  for (int size = 8 << 20; size >= 256 << 10; size /= 2) {
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0) return;
  }
  spdlog::warn("divert {}: the receive buffer keeps its default size ({})", port,
               std::strerror(errno));
}
}  // namespace

DivertCapture::DivertCapture(uint16_t port, PacketHandler* pipeline, const Clock& clock,
                             bool emulated)
    : port_(port), pipeline_(pipeline), clock_(clock), emulated_(emulated) {}

DivertCapture::~DivertCapture() {
  Close();
}

void DivertCapture::Close() {
  if (fd_ >= 0) ::close(fd_);
  if (fd6_ >= 0) ::close(fd6_);
  fd_ = fd6_ = -1;
}

Status DivertCapture::Open() {
  return emulated_ ? OpenEmulated() : OpenKernel();
}

Status DivertCapture::OpenEmulated() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd_ < 0) return Error{Errno("divert emulation socket")};
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) < 0) {
    return Error{Errno("bind divert emulation 127.0.0.1:" + std::to_string(port_))};
  }
  GrowReceiveBuffer(fd_, port_);
  socklen_t len = sizeof sin;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len) == 0) port_ = ntohs(sin.sin_port);
  spdlog::warn("divert {}: emulated on UDP 127.0.0.1:{} (tests only)", port_, port_);
  return {};
}

#if defined(__FreeBSD__) || defined(__OpenBSD__)

Status DivertCapture::OpenKernel() {
#if defined(__OpenBSD__)
  // OpenBSD: one divert socket per address family (pf divert-packet).
  fd_ = ::socket(AF_INET, SOCK_RAW, IPPROTO_DIVERT);
  fd6_ = ::socket(AF_INET6, SOCK_RAW, IPPROTO_DIVERT);
  if (fd_ < 0 || fd6_ < 0) return Error{Errno("divert socket")};
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port_);
  if (::bind(fd6_, reinterpret_cast<sockaddr*>(&sin6), sizeof sin6) < 0) {
    return Error{Errno("bind divert6")};
  }
#else
  // FreeBSD: PF_DIVERT (14.0+) or the classic raw IPPROTO_DIVERT socket,
  // which carries both IPv4 and IPv6 packets.
#ifdef PF_DIVERT
  fd_ = ::socket(PF_DIVERT, SOCK_RAW, 0);
#else
  fd_ = ::socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT);
#endif
  if (fd_ < 0) return Error{Errno("divert socket")};
#endif
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port_);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) < 0) {
    return Error{Errno("bind divert port " + std::to_string(port_))};
  }
  GrowReceiveBuffer(fd_, port_);
  if (fd6_ >= 0) GrowReceiveBuffer(fd6_, port_);
#ifdef __FreeBSD__
  // Capsicum: the divert socket can only receive, send and be polled from
  // here on (not re-bound, not given options), whatever else happens.
  // sendto() with an address needs CAP_CONNECT beside CAP_SEND (FreeBSD's
  // kern_sendit), and every packet is written back with one.
  cap_rights_t rights;
  cap_rights_init(&rights, CAP_RECV, CAP_SEND, CAP_CONNECT, CAP_EVENT);
  if (cap_rights_limit(fd_, &rights) < 0 && errno != ENOSYS) {
    return Error{Errno("cap_rights_limit on the divert socket")};
  }
#endif
  return {};
}

#else  // no divert sockets on this platform

Status DivertCapture::OpenKernel() {
  return Error{"divert sockets exist only on FreeBSD and OpenBSD; on Linux use --nfqueue"};
}

#endif

void DivertCapture::Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
                         bool /*modified*/) {
  auto it = origins_.find(handle);
  if (it == origins_.end()) return;
  // Not written back = dropped.
  const Origin& o = it->second;
  if (verdict == Verdict::kAccept &&
      ::sendto(o.fd, data, len, 0, reinterpret_cast<const sockaddr*>(&o.from), o.fromlen) !=
          static_cast<ssize_t>(len)) {
    counters_.send_errors.fetch_add(1, std::memory_order_relaxed);
  }
  counters_.verdicts.fetch_add(1, std::memory_order_relaxed);
  origins_.erase(it);
}

bool DivertCapture::Inject(const uint8_t* packet, size_t len) {
  if (len < 20) return false;
  const Origin& o = last_[(packet[0] >> 4) == 6 ? 1 : 0];
  return o.fd >= 0 && ::sendto(o.fd, packet, len, 0, reinterpret_cast<const sockaddr*>(&o.from),
                               o.fromlen) == static_cast<ssize_t>(len);
}

void DivertCapture::Drain(int fd, uint8_t* buf, size_t size) {
  for (int burst = 0; burst < kMaxBurst; ++burst) {
    Origin origin{fd, {}, sizeof(sockaddr_storage)};
    const ssize_t n = ::recvfrom(fd, buf, size, MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&origin.from), &origin.fromlen);
    if (n < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        counters_.recv_errors.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    const uint64_t handle = next_handle_++;
    origins_.emplace(handle, origin);
    if (n > 0) last_[(buf[0] >> 4) == 6 ? 1 : 0] = origin;
    // Both BSDs fill in a delayed checksum before they divert a packet
    // (and the emulator does the same).
    pipeline_->Process(handle, buf, static_cast<size_t>(n), clock_.NowMicros(), *this,
                       ChecksumState::kComplete);
  }
}

Status DivertCapture::Run(const std::atomic<bool>& stop) {
  if (fd_ < 0) {
    if (Status st = Open(); !st) return st;
  }
  std::vector<uint8_t> buf(65535);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {fd6_, POLLIN, 0}};
  const nfds_t nfds = fd6_ >= 0 ? 2 : 1;
  while (!stop.load(std::memory_order_relaxed)) {
    // Wake up for the next timer of the pipeline, or every 200 ms to
    // notice a stop.
    int64_t wait_us = 200 * 1000;
    const int64_t deadline = pipeline_->next_deadline();
    if (deadline != INT64_MAX) {
      wait_us = std::clamp<int64_t>(deadline - clock_.NowMicros(), 0, wait_us);
    }
    const int ready = ::poll(fds, nfds, static_cast<int>((wait_us + 999) / 1000));
    pipeline_->Tick(clock_.NowMicros(), *this);
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < nfds; ++i) {
      if ((fds[i].revents & POLLIN) != 0) Drain(fds[i].fd, buf.data(), buf.size());
    }
  }
  // In-flight packets go as at a hold's end: what may begin a value stays
  // withheld, for its sender to send again to the next dlpd.
  pipeline_->Shutdown(*this);
  return {};
}

}  // namespace dlp
