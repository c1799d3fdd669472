// One worker's packet path, the conductor: decode -> flow -> inspect
// (Hyperscan stream per flow direction) -> mask -> checksum -> verdict, with
// findings handed to the incident writer. Every capture back end (NFQUEUE,
// divert, pcap) drives the same pipeline, one per worker; nothing here
// blocks or touches the disk. The stream mechanisms are rooms of flow/ (the
// flow table, the reorder buffer, the hold queue, the first-copy window
// pool) and the per-flow inspection is FlowInspection; they answer with
// decisions, and this class alone acts on them: it is the only caller of
// the VerdictSink.
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
// since. If nothing follows it yet while the run it began is open and the
// request's Content-Length says the body goes on, it is held for what
// follows (tails_held); if that does not come within withheld_copy_hold, it
// leaves as it is when the sender sent on (bytes beyond a gap, or a tail
// cut from a full-size segment) and it shows no more digits than a
// truncated display of the values it may begin (tails_released); else it
// is withheld again, and at its third hold the flow stops with resets when
// the sender sent on and fail closed (tails_stopped), or it leaves masked
// (tails_masked); otherwise it goes as it is (so a body that ends in
// digits is delayed by one retransmission, never stalled). A tail that
// ends where Content-Length says the body ends is judged at once, not held.
// A value that still turns out to have gone out in part is recorded as
// "mask-partial". Which bytes may begin a value is the rules' judgement
// (rules/value_prefix.h): a number none can begin with is never held.
//
// Overlaps: the first copy of each byte wins. Every later copy of bytes the
// stream has seen (retransmission, re-segmented or overlapping segment) is
// rewritten to the first copy as it was forwarded (StreamWindow, the last
// window_bytes of each direction), so whichever copy a receiver keeps, it
// holds inspected, masked bytes. A copy of older bytes is checked against
// the window's digest (a keyed hash per segment as forwarded) and goes
// masked as the first did; one that cannot be checked is dropped
// (copies_unchecked), never scanned on its own. A segment beyond a gap
// (loss, reordering) is buffered, not forwarded, until the gap fills; then
// it is scanned in stream order. If the gap has not filled within
// gap_timeout, the flow stops with resets when fail closed (gaps_stopped),
// or goes on after the gap when fail open (gaps_skipped). The buffer is
// bounded; a segment that does not fit is dropped (closed) or scanned on
// its own (open).
//
// TCP: only what the receiver accepts moves a stream (flow/tcp_state.h):
// checksums are verified, an RST counts only at the receiver's next
// sequence number, a FIN is a position, a SYN on a live flow is ignored,
// and bytes beyond any receive window are dropped. How flows begin and end
// (SYN/RST/FIN, admission per source, eviction that cannot be aimed,
// closing with resets) is flow_lifecycle.cpp; the stream path is
// packet_pipeline.cpp. Both are this class, the one caller of the sink.
#pragma once

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlpd/capture/packet_handler.h"
#include "dlpd/common/clock.h"
#include "dlpd/common/fail_mode.h"
#include "dlpd/flow/closed_flows.h"
#include "dlpd/flow/deadline_queue.h"
#include "dlpd/flow/decision.h"
#include "dlpd/flow/flow_table.h"
#include "dlpd/flow/hold_budget.h"
#include "dlpd/flow/new_flow_limiter.h"
#include "dlpd/flow/segment.h"
#include "dlpd/flow/window_pool.h"
#include "dlpd/pipeline/flow_inspection.h"
#include "dlpd/pipeline/incident_recorder.h"
#include "dlpd/pipeline/pipeline_counters.h"

