// Linux netfilter NFQUEUE back end (libnetfilter_queue). One instance per
// queue number, each on its own thread with its own pipeline.
//
// Verdicts: runs of unmodified accepts are answered with one batch verdict;
// a modified packet gets its own verdict carrying the new bytes (copy-back
// only when something changed). While a packet is held a batch verdict
// would release it too, so the others get a verdict each: those messages go
// out together, one send per burst. With fail mode `open` the queue is created
// with NFQA_CFG_F_FAIL_OPEN so the kernel accepts packets when the queue is
// full, instead of dropping them.
//
// Coalesced packets: the queue is bound with NFQA_CFG_F_GSO, so a GSO/GRO
// packet (many segments of one flow, up to 64 KiB) comes over whole, in one
// netlink message, instead of being cut into MTU-sized segments in software
// first (5x the inline throughput, bench/RESULTS.md). Its TCP checksum may
// be left for the NIC (NFQA_SKB_CSUMNOTREADY): dlpd never checks it, and
// recomputes it in full when it changes a packet. That is what the kernel
// expects of a changed packet: it marks the checksum complete, and
// re-segments a changed GSO packet in software, filling in each segment's
// checksum. NFQUEUE copies at most 65531 bytes; a coalesced packet a few
// bytes longer (or a BIG TCP one) arrives cut short and is dropped, in
// either fail mode (counted: cut_short): its bytes cannot be inspected,
// and the sender's TCP sends them again, in other packets.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "dlpd/capture/capture.h"
#include "dlpd/capture/raw_sender.h"
#include "dlpd/capture/verdict_sink.h"
#include "dlpd/common/clock.h"
#include "dlpd/common/log_every.h"

struct nfq_handle;
struct nfq_q_handle;
struct nfq_data;
struct nfgenmsg;

namespace dlp {

class NfqueueCapture : public CaptureBackend, private VerdictSink {
 public:
  // REQUIRES: `clock` (the time every timer of the pipeline runs on)
  // outlives the capture.
  NfqueueCapture(uint16_t queue_num, PacketHandler* pipeline, uint32_t max_queue_len = 4096,
                 const Clock& clock = SystemClock::Instance());
  ~NfqueueCapture() override;
  // Binds the queue. Separate from Run so that the daemon can open every
  // socket as root before it drops privileges.
  Status Open();
  Status Run(const std::atomic<bool>& stop) override;
  void Close() override;
  // queue_dropped (queue full, fail closed) and user_dropped (the netlink
  // socket overran) from /proc/net/netfilter/nfnetlink_queue, through the
  // descriptor Open kept (any thread).
  std::map<std::string, uint64_t> KernelCounters() const override;

 private:
  static int OnPacket(nfq_q_handle* qh, nfgenmsg* msg, nfq_data* nfa, void* self);
  int Handle(nfq_data* nfa);
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override;
  // Sends the pending batch accept and every queued verdict.
  void FlushAccepts();
  // Queues the batch accept of the unmodified accepts not yet answered.
  void QueuePendingAccepts();
  // Appends a verdict message (NFQNL_MSG_VERDICT or _BATCH, no payload) to
  // those sent together by SendVerdicts.
  void QueueVerdict(uint16_t type, uint32_t id, uint32_t verdict);
  void SendVerdicts();
  // Through a raw socket (opened by Open, as root).
  bool Inject(const uint8_t* packet, size_t len) override;

  uint16_t queue_num_;
  PacketHandler* pipeline_;
  uint32_t max_queue_len_;
  const Clock& clock_;
  nfq_handle* h_ = nullptr;
  nfq_q_handle* qh_ = nullptr;
  int proc_fd_ = -1;                // /proc/net/netfilter/nfnetlink_queue, opened by Open
  LogEvery recv_warnings_{60'000'000};  // one recv warning a minute
  uint32_t pending_accept_id_ = 0;  // highest id of unmodified accepts not yet answered
  bool have_pending_ = false;
  // Verdict messages (32 bytes each) waiting to go out in one send.
  static constexpr size_t kMaxVerdictMessage = 64;
  alignas(8) char verdict_buf_[16 * 1024];
  size_t verdict_used_ = 0;
  uint64_t verdicts_queued_ = 0;
  RawSender raw_;
  // What the kernel counted when Close unbound the queue.
  mutable std::mutex closed_mu_;
  std::optional<std::map<std::string, uint64_t>> closed_counters_;
};

}  // namespace dlp
