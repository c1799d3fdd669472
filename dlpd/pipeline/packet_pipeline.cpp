#include "dlpd/pipeline/packet_pipeline.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <deque>
#include <map>
#include <random>
#include <vector>

#include "dlpd/decode/checksum.h"
#include "dlpd/decode/truncate_payload.h"
#include "dlpd/flow/stream_window.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/mask/mask.h"
#include "dlpd/pipeline/tcp_reset.h"

namespace dlp {
namespace {

// Findings remembered per flow direction, to mask retransmitted bytes the
// way they were masked the first time.
constexpr size_t kRememberedFindings = 256;
constexpr size_t kHeldPadding = 4;
// Out-of-order segments buffered per flow direction while a gap is open.
constexpr size_t kMaxOutOfOrderSegments = 1024;
// The offset of a segment from before the stream's start.
constexpr uint64_t kNoStreamOffset = UINT64_MAX;

std::vector<uint8_t> PaddedCopy(const uint8_t* data, size_t len) {
  std::vector<uint8_t> copy(len + kHeldPadding, 0);
  std::copy(data, data + len, copy.begin());
  return copy;
}

// One connection direction: its tuple, when it was first seen and a salt
// drawn at start, so that a later connection on the same ports, or the same
// capture replayed, is an incident of its own.
std::string FlowIdOf(const FlowKey& k, const FlowKeyHash& hash, int64_t first_seen_us,
                     uint64_t salt) {
  uint64_t h = hash(k) ^ ((static_cast<uint64_t>(first_seen_us) + salt) * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 31;
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

struct PacketPipeline::Held {
  uint64_t handle;
  // The packet, then zero padding: back ends may read a buffer rounded up
  // to 4 bytes (libnetfilter_queue sends the payload NLA-aligned).
  std::vector<uint8_t> bytes;
  size_t len;
  PacketView view;
  uint64_t off;  // stream offset of the payload's first byte
  int64_t deadline;
  bool modified = false;  // normalized to the first copy: checksum to fix
};

struct PacketPipeline::Flow {
  // Members in falling order of alignment, the flags last: the table holds
  // up to --max-flows of these.
  FlowKey key;
  std::string id;
  std::list<Flow*>::iterator lru;
  int64_t last_seen = 0;
  uint64_t next_off = 0;      // next in-order stream offset
  uint64_t run_start = 0;     // where the trailing run of value bytes begins
  uint64_t released_off = 0;  // stream bytes before this have left unheld
  // Once blocked: the stream offset of the value that blocked the flow.
  // The bytes before it may still go, none from it on (0: none at all, the
  // value was found outside the stream's order).
  uint64_t blocked_from = 0;
  std::unique_ptr<StreamScanner> scanner;
  std::deque<Held> held;
  std::map<uint64_t, Held> out_of_order;  // beyond a gap, by stream offset
  int64_t gap_deadline = 0;
  // When the held segments go if nothing new comes: each in-order segment
  // that extends a possible value moves it hold_timeout on, so a value
  // dripped in slowly, byte by byte, is still held whole.
  int64_t hold_deadline = 0;
  std::shared_ptr<ScanContext> ctx;  // the rules the flow started with
  Findings recent;                   // bounded
  // Values per policy statement (-1: the default) in this flow, for
  // thresholds; reset when the policy is reloaded.
  std::vector<std::pair<int, uint32_t>> statement_counts;
  uint64_t policy_generation = 0;
  StreamWindow window;
  std::list<Flow*>::iterator window_lru;
  HttpRequestInfo http;
  // Stream offset where the current request's body ends, when its head
  // said (Content-Length); UINT64_MAX when unknown.
  uint64_t body_end = UINT64_MAX;
  // Bytes cut from segments at a hold's end and not delivered yet
  // ([withheld_from, withheld_to)), and whether a copy of them went masked.
  uint64_t withheld_from = 0;
  uint64_t withheld_to = 0;
  uint32_t base_seq = 0;  // sequence number of stream offset 0
  bool started = false;
  bool run_has_alnum = false;  // the trailing run holds a letter or digit
  bool blocked = false;        // a `block` decision: nothing more passes
  bool resets_sent = false;
  bool in_window_lru = false;
  bool has_http = false;
  bool withheld_masked = false;
};

PacketPipeline::PacketPipeline(std::unique_ptr<ScanContext> ctx, PipelineConfig config,
                               IncidentWriter* writer, const Fingerprinter* fingerprinter)
    : ctx_(std::shared_ptr<ScanContext>(std::move(ctx))),
      config_(config),
      writer_(writer),
      fingerprinter_(fingerprinter),
      flow_salt_((static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {
  ctx_->set_fingerprinter(fingerprinter_);
}

PacketPipeline::~PacketPipeline() = default;

int64_t PacketPipeline::next_deadline() const {
  // The front entry may be stale (its flow released early): waking up early
  // for it costs one empty Tick.
  if (held_packets_ == 0) return INT64_MAX;
  int64_t next = INT64_MAX;
  if (!hold_queue_.empty()) next = hold_queue_.front().first;
  if (!gap_queue_.empty()) next = std::min(next, gap_queue_.front().first);
  return next;
}

void PacketPipeline::EmitUninspectable(uint64_t handle, uint8_t* data, size_t len,
                                       VerdictSink& sink) {
  if (config_.fail_mode == FailMode::kOpen) {
    counters_.passed_uninspected.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(handle, Verdict::kAccept, data, len, false);
  } else {
    counters_.dropped_uninspected.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(handle, Verdict::kDrop, data, len, false);
  }
}

void PacketPipeline::Process(uint64_t handle, uint8_t* data, size_t len, int64_t now_us,
                             VerdictSink& sink) {
  if (has_pending_.load(std::memory_order_acquire)) ApplyPending();
  counters_.packets.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(len, std::memory_order_relaxed);
  PacketView v;
  DecodeStatus ds = DecodePacket(data, len, &v);
  if (ds == DecodeStatus::kNotTcp) {
    // Only TCP is diverted to us; anything else carries no HTTP to inspect.
    counters_.not_tcp.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(handle, Verdict::kAccept, data, len, false);
    return;
  }
  if (ds != DecodeStatus::kOk) {
    counters_.decode_errors.fetch_add(1, std::memory_order_relaxed);
    EmitUninspectable(handle, data, len, sink);
    return;
  }
  // Urgent data: a receiver takes the urgent byte out of the stream (unless
  // SO_OOBINLINE), so "536-22" URG"Z" "-1457" reaches the application as an
  // SSN that never was one on the wire. The gateway clears URG and the
  // urgent pointer: every receiver then reads exactly the inspected bytes.
  const bool urgent = (v.tcp_flags & TcpFlags::kUrg) != 0;
  if (urgent) {
    data[v.tcp_offset + 13] &= static_cast<uint8_t>(~TcpFlags::kUrg);
    data[v.tcp_offset + 18] = 0;
    data[v.tcp_offset + 19] = 0;
    v.tcp_flags &= static_cast<uint8_t>(~TcpFlags::kUrg);
    UpdateTcpChecksum(data, v);
    counters_.urgent_cleared.fetch_add(1, std::memory_order_relaxed);
  }
  const FlowKey key = FlowKey::Of(v);
  auto it = flows_.find(key);
  Flow* f = it == flows_.end() ? nullptr : it->second.get();

  if ((v.tcp_flags & TcpFlags::kSyn) != 0) {
    // A new connection on this tuple: whatever the old one held goes first.
    if (f != nullptr) Erase(f, sink);
    f = FindOrCreate(v, now_us, sink);
    if (f == nullptr) {
      EmitUninspectable(handle, data, len, sink);
      return;
    }
    f->started = true;
    f->base_seq = v.seq + 1;
    if (v.payload_len > 0) {
      // Data on a SYN (TCP Fast Open, or a crafted packet): the stream starts
      // with it. Its first byte is at seq + 1, the SYN taking one number.
      PacketView data_view = v;
      data_view.seq = v.seq + 1;
      Stream(*f, handle, data, len, data_view, now_us, sink, urgent);
      return;
    }
    sink.Emit(handle, Verdict::kAccept, data, len, urgent);
    return;
  }
  if (v.payload_len == 0 && (v.tcp_flags & (TcpFlags::kFin | TcpFlags::kRst)) == 0) {
    sink.Emit(handle, Verdict::kAccept, data, len, urgent);  // a bare ACK
    return;
  }
  if (f != nullptr && f->blocked) {
    // Torn down by a `block`: nothing more of it passes, not even its FIN.
    counters_.blocked_packets.fetch_add(1, std::memory_order_relaxed);
    sink.Emit(handle, Verdict::kDrop, data, len, false);
    return;
  }
  if (f == nullptr) {
    if (v.payload_len == 0) {  // FIN/RST of a flow we do not track
      sink.Emit(handle, Verdict::kAccept, data, len, urgent);
      return;
    }
    f = FindOrCreate(v, now_us, sink);
    if (f == nullptr) {
      EmitUninspectable(handle, data, len, sink);
      return;
    }
  }
  if (v.payload_len == 0) {
    // FIN or RST with no data: the stream ends before it, so what is held
    // goes first, then the FIN/RST.
    Erase(f, sink);
    sink.Emit(handle, Verdict::kAccept, data, len, urgent);
    return;
  }
  f->last_seen = now_us;
  lru_.splice(lru_.begin(), lru_, f->lru);
  if (!f->started) {  // picked up mid-stream (dlpd started after the handshake)
    f->started = true;
    f->base_seq = v.seq;
  }
  Stream(*f, handle, data, len, v, now_us, sink, urgent);
  if ((v.tcp_flags & (TcpFlags::kFin | TcpFlags::kRst)) != 0) Erase(f, sink);
}

PacketPipeline::Flow* PacketPipeline::FindOrCreate(const PacketView& v, int64_t now_us,
                                                   VerdictSink& sink) {
  const FlowKey key = FlowKey::Of(v);
  auto it = flows_.find(key);
  if (it != flows_.end()) return it->second.get();
  if (flows_.size() >= config_.max_flows && !lru_.empty()) {
    counters_.flows_evicted.fetch_add(1, std::memory_order_relaxed);
    Erase(lru_.back(), sink);
  }
  auto scanner = StreamScanner::Open(*ctx_);
  if (!scanner) {
    spdlog::warn("flow table: {}", scanner.error().message);
    return nullptr;
  }
  auto f = std::make_unique<Flow>();
  f->ctx = ctx_;
  f->key = key;
  f->id = FlowIdOf(key, flows_.hash_function(), now_us, flow_salt_);
  f->last_seen = now_us;
  f->scanner = std::make_unique<StreamScanner>(std::move(scanner).value());
  f->window = StreamWindow(config_.window_bytes);
  lru_.push_front(f.get());
  f->lru = lru_.begin();
  Flow* raw = f.get();
  flows_.emplace(key, std::move(f));
  counters_.flows.store(flows_.size(), std::memory_order_relaxed);
  return raw;
}

void PacketPipeline::Erase(Flow* f, VerdictSink& sink) {
  // Segments beyond a gap that never filled: the stream goes on from each
  // gap in turn, so they are still scanned as a stream, not one by one.
  while (!f->out_of_order.empty()) SkipGap(*f, f->last_seen, sink);
  // The stream ends here: values whose trailing context is "end of stream"
  // are confirmed before the held segments go.
  Findings last;
  if (f->scanner->Finish(*f->ctx, &last)) AddFindings(*f, last);
  ReleaseUpTo(*f, UINT64_MAX, sink);
  if (f->in_window_lru) {
    window_total_ -= f->window.footprint();
    window_lru_.erase(f->window_lru);
  }
  lru_.erase(f->lru);
  flows_.erase(f->key);
  counters_.flows.store(flows_.size(), std::memory_order_relaxed);
}

void PacketPipeline::Stream(Flow& f, uint64_t handle, uint8_t* data, size_t len,
                            const PacketView& v, int64_t now_us, VerdictSink& sink, bool modified) {
  // 64-bit stream offset from the 32-bit sequence number, relative to where
  // we are: valid while the segment is within 2 GiB of it.
  const uint32_t next_seq = f.base_seq + static_cast<uint32_t>(f.next_off);
  const int64_t delta = static_cast<int32_t>(v.seq - next_seq);
  if (delta < 0 && static_cast<uint64_t>(-delta) > f.next_off) {
    // Before the start we know: no stream offset, so no remembered findings.
    ScanAlone(f, handle, data, len, v, 0, sink, /*remembered=*/false, modified);
    return;
  }
  const uint64_t off = f.next_off + delta;
  const uint64_t end = off + v.payload_len;
  const bool normalized =
      (off < f.next_off && Normalize(f, data + v.payload_offset, v.payload_len, off)) || modified;
  if (off > f.next_off) {
    if (f.out_of_order.count(off) != 0) {
      // A copy of a segment still waiting for its gap: the first copy will
      // go, so this one must not go ahead of it (it may hold part of a value).
      counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
      sink.Emit(handle, Verdict::kDrop, data, len, false);
      return;
    }
    counters_.out_of_order.fetch_add(1, std::memory_order_relaxed);
    if (f.out_of_order.size() >= kMaxOutOfOrderSegments || !RoomToHold(len)) {
      counters_.hold_overflows.fetch_add(1, std::memory_order_relaxed);
      if (config_.fail_mode == FailMode::kClosed) {
        // Scanned alone, a value cut at its edge would pass in halves. Not
        // forwarded, it is lost as far as TCP knows, and sent again after
        // the gap has filled (segments in order are never refused for room).
        sink.Emit(handle, Verdict::kDrop, data, len, false);
        return;
      }
      ScanAlone(f, handle, data, len, v, off, sink);  // open: passes, inspected alone
      return;
    }
    if (f.out_of_order.empty()) {
      f.gap_deadline = now_us + config_.gap_timeout_us;
      gap_queue_.emplace_back(f.gap_deadline, f.key);
    }
    f.out_of_order.emplace(
        off, Held{handle, PaddedCopy(data, len), len, v, off, f.gap_deadline, modified});
    ++held_packets_;
    held_bytes_ += len;
    return;
  }
  if (end <= f.next_off) {
    counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
    if (!f.held.empty() && end > f.released_off) {
      if (RoomToHold(len)) {
        // It repeats bytes the receiver has not been given (held, or
        // withheld at a cut) while a possible value is held: it waits behind
        // the held segments and is masked the same way, or its piece of a
        // value would go out first.
        f.held.push_back(
            Held{handle, PaddedCopy(data, len), len, v, off, f.held.front().deadline, normalized});
        ++held_packets_;
        held_bytes_ += len;
        return;
      }
      // No room: a copy is not needed (the held original goes), and
      // forwarding it would let a piece of an unconfirmed value ahead.
      counters_.hold_overflows.fetch_add(1, std::memory_order_relaxed);
      sink.Emit(handle, Verdict::kDrop, data, len, false);
      return;
    }
    const bool masked = MaskWithheldCopy(f, data + v.payload_offset, v.payload_len, off);
    ScanAlone(f, handle, data, len, v, off, sink, /*remembered=*/true, normalized || masked);
    // A withheld tail sent again has now left.
    if (!f.blocked) f.released_off = std::max(f.released_off, end);
    return;
  }
  if (off < f.next_off) counters_.retransmissions.fetch_add(1, std::memory_order_relaxed);
  FeedInOrder(f, handle, data, len, v, off, now_us, sink, nullptr, normalized);
  DrainOutOfOrder(f, now_us, sink);
}

bool PacketPipeline::RoomToHold(size_t len) const {
  return held_bytes_ + len <= config_.max_held_bytes && held_packets_ < config_.max_held_packets;
}

void PacketPipeline::NoteHold(Flow& f, int64_t now_us) {
  hold_queue_.emplace_back(now_us + config_.hold_timeout_us, f.key);
}

void PacketPipeline::FeedInOrder(Flow& f, uint64_t handle, uint8_t* data, size_t len,
                                 const PacketView& v, uint64_t off, int64_t now_us,
                                 VerdictSink& sink, std::vector<uint8_t>* owned, bool modified) {
  const uint64_t end = off + v.payload_len;
  if (off == f.next_off) NoteHttpRequest(f, data + v.payload_offset, v.payload_len, off);

  // Scan the bytes the stream has not seen (the segment may overlap).
  const uint8_t* fresh = data + v.payload_offset + (f.next_off - off);
  const size_t fresh_len = static_cast<size_t>(end - f.next_off);
  scratch_findings_.clear();
  if (!f.scanner->Feed(*f.ctx, fresh, fresh_len, &scratch_findings_)) {
    EmitUninspectable(handle, data, len, sink);
    return;
  }
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  Retain(f, f.next_off, fresh, fresh_len);
  AddFindings(f, scratch_findings_);
  if (f.blocked) {
    // What is held goes nowhere, nor does this segment: both ends are reset.
    f.next_off = end;
    ReleaseUpTo(f, UINT64_MAX, sink);
    MaskAndEmit(f, handle, data, len, v, off, sink);
    return;
  }
  // Track the run of value bytes at the end of the stream, and whether it
  // holds a letter or digit: a value has at least one, so a run of only
  // separators ("lorem ipsum ") cannot be the start of one.
  size_t trail = 0;
  bool alnum_in_fresh_run = false;
  while (trail < fresh_len && f.ctx->rules().is_value_byte(fresh[fresh_len - 1 - trail])) {
    const uint8_t c = fresh[fresh_len - 1 - trail];
    alnum_in_fresh_run |= (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    ++trail;
  }
  if (trail < fresh_len) {
    f.run_start = end - trail;
    f.run_has_alnum = alnum_in_fresh_run;
  } else {
    f.run_has_alnum = f.run_has_alnum || alnum_in_fresh_run;
  }
  f.next_off = end;
  // Bytes before the trailing run, or further back than the widest match,
  // cannot belong to a value still to be confirmed.
  const uint64_t width = f.ctx->rules().max_width();
  const uint64_t run_start = f.run_has_alnum ? f.run_start : end;
  uint64_t final_before = std::max(run_start, end > width ? end - width : 0);
  if (end == f.body_end && final_before < end) {
    // The request's body ends here, and what may follow is the next
    // request's method, never a value byte: the tail is judged now, not
    // held (a form that ends in digits is not delayed).
    JudgeAsEnd(f);
    final_before = end;
  }
  ReleaseUpTo(f, final_before, sink);
  if (f.held.empty() && end <= final_before) {
    MaskAndEmit(f, handle, data, len, v, off, sink, modified);
    f.released_off = end;
    return;
  }
  if (!RoomToHold(len)) {
    // No room to hold: what is held goes now, judged as at a timeout.
    counters_.hold_overflows.fetch_add(1, std::memory_order_relaxed);
    const uint64_t cut = ProbeAndCut(f);
    EmitHeldBefore(f, cut, sink);
    EmitBefore(f, handle, data, len, v, off, cut, sink, modified);
    return;
  }
  counters_.held.fetch_add(1, std::memory_order_relaxed);
  f.hold_deadline = now_us + config_.hold_timeout_us;
  NoteHold(f, now_us);
  std::vector<uint8_t> copy = owned != nullptr ? std::move(*owned) : PaddedCopy(data, len);
  f.held.push_back(
      Held{handle, std::move(copy), len, v, off, now_us + config_.hold_timeout_us, modified});
  ++held_packets_;
  held_bytes_ += len;
}

void PacketPipeline::DrainOutOfOrder(Flow& f, int64_t now_us, VerdictSink& sink) {
  while (!f.out_of_order.empty() && f.out_of_order.begin()->first <= f.next_off) {
    Held h = std::move(f.out_of_order.begin()->second);
    f.out_of_order.erase(f.out_of_order.begin());
    --held_packets_;
    held_bytes_ -= h.len;
    if (h.off + h.view.payload_len <= f.next_off) {  // a duplicate
      const bool normalized =
          Normalize(f, h.bytes.data() + h.view.payload_offset, h.view.payload_len, h.off) ||
          h.modified;
      ScanAlone(f, h.handle, h.bytes.data(), h.len, h.view, h.off, sink, true, normalized);
    } else {
      const bool normalized =
          (h.off < f.next_off &&
           Normalize(f, h.bytes.data() + h.view.payload_offset, h.view.payload_len, h.off)) ||
          h.modified;
      FeedInOrder(f, h.handle, h.bytes.data(), h.len, h.view, h.off, now_us, sink, &h.bytes,
                  normalized);
    }
  }
  if (!f.out_of_order.empty() && f.gap_deadline <= now_us) SkipGap(f, now_us, sink);
}

void PacketPipeline::SkipGap(Flow& f, int64_t now_us, VerdictSink& sink) {
  counters_.gaps_skipped.fetch_add(1, std::memory_order_relaxed);
  if (!f.held.empty()) EmitHeldBefore(f, ProbeAndCut(f), sink);
  // No value can be seen across missing bytes: a fresh stream starts at the
  // first buffered segment.
  auto scanner = StreamScanner::Open(*f.ctx);
  if (scanner) f.scanner = std::make_unique<StreamScanner>(std::move(scanner).value());
  const uint64_t resume = f.out_of_order.begin()->first;
  f.base_seq += static_cast<uint32_t>(resume);
  std::map<uint64_t, Held> rebased;
  for (auto& [o, h] : f.out_of_order) {
    h.off = o - resume;
    rebased.emplace(h.off, std::move(h));
  }
  f.out_of_order = std::move(rebased);
  // Remembered findings and the window are offsets of the old stream.
  f.recent.clear();
  if (f.in_window_lru) {
    window_total_ -= f.window.footprint();
    window_lru_.erase(f.window_lru);
    f.in_window_lru = false;
  }
  f.window.Clear();
  f.next_off = 0;
  f.run_start = 0;
  f.run_has_alnum = false;
  f.released_off = 0;
  f.body_end = UINT64_MAX;
  f.withheld_from = f.withheld_to = 0;
  f.withheld_masked = false;
  f.gap_deadline = now_us + config_.gap_timeout_us;
  gap_queue_.emplace_back(f.gap_deadline, f.key);
  DrainOutOfOrder(f, now_us, sink);
}

void PacketPipeline::NoteHttpRequest(Flow& f, const uint8_t* payload, size_t len, uint64_t off) {
  HttpRequestInfo http;
  if (!ParseHttpRequestHead({reinterpret_cast<const char*>(payload), len}, &http)) return;
  f.body_end = UINT64_MAX;
  if (http.body_length && *http.body_length <= UINT64_MAX - off - http.head_len) {
    f.body_end = off + http.head_len + *http.body_length;
  }
  // A URI or Host that holds a value is stored masked.
  for (std::string* s : {&http.path, &http.host}) {
    Findings found;
    if (ScanBlock(*f.ctx, reinterpret_cast<const uint8_t*>(s->data()), s->size(), &found)) {
      MaskFindings(f.ctx->rules(), found.data(), found.size(),
                   reinterpret_cast<uint8_t*>(s->data()), s->size(), 0);
    }
  }
  f.http = std::move(http);
  f.has_http = true;
}

void PacketPipeline::ScanAlone(Flow& f, uint64_t handle, uint8_t* data, size_t len,
                               const PacketView& v, uint64_t off, VerdictSink& sink,
                               bool remembered, bool modified) {
  // Not in stream order: mask what the stream already found in this range,
  // and whatever the segment holds on its own.
  uint8_t* payload = data + v.payload_offset;
  Findings alone;
  if (!ScanBlock(*f.ctx, payload, v.payload_len, &alone)) {
    EmitUninspectable(handle, data, len, sink);
    return;
  }
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  bool changed = modified;
  if (!alone.empty()) {
    for (auto& a : alone) {  // as stream offsets
      a.start += off;
      a.end += off;
    }
    if (remembered) {
      AddFindings(f, alone, /*in_stream=*/false);  // a value seen before is not counted again
    } else {
      for (auto& a : alone) Decide(f, a, /*stream_offsets=*/false);
      counters_.findings.fetch_add(alone.size(), std::memory_order_relaxed);
      Record(f, alone, /*in_stream=*/false);
    }
    changed |=
        MaskFindings(f.ctx->rules(), alone.data(), alone.size(), payload, v.payload_len, off) > 0;
  }
  if (!remembered) {
    if (f.blocked) {
      DropBlocked(f, handle, data, len, v, kNoStreamOffset, sink);
      return;
    }
    if (changed) {
      UpdateTcpChecksum(data, v);
      counters_.masked_packets.fetch_add(1, std::memory_order_relaxed);
    }
    sink.Emit(handle, Verdict::kAccept, data, len, changed);
    return;
  }
  MaskAndEmit(f, handle, data, len, v, off, sink, changed);
}

bool PacketPipeline::Normalize(Flow& f, uint8_t* payload, size_t payload_len, uint64_t off) {
  const StreamWindow::NormalizeResult r = f.window.Normalize(off, payload, payload_len);
  if (r.unchecked) counters_.overlaps_unchecked.fetch_add(1, std::memory_order_relaxed);
  if (r.rewritten == 0) return false;
  counters_.overlaps_normalized.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void PacketPipeline::Retain(Flow& f, uint64_t off, const uint8_t* data, size_t len) {
  const size_t before = f.window.footprint();
  f.window.Append(off, data, len);
  window_total_ = window_total_ - before + f.window.footprint();
  if (f.in_window_lru) {
    window_lru_.splice(window_lru_.begin(), window_lru_, f.window_lru);
  } else if (!f.window.empty()) {
    window_lru_.push_front(&f);
    f.window_lru = window_lru_.begin();
    f.in_window_lru = true;
  }
  // Over the total: the windows of the flows fed least recently go first;
  // a copy of their bytes is then only masked from remembered findings.
  while (window_total_ > config_.max_window_total && !window_lru_.empty()) {
    Flow* victim = window_lru_.back();
    window_lru_.pop_back();
    window_total_ -= victim->window.footprint();
    victim->window.Clear();
    victim->in_window_lru = false;
    counters_.windows_freed.fetch_add(1, std::memory_order_relaxed);
  }
}

void PacketPipeline::MaskAndEmit(Flow& f, uint64_t handle, uint8_t* data, size_t len,
                                 const PacketView& v, uint64_t off, VerdictSink& sink,
                                 bool force_modified) {
  if (f.blocked && (f.resets_sent || off + v.payload_len > f.blocked_from)) {
    DropBlocked(f, handle, data, len, v, off, sink);
    return;
  }
  size_t touched = MaskFindings(f.ctx->rules(), f.recent.data(), f.recent.size(),
                                data + v.payload_offset, v.payload_len, off);
  const bool modified = force_modified || touched > 0;
  if (modified) {
    UpdateTcpChecksum(data, v);
    counters_.masked_packets.fetch_add(1, std::memory_order_relaxed);
  }
  if (touched > 0) f.window.StoreForwarded(off, data + v.payload_offset, v.payload_len);
  sink.Emit(handle, Verdict::kAccept, data, len, modified);
}

PacketPipeline::Held PacketPipeline::TakeHeld(Flow& f) {
  Held h = std::move(f.held.front());
  f.held.pop_front();
  --held_packets_;
  held_bytes_ -= h.len;
  return h;
}

void PacketPipeline::ReleaseUpTo(Flow& f, uint64_t final_before, VerdictSink& sink) {
  while (!f.held.empty() && f.held.front().off + f.held.front().view.payload_len <= final_before) {
    Held h = TakeHeld(f);
    MaskAndEmit(f, h.handle, h.bytes.data(), h.len, h.view, h.off, sink, h.modified);
    f.released_off = std::max(f.released_off, h.off + h.view.payload_len);
  }
}

void PacketPipeline::JudgeAsEnd(Flow& f) {
  Findings probe;
  if (f.scanner->ProbeEnd(*f.ctx, &probe)) AddFindings(f, probe);
}

uint64_t PacketPipeline::ProbeAndCut(Flow& f) {
  JudgeAsEnd(f);
  // What may still begin a value: the trailing run of value bytes (when it
  // holds a letter or digit), no further back than the widest match, and
  // after every value judged in it (those are masked, or let through by
  // the policy, as they are).
  const uint64_t width = f.ctx->rules().max_width();
  uint64_t cut = f.run_has_alnum ? f.run_start : f.next_off;
  cut = std::max({cut, f.released_off, f.next_off > width ? f.next_off - width : 0});
  for (const Finding& x : f.recent) {
    if (x.end > cut && x.end <= f.next_off) cut = x.end;
  }
  return cut;
}

bool PacketPipeline::MaskWithheldCopy(Flow& f, uint8_t* payload, size_t len, uint64_t off) {
  const uint64_t from = std::max(off, f.withheld_from);
  const uint64_t to = std::min(off + len, f.withheld_to);
  // Only while the request's length says more of its body is to come: then
  // the sender pauses inside what may be a value (or its next segment was
  // lost and it resends this alone). Where the body may end here, the copy
  // goes as it is, so a form that ends in digits is never changed.
  if (from >= to || f.body_end == UINT64_MAX || f.next_off >= f.body_end) return false;
  bool changed = false;
  for (uint64_t o = from; o < to; ++o) {
    const bool judged = std::any_of(f.recent.begin(), f.recent.end(),
                                    [o](const Finding& x) { return x.start <= o && o < x.end; });
    uint8_t& c = payload[o - off];
    if (judged || !std::isalnum(c)) continue;
    c = static_cast<uint8_t>(kMaskChar);
    changed = true;
  }
  if (!changed) return false;
  counters_.tails_masked.fetch_add(1, std::memory_order_relaxed);
  f.withheld_masked = true;
  f.window.StoreForwarded(off, payload, len);
  return true;
}

void PacketPipeline::EmitHeldBefore(Flow& f, uint64_t cut, VerdictSink& sink) {
  while (!f.held.empty()) {
    Held h = TakeHeld(f);
    EmitBefore(f, h.handle, h.bytes.data(), h.len, h.view, h.off, cut, sink, h.modified);
  }
}

void PacketPipeline::EmitBefore(Flow& f, uint64_t handle, uint8_t* data, size_t len, PacketView v,
                                uint64_t off, uint64_t cut, VerdictSink& sink, bool modified) {
  const uint64_t end = off + v.payload_len;
  // A FIN ends the stream where it is; a blocked flow's packets are dropped.
  if (end <= cut || (v.tcp_flags & TcpFlags::kFin) != 0 || f.blocked) {
    MaskAndEmit(f, handle, data, len, v, off, sink, modified);
    f.released_off = std::max(f.released_off, end);
    return;
  }
  counters_.tails_withheld.fetch_add(1, std::memory_order_relaxed);
  f.released_off = std::max(f.released_off, cut);
  if (f.withheld_to <= cut) {
    f.withheld_from = cut;
    f.withheld_masked = false;
  }
  f.withheld_to = std::max(f.withheld_to, end);
  if (off >= cut) {
    // All of it may begin a value: not sent. The receiver does not
    // acknowledge it, so the sender sends it again.
    sink.Emit(handle, Verdict::kDrop, data, len, false);
    return;
  }
  len = TruncateTcpPayload(data, &v, static_cast<size_t>(cut - off));
  MaskAndEmit(f, handle, data, len, v, off, sink, /*force_modified=*/true);
}

void PacketPipeline::Tick(int64_t now_us, VerdictSink& sink) {
  if (has_pending_.load(std::memory_order_acquire)) ApplyPending();
  while (!gap_queue_.empty() && gap_queue_.front().first <= now_us) {
    const FlowKey key = gap_queue_.front().second;
    gap_queue_.pop_front();
    auto it = flows_.find(key);
    if (it == flows_.end()) continue;
    Flow& f = *it->second;
    if (!f.out_of_order.empty() && f.gap_deadline <= now_us) SkipGap(f, now_us, sink);
  }
  while (!hold_queue_.empty() && hold_queue_.front().first <= now_us) {
    const FlowKey key = hold_queue_.front().second;
    hold_queue_.pop_front();
    auto it = flows_.find(key);
    if (it == flows_.end()) continue;
    Flow& f = *it->second;
    if (f.held.empty()) continue;
    if (f.hold_deadline > now_us) {
      // Extended (or released and held again) since: a later entry covers it.
      continue;
    }
    counters_.hold_timeouts.fetch_add(1, std::memory_order_relaxed);
    EmitHeldBefore(f, ProbeAndCut(f), sink);
  }
  // Idle flows: checked once a second, from the least recently used end.
  if (now_us - last_idle_scan_us_ < 1000000) return;
  last_idle_scan_us_ = now_us;
  while (!lru_.empty()) {
    Flow* oldest = lru_.back();
    if (!oldest->held.empty() || !oldest->out_of_order.empty() ||
        now_us - oldest->last_seen <= config_.flow_idle_timeout_us) {
      break;
    }
    Erase(oldest, sink);
  }
}

void PacketPipeline::Flush(VerdictSink& sink) {
  while (!lru_.empty()) Erase(lru_.back(), sink);
}

void PacketPipeline::AddFindings(Flow& f, Findings& fresh, bool in_stream) {
  if (fresh.empty()) return;
  Findings added;
  for (Finding& x : fresh) {
    auto seen = std::find(f.recent.begin(), f.recent.end(), x);
    if (seen != f.recent.end()) {
      x.action = seen->action;  // decided when first found
      continue;
    }
    Decide(f, x);
    added.push_back(x);
    f.recent.push_back(x);
  }
  if (added.empty()) return;
  if (f.recent.size() > kRememberedFindings) {
    // The oldest go first, but never one with bytes that have not left yet:
    // the held packets and the packet at hand are masked from this list
    // when they go, and one coalesced packet alone may hold more values
    // than the bound. So the list is bounded by the values in unreleased
    // bytes: the hold budget and one packet.
    size_t excess = f.recent.size() - kRememberedFindings;
    auto kept = f.recent.begin();
    for (auto it = f.recent.begin(); it != f.recent.end(); ++it) {
      if (excess > 0 && it->end <= f.released_off) {
        --excess;
        continue;
      }
      if (kept != it) *kept = *it;
      ++kept;
    }
    f.recent.erase(kept, f.recent.end());
  }
  counters_.findings.fetch_add(added.size(), std::memory_order_relaxed);
  Record(f, added, in_stream);
}

void PacketPipeline::Record(const Flow& f, const Findings& fresh, bool in_stream) {
  // One incident per rule and action per batch of findings, with the match
  // count; the sample and fingerprint are the first value's. The store
  // keeps one row per flow and rule, with the strongest action.
  std::map<std::pair<uint32_t, PolicyAction>, std::vector<const Finding*>> by_rule;
  for (const Finding& x : fresh) by_rule[{x.rule_index, x.action}].push_back(&x);
  {
    std::lock_guard<std::mutex> lock(by_rule_mu_);
    for (const auto& [key, list] : by_rule) {
      findings_by_rule_[f.ctx->rules().rule(key.first).id] += list.size();
    }
  }
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (const auto& [key, list] : by_rule) {
    const auto [rule_index, action] = key;
    const Finding& first = *list.front();
    if (action == PolicyAction::kPass) {  // an exemption: counted, not recorded
      counters_.findings_passed.fetch_add(list.size(), std::memory_order_relaxed);
      continue;
    }
    if (action == PolicyAction::kAlert) {
      counters_.findings_alerted.fetch_add(list.size(), std::memory_order_relaxed);
    }
    // Part of the value left in clear before it was found: it began before
    // what was released, and not where a withheld tail went out masked.
    const bool partial =
        action == PolicyAction::kMask && in_stream &&
        std::any_of(list.begin(), list.end(), [&](const Finding* x) {
          return x->start < f.released_off &&
                 !(f.withheld_masked && x->start >= f.withheld_from && x->start < f.withheld_to);
        });
    if (partial) counters_.partial.fetch_add(1, std::memory_order_relaxed);
    if (writer_ == nullptr) continue;
    const Rule& rule = f.ctx->rules().rule(rule_index);
    Incident in;
    in.time_us = now_us;
    in.last_time_us = now_us;
    in.rule_id = rule.id;
    in.severity = ToString(rule.severity);
    in.action = partial ? "mask-partial" : ToString(action);
    in.ip_version = f.key.ip_version;
    in.src_ip = AddressToString(f.key.ip_version, f.key.src);
    in.dst_ip = AddressToString(f.key.ip_version, f.key.dst);
    in.src_port = f.key.src_port;
    in.dst_port = f.key.dst_port;
    in.flow_id = f.id;
    if (f.has_http) {
      in.http_method = f.http.method;
      in.http_host = f.http.host;
      in.http_path = f.http.path;
    }
    in.match_count = static_cast<uint32_t>(list.size());
    in.masked_sample = std::string(first.display_form());
    in.fingerprint = std::string(first.fingerprint_hex());
    in.ruleset_version = f.ctx->rules().rule_set().version;
    if (!writer_->Submit(std::move(in))) {
      counters_.incidents_dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void PacketPipeline::Decide(Flow& f, Finding& x, bool stream_offsets) {
  if (policy_ == nullptr) {
    x.action = PolicyAction::kMask;
    return;
  }
  const Rule& rule = f.ctx->rules().rule(x.rule_index);
  FindingScope scope;
  scope.rule_id = rule.id;
  scope.severity = rule.severity;
  scope.family = f.key.ip_version == 6 ? AF_INET6 : AF_INET;
  scope.dst = f.key.dst.data();
  scope.dst_port = f.key.dst_port;
  if (f.has_http) scope.host = f.http.host;
  const int statement = policy_->Match(scope);
  if (f.policy_generation != policy_generation_) {
    f.statement_counts.clear();
    f.policy_generation = policy_generation_;
  }
  auto it = std::find_if(f.statement_counts.begin(), f.statement_counts.end(),
                         [&](const auto& p) { return p.first == statement; });
  if (it == f.statement_counts.end()) {
    f.statement_counts.emplace_back(statement, 0);
    it = std::prev(f.statement_counts.end());
  }
  x.action = policy_->Decide(statement, ++it->second);
  if (x.action == PolicyAction::kBlock && !f.blocked) {
    f.blocked = true;
    f.blocked_from = stream_offsets ? x.start : 0;
    counters_.flows_blocked.fetch_add(1, std::memory_order_relaxed);
  }
}

void PacketPipeline::DropBlocked(Flow& f, uint64_t handle, uint8_t* data, size_t len,
                                 const PacketView& v, uint64_t off, VerdictSink& sink) {
  counters_.blocked_packets.fetch_add(1, std::memory_order_relaxed);
  bool dropped = true;
  if (!f.resets_sent && off < f.blocked_from && off <= f.released_off) {
    // The packet begins before the value, and all before it has gone: its
    // bytes up to the value go too, as they would have in a segment of
    // their own. A coalesced packet (GSO) carries up to 64 KiB sent before
    // the value, and a server that gets the start of a request logs it.
    // Cut as a withheld tail is (EmitBefore): it ends at the value, so
    // MaskAndEmit masks and sends it like any packet before the value.
    PacketView kept = v;
    len = TruncateTcpPayload(data, &kept, static_cast<size_t>(f.blocked_from - off));
    MaskAndEmit(f, handle, data, len, kept, off, sink, /*force_modified=*/true);
    f.released_off = std::max(f.released_off, f.blocked_from);
    dropped = false;
  }
  if (!f.resets_sent) {
    f.resets_sent = true;
    // To the server: from the client, at the first byte it has not been
    // given (everything before the dropped bytes went through).
    ResetSpec to_server;
    to_server.ip_version = f.key.ip_version;
    to_server.src = f.key.src;
    to_server.dst = f.key.dst;
    to_server.src_port = f.key.src_port;
    to_server.dst_port = f.key.dst_port;
    to_server.seq = f.base_seq + static_cast<uint32_t>(f.released_off);
    // To the client: from the server, at what the client acknowledges next.
    ResetSpec to_client;
    to_client.ip_version = f.key.ip_version;
    to_client.src = f.key.dst;
    to_client.dst = f.key.src;
    to_client.src_port = f.key.dst_port;
    to_client.dst_port = f.key.src_port;
    to_client.seq = v.ack;
    for (const ResetSpec* r : {&to_server, &to_client}) {
      if ((v.tcp_flags & TcpFlags::kAck) == 0 && r == &to_client) break;  // no ack to aim at
      const std::vector<uint8_t> rst = BuildTcpReset(*r);
      if (sink.Inject(rst.data(), rst.size())) {
        counters_.resets_sent.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters_.reset_errors.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  if (dropped) sink.Emit(handle, Verdict::kDrop, data, len, false);
}

void PacketPipeline::Reload(std::unique_ptr<ScanContext> ctx,
                            std::shared_ptr<const Policy> policy) {
  auto next = std::make_unique<PendingEngine>();
  next->ctx = std::move(ctx);
  next->policy = std::move(policy);
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_ = std::move(next);
  has_pending_.store(true, std::memory_order_release);
}

void PacketPipeline::ApplyPending() {
  std::unique_ptr<PendingEngine> next;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    next = std::move(pending_);
    has_pending_.store(false, std::memory_order_release);
  }
  if (next == nullptr) return;
  // New flows take the new rules; a flow under way keeps the rules (and the
  // Hyperscan stream) it started with. The policy applies at once.
  if (next->ctx != nullptr) {
    ctx_ = std::shared_ptr<ScanContext>(std::move(next->ctx));
    ctx_->set_fingerprinter(fingerprinter_);
  }
  policy_ = std::move(next->policy);
  ++policy_generation_;
  counters_.reloads.fetch_add(1, std::memory_order_relaxed);
}

void PacketPipeline::SetIncidentOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter) {
  writer_ = writer;
  fingerprinter_ = fingerprinter;
  ctx_->set_fingerprinter(fingerprinter_);
}

std::map<std::string, uint64_t> PacketPipeline::findings_by_rule() const {
  std::lock_guard<std::mutex> lock(by_rule_mu_);
  return findings_by_rule_;
}

}  // namespace dlp