namespace dlp {

class Fingerprinter;
class IncidentWriter;
class ScanContext;
struct Flow;
struct Policy;

struct PipelineConfig {
  FailMode fail_mode = FailMode::kClosed;
  int64_t hold_timeout_us = 20000;
  // How long a copy of a withheld tail waits for what follows while the
  // run it began is open (tails_held), before it is settled or withheld
  // again (FlowInspection::SettleWithheldCopy). A slow link delivers what
  // follows within a segment's time, and the copy then leaves judged: a
  // number that is none arrives unchanged. The sender has waited
  // its retransmission timer for it already. REQUIRES: at least
  // hold_timeout_us.
  int64_t withheld_copy_hold_us = 1000000;
  // How long segments beyond a gap wait for it to fill. The receiver cannot
  // use them before it fills either, so waiting costs the application
  // nothing; the sender's retransmission timer (200 ms and up, doubling)
  // decides how long a loss takes to repair. Skipping a gap sooner would
  // scan the late segment on its own, and a value cut at its edge would
  // pass in two halves.
  int64_t gap_timeout_us = 10000000;
  size_t max_flows = 65536;
  // New flows a second one source address may open, per worker, with a
  // burst of twice that (flow/new_flow_limiter.h); 0: no limit. A flow
  // over the limit is refused and its packet dropped (the sender tries
  // again). Why 1000: the sources are the clients behind the gateway, and
  // some are NATs (an office, a guest network) with hundreds of people
  // behind one address. A page load opens a handful of connections per
  // host, and most of today's web is not on port 80, so such an office
  // opens at most some hundreds of port-80 connections a second, and a
  // 2-second burst covers everyone starting at once; a SYN flood from one
  // host is tens of thousands a second.
  uint32_t max_new_flows_per_source = 1000;
  // Bytes of held and buffered packets per worker. A hold that would go past
  // it is not made: the flow is judged as at a hold timeout (counted).
  size_t max_held_bytes = 64U << 20;
  // Packets held at once. NFQUEUE keeps a held packet in the kernel's queue
  // until its verdict, so this must stay below the queue's length, or the
  // queue fills with held packets and drops the very retransmission that
  // would release them.
  size_t max_held_packets = SIZE_MAX;
  int64_t flow_idle_timeout_us = 300LL * 1000 * 1000;
  // Drop packets whose TCP checksum is wrong (their receiver drops them):
  // off only for captures taken on a sending host whose NIC computed the
  // checksums (they show as wrong in the capture).
  bool verify_checksums = true;
  // How far ahead of the stream a receive window may reach: bytes further
  // ahead are dropped (the receiver drops them) and open no gap, and copies
  // further back are not checked (no receiver still wants them). 0: 65535
  // shifted by the largest window scale seen in a SYN, at least 7 (8 MiB).
  uint64_t max_ahead_bytes = 0;
  // Bytes per flow direction kept to normalize later copies (StreamWindow),
  // and for all flows of a worker; past the total, the windows of the flows
  // that sent least recently are freed (counted: windows_freed).
  size_t window_bytes = 64U << 10;
  size_t max_window_total = 256U << 20;
  // Bytes of flow inspection state per worker (Flow::memory_bytes summed):
  // past it, flows are ended in the table's eviction order (no data, then
  // quiet, then busy; least recently used first) until it is met again.
  // With max_window_total and max_held_bytes it makes the worker's budget
  // (--max-memory-mb).
  size_t max_state_bytes = 512U << 20;
  // Splits a worker's memory budget (--max-memory-mb) as dlpd does: a
  // quarter for first-copy windows, max_held_bytes for held and buffered
  // segments, the rest for the flows' state. REQUIRES: max_held_bytes is at
  // most a quarter of `bytes`.
  void SetMemoryBudget(size_t bytes) {
    max_window_total = bytes / 4;
    max_state_bytes = bytes - bytes / 4 - max_held_bytes;
  }
  // EVE anomaly lines per kind (IncidentRecorder::Anomaly).
  AnomalyRate anomaly_rate;
};

// Thread-safety: Process, Tick and Flush are called by the worker's thread
// only. Reload, findings_by_rule, held_packets, held_bytes and counters may
// be called from any thread.
class PacketPipeline final : public PacketHandler {
 public:
  // `writer` and `fingerprinter` may be null (no incident recording).
  // Incidents are stamped with `clock`'s wall time (REQUIRES: it outlives
  // the pipeline); timers run on the `now_us` the back end passes, read
  // from the same clock.
  PacketPipeline(std::unique_ptr<ScanContext> ctx, PipelineConfig config, IncidentWriter* writer,
                 const Fingerprinter* fingerprinter, const Clock& clock = SystemClock::Instance());
  ~PacketPipeline();

