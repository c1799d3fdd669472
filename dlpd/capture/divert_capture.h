// FreeBSD (ipfw `divert`, pf `divert-to`) and OpenBSD (pf `divert-packet`)
// back end. Compiled only where the platform has divert sockets; it is kept
// thin on purpose: all inspection lives in the shared pipeline.
//
// A diverted packet is read with recvfrom(); the sockaddr that came with it
// tells the kernel where the packet re-enters the firewall rules, so the
// packet is written back with sendto() to that same address.
#pragma once

#include <map>
#include <memory>

#include "dlpd/capture/capture.h"
#include "dlpd/capture/verdict_sink.h"
#include "dlpd/common/clock.h"

namespace dlp {

class DivertCapture : public CaptureBackend, private VerdictSink {
 public:
  // REQUIRES: `clock` outlives the capture.
  DivertCapture(uint16_t port, PacketHandler* pipeline,
                const Clock& clock = SystemClock::Instance());
  ~DivertCapture() override;
  Status Open();
  Status Run(const std::atomic<bool>& stop) override;

 private:
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override;

  // The address each packet came with, to write it back to; by handle.
  struct Origin;
  std::map<uint64_t, std::unique_ptr<Origin>> origins_;
  uint64_t next_handle_ = 0;
  uint16_t port_;
  PacketHandler* pipeline_;
  const Clock& clock_;
  int fd_ = -1;
  int fd6_ = -1;
};

}  // namespace dlp
