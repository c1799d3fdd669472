// One worker's packet path: decode -> flow -> inspect (Hyperscan stream per
// flow direction) -> mask -> checksum -> verdict, with findings handed to
// the incident writer. Every capture back end (NFQUEUE, divert, pcap) drives
// the same pipeline, one per worker; nothing here blocks or touches the disk.
//
// Values split across segments. Each direction of a connection has its own
// stream scanner, so a value is found however TCP cuts it. A segment whose
// payload ends in bytes that could belong to a value not yet confirmed (the
// rules' value_chars, e.g. "card=4111 1111") is held back - only that one,
// most segments pass at once - until the next in-order segment confirms or
// clears it; then every held segment is masked and released in order. A
// hold ends hold_timeout after the last segment that extended the possible
// value (so a value dripped in byte by byte is still held whole; the bytes
// held are bounded by the widest match): then the tail is judged as if the
// stream ended there (a value complete at that point is masked), and the
// held segments go *cut before the bytes that may still begin a value*
// (tails_withheld): those bytes are not delivered, the receiver does not
// acknowledge them, and the sender sends them again, usually with what
// follows them. A hold times out when what follows was lost (the sender
// retransmits only after 200 ms or more) or is sent slowly on purpose;
// releasing the tail then would let the first digits of a value through.
// The copy the sender sends again is masked from what the stream found
// since. If nothing follows it yet, it goes masked when the request's
// Content-Length says the body goes on (tails_masked), and as it is
// otherwise (so a body that ends in digits is delayed by one
// retransmission, never stalled). A tail that ends where Content-Length
// says the body ends is judged at once, not held. A value that still
// turns out to have gone out in part is recorded as "mask-partial".
//
// Overlaps: the first copy of each byte wins. Every later copy of bytes the
// stream has seen (retransmission, re-segmented or overlapping segment) is
// rewritten to the first copy as it was forwarded (StreamWindow, the last
// window_bytes of each direction), so whichever copy a receiver keeps, it
// holds inspected, masked bytes. Copies of older bytes are masked from the
// findings remembered for their range and scanned on their own
// (overlaps_unchecked). A segment beyond a gap (loss, reordering) is buffered, not
// forwarded, until the gap fills; then it is scanned in stream order. If the
// gap has not filled within gap_timeout, the stream goes on from after it
// (counted: gaps_skipped) and the late segment is scanned on its own when it
// comes. The buffer is bounded; a segment that does not fit is scanned on
// its own.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "dlpd/decode/packet.h"
#include "dlpd/flow/flow_key.h"
#include "dlpd/inspect/fingerprint.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "dlpd/pipeline/http_request.h"
#include "dlpd/pipeline/verdict_sink.h"
#include "policy/policy.h"
#include "storage/incident_writer.h"

namespace dlp {

enum class FailMode {
  kClosed,  // what cannot be inspected does not pass (default)
  kOpen,    // it passes, and is counted
};

struct PipelineConfig {
  FailMode fail_mode = FailMode::kClosed;
  int64_t hold_timeout_us = 20000;
  // How long segments beyond a gap wait for it to fill. The receiver cannot
  // use them before it fills either, so waiting costs the application
  // nothing; the sender's retransmission timer (200 ms and up, doubling)
  // decides how long a loss takes to repair. Skipping a gap sooner would
  // scan the late segment on its own, and a value cut at its edge would
  // pass in two halves.
  int64_t gap_timeout_us = 10000000;
  size_t max_flows = 65536;
  // Bytes of held and buffered packets per worker. A hold that would go past
  // it is not made: the flow is judged as at a hold timeout (counted).
  size_t max_held_bytes = 64U << 20;
  // Packets held at once. NFQUEUE keeps a held packet in the kernel's queue
  // until its verdict, so this must stay below the queue's length, or the
  // queue fills with held packets and drops the very retransmission that
  // would release them.
  size_t max_held_packets = SIZE_MAX;
  int64_t flow_idle_timeout_us = 300LL * 1000 * 1000;
  // Bytes per flow direction kept to normalize later copies (StreamWindow),
  // and for all flows of a worker; past the total, the windows of the flows
  // that sent least recently are freed (counted: windows_freed).
  size_t window_bytes = 64U << 10;
  size_t max_window_total = 256U << 20;
};

struct PipelineCounters {
  std::atomic<uint64_t> packets{0}, bytes{0}, inspected{0}, masked_packets{0}, findings{0},
      passed_uninspected{0}, dropped_uninspected{0}, decode_errors{0}, not_tcp{0},
      incidents_dropped{0}, held{0}, hold_timeouts{0}, partial{0}, retransmissions{0},
      out_of_order{0}, gaps_skipped{0}, hold_overflows{0}, flows{0}, flows_evicted{0},
      overlaps_normalized{0}, overlaps_unchecked{0}, windows_freed{0}, findings_alerted{0},
      findings_passed{0}, flows_blocked{0}, blocked_packets{0}, resets_sent{0}, reset_errors{0},
      reloads{0}, urgent_cleared{0}, tails_withheld{0}, tails_masked{0};
};

class PacketPipeline {
 public:
  // `writer` and `fingerprinter` may be null (no incident recording).
  PacketPipeline(std::unique_ptr<ScanContext> ctx, PipelineConfig config, IncidentWriter* writer,
                 const Fingerprinter* fingerprinter);
  ~PacketPipeline();

