// A capture back end delivers packets (starting at the IP header) to one
// PacketHandler (the pipeline) and carries out its verdicts: NFQUEUE on Linux, divert
// sockets on FreeBSD/OpenBSD, pcap files anywhere. Each runs until `stop`
// is set or its input ends; a transient receive/send error is counted and
// survived, never fatal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "dlpd/capture/packet_handler.h"
#include "dlpd/common/counters.h"
#include "dlpd/common/result.h"

namespace dlp {

// What a back end counts, declared once (see common/counters.h). NFQUEUE
// hands over coalesced packets (GSO/GRO, up to 64 KiB); those the kernel
// copied only in part are dropped.
// clang-format off
#define DLP_CAPTURE_COUNTERS(X)                                                 \
  X(recv_errors, "receive errors on the capture socket, survived")            \
  X(send_errors, "verdicts or packets the capture socket did not take")       \
  X(verdicts, "verdicts given back to the kernel")                            \
  X(coalesced, "packets handed over coalesced (GSO/GRO)")                     \
  X(cut_short, "coalesced packets the kernel copied only in part, dropped")
// clang-format on
DLP_DECLARE_COUNTERS(CaptureCounters, DLP_CAPTURE_COUNTERS)

class CaptureBackend {
 public:
  virtual ~CaptureBackend() = default;
  // Runs the capture loop. Returns an error only for failures that make
  // going on impossible (the socket could not be opened, the file is unreadable).
  virtual Status Run(const std::atomic<bool>& stop) = 0;
  // Unbinds from the kernel once Run has returned for good: the firewall
  // then treats the packets as it does when no dlpd runs (dropped, fail
  // closed, or passed with NFQUEUE's --queue-bypass) instead of queueing
  // them for a reader that will not come, while the daemon finishes (its
  // incident writer may take its stop bound). Idempotent; the destructor
  // does it too.
  virtual void Close() {}
  const CaptureCounters& capture_counters() const { return counters_; }
  // What the kernel counts for this capture (NFQUEUE: packets it dropped
  // because the queue was full, or could not hand over); any thread.
  virtual std::map<std::string, uint64_t> KernelCounters() const { return {}; }
  // The help line of a counter KernelCounters reports ("now" marks a
  // level, not a count: dlpd/common/counters.h).
  static std::string_view KernelCounterHelp(std::string_view name) {
    if (name == "kernel_queue_total") return "packets waiting in the kernel's queue now";
    if (name == "kernel_queue_dropped") {
      return "packets the kernel dropped, the queue full (fail closed; fail open lets them by)";
    }
    if (name == "kernel_user_dropped") {
      return "packets the kernel could not hand over, dlpd's socket buffer full";
    }
    return {};
  }

 protected:
  CaptureCounters counters_;
};

}  // namespace dlp
