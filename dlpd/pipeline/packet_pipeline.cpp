#include "dlpd/pipeline/packet_pipeline.h"

#include <algorithm>
#include <random>
#include <utility>

#include "dlpd/decode/checksum.h"
#include "dlpd/decode/clear_urgent.h"
#include "dlpd/decode/truncate_payload.h"
#include "dlpd/http/char_decoder.h"
#include "dlpd/http/stream_normalizer.h"
#include "dlpd/inspect/base64_scan.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "dlpd/inspect/wire_findings.h"
#include "dlpd/pipeline/block_decision.h"
#include "dlpd/pipeline/flow_state.h"
#include "policy/policy.h"

namespace dlp {
namespace {

// Segments waiting beyond a gap up to which SackProbe sends pieces ahead.
constexpr size_t kMaxWaitingForProbes = 128;

}  // namespace

PacketPipeline::PacketPipeline(std::unique_ptr<ScanContext> ctx, PipelineConfig config,
                               IncidentWriter* writer, const Fingerprinter* fingerprinter,
                               const Clock& clock)
    : config_(config),
      clock_(clock),
      recorder_(counters_, clock_, config.anomaly_rate),
      inspection_(counters_, recorder_, std::move(ctx)),
      budget_(config.max_held_bytes, config.max_held_packets, counters_.held_packets,
              counters_.held_bytes),
      flows_(config.max_flows, config.flow_idle_timeout_us,
             (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()),
      new_flows_(config.max_new_flows_per_source,
                 static_cast<uint32_t>(
                     std::min<uint64_t>(2ULL * config.max_new_flows_per_source, UINT32_MAX))),
      closed_(config.flow_idle_timeout_us),
      windows_(config.max_window_total) {
  inspection_.SetFingerprinter(fingerprinter);
  recorder_.set_writer(writer);
}

PacketPipeline::~PacketPipeline() = default;

void PacketPipeline::Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us,
                             VerdictSink& sink, ChecksumState csum) {
  inspection_.ApplyReload();
  counters_.packets.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(len, std::memory_order_relaxed);
  SegmentRef s{handle, data, len, {}, 0, false};
  const DecodeStatus ds = DecodePacket(data, len, &s.view);
  if (ds == DecodeStatus::kNotTcp) {
    // Only TCP is diverted to us; anything else carries no HTTP to inspect.
    counters_.not_tcp.fetch_add(1, std::memory_order_relaxed);
    return Forward(s, false, sink);
  }
  if (ds != DecodeStatus::kOk) {
    counters_.decode_errors.fetch_add(1, std::memory_order_relaxed);
    return EmitUninspectable(s, sink);
  }
  if (config_.verify_checksums && csum == ChecksumState::kComplete &&
      !TcpChecksumValid(data, s.view)) {
    // The receiver drops it: so does dlpd, before it can change what the
    // stream is (an RST, a FIN or bytes the receiver never takes).
    const FlowKey k = FlowKey::Of(s.view);
    recorder_.Anomaly(AnomalyKind::bad_checksums, k, flows_.Find(k));
    return sink.Emit(handle, Verdict::kDrop, data, len, false);
  }
  const PacketView& v = s.view;
  if (ClearUrgent(data, &s.view)) {  // every receiver reads the inspected bytes
    s.modified = true;
    counters_.urgent_cleared.fetch_add(1, std::memory_order_relaxed);
  }
  const FlowKey key = FlowKey::Of(v);
  Flow* f = flows_.Find(key);
  if ((v.tcp_flags & TcpFlags::kSyn) != 0) {
    Syn(f, key, s, now_us, sink);
    return Account(key, now_us, sink);
  }
  const bool control = (v.tcp_flags & (TcpFlags::kFin | TcpFlags::kRst)) != 0;
  if (v.payload_len == 0 && !control) return Forward(s, false, sink);  // a bare ACK
  if (f == nullptr) {
    // A FIN or RST of a flow we do not track, or a flow picked up mid-stream
    // (dlpd started after the handshake): its first bytes start the stream.
    if (v.payload_len == 0 || (v.tcp_flags & TcpFlags::kRst) != 0) return Forward(s, false, sink);
    f = Create(key, s, now_us, sink);
    if (f == nullptr) return;  // refused or uninspectable: the verdict is given
    f->pos.started = true;
    f->pos.base_seq = v.seq;
    f->tcp.picked_up = true;
  }
  f->tcp.NoteAck(v);
  if (f->block.blocked) {
    // Torn down (a `block`, a gap that did not fill): nothing more of it
    // passes, not even its FIN.
    counters_.blocked_packets.fetch_add(1, std::memory_order_relaxed);
    return Act(*f, s, Decision::Drop(), sink);
  }
  Segment(*f, s, now_us, sink);
  Account(key, now_us, sink);
}

void PacketPipeline::Act(Flow& f, const SegmentRef& s, Decision d, VerdictSink& sink) {
  switch (d.kind) {
    case Decision::Kind::kEmit:
      MaskAndEmit(f, s, sink);
      return;
    case Decision::Kind::kCut: {
      SegmentRef cut = s;
      cut.len = TruncateTcpPayload(cut.data, &cut.view, d.keep);
      cut.modified = true;
      MaskAndEmit(f, cut, sink);
      return;
    }
    case Decision::Kind::kDrop:
      sink.Emit(s.handle, Verdict::kDrop, s.data, s.len, false);
      return;
  }
}

void PacketPipeline::EmitUninspectable(const SegmentRef& s, VerdictSink& sink) {
  const bool open = config_.fail_mode == FailMode::kOpen;
  (open ? counters_.passed_uninspected : counters_.dropped_uninspected)
      .fetch_add(1, std::memory_order_relaxed);
  sink.Emit(s.handle, open ? Verdict::kAccept : Verdict::kDrop, s.data, s.len, false);
}

void PacketPipeline::Forward(const SegmentRef& s, bool changed, VerdictSink& sink) {
  if (changed) {
    UpdateTcpChecksum(s.data, s.view);
    counters_.masked_packets.fetch_add(1, std::memory_order_relaxed);
  }
  sink.Emit(s.handle, Verdict::kAccept, s.data, s.len, changed || s.modified);
}

void PacketPipeline::Stream(Flow& f, SegmentRef s, int64_t now_us, VerdictSink& sink) {
  const std::optional<uint64_t> off = f.pos.OffsetOf(s.view.seq);
  if (!off) {
    // Before the start: after a SYN, no receiver takes it (it is before the
    // connection's first number). A stream picked up mid-way (or going on
    // after a skipped gap) may have had these bytes before dlpd saw it: they
    // are scanned followed by the stream's first bytes, so a value that
    // began there and goes on into the stream is found.
    if (!f.tcp.picked_up) {
      recorder_.Anomaly(AnomalyKind::out_of_window, f);
      return Act(f, s, Decision::Drop(), sink);
    }
    bool changed = false;
    if (!inspection_.ScanBeforeStart(f, s.payload(), s.payload_len(), &changed)) {
      return EmitUninspectable(s, sink);
    }
    if (f.block.blocked) return DropBlocked(f, s, /*in_stream=*/false, sink);
    return Forward(s, changed, sink);
  }
  s.off = *off;
  if (f.window.window.assumes_timestamps() && s.payload_len() > 0) {
    f.window.window.NoteTimestamps(HasTimestamps(s.data, s.view));
  }
  // Bytes segments waiting beyond a gap hold already are theirs, in order
  // or not (their pieces may have gone ahead: see SackProbe).
  if (!f.reorder.empty() && s.end() > f.pos.next_off &&
      f.reorder.Normalize(s.off, s.payload(), s.payload_len()) > 0) {
    s.modified = true;
    counters_.overlaps_normalized.fetch_add(1, std::memory_order_relaxed);
  }
  if (s.off > f.pos.next_off) return Reorder(f, s, now_us, sink);
  if (s.off < f.pos.next_off && !CheckCopy(f, s)) return Act(f, s, Decision::Drop(), sink);
  if (s.end() <= f.pos.next_off) return Repeat(f, s, now_us, sink);
  if (s.off < f.pos.next_off) counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
  FeedInOrder(f, s, now_us, sink, nullptr);
  DrainOutOfOrder(f, now_us, sink);
  SendDeferredProbes(f, sink);
}

void PacketPipeline::Reorder(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink) {
  bool opened_gap = false;
  const ReorderBuffer::Put put = f.reorder.Add(s, budget_, &opened_gap);
  if (put == ReorderBuffer::Put::kDuplicate) {
    // A copy of a segment still waiting for its gap: the first copy will
    // go, so this one must not go ahead of it (it may hold part of a value).
    counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
    return Act(f, s, Decision::Drop(), sink);
  }
  counters_.out_of_order.fetch_add(1, std::memory_order_relaxed);
  if (put != ReorderBuffer::Put::kNoRoom) SackProbe(f, s, sink);
  if (put == ReorderBuffer::Put::kNoRoom) {
    recorder_.Anomaly(AnomalyKind::hold_overflows, f);
    // Closed: scanned alone, a value cut at its edge would pass in halves.
    // Not forwarded, it is lost as far as TCP knows, and sent again after
    // the gap has filled (segments in order are never refused for room).
    // Open: it passes, inspected alone.
    if (config_.fail_mode == FailMode::kClosed) return Act(f, s, Decision::Drop(), sink);
    return ScanAlone(f, s, sink);
  }
  if (opened_gap) OpenGap(f, now_us);
}

void PacketPipeline::SackProbe(Flow& f, const SegmentRef& s, VerdictSink& sink) {
  // Not while dlpd holds segments before the gap: the receiver would report
  // the pieces against an acknowledgement that stops before the held
  // bytes, the sender would resend those (held, not lost), see them
  // reported twice when they leave (D-SACK), take the loss for reordering
  // and wait for its retransmission timer, then resend one segment per
  // timer: a withheld tail alone, again and again. They go when the held
  // segments have left (SendDeferredProbes), so the receiver reports the
  // gap after the bytes before it, and the sender resends the gap at once
  // with the tail.
  if (!f.hold.empty()) return f.reorder.DeferProbes();
  // Each arrival reads every waiting byte (FindBefore): past this many
  // waiting, recovery has gone wrong anyway, and the reading would grow with
  // the square of a flood of segments beyond a gap.
  if (f.reorder.size() > kMaxWaitingForProbes) return;
  // The pieces the sender sent it in (its segment size, from its SYN), each
  // judged with the bytes around it that wait too: a piece more than the
  // widest match inside them, that no value found there reaches, holds no
  // part of a value whatever the gap holds, and leaves now as the stream
  // will forward it later. A receiver acknowledges only whole pieces
  // selectively (Linux rounds SACK to its segment size), so a piece goes
  // whole or not at all.
  // In a chunked body a value may go on across framing that a block scan
  // of the waiting bytes does not know: no piece goes ahead there.
  const RequestFraming* framing = f.normalizer->framing();
  if (framing != nullptr && framing->InChunkedBody()) return;
  // Nor where a CSV header the stream read before the gap labels the
  // waiting bytes' columns with a rule's keyword (its bare numbers are
  // values there, not in a block scan of them).
  const CompiledRuleset& rules = f.ctx->rules();
  if (rules.columns() && f.scanner->columns().TableMayCover(rules, s.off)) return;
  // A piece is judged with what a verdict reads around its values: the
  // widest match and, before it, the lookback (a keyword; as base64
  // characters, a third more) or, after it, the lookahead; all of it must
  // wait here too.
  const uint64_t reach = rules.max_width() + 2;  // and "1." before a value
  const uint64_t before = reach + rules.lookback() * 4 / 3 + 4;
  const uint64_t after = reach + rules.lookahead();
  const ReorderBuffer::Island island =
      f.reorder.BytesAround(s.off, s.end(), std::max(before, after));
  if (island.bytes.empty()) return;
  // A value written with escapes or in UTF-8 is wider on the wire than the
  // widest match: such bytes are never sent ahead.
  if (std::any_of(island.bytes.begin(), island.bytes.end(), MayBeginEncoded)) return;
  // The waiting bytes may be base64 whose region began before them (a MIME
  // part's header, a data: URI's marker, in the gap or before it), in any
  // alignment: when one of their readings holds a value, none goes.
  if (Base64Scan::AnyReadingHoldsValue(*f.ctx, island.bytes.data(), island.bytes.size())) return;
  Findings found;
  WireUnits units;
  if (!ScanDecodedBlock(*f.ctx, island.bytes.data(), island.bytes.size(), &found, &units)) return;
  const uint64_t lo = island.lo + before;
  const uint64_t hi =
      island.lo + island.bytes.size() - std::min<uint64_t>(after, island.bytes.size());
  // The stream judges a request body's end as the end of the stream (a
  // value that ends there is masked whatever follows: the next request's
  // method), a block scan of the waiting bytes does not: no piece goes
  // within reach of a body's end, the current request's or one whose head
  // waits too (nothing after a request line there goes).
  const uint64_t body_end = f.http.body_end;
  const uint64_t next_head = f.reorder.FindBefore(s.end() + reach, " HTTP/1.");
  const uint32_t seg = f.window.window.segment_size();
  const size_t piece = seg != 0 ? seg : s.payload_len();
  for (size_t at = 0; at < s.payload_len(); at += piece) {
    const uint64_t a = s.off + at;
    const uint64_t b = std::min<uint64_t>(a + piece, s.end());
    if (a < lo || b > hi) continue;
    if (body_end != UINT64_MAX && body_end + reach > a && body_end < b + reach) continue;
    if (next_head < b + reach) break;
    const bool holds_value = std::any_of(found.begin(), found.end(), [&](const Finding& x) {
      return island.lo + x.start < b && island.lo + x.end > a;
    });
    // The island has the bytes the stream takes: a piece that differs
    // (an overlap sent twice, differently) is not what will be forwarded.
    if (holds_value ||
        !std::equal(s.payload() + at, s.payload() + (b - s.off),
                    island.bytes.begin() + static_cast<std::ptrdiff_t>(a - island.lo))) {
      continue;
    }
    const std::vector<uint8_t> slice = SliceTcpSegment(s.data, s.view, at, b - a);
    (sink.Inject(slice.data(), slice.size()) ? counters_.sack_probes : counters_.sack_probe_errors)
        .fetch_add(1, std::memory_order_relaxed);
  }
}

void PacketPipeline::SendDeferredProbes(Flow& f, VerdictSink& sink) {
  if (!f.hold.empty() || !f.reorder.TakeDeferredProbes()) return;
  f.reorder.ForEach([&](HeldSegment& h) { SackProbe(f, h.ref(), sink); });
}

void PacketPipeline::Repeat(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink) {
  counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
  const bool behind_held = !f.hold.empty() && s.end() > f.hold.released();
  const bool may_begin_value = inspection_.CopyMayBeginValue(f, s);
  if (behind_held || may_begin_value) {
    // It repeats bytes the receiver has not been given while a possible
    // value is open: it waits (behind the held segments) for what follows
    // to judge it, or its piece of a value would go out first; a number
    // that is none leaves unchanged. No room: the original goes, or comes again.
    if (!budget_.Fits(s.len)) {
      recorder_.Anomaly(AnomalyKind::hold_overflows, f);
      return Act(f, s, Decision::Drop(), sink);
    }
    HeldSegment copy = HeldSegment::CopyOf(s);
    copy.withheld_copy = may_begin_value;
    if (may_begin_value) {
      counters_.tails_held.fetch_add(1, std::memory_order_relaxed);
      f.hold.ExtendTo(now_us + config_.withheld_copy_hold_us);
      copy_timers_.Add(now_us + config_.withheld_copy_hold_us, f.slot.key);
    }
    return f.hold.Hold(std::move(copy), budget_);
  }
  ScanAlone(f, s, sink);
  // A withheld tail sent again has now left.
  if (!f.block.blocked) f.hold.MarkReleased(s.end());
}

void PacketPipeline::FeedInOrder(Flow& f, const SegmentRef& s, int64_t now_us, VerdictSink& sink,
                                 std::vector<uint8_t>* owned) {
  const uint64_t end = s.end();
  // Scan the bytes the stream has not seen (the segment may overlap).
  const uint8_t* fresh = s.payload() + (f.pos.next_off - s.off);
  const size_t fresh_len = static_cast<size_t>(end - f.pos.next_off);
  if (!inspection_.ScanInOrder(f, fresh, fresh_len)) return EmitUninspectable(s, sink);
  const RequestFraming* framing = f.normalizer->framing();
  if (f.http.framing_lost && framing != nullptr && framing->error_in_body() &&
      config_.fail_mode == FailMode::kClosed && !f.block.blocked) {
    // A body's framing that cannot be followed: what the server reads from
    // here on is not known. Closed: the bytes before it go, the flow stops.
    f.block.blocked = true;
    f.block.from = framing->error_at();
    counters_.flows_blocked.fetch_add(1, std::memory_order_relaxed);
  }
  const uint64_t oldest = end > MaxAhead() ? end - MaxAhead() : 0;
  counters_.windows_freed.fetch_add(
      windows_.Retain(f.window, f.pos.next_off, fresh, fresh_len, f.hold.released(), oldest),
      std::memory_order_relaxed);
  if (f.block.blocked) {
    // What is held goes nowhere, nor does this segment: both ends are reset.
    SettleWithheld(f, UINT64_MAX);  // nothing is judged any more
    f.pos.next_off = end;
    ReleaseUpTo(f, UINT64_MAX, sink);
    return MaskAndEmit(f, s, sink);
  }
  inspection_.Advance(f, fresh, fresh_len);
  uint64_t final_before = FlowInspection::FinalBefore(f, end);
  if (end == f.http.body_end && final_before < end) {
    // The request's body ends here, and what may follow is the next
    // request's method, never a value byte: the tail is judged now, not
    // held (a form that ends in digits is not delayed).
    inspection_.JudgeAsEnd(f);
    final_before = end;
  }
  SettleWithheld(f, final_before);
  ReleaseUpTo(f, final_before, sink);
  if (f.hold.empty() && end <= final_before) {
    MaskAndEmit(f, s, sink);
    return f.hold.MarkReleased(end);
  }
  if (!budget_.Fits(s.len)) {
    // No room to hold: what is held goes now, judged as at a timeout.
    recorder_.Anomaly(AnomalyKind::hold_overflows, f);
    const uint64_t cut = inspection_.ProbeAndCut(f);
    EmitHeldBefore(f, cut, sink);
    return EmitBefore(f, s, cut, sink);
  }
  counters_.held_total.fetch_add(1, std::memory_order_relaxed);
  f.hold.ExtendTo(now_us + config_.hold_timeout_us);  // never sooner than a held copy's end
  hold_timers_.Add(now_us + config_.hold_timeout_us, f.slot.key);
  f.hold.Hold(owned != nullptr ? HeldSegment::Adopt(s, std::move(*owned)) : HeldSegment::CopyOf(s),
              budget_);
}

void PacketPipeline::DrainOutOfOrder(Flow& f, int64_t now_us, VerdictSink& sink) {
  bool filled = false;
  while (std::optional<HeldSegment> h = f.reorder.PopReady(f.pos.next_off, budget_)) {
    filled = true;
    SegmentRef s = h->ref();
    if (s.off < f.pos.next_off && !CheckCopy(f, s)) {
      Act(f, s, Decision::Drop(), sink);
    } else if (s.end() <= f.pos.next_off) {
      ScanAlone(f, s, sink);  // a duplicate
    } else {
      FeedInOrder(f, s, now_us, sink, &h->bytes);
    }
  }
  if (filled && !f.reorder.empty()) OpenGap(f, now_us);  // the next gap has its own time
  if (!f.reorder.empty() && f.reorder.deadline() <= now_us) GapTimedOut(f, now_us, sink);
}

void PacketPipeline::SettleWithheld(Flow& f, uint64_t judged_before) {
  f.window.window.SettleWithheld(judged_before, [&](uint64_t off, uint8_t* bytes, size_t len) {
    inspection_.MaskRemembered(f, bytes, len, off);
  });
}

bool PacketPipeline::CheckCopy(Flow& f, SegmentRef& s) {
  size_t keep = 0;
  switch (inspection_.NormalizeToFirstCopy(f, s, windows_.key(), &keep)) {
    case FlowInspection::CopyCheck::kSame:
      break;
    case FlowInspection::CopyCheck::kRewritten:
      s.modified = true;
      break;
    case FlowInspection::CopyCheck::kTrimmed:
      s.len = TruncateTcpPayload(s.data, &s.view, keep);
      s.modified = true;
      break;
    case FlowInspection::CopyCheck::kUnchecked:
      return false;
  }
  // A receiver that takes this copy asks for what follows from its end,
  // and the sender resends from there in its own segment size. A copy the
  // sender collapsed from smaller ones may end inside a first copy's
  // segment: the next copy, from there, could then never be checked once
  // it has left the window, and would be dropped every time it came. (The
  // bytes of a withheld tail are each a record already, and a copy of
  // older bytes goes as far as whole records.)
  f.window.window.SplitAt(s.end());
  return true;
}

void PacketPipeline::SkipGap(Flow& f, int64_t now_us, VerdictSink& sink) {
  recorder_.Anomaly(AnomalyKind::gaps_skipped, f);
  if (!f.hold.empty()) EmitHeldBefore(f, inspection_.ProbeAndCut(f), sink);
  // The stream goes on from the first buffered segment, as a fresh stream.
  f.pos.base_seq += static_cast<uint32_t>(f.reorder.RebaseToFirst());
  FlowInspection::Restart(f);
  f.tcp.picked_up = true;  // the late bytes are now before the start
  windows_.Release(f.window);
  OpenGap(f, now_us);
  DrainOutOfOrder(f, now_us, sink);
}

void PacketPipeline::OpenGap(Flow& f, int64_t now_us) {
  f.reorder.Opened(now_us, now_us + config_.gap_timeout_us);
  gap_timers_.Add(f.reorder.deadline(), f.slot.key);
}

void PacketPipeline::ScanAlone(Flow& f, SegmentRef s, VerdictSink& sink, bool remembered) {
  // Not in stream order: mask what the stream already found in this range,
  // and whatever the segment holds on its own.
  bool changed = false;
  if (!inspection_.ScanAlone(f, s.payload(), s.payload_len(), s.off, remembered, &changed)) {
    return EmitUninspectable(s, sink);
  }
  s.modified |= changed;
  if (remembered) return MaskAndEmit(f, s, sink);
  if (f.block.blocked) return DropBlocked(f, s, /*in_stream=*/false, sink);
  Forward(s, changed, sink);
}

void PacketPipeline::MaskAndEmit(Flow& f, const SegmentRef& s, VerdictSink& sink) {
  if (f.block.blocked && (f.block.resets_sent || s.end() > f.block.from)) {
    return DropBlocked(f, s, /*in_stream=*/true, sink);
  }
  const size_t touched = inspection_.MaskRemembered(f, s.payload(), s.payload_len(), s.off);
  Forward(s, s.modified || touched > 0, sink);
  f.hold.NoteDelivered(s.off, s.end());
  // The window keeps each byte as it left (a withheld copy may leave masked
  // with no value found: SettleWithheldCopy).
  if (s.modified || touched > 0) {
    f.window.window.StoreForwarded(s.off, s.payload(), s.payload_len());
  }
}

void PacketPipeline::ReleaseUpTo(Flow& f, uint64_t final_before, VerdictSink& sink) {
  while (f.hold.FrontEndsBy(final_before)) {
    HeldSegment h = f.hold.TakeFront(budget_);
    MaskAndEmit(f, h.ref(), sink);
    f.hold.MarkReleased(h.end());
  }
}

void PacketPipeline::EmitHeldBefore(Flow& f, uint64_t cut, VerdictSink& sink, bool hold_ended) {
  // A copy of withheld bytes whose hold ended with its run open leaves in
  // clear if the sender sent on and it shows no more than a truncated
  // display would; else it is withheld again twice, and then leaves masked,
  // or stops the flow (SettleWithheldCopy): withheld for ever, it would
  // stall a sender that sends nothing more until it is acknowledged.
  const uint32_t copy_timeouts =
      hold_ended && f.hold.HoldsWithheldCopy() ? f.hold.NoteCopyTimeout() : 0;
  while (!f.hold.empty()) {
    HeldSegment h = f.hold.TakeFront(budget_);
    SegmentRef s = h.ref();
    const FlowInspection::Settled settled =
        copy_timeouts > 0 && h.withheld_copy
            ? inspection_.SettleWithheldCopy(f, s, copy_timeouts,
                                             config_.fail_mode == FailMode::kOpen)
            : FlowInspection::Settled::kNotOpen;
    if (settled == FlowInspection::Settled::kStalled) {
      Act(f, s, Decision::Drop(), sink);
      return StopFlow(f, AnomalyKind::tails_stopped, sink);
    }
    if (settled != FlowInspection::Settled::kNotOpen) {
      s.modified |= settled == FlowInspection::Settled::kMasked;
      MaskAndEmit(f, s, sink);
      f.hold.MarkReleased(s.end());
      continue;
    }
    EmitBefore(f, s, cut, sink);
  }
}

void PacketPipeline::EmitBefore(Flow& f, const SegmentRef& s, uint64_t cut, VerdictSink& sink) {
  // A FIN ends the stream where it is; a blocked flow's packets are dropped.
  if (s.end() <= cut || (s.view.tcp_flags & TcpFlags::kFin) != 0 || f.block.blocked) {
    MaskAndEmit(f, s, sink);
    return f.hold.MarkReleased(s.end());
  }
  counters_.tails_withheld.fetch_add(1, std::memory_order_relaxed);
  f.window.window.SplitEach(cut, s.end());  // the sender resends from the cut, or from within
  // Full: at least three quarters of the segment size the SYN announced
  // (the sender's segments are bounded by the server's MSS and the path's
  // MTU too: a tunnel or an MSS clamp takes some off).
  const uint32_t seg = f.window.window.segment_size();
  const bool full = seg != 0 && s.payload_len() >= seg - seg / 4;
  Act(f, s, f.hold.Withhold(s.off, s.end(), cut, full), sink);
}

void PacketPipeline::DropBlocked(Flow& f, const SegmentRef& s, bool in_stream, VerdictSink& sink) {
  counters_.blocked_packets.fetch_add(1, std::memory_order_relaxed);
  const BlockedPacket b = DecideBlocked(f, s, in_stream);
  if (b.decision.kind == Decision::Kind::kCut) Act(f, s, b.decision, sink);
  for (const std::vector<uint8_t>& rst : b.resets) {
    (sink.Inject(rst.data(), rst.size()) ? counters_.resets_sent : counters_.reset_errors)
        .fetch_add(1, std::memory_order_relaxed);
  }
  f.block.resets_sent = true;
  if (b.decision.kind == Decision::Kind::kDrop) Act(f, s, b.decision, sink);
}

void PacketPipeline::Tick(int64_t now_us, VerdictSink& sink) {
  inspection_.ApplyReload();
  while (std::optional<FlowKey> key = gap_timers_.PopDue(now_us)) {
    Flow* f = flows_.Find(*key);
    if (f != nullptr && !f->reorder.empty() && f->reorder.deadline() <= now_us) {
      GapTimedOut(*f, now_us, sink);
    }
  }
  for (std::optional<FlowKey> key;
       (key = hold_timers_.PopDue(now_us)) || (key = copy_timers_.PopDue(now_us));) {
    Flow* f = flows_.Find(*key);
    // Released, or extended since (a later reminder covers it): skipped.
    if (f == nullptr || f->hold.empty() || f->hold.deadline() > now_us) continue;
    counters_.hold_timeouts.fetch_add(1, std::memory_order_relaxed);
    EmitHeldBefore(*f, inspection_.ProbeAndCut(*f), sink, /*hold_ended=*/true);
    SendDeferredProbes(*f, sink);
  }
  // Idle flows, from the least recently used end. One that a fresh flow
  // could not pick up where it stands (mid-request, WebSocket, mid-value)
  // is closed with resets, as a busy eviction is: ended quietly, the bytes
  // it would take after its silence would be read as a new stream's.
  if (!flows_.IdleScanDue(now_us)) return;
  while (Flow* idle = flows_.Idle(now_us)) {
    if (idle->eviction_class() != FlowClass::kBusy) {
      End(idle, sink);
      continue;
    }
    recorder_.Anomaly(AnomalyKind::idle_closed, *idle);
    Close(*idle, now_us, sink);
  }
}

void PacketPipeline::Flush(VerdictSink& sink) {
  while (!flows_.empty()) End(flows_.Victim(), sink);
}

void PacketPipeline::Shutdown(VerdictSink& sink) {
  // Not End: the stream has not ended, and a tail held or withheld at this
  // point, released, would let the first digits of a value through (the
  // next dlpd picks the flow up at the digits after them).
  while (!flows_.empty()) Retire(*flows_.Victim(), sink);
}

void PacketPipeline::Reload(std::unique_ptr<ScanContext> ctx,
                            std::shared_ptr<const Policy> policy) {
  inspection_.Offer(std::move(ctx), std::move(policy));
}

void PacketPipeline::SetIncidentOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter) {
  recorder_.set_writer(writer);
  inspection_.SetFingerprinter(fingerprinter);
}

}  // namespace dlp