  // Inspects the IP packet [data, data+len) and emits it to `sink` now, or
  // copies and holds it. `now_us` is the capture's clock (wall clock live,
  // packet timestamps offline). Never grows a packet; shortens one only to
  // withhold a tail that may begin a value (see above).
  void Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us, VerdictSink& sink);
  // Releases what has been held for hold_timeout and drops idle flows.
  void Tick(int64_t now_us, VerdictSink& sink);
  // Releases everything held (shutdown, end of a capture file).
  void Flush(VerdictSink& sink);

  // Any thread: new rules (a context made off the packet path; null keeps
  // the current rules) and policy (null: mask everything), taken by the
  // worker before its next packet. Flows under way keep their rules.
  void Reload(std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy);
  // Where incidents go (both may be null); before the first packet only.
  void SetIncidentOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter);
  // Findings so far by rule id (any thread).
  std::map<std::string, uint64_t> findings_by_rule() const;

  size_t held_packets() const { return held_packets_.load(std::memory_order_relaxed); }
  size_t held_bytes() const { return held_bytes_.load(std::memory_order_relaxed); }
  // Earliest hold deadline, or INT64_MAX when nothing is held.
  int64_t next_deadline() const;

  const PipelineCounters& counters() const { return counters_; }
  FailMode fail_mode() const { return config_.fail_mode; }

 private:
  struct Held;
  struct Flow;

  void EmitUninspectable(uint64_t handle, uint8_t* data, size_t len, VerdictSink& sink);
  Flow* FindOrCreate(const PacketView& v, int64_t now_us, VerdictSink& sink);
  void Erase(Flow* f, VerdictSink& sink);
  // `modified`: the packet was changed already (urgent data cleared).
  void Stream(Flow& f, uint64_t handle, uint8_t* data, size_t len, const PacketView& v,
              int64_t now_us, VerdictSink& sink, bool modified);
  // Scans a segment that starts at or before next_off and ends after it;
  // emits or holds it. `owned` (may be null) is a copy the hold can keep.
  void FeedInOrder(Flow& f, uint64_t handle, uint8_t* data, size_t len, const PacketView& v,
                   uint64_t off, int64_t now_us, VerdictSink& sink, std::vector<uint8_t>* owned,
                   bool modified);
  // Feeds buffered out-of-order segments that the stream has reached.
  void DrainOutOfOrder(Flow& f, int64_t now_us, VerdictSink& sink);
  // The gap before the first buffered segment did not fill in time: the
  // stream goes on from that segment.
  void SkipGap(Flow& f, int64_t now_us, VerdictSink& sink);
  void NoteHold(Flow& f, int64_t now_us);
  // Whether one more packet of `len` bytes may be held (both caps).
  bool RoomToHold(size_t len) const;
  // `remembered`: also mask with the flow's findings for [off, off+payload).
  void ScanAlone(Flow& f, uint64_t handle, uint8_t* data, size_t len, const PacketView& v,
                 uint64_t off, VerdictSink& sink, bool remembered = true, bool modified = false);
  // Rewrites the part of a later copy that the flow's window keeps to the
  // first copy; true if any byte changed.
  bool Normalize(Flow& f, uint8_t* payload, size_t payload_len, uint64_t off);
  // Keeps the fresh bytes [off, off+len) of the stream in the flow's window.
  void Retain(Flow& f, uint64_t off, const uint8_t* data, size_t len);
  // Masks [data,len) (payload at stream offset `off`) with the flow's
  // findings, fixes the checksum if anything changed, emits.
  void MaskAndEmit(Flow& f, uint64_t handle, uint8_t* data, size_t len, const PacketView& v,
                   uint64_t off, VerdictSink& sink, bool force_modified = false);
  // Removes the first held segment from the hold (and its accounting).
  Held TakeHeld(Flow& f);
  void ReleaseUpTo(Flow& f, uint64_t final_before, VerdictSink& sink);
  // Confirms the values complete if the stream ended here (ProbeEnd).
  void JudgeAsEnd(Flow& f);
  // The held tail cannot be judged by what follows (timeout, no room, a gap
  // skipped): judges it as if the stream ended here, then returns the
  // offset from which bytes may still begin a value.
  uint64_t ProbeAndCut(Flow& f);
  // A copy of withheld bytes that comes back with nothing after it, while
  // the request's body is known to go on: its letters and digits not in a
  // judged value are masked (the sender paused inside what may be a value
  // for longer than its retransmission timer). True if a byte changed.
  bool MaskWithheldCopy(Flow& f, uint8_t* payload, size_t len, uint64_t off);
  // Emits every held segment, each cut before `cut` (EmitBefore).
  void EmitHeldBefore(Flow& f, uint64_t cut, VerdictSink& sink);
  // Emits a segment masked, without its bytes at or after `cut`: shortened,
  // or dropped when nothing comes before the cut.
  void EmitBefore(Flow& f, uint64_t handle, uint8_t* data, size_t len, PacketView v, uint64_t off,
                  uint64_t cut, VerdictSink& sink, bool modified);
  // Remembers and records the findings the flow has not seen yet.
  // `in_stream`: found by the flow's stream (not in a segment scanned alone).
  void AddFindings(Flow& f, Findings& fresh, bool in_stream = true);
  // One incident per rule; a value found in the stream after part of it
  // was released (hold timeout) is recorded as "mask-partial".
  void Record(const Flow& f, const Findings& fresh, bool in_stream);
  // A segment at stream offset `off` that starts a request: its method,
  // Host and path for incidents, and where its body ends.
  void NoteHttpRequest(Flow& f, const uint8_t* payload, size_t len, uint64_t off);
  // Sets x.action from the policy, counting toward thresholds; a block
  // marks the flow blocked (from x.start, when `stream_offsets`).
  void Decide(Flow& f, Finding& x, bool stream_offsets = true);
  // A packet of a blocked flow, at stream offset `off`: what it holds before
  // the blocking value goes (truncated), when all before it has gone; the
  // rest is dropped. The first time, resets both ends.
  void DropBlocked(Flow& f, uint64_t handle, uint8_t* data, size_t len, const PacketView& v,
                   uint64_t off, VerdictSink& sink);
  void ApplyPending();

  std::shared_ptr<ScanContext> ctx_;  // for new flows
  std::shared_ptr<const Policy> policy_;
  uint64_t policy_generation_ = 1;
  struct PendingEngine {
    std::unique_ptr<ScanContext> ctx;
    std::shared_ptr<const Policy> policy;
  };
  std::mutex pending_mu_;
  std::unique_ptr<PendingEngine> pending_;
  std::atomic<bool> has_pending_{false};
  mutable std::mutex by_rule_mu_;
  std::map<std::string, uint64_t> findings_by_rule_;
  PipelineConfig config_;
  IncidentWriter* writer_;
  const Fingerprinter* fingerprinter_;
  const uint64_t flow_salt_;
  PipelineCounters counters_;
  std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows_;
  std::list<Flow*> lru_;         // most recently used first
  std::list<Flow*> window_lru_;  // flows with a window, most recently fed first
  size_t window_total_ = 0;      // sum of the windows' footprints
  // Written by the worker, read by status requests.
  std::atomic<size_t> held_packets_{0};
  std::atomic<size_t> held_bytes_{0};
  // Flows that started holding, by deadline. The hold timeout is the same
  // for all, so deadlines arrive in order and a FIFO is enough; an entry
  // whose flow has since released (or gone) is skipped when it comes up.
  std::deque<std::pair<int64_t, FlowKey>> hold_queue_;
  // The same for gaps (gap_timeout): flows whose out-of-order segments wait.
  std::deque<std::pair<int64_t, FlowKey>> gap_queue_;
  int64_t last_idle_scan_us_ = 0;
  Findings scratch_findings_;
};

}  // namespace dlp
