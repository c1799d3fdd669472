#include "dlpd/capture/raw_sender.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlp {
namespace {
// SOCK_CLOEXEC: a raw socket must never reach a program dlpd runs.
int OpenRaw(int family) {
#ifdef SOCK_CLOEXEC
  return ::socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
#else
  return ::socket(family, SOCK_RAW, IPPROTO_RAW);
#endif
}
}  // namespace

RawSender::~RawSender() {
  if (raw4_ >= 0) ::close(raw4_);
  if (raw6_ >= 0) ::close(raw6_);
}

std::string RawSender::Open() {
  std::string problem;
  raw4_ = OpenRaw(AF_INET);
  if (raw4_ < 0) problem = std::string("IPv4 raw socket: ") + std::strerror(errno);
#ifdef IPV6_HDRINCL
  raw6_ = OpenRaw(AF_INET6);
  const int one = 1;
  if (raw6_ >= 0 && ::setsockopt(raw6_, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof one) < 0) {
    ::close(raw6_);
    raw6_ = -1;
  }
  if (raw6_ < 0) {
    problem +=
        (problem.empty() ? "" : "; ") + std::string("IPv6 raw socket: ") + std::strerror(errno);
  }
#else
  problem += (problem.empty() ? "" : "; ") + std::string("no IPV6_HDRINCL on this system");
#endif
  return problem;
}

bool RawSender::Send(const uint8_t* p, size_t len) const {
  if (len < 20) return false;
  if ((p[0] >> 4) == 6) {
    if (raw6_ < 0 || len < 40) return false;
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, p + 24, 16);
    return ::sendto(raw6_, p, len, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
           static_cast<ssize_t>(len);
  }
  if (raw4_ < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, p + 16, 4);
  return ::sendto(raw4_, p, len, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
         static_cast<ssize_t>(len);
}

}  // namespace dlp
