// The inspection of a worker's flows, as the pipeline drives it: the rules
// and policy in force (and a reload handed over by another thread),
// scanning in stream order or a segment on its own, remembering and
// deciding findings (policy, thresholds, block), judging a held tail as if
// the stream ended, masking a withheld tail's copy, normalizing a later
// copy to the first, and reading request heads. It changes bytes it is
// given and the flow's state; it never emits a packet (the pipeline does,
// from what this returns).
//
// Thread-safety: Offer may be called from any thread; everything else by
// the worker's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dlpd/flow/segment.h"
#include "dlpd/flow/stream_digest.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/pipeline/engine_handoff.h"
#include "dlpd/pipeline/pipeline_counters.h"
#include "rules/value_prefix.h"

namespace dlp {

class Fingerprinter;
class IncidentRecorder;
class ScanContext;
struct Flow;
struct Policy;

class FlowInspection {
 public:
  // REQUIRES: `counters` and `recorder` outlive this; `ctx` is not null.
  FlowInspection(PipelineCounters& counters, IncidentRecorder& recorder,
                 std::unique_ptr<ScanContext> ctx);
  ~FlowInspection();

  // Any thread: new rules (null keeps the current ones) and policy (null:
  // mask everything), taken by the worker at its next ApplyReload.
  void Offer(std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy);
  // Takes what was offered, if anything: new flows get the new rules (a
  // flow under way keeps the rules and scanner it started with); the new
  // policy applies at once, and threshold counts restart.
  void ApplyReload();
  // The key for values' fingerprints (may be null); before the first flow.
  void SetFingerprinter(const Fingerprinter* fingerprinter);

  // A new flow on the current rules (with a first-copy window of
  // `window_bytes`), or null when its scanner cannot be opened (logged).
  std::unique_ptr<Flow> Open(size_t window_bytes) const;
  // The flow's stream restarts at offset 0 after a gap given up: no value
  // can be seen across missing bytes, so a fresh scanner starts, and what
  // the flow kept by offsets of the old stream is forgotten (remembered
  // findings, hold positions, the request's end). REQUIRES: nothing held.
  static void Restart(Flow& f);

  // Scans the bytes the stream has not seen, [fresh, fresh+len) at
  // f.pos.next_off, and takes in what they confirm. False when the scanner
  // failed.
  bool ScanInOrder(Flow& f, const uint8_t* fresh, size_t len);
  // The stream has taken [fresh, fresh+len): next_off moves past them, and
  // the hold learns the run of value bytes at the stream's end.
  void Advance(Flow& f, const uint8_t* fresh, size_t len) const;
  // The stream ends here: values whose trailing context is "end of stream"
  // are confirmed.
  void Finish(Flow& f);
  // Confirms the values complete if the stream ended here, without ending it.
  void JudgeAsEnd(Flow& f);
  // The held tail cannot be judged by what follows (timeout, no room, a gap
  // given up): judges it as if the stream ended here, then returns the
  // offset from which bytes may still begin a value.
  uint64_t ProbeAndCut(Flow& f);

  // Scans a segment's payload on its own (not in stream order) at stream
  // offset `off`, and masks what it finds. `remembered`: its findings join
  // the flow's (a value seen before is not counted again); otherwise they
  // are decided and recorded alone. False if the scanner failed.
  bool ScanAlone(Flow& f, uint8_t* payload, size_t len, uint64_t off, bool remembered,
                 bool* changed);
  // Scans bytes that come before the stream's start (a stream picked up
  // mid-way) followed by the stream's first bytes as the window keeps them,
  // and masks the values that reach into [payload, payload+len). False if
  // the scanner failed.
  bool ScanBeforeStart(Flow& f, uint8_t* payload, size_t len, bool* changed);
  // Masks [payload, payload+len) at stream offset `off` with the flow's
  // remembered findings; returns the bytes changed.
  size_t MaskRemembered(Flow& f, uint8_t* payload, size_t len, uint64_t off) const;

  // A later copy of stream bytes. The part the flow's first-copy window
  // keeps is rewritten to the first copy as it was forwarded; an older part
  // must be whole segments that, masked from the remembered findings, are
  // what the digest recorded (keyed by `key`). kUnchecked: it is not, and
  // the copy must not go (the receiver may take it in place of a first
  // copy that it dropped, and it was never scanned in stream order).
  // kTrimmed: only its first `*keep` bytes could be checked (whole
  // segments, then one it holds in part); only those may go.
  enum class CopyCheck { kSame, kRewritten, kUnchecked, kTrimmed };
  CopyCheck NormalizeToFirstCopy(Flow& f, const SegmentRef& s, const DigestKey& key, size_t* keep);

