// FreeBSD (ipfw `divert`, pf `divert-to`) and OpenBSD (pf `divert-packet`)
// back end. It is kept thin on purpose: all inspection lives in the shared
// pipeline.
//
// A diverted packet is read with recvfrom(); the sockaddr that came with it
// tells the kernel where the packet re-enters the firewall rules, so the
// packet is written back with sendto() to that same address. A packet not
// written back is dropped. Packets dlpd makes itself (the resets of
// `block`, SACK probes) are written to the divert socket too, with the
// address the last packet of their IP family came with: the stack sends
// them out from the diverting rule on (ipfw resumes after the rule number
// the address carries, pf does not divert a written packet again), in
// order after the packets written before them, both ways routed by
// destination, IPv6 included; a raw socket (as natd sends its ICMP) would
// need IPV6_HDRINCL, which the BSDs lack, and its resets would meet the
// diverting rule again on their way out.
//
// Only the opening of the socket is BSD code. The loop runs anywhere, so
// that Linux tests run it: with `emulated`, the socket is a UDP socket on
// 127.0.0.1:PORT, fed by tests/tools/divert_emulator (an NFQUEUE reader
// that gives each packet divert's semantics: sent with an address, dropped
// unless written back to it, re-injected when it is).
//
// Thread-safety: one thread runs the capture; KernelCounters is unused.
#pragma once

#include <sys/socket.h>

#include <unordered_map>

#include "dlpd/capture/capture.h"
#include "dlpd/capture/verdict_sink.h"
#include "dlpd/common/clock.h"

namespace dlp {

class DivertCapture : public CaptureBackend, private VerdictSink {
 public:
  // REQUIRES: `pipeline` and `clock` outlive the capture.
  DivertCapture(uint16_t port, PacketHandler* pipeline,
                const Clock& clock = SystemClock::Instance(), bool emulated = false);
  ~DivertCapture() override;
  DivertCapture(const DivertCapture&) = delete;
  DivertCapture& operator=(const DivertCapture&) = delete;
  // Binds the socket(s). Separate from Run so that the daemon opens every
  // socket as root before it drops privileges.
  Status Open();
  Status Run(const std::atomic<bool>& stop) override;
  void Close() override;
  // The port bound (an emulated socket asked for port 0 gets one).
  uint16_t port() const { return port_; }

 private:
  Status OpenKernel();
  Status OpenEmulated();
  // Reads what one socket has queued, up to a burst.
  void Drain(int fd, uint8_t* buf, size_t size);
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override;
  bool Inject(const uint8_t* packet, size_t len) override;

  // Where each undecided packet came from, to write it back there.
  struct Origin {
    int fd;
    sockaddr_storage from;
    socklen_t fromlen;
  };
  std::unordered_map<uint64_t, Origin> origins_;
  // The last origin of an IPv4 ([0]) and an IPv6 ([1]) packet: where the
  // packets dlpd makes are written (fd -1: none yet).
  Origin last_[2] = {{-1, {}, 0}, {-1, {}, 0}};
  uint64_t next_handle_ = 0;
  uint16_t port_;
  PacketHandler* pipeline_;
  const Clock& clock_;
  bool emulated_;
  int fd_ = -1;
  int fd6_ = -1;  // OpenBSD: one divert socket per address family
};

}  // namespace dlp
