// Sends complete IP packets through raw sockets: what the NFQUEUE back end
// makes itself (the TCP resets of `block`, the SACK probes of a flow
// waiting on a gap), and what tests/tools/divert_emulator re-injects. (The
// divert back end writes its own to the divert socket: divert_capture.h.)
//
// IPv4: an IPPROTO_RAW socket takes the header as written (IP_HDRINCL is
// implied on Linux, FreeBSD 11+ and OpenBSD, all in network byte order).
// IPv6: IPV6_HDRINCL, which Linux has and the BSDs do not: there an IPv6
// packet is not sent (Send returns false; the caller counts it).
//
// Ownership: owns both sockets. Thread-safety: Send may be called from one
// thread at a time (the back end's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dlp {

class RawSender {
 public:
  RawSender() = default;
  ~RawSender();
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  // Opens the sockets (needs CAP_NET_RAW: call before privileges are
  // dropped; the sockets stay usable after). Returns what could not be
  // opened, empty when both were.
  std::string Open();
  // Sends the IPv4 or IPv6 packet [p, p+len) toward its destination. False
  // if it is too short to be one, its family's socket is not open, or the
  // kernel did not take it whole.
  bool Send(const uint8_t* p, size_t len) const;

 private:
  int raw4_ = -1;
  int raw6_ = -1;
};

}  // namespace dlp