  // A copy of withheld bytes that comes back with nothing after it may
  // begin a value not judged yet (its run is open) while the request's body
  // is known to go on, or its end is not known (EndUnknown): it waits for
  // what follows, held.
  bool CopyMayBeginValue(const Flow& f, const SegmentRef& s) const;
  // The request's length (or chunking, or WebSocket message) says its body
  // goes on past what the stream has taken.
  static bool BodyGoesOn(const Flow& f);
  // A flow picked up mid-stream whose framing was never found (it began
  // inside a body): where its body ends is not known.
  static bool EndUnknown(const Flow& f);
  // A copy of withheld bytes that comes back with nothing after it, while
  // the request's body is known to go on, at the end of a hold
  // (`copy_timeouts`: how many for this tail, this one included): the
  // sender paused inside what may be a value for longer than its
  // retransmission timer, or resends nothing else until it is
  // acknowledged.
  //   kClear:   the sender sent what follows (bytes wait beyond a gap, or
  //             the tail was cut from a full segment: lost before the
  //             gateway) and the copy holds no more digits than a
  //             truncated display of the values it may begin shows (a
  //             card's first six, an SSN's area; not a run open in
  //             base64's decoded text, or a verdict that waits, which that
  //             count does not read): it leaves as it is, at
  //             its first hold's end (a sender back to one segment per
  //             retransmission timer sends nothing else until then).
  //   kStalled: the sender sent what follows, the copy shows more than
  //             that, and this is its third hold: neither its bytes in
  //             clear nor Xs in a number that may be none can go (the
  //             caller stops the flow), unless `mask_when_stalled`.
  //   (Where the flow's end is unknown, EndUnknown, it is taken as sent.)
  //   kMasked:  its letters and digits not in a judged value were masked
  //             (the third hold, the sender pausing inside the run).
  //   kNotOpen: none applies yet (CopyMayBeginValue false, an earlier hold,
  //             or nothing to mask); the copy is not the run's to settle.
  enum class Settled { kNotOpen, kClear, kStalled, kMasked };
  static constexpr uint32_t kCopyHolds = 3;
  Settled SettleWithheldCopy(Flow& f, const SegmentRef& s, uint32_t copy_timeouts,
                             bool mask_when_stalled);

  // The wire bytes the widest value ending at the stream's end may take
  // (values written with escapes are wider on the wire than in the text
  // the scanner reads), and bytes kept for a character not decided yet.
  static uint64_t WireReach(const Flow& f);
  // HoldQueue::FinalBefore with that reach.
  static uint64_t FinalBefore(const Flow& f, uint64_t end);

 private:
  // Where the scanner's history of the flow begins, for ValuePrefixes.
  static ValuePrefixes::Start StartOf(const Flow& f);
  // f.http becomes the request that wire offset `wire_off` is in (method,
  // Host and path, stored masked), for the policy and the incident.
  void UseRequestAt(Flow& f, uint64_t wire_off);
  // Remembers and records the findings the flow has not seen yet (in the
  // stream: at text offsets, placed on the wire here).
  // `placed`: stream findings already on wire offsets.
  void AddFindings(Flow& f, Findings& fresh, bool in_stream = true, bool placed = false);
  // Reads the normalized text [text, text+len) that the flow's scanner is
  // about to read for base64 (Base64Scan::FeedStream: f.base64 opens when
  // the text names it) and appends the values it decodes to to *found, for
  // TakeBase64. False when a scanner failed.
  bool ReadBase64(Flow& f, const uint8_t* text, size_t len, Findings* found);
  // Places values found in base64 (at decoded offsets) on the wire, decides
  // them, and keeps the edits that mask those the policy masks.
  void TakeBase64(Flow& f, Findings& found);
  // Sets x.action from the policy, counting toward thresholds; a block
  // marks the flow blocked (from x.start, when `stream_offsets`).
  void Decide(Flow& f, Finding& x, bool stream_offsets = true);

  PipelineCounters& counters_;
  IncidentRecorder& recorder_;
  std::shared_ptr<ScanContext> ctx_;  // for new flows
  const Fingerprinter* fingerprinter_ = nullptr;
  EngineHandoff reload_;
  std::shared_ptr<const Policy> policy_;
  uint64_t policy_generation_ = 1;
  Findings scratch_;
  std::vector<uint8_t> text_;  // what the normalizer made of a segment, reused
};

}  // namespace dlp