  // Inspects the IP packet [data, data+len) and emits it to `sink` now, or
  // copies and holds it. `now_us` is the capture's clock (NowMicros).
  // Never grows a packet; shortens one only to withhold a tail that may
  // begin a value (see above).
  void Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us, VerdictSink& sink,
               ChecksumState csum) override;
  // A packet as it reaches the receiver (captures, tests).
  void Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us, VerdictSink& sink) {
    Process(handle, data, len, now_us, sink, ChecksumState::kComplete);
  }
  // Releases what has been held for hold_timeout and drops idle flows.
  void Tick(int64_t now_us, VerdictSink& sink) override;
  // The input ended (a capture file): every stream ends, what is held is
  // released as at a stream's end.
  void Flush(VerdictSink& sink) override;
  // dlpd stops (a live capture): every flow is retired as at a hold's end
  // (PacketHandler::Shutdown).
  void Shutdown(VerdictSink& sink) override;

  // Any thread: new rules (a context made off the packet path; null keeps
  // the current rules) and policy (null: mask everything), taken by the
  // worker before its next packet. Flows under way keep their rules.
  void Reload(std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy);
  // Where incidents go (both may be null); before the first packet only.
  void SetIncidentOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter);
  // Findings so far by rule id (any thread).
  std::map<std::string, uint64_t> findings_by_rule() const { return recorder_.findings_by_rule(); }

  size_t held_packets() const override { return budget_.packets(); }
  size_t held_bytes() const { return budget_.bytes(); }
  // Earliest hold or gap deadline, or INT64_MAX when nothing is held. The
  // front reminder may be stale (its flow released early): waking up early
  // for it costs one empty Tick.
  int64_t next_deadline() const override {
    if (budget_.packets() == 0) return INT64_MAX;
    return std::min({hold_timers_.next(), copy_timers_.next(), gap_timers_.next()});
  }

  const PipelineCounters& counters() const { return counters_; }
  FailMode fail_mode() const override { return config_.fail_mode; }

 private:
  // Acts on a decision for segment `s` of flow `f`: the one switch that
  // sends a flow's packets to the sink.
  void Act(Flow& f, const SegmentRef& s, Decision d, VerdictSink& sink);
  // A packet that cannot be inspected: passed or dropped by the fail mode.
  void EmitUninspectable(const SegmentRef& s, VerdictSink& sink);
  // A new flow for `key`, whose first packet is `s`; or null, when `s` has
  // had its verdict here: refused (a tuple closed by eviction, a source
  // over its new-flow limit: dropped) or uninspectable (no scanner). Makes
  // room first when the table is full (Evict).
  Flow* Create(const FlowKey& key, const SegmentRef& s, int64_t now_us, VerdictSink& sink);
  // Gives up `f` (the table's Victim()): ended as on a FIN if it is not
  // busy, or closed (Close) if it is.
  void Evict(Flow* f, int64_t now_us, VerdictSink& sink);
  // After a packet of the flow on `key`: counts what the flow holds now,
  // and ends flows while the flows' state is over max_state_bytes.
  void Account(const FlowKey& key, int64_t now_us, VerdictSink& sink);
  // Ends a busy flow that must go: what is beyond a gap is dropped, what is
  // held is judged as at a hold's end and goes cut before what may still
  // begin a value (the connection will not carry the rest), both ends are
  // reset, and the tuple is remembered as closed (flow/closed_flows.h).
  void Close(Flow& f, int64_t now_us, VerdictSink& sink);
  // Injects the resets that tear down `f`'s connection (ResetsForFlow) at
  // what its receiver has, and what the client last acknowledged; counted.
  void SendResets(const Flow& f, VerdictSink& sink);
  void SendResets(const FlowKey& key, uint32_t to_server_seq, std::optional<uint32_t> to_client_seq,
                  VerdictSink& sink);
  // A SYN: a new flow, its own SYN again, or ignored on a live one.
  void Syn(Flow* f, const FlowKey& key, SegmentRef s, int64_t now_us, VerdictSink& sink);
  // A packet of a live flow (not a SYN): acted on as its receiver will.
  void Segment(Flow& f, SegmentRef s, int64_t now_us, VerdictSink& sink);
  // Ends a flow: what waits beyond a gap is dropped, the stream finished,
  // what is held goes, and the table forgets it.
  void End(Flow* f, VerdictSink& sink);
  // Gives a flow up without ending its stream: held bytes that may begin a
  // value are withheld (as at a hold timeout), the rest goes.
  void Retire(Flow& f, VerdictSink& sink);
  void Forget(Flow* f);
  // Drops the segments waiting beyond a gap.
  void DropBuffered(Flow& f, VerdictSink& sink);
  // A gap did not fill in time: the flow stops (closed) or skips it (open).
  void GapTimedOut(Flow& f, int64_t now_us, VerdictSink& sink);
  // Drops what the flow holds, resets both ends, and drops all that comes
  // after; reported as `why`.
  void StopFlow(Flow& f, AnomalyKind why, VerdictSink& sink);
  // A later copy of stream bytes, normalized to the first; false when it
  // cannot be checked (dropped).
  bool CheckCopy(Flow& f, SegmentRef& s);
  // Withheld bytes the stream has judged (those that end by
  // `judged_before`) take, in the window, the form their copies leave in
  // (masked where a value was found), before they can go to the digest.
  void SettleWithheld(Flow& f, uint64_t judged_before);
  uint64_t MaxAhead() const {
    return config_.max_ahead_bytes != 0 ? config_.max_ahead_bytes
                                        : uint64_t{65535} << window_shift_;
  }
  void Stream(Flow& f, SegmentRef s, int64_t now_us, VerdictSink& sink);
  // A segment beyond a gap: buffered, or by the fail mode when no room.
  void Reorder(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink);
  // Sends ahead the pieces of a segment buffered beyond a gap that hold no
  // part of any value (judged with the waiting bytes around them), so that
  // the receiver acknowledges them selectively: the sender learns of the
  // gap and resends what is missing at once, as it would without the
  // gateway, instead of waiting for its retransmission timer and then
  // sending one segment at a time, the bytes withheld before the gap first
  // and nothing after them until they are acknowledged.
  // Not while segments before the gap are held: deferred, then.
  void SackProbe(Flow& f, const SegmentRef& s, VerdictSink& sink);
  // The pieces deferred while segments were held, once none is.
  void SendDeferredProbes(Flow& f, VerdictSink& sink);
  // A copy of bytes the stream has passed.
  void Repeat(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink);
  // Scans a segment that starts at or before next_off and ends after it;
  // emits or holds it. `owned` (may be null) is a copy the hold can keep.
  void FeedInOrder(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink,
                   std::vector<uint8_t>* owned);
  // Feeds buffered out-of-order segments that the stream has reached.
  void DrainOutOfOrder(Flow& f, int64_t now_us, VerdictSink& sink);
  // The gap before the first buffered segment did not fill in time: the
  // stream goes on from that segment.
  void SkipGap(Flow& f, int64_t now_us, VerdictSink& sink);
  // A gap opens now: its timer starts.
  void OpenGap(Flow& f, int64_t now_us);
  // A segment not in stream order, scanned on its own. `remembered`: at a
  // known stream offset, masked with the flow's findings too.
  void ScanAlone(Flow& f, SegmentRef s, VerdictSink& sink, bool remembered = true);
  // Masks the segment with the flow's findings, fixes the checksum if
  // anything changed, emits.
  void MaskAndEmit(Flow& f, const SegmentRef& s, VerdictSink& sink);
  void ReleaseUpTo(Flow& f, uint64_t final_before, VerdictSink& sink);
  // Emits every held segment, each cut before `cut` (EmitBefore).
  // `hold_ended`: the hold's timer ran out (a held copy of a withheld tail
  // is then settled: SettleWithheldCopy); otherwise (no room, a flow given
  // up) such a copy is withheld again.
  void EmitHeldBefore(Flow& f, uint64_t cut, VerdictSink& sink, bool hold_ended = false);
  // Emits a segment masked, without its bytes at or after `cut`.
  void EmitBefore(Flow& f, const SegmentRef& s, uint64_t cut, VerdictSink& sink);
  // A packet of a blocked flow: what it holds before the blocking value
  // goes (cut), when all before it has gone; the rest is dropped. The first
  // time, resets both ends.
  void DropBlocked(Flow& f, const SegmentRef& s, bool in_stream, VerdictSink& sink);
  // Sends `s` as it is now (`changed`: its bytes were changed here: the
  // checksum is fixed and it counts as masked).
  void Forward(const SegmentRef& s, bool changed, VerdictSink& sink);

  // Constant after construction.
  const PipelineConfig config_;
  const Clock& clock_;

  // Written by the worker; counters_ readable from any thread.
  PipelineCounters counters_;
  IncidentRecorder recorder_;
  FlowInspection inspection_;
  HoldBudget budget_;
  FlowTable<Flow> flows_;
  NewFlowLimiter new_flows_;
  ClosedFlows closed_;
  WindowPool windows_;
  size_t state_bytes_ = 0;  // Flow::accounted summed over the table
  // One queue per timeout length, so that each is in deadline order.
  DeadlineQueue hold_timers_;  // flows that started or extended a hold
  DeadlineQueue copy_timers_;  // flows holding a withheld tail's copy
  DeadlineQueue gap_timers_;   // flows whose out-of-order segments wait
  uint8_t window_shift_ = 7;   // the largest window scale seen in a SYN
};

}  // namespace dlp
