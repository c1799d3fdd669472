// A capture back end delivers packets (starting at the IP header) to one
// PacketPipeline and carries out its verdicts: NFQUEUE on Linux, divert
// sockets on FreeBSD/OpenBSD, pcap files anywhere. Each runs until `stop`
// is set or its input ends; a transient receive/send error is counted and
// survived, never fatal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

class PacketPipeline;  // dlpd/pipeline/packet_pipeline.h, included by each back end's .cpp

struct CaptureCounters {
  std::atomic<uint64_t> recv_errors{0}, send_errors{0}, verdicts{0};
  // NFQUEUE: packets handed over coalesced (GSO/GRO, up to 64 KiB), and
  // those of them the kernel copied only in part, dropped.
  std::atomic<uint64_t> coalesced{0}, cut_short{0};
};

class CaptureBackend {
 public:
  virtual ~CaptureBackend() = default;
  // Runs the capture loop. Returns an error only for failures that make
  // going on impossible (the socket could not be opened, the file is unreadable).
  virtual Status Run(const std::atomic<bool>& stop) = 0;
  const CaptureCounters& capture_counters() const { return counters_; }
  // What the kernel counts for this capture (NFQUEUE: packets it dropped
  // because the queue was full, or could not hand over); any thread.
  virtual std::map<std::string, uint64_t> KernelCounters() const { return {}; }

 protected:
  CaptureCounters counters_;
};

}  // namespace dlp
