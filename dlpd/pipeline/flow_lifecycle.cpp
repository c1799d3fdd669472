// The pipeline's other half (PacketPipeline, packet_pipeline.h): how flows
// begin and end. A SYN, an RST and a FIN act as the receiver takes them
// (flow/tcp_state.h); a new flow is admitted per source and makes room by
// eviction that cannot be aimed; a flow ends, is retired, or is closed with
// resets. packet_pipeline.cpp has the stream path between.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "dlpd/decode/truncate_payload.h"
#include "dlpd/flow/tcp_state.h"
#include "dlpd/pipeline/flow_state.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "dlpd/pipeline/tcp_reset.h"

namespace dlp {
namespace {

// How many gap times a gap waits at most while dlpd itself keeps the bytes
// before it (GapTimedOut): each episode of a withheld copy takes up to
// about 7 s with the sender's backoff, and a lossy link may have several.
constexpr int64_t kGapWaitsOnDlpd = 6;

}  // namespace

void PacketPipeline::Syn(Flow* f, const FlowKey& key, SegmentRef s, int64_t now_us,
                         VerdictSink& sink) {
  const PacketView& v = s.view;
  if (std::optional<uint8_t> shift = SynWindowShift(s.data, v)) {
    window_shift_ = std::max(window_shift_, *shift);
  }
  if (f != nullptr) {
    switch (JudgeSyn(f->tcp, f->pos, v)) {
      case SynEvent::kRepeat:  // its data (TCP Fast Open) is a copy
        if (v.payload_len == 0) return Forward(s, false, sink);
        s.view.seq = v.seq + 1;
        return Stream(*f, s, now_us, sink);
      case SynEvent::kIgnored:
        // Answered with a challenge ACK: the receiver keeps the connection,
        // and so does dlpd. Its ISN is remembered in case the server had
        // closed unseen and this is a new connection on a reused port.
        recorder_.Anomaly(AnomalyKind::syns_ignored, *f);
        f->tcp.syn_pending = true;
        f->tcp.syn_seq = v.seq;
        if (v.payload_len == 0) return Forward(s, false, sink);
        return Act(*f, s, Decision::Drop(), sink);
      case SynEvent::kNewConnection:  // the old one ended at its FIN
        End(f, sink);
        break;
    }
  }
  f = Create(key, s, now_us, sink);
  if (f == nullptr) return;
  f->pos.started = true;
  f->pos.base_seq = v.seq + 1;
  f->window.window.set_segment_size(SynSegmentSize(s.data, v), HasTimestamps(s.data, v));
  if (v.payload_len == 0) return Forward(s, false, sink);
  // Data on a SYN (TCP Fast Open, or a crafted packet): the stream starts
  // with it. Its first byte is at seq + 1, the SYN taking one number.
  s.view.seq = v.seq + 1;
  Stream(*f, s, now_us, sink);
  flows_.Classify(f);
}

void PacketPipeline::Segment(Flow& f, SegmentRef s, int64_t now_us, VerdictSink& sink) {
  const PacketView& v = s.view;
  switch (JudgeSegment(f.tcp, f.pos, v, MaxAhead(), f.hold.DeliveredBy(f.pos.next_off))) {
    case TcpEvent::kReset:
      End(&f, sink);
      return Forward(s, false, sink);
    case TcpEvent::kIgnored:
      recorder_.Anomaly((v.tcp_flags & TcpFlags::kRst) != 0 ? AnomalyKind::resets_ignored
                                                            : AnomalyKind::fins_ignored,
                        f);
      return Forward(s, false, sink);
    case TcpEvent::kOutOfWindow:
      recorder_.Anomaly(AnomalyKind::out_of_window, f);
      return Act(f, s, Decision::Drop(), sink);
    case TcpEvent::kBeyondFin:
      recorder_.Anomaly(AnomalyKind::beyond_fin, f);
      return Act(f, s, Decision::Drop(), sink);
    case TcpEvent::kNewConnection: {
      // The server had closed: the new connection starts at its SYN. The old
      // stream's tail that may begin a value is withheld, as at a gap.
      recorder_.Anomaly(AnomalyKind::flows_restarted, f);
      const FlowKey key = f.slot.key;
      const uint32_t base = f.tcp.syn_seq + 1;
      Retire(f, sink);
      Flow* fresh = Create(key, s, now_us, sink);
      if (fresh == nullptr) return;
      fresh->pos.started = true;
      fresh->pos.base_seq = base;
      return Segment(*fresh, s, now_us, sink);
    }
    case TcpEvent::kSegment:
      break;
  }
  flows_.Touch(&f, now_us);
  if ((v.tcp_flags & TcpFlags::kFin) != 0) {
    // A position: the stream ends where the FIN is, once it gets there.
    const std::optional<uint64_t> off = f.pos.OffsetOf(v.seq);
    if (off && *off + v.payload_len >= f.pos.next_off) {
      f.tcp.fin_off = std::min(f.tcp.fin_off, *off + v.payload_len);
    }
  }
  if (v.payload_len > 0) {
    const std::optional<uint64_t> off = f.pos.OffsetOf(v.seq);
    if (off && *off + v.payload_len > f.tcp.fin_off) {
      // Bytes past the FIN are never delivered: they are not sent either.
      s.len = TruncateTcpPayload(s.data, &s.view, static_cast<size_t>(f.tcp.fin_off - *off));
      s.modified = true;
    }
    Stream(f, s, now_us, sink);
  }
  if (!f.tcp.finished && f.pos.next_off >= f.tcp.fin_off) {
    // The stream ends here: values whose trailing context is "end of
    // stream" are confirmed, and what is held goes. The flow stays, so
    // that later copies are still checked.
    f.tcp.finished = true;
    inspection_.Finish(f);
    ReleaseUpTo(f, UINT64_MAX, sink);
    DropBuffered(f, sink);  // what waits beyond a gap is past the FIN now
  }
  flows_.Classify(&f);  // it may hold packets, or end mid-value, now
  if (v.payload_len == 0) Forward(s, false, sink);
}

Flow* PacketPipeline::Create(const FlowKey& key, const SegmentRef& s, int64_t now_us,
                             VerdictSink& sink) {
  if (closed_.Contains(key, now_us)) {
    // Closed by eviction mid-value: its rest must not be scanned from
    // scratch. Dropped, and the client is told again (the server may not
    // have taken our reset; this one is at the client's own position).
    counters_.closed_flow_drops.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(s.handle, Verdict::kDrop, s.data, s.len, false);
    if ((s.view.tcp_flags & TcpFlags::kAck) != 0) SendResets(key, s.view.seq, s.view.ack, sink);
    return nullptr;
  }
  if (!new_flows_.Admit(key, now_us)) {
    // Dropped in both fail modes: the sender chose the rate, and passing
    // the packet uninspected would let any host past by opening flows fast.
    counters_.new_flows_limited.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(s.handle, Verdict::kDrop, s.data, s.len, false);
    return nullptr;
  }
  if (flows_.full()) Evict(flows_.Victim(), now_us, sink);
  std::unique_ptr<Flow> f = inspection_.Open(config_.window_bytes);
  Flow* raw = f == nullptr ? nullptr : flows_.Insert(key, now_us, std::move(f));
  counters_.flows.store(flows_.size(), std::memory_order_relaxed);
  if (raw == nullptr) EmitUninspectable(s, sink);
  return raw;
}

void PacketPipeline::Evict(Flow* f, int64_t now_us, VerdictSink& sink) {
  recorder_.Anomaly(AnomalyKind::flows_evicted, *f);
  if (f->eviction_class() != FlowClass::kBusy) return End(f, sink);
  // Every flow in the table holds packets or is mid-value (the table gives
  // up the others first): forgotten, its rest would be scanned alone.
  recorder_.Anomaly(AnomalyKind::busy_evictions, *f);
  Close(*f, now_us, sink);
}

void PacketPipeline::Close(Flow& f, int64_t now_us, VerdictSink& sink) {
  DropBuffered(f, sink);
  if (!f.hold.empty()) EmitHeldBefore(f, inspection_.ProbeAndCut(f), sink);
  if (!f.block.resets_sent) SendResets(f, sink);  // a blocked flow was reset already
  closed_.Add(f.slot.key, now_us);
  Forget(&f);
}

void PacketPipeline::SendResets(const Flow& f, VerdictSink& sink) {
  // The server has the bytes before ReceiverNext() and none after: the
  // reset is at the number it expects. The client's is at what it last
  // acknowledged (none yet: its next packet is answered instead, Create).
  SendResets(f.slot.key, f.pos.SeqOf(f.hold.ReceiverNext()),
             f.tcp.has_ack ? std::optional<uint32_t>(f.tcp.last_ack) : std::nullopt, sink);
}

void PacketPipeline::SendResets(const FlowKey& key, uint32_t to_server_seq,
                                std::optional<uint32_t> to_client_seq, VerdictSink& sink) {
  for (const ResetSpec& r : ResetsForFlow(key, to_server_seq, to_client_seq)) {
    const std::vector<uint8_t> rst = BuildTcpReset(r);
    (sink.Inject(rst.data(), rst.size()) ? counters_.resets_sent : counters_.reset_errors)
        .fetch_add(1, std::memory_order_relaxed);
  }
}

void PacketPipeline::End(Flow* f, VerdictSink& sink) {
  // Segments beyond a gap that never filled can never be delivered in
  // order: dropped (scanned as a stream of their own, a value cut at the
  // gap's edge would pass in halves if the gap were filled after all).
  DropBuffered(*f, sink);
  // The stream ends here: values whose trailing context is "end of stream"
  // are confirmed before the held segments go.
  if (!f->tcp.finished) inspection_.Finish(*f);
  ReleaseUpTo(*f, UINT64_MAX, sink);
  Forget(f);
}

void PacketPipeline::Retire(Flow& f, VerdictSink& sink) {
  DropBuffered(f, sink);
  if (!f.hold.empty()) EmitHeldBefore(f, inspection_.ProbeAndCut(f), sink);
  Forget(&f);
}

void PacketPipeline::Account(const FlowKey& key, int64_t now_us, VerdictSink& sink) {
  if (Flow* f = flows_.Find(key)) {
    const size_t bytes = f->memory_bytes();
    state_bytes_ = state_bytes_ - f->accounted + bytes;
    f->accounted = bytes;
    // A flow many times the others' average (a decoder's window, a flood of
    // values remembered) goes first when the state is over its share: it
    // is what put it there, ending it frees the most, and the flows it
    // would push out (the least recently used, busy ones too once no quiet
    // one is left) did nothing.
    if (state_bytes_ > config_.max_state_bytes && flows_.size() > 1 &&
        bytes / 8 >= state_bytes_ / flows_.size()) {
      counters_.memory_evictions.fetch_add(1, std::memory_order_relaxed);
      Evict(f, now_us, sink);
    }
  }
  // The cheapest flows go first, the one just served among them if it is
  // the least valuable (its packet has had its verdict or is held, and
  // Evict lets held packets go as on any eviction).
  while (state_bytes_ > config_.max_state_bytes && !flows_.empty()) {
    counters_.memory_evictions.fetch_add(1, std::memory_order_relaxed);
    Evict(flows_.Victim(), now_us, sink);
  }
  counters_.flow_state_bytes.store(state_bytes_, std::memory_order_relaxed);
  counters_.window_bytes.store(windows_.total(), std::memory_order_relaxed);
}

void PacketPipeline::Forget(Flow* f) {
  state_bytes_ -= f->accounted;
  windows_.Release(f->window);
  counters_.flow_state_bytes.store(state_bytes_, std::memory_order_relaxed);
  counters_.window_bytes.store(windows_.total(), std::memory_order_relaxed);
  flows_.Remove(f);
  counters_.flows.store(flows_.size(), std::memory_order_relaxed);
}

void PacketPipeline::DropBuffered(Flow& f, VerdictSink& sink) {
  while (std::optional<HeldSegment> h = f.reorder.PopReady(UINT64_MAX, budget_)) {
    Act(f, h->ref(), Decision::Drop(), sink);
  }
}

void PacketPipeline::StopFlow(Flow& f, AnomalyKind why, VerdictSink& sink) {
  // Fail closed: the flow cannot go on without scanning bytes out of their
  // order, or without sending what it withholds, so it stops, and both ends
  // learn it at once (a sender left to time out would see silent loss).
  recorder_.Anomaly(why, f);
  DropBuffered(f, sink);
  while (!f.hold.empty()) {
    HeldSegment h = f.hold.TakeFront(budget_);
    Act(f, h.ref(), Decision::Drop(), sink);
  }
  f.block.blocked = true;
  f.block.resets_sent = true;
  SendResets(f, sink);
}

void PacketPipeline::GapTimedOut(Flow& f, int64_t now_us, VerdictSink& sink) {
  const bool dlpd_keeps = !f.hold.empty() || f.hold.DeliveredBy(f.pos.next_off) < f.pos.next_off;
  if (dlpd_keeps && now_us - f.slot.last_seen < config_.gap_timeout_us &&
      now_us - f.reorder.opened() < kGapWaitsOnDlpd * config_.gap_timeout_us) {
    // The receiver lacks bytes before the gap that dlpd holds or withheld,
    // and the sender is still heard from: recovering from the loss, it
    // sends only those again (the segment after them is what is missing)
    // until they are delivered, and they leave in time (a withheld copy
    // masked at its third hold, some seconds in with the sender's backoff).
    // The gap waits on dlpd, not on the sender, so it waits on, a while.
    f.reorder.set_deadline(now_us + config_.gap_timeout_us);
    return gap_timers_.Add(f.reorder.deadline(), f.slot.key);
  }
  if (config_.fail_mode == FailMode::kClosed) return StopFlow(f, AnomalyKind::gaps_stopped, sink);
  SkipGap(f, now_us, sink);
}

}  // namespace dlp
