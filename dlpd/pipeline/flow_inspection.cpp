#include "dlpd/pipeline/flow_inspection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "dlpd/http/request_framing.h"
#include "dlpd/http/stream_normalizer.h"
#include "dlpd/inspect/base64_scan.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "dlpd/inspect/wire_findings.h"
#include "dlpd/mask/base64_mask.h"
#include "dlpd/mask/mask.h"
#include "dlpd/pipeline/flow_state.h"
#include "dlpd/pipeline/incident_recorder.h"
#include "policy/policy.h"

namespace dlp {
Flow::~Flow() = default;

bool Flow::resumable() const {
  if (pos.next_off == 0 || tcp.finished || block.blocked) return true;
  const RequestFraming* framing = normalizer != nullptr ? normalizer->framing() : nullptr;
  return framing != nullptr && framing->BetweenRequests();
}

size_t Flow::memory_bytes() const {
  // What its parts do not show: the table's hash node, bucket and LRU
  // node, the allocator's headers and rounding, timers. Measured with
  // bench/flow_bench (RSS against the parts counted, 100,000 flows): about
  // 770 bytes a flow.
  constexpr size_t kTableBytes = 800;
  size_t n = sizeof(Flow) + kTableBytes + recent.capacity() * sizeof(Finding) +
             recorded_rules.capacity() * sizeof(uint32_t) + units.capacity() * sizeof(WireUnit) +
             xors.capacity() * sizeof(WireXor) + edits.capacity() * sizeof(WireEdit) +
             http.request.heap_bytes();
  if (scanner != nullptr) n += scanner->memory_bytes();
  if (normalizer != nullptr) n += normalizer->memory_bytes();
  if (base64 != nullptr) {
    n += sizeof(Base64State) + base64->edits.capacity() * sizeof(WireEdit);
    if (base64->scan != nullptr) n += base64->scan->memory_bytes();
  }
  return n;
}
Base64State::~Base64State() = default;

namespace {

// Findings remembered per flow direction, to mask retransmitted bytes the
// way they were masked the first time.
constexpr size_t kRememberedFindings = 256;

// Writes the edits (REQUIRES: in wire order) that fall in the buffer
// holding wire offsets [off, off + len); returns the bytes changed.
size_t ApplyEdits(const std::vector<WireEdit>& edits, uint8_t* payload, size_t len, uint64_t off) {
  size_t changed = 0;
  for (auto e = std::lower_bound(edits.begin(), edits.end(), off,
                                 [](const WireEdit& y, uint64_t o) { return y.off < o; });
       e != edits.end() && e->off < off + len; ++e) {
    changed += payload[e->off - off] != e->byte ? 1 : 0;
    payload[e->off - off] = e->byte;
  }
  return changed;
}

}  // namespace

FlowInspection::FlowInspection(PipelineCounters& counters, IncidentRecorder& recorder,
                               std::unique_ptr<ScanContext> ctx)
    : counters_(counters), recorder_(recorder), ctx_(std::move(ctx)) {}

FlowInspection::~FlowInspection() = default;

void FlowInspection::Offer(std::unique_ptr<ScanContext> ctx, std::shared_ptr<const Policy> policy) {
  reload_.Offer(std::make_unique<EngineHandoff::Engine>(
      EngineHandoff::Engine{std::move(ctx), std::move(policy)}));
}

void FlowInspection::ApplyReload() {
  if (!reload_.pending()) return;
  std::unique_ptr<EngineHandoff::Engine> next = reload_.Take();
  if (next == nullptr) return;
  if (next->ctx != nullptr) {
    ctx_ = std::shared_ptr<ScanContext>(std::move(next->ctx));
    ctx_->set_fingerprinter(fingerprinter_);
  }
  policy_ = std::move(next->policy);
  ++policy_generation_;
  counters_.reloads_applied.fetch_add(1, std::memory_order_relaxed);
}

void FlowInspection::SetFingerprinter(const Fingerprinter* fingerprinter) {
  fingerprinter_ = fingerprinter;
  ctx_->set_fingerprinter(fingerprinter_);
}

std::unique_ptr<Flow> FlowInspection::Open(size_t window_bytes) const {
  auto scanner = StreamScanner::Open(*ctx_);
  if (!scanner) {
    spdlog::warn("flow table: {}", scanner.error().message);
    return nullptr;
  }
  auto f = std::make_unique<Flow>();
  f->ctx = ctx_;
  f->normalizer = std::make_unique<StreamNormalizer>(/*http=*/true);
  f->scanner = std::make_unique<StreamScanner>(std::move(scanner).value());
  f->window.window = StreamWindow(window_bytes);
  return f;
}

void FlowInspection::Restart(Flow& f) {
  auto scanner = StreamScanner::Open(*f.ctx);
  if (scanner) f.scanner = std::make_unique<StreamScanner>(std::move(scanner).value());
  // Where the stream is in its requests is not known after missing bytes:
  // it is read as text, characters decoded.
  f.normalizer = std::make_unique<StreamNormalizer>(/*http=*/false);
  f.pos.next_off = 0;
  f.recent.clear();
  f.units.clear();
  f.xors.clear();
  f.edits.clear();
  f.base64.reset();
  f.hold.Restart();
  f.http.body_end = UINT64_MAX;
  f.http.framing_lost = false;
  f.http.request_begin = UINT64_MAX;
}

bool FlowInspection::ScanInOrder(Flow& f, const uint8_t* fresh, size_t len) {
  StreamNormalizer& n = *f.normalizer;
  RequestFraming* framing = n.framing();
  const uint64_t requests = framing != nullptr ? framing->requests() : 0;
  const uint64_t chunked = framing != nullptr ? framing->chunked_bodies() : 0;
  const uint64_t ws_frames = framing != nullptr ? framing->websocket_frames() : 0;
  const uint64_t decoded = n.decoded();
  const uint64_t inflated = n.inflated();
  text_.clear();
  n.Feed(fresh, len, f.pos.next_off, &text_);
  // Counted only when they moved: this runs for every segment.
  auto add = [](std::atomic<uint64_t>& c, uint64_t delta) {
    if (delta != 0) c.fetch_add(delta, std::memory_order_relaxed);
  };
  add(counters_.chars_decoded, n.decoded() - decoded);
  add(counters_.bytes_inflated, n.inflated() - inflated);
  if (framing != nullptr) {
    add(counters_.http_requests, framing->requests() - requests);
    add(counters_.chunked_bodies, framing->chunked_bodies() - chunked);
    add(counters_.websocket_frames, framing->websocket_frames() - ws_frames);
    f.http.body_end = framing->body_end();
    if (framing->mode() == RequestFraming::Mode::kLost && !f.http.framing_lost) {
      f.http.framing_lost = true;
      recorder_.Anomaly(framing->uninspectable() ? AnomalyKind::uninspectable_protocol
                                                 : AnomalyKind::http_framing_lost,
                        f);
    }
    if (framing->has_edits()) {
      const size_t edits = f.edits.size();
      framing->TakeEdits(&f.edits);
      add(counters_.head_edits, f.edits.size() - edits);
      constexpr size_t kMaxEdits = 64;  // a head asks for one or two
      if (f.edits.size() > kMaxEdits) {
        f.edits.erase(f.edits.begin(),
                      f.edits.begin() + static_cast<std::ptrdiff_t>(f.edits.size() - kMaxEdits));
      }
    }
  }
  Findings in_base64;
  if (!ReadBase64(f, text_.data(), text_.size(), &in_base64)) return false;
  scratch_.clear();
  if (!f.scanner->Feed(*f.ctx, text_.data(), text_.size(), &scratch_)) return false;
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  AddFindings(f, scratch_);
  TakeBase64(f, in_base64);
  // The map must reach back as far as the scanners' history: a value they
  // confirm later begins there.
  uint64_t kept = f.scanner->offset() - f.scanner->history().size();
  if (f.base64 != nullptr) kept = std::min(kept, f.base64->scan->KeepFrom());
  n.map().PruneBefore(kept);
  if (n.framing() != nullptr) n.framing()->PruneBefore(n.map().WireStart(kept));
  return true;
}

uint64_t FlowInspection::WireReach(const Flow& f) {
  // The wire bytes of the widest value that ends at the stream's end, and
  // any bytes kept for a character not decided yet.
  const uint64_t width = f.ctx->rules().max_width();
  const uint64_t norm = f.scanner->offset();
  uint64_t from = f.normalizer->map().WireStart(norm > width ? norm - width : 0);
  // A value in base64 reaches as far back as the characters of the groups
  // its scanner still holds.
  if (f.base64 != nullptr) {
    const uint64_t keep = f.base64->scan->KeepFrom();
    if (keep < norm) from = std::min(from, f.normalizer->map().WireStart(keep));
  }
  return f.pos.next_off - std::min(from, f.pos.next_off);
}

uint64_t FlowInspection::FinalBefore(const Flow& f, uint64_t end) {
  return f.hold.FinalBefore(end, WireReach(f));
}

ValuePrefixes::Start FlowInspection::StartOf(const Flow& f) {
  using Start = ValuePrefixes::Start;
  // The scanner's history begins the stream while it holds all of it.
  if (f.scanner->offset() != f.scanner->history().size()) return Start::kInside;
  return f.tcp.picked_up ? Start::kPickedUp : Start::kStreamStart;
}

void FlowInspection::Advance(Flow& f, const uint8_t* /*fresh*/, size_t len) const {
  f.pos.next_off += len;
  // Where the bytes at the stream's end may begin a value (held back until
  // what follows decides it), judged on what the scanner keeps of the
  // text: its widest match and more. Bytes kept for a character that more
  // bytes decide (an escape cut by the segment's edge) are inside an open
  // run, or begin a value whose first character's leading bytes ("&#",
  // "%3", "\u003") tell nothing of its digit: masking rewrites the bytes
  // that do, in the segments that bring them.
  const WireMap& map = f.normalizer->map();
  const std::string_view tail = f.scanner->history();
  const ValuePrefixes::ContextCheck context = f.scanner->context_check();
  const size_t from =
      f.ctx->rules().prefixes().OpenValueFrom(tail, StartOf(f), f.ctx->prefix_scratch(), &context);
  uint64_t open = UINT64_MAX;  // wire offset
  // Inflated text has no bytes of its own to hold: a value there blocks.
  if (from != std::string_view::npos) {
    const uint64_t norm = f.scanner->offset() - (tail.size() - from);
    if (!map.CodedAt(norm)) open = map.WireStart(norm);
  }
  // A value whose verdict waits for bytes to come (is its run of groups a
  // table's row?) is held as an open run is.
  const uint64_t pending = f.scanner->pending_from();
  if (pending < f.scanner->offset() && !map.CodedAt(pending)) {
    open = std::min(open, map.WireStart(pending));
  }
  // In base64, a value may begin in the decoded text's open run (from the
  // first character of its group).
  if (f.base64 != nullptr) {
    const uint64_t norm = f.base64->scan->OpenRunFrom(*f.ctx);
    if (norm < f.scanner->offset() && !map.CodedAt(norm)) {
      open = std::min(open, map.WireStart(norm));
    }
  }
  if (open == UINT64_MAX) return f.hold.NoteNoOpenRun();
  f.hold.NoteOpenRun(open);
}

void FlowInspection::Finish(Flow& f) {
  Findings last;
  // What was kept for a character reads as it is.
  text_.clear();
  f.normalizer->Finish(&text_);
  Findings in_base64;
  ReadBase64(f, text_.data(), text_.size(), &in_base64);
  if (!text_.empty() && f.scanner->Feed(*f.ctx, text_.data(), text_.size(), &last)) {
    AddFindings(f, last);
  }
  last.clear();
  if (f.scanner->Finish(*f.ctx, &last)) AddFindings(f, last);
  if (f.base64 == nullptr) return;
  Findings at_end;
  if (f.base64->scan->Finish(*f.ctx, &at_end)) {
    in_base64.insert(in_base64.end(), at_end.begin(), at_end.end());
  }
  TakeBase64(f, in_base64);
}

void FlowInspection::JudgeAsEnd(Flow& f) {
  Findings probe;
  if (f.scanner->ProbeEnd(*f.ctx, &probe)) AddFindings(f, probe);
  probe.clear();
  if (f.base64 != nullptr && f.base64->scan->ProbeEnd(*f.ctx, &probe)) TakeBase64(f, probe);
}

bool FlowInspection::ReadBase64(Flow& f, const uint8_t* text, size_t len, Findings* found) {
  std::unique_ptr<Base64Scan> opened;
  std::unique_ptr<Base64Scan>& scan = f.base64 != nullptr ? f.base64->scan : opened;
  const uint64_t regions = scan != nullptr ? scan->text().regions() : 0;
  if (!Base64Scan::FeedStream(*f.ctx, f.scanner->history(), text, len, f.scanner->offset(), &scan,
                              found)) {
    return false;
  }
  if (opened != nullptr) {
    f.base64 = std::make_unique<Base64State>();
    f.base64->scan = std::move(opened);
  }
  if (f.base64 != nullptr && f.base64->scan->text().regions() != regions) {
    counters_.base64_regions.fetch_add(f.base64->scan->text().regions() - regions,
                                       std::memory_order_relaxed);
  }
  return true;
}

void FlowInspection::TakeBase64(Flow& f, Findings& found) {
  if (found.empty()) return;
  Base64State& b = *f.base64;
  const WireMap& map = f.normalizer->map();
  for (Finding& x : found) {
    // One at a time: a second value in a group re-encodes it as the first
    // left it.
    const Finding decoded = x;
    // A value that cannot be written back at the same length is one that
    // cannot be masked in place, as in a compressed body.
    x.compressed = !Base64Maskable(f.ctx->rules(), decoded, b.scan->text(), map, &x.reason);
    b.scan->PlaceOnWire(map, &x);
    Findings one{x};
    AddFindings(f, one, /*in_stream=*/true, /*placed=*/true);
    if (one[0].action != PolicyAction::kMask || one[0].compressed) continue;
    std::vector<WireEdit> edits;
    Base64Edits(f.ctx->rules(), decoded, b.scan->text(), map, &edits);
    for (const WireEdit& e : edits) {  // in wire order, each byte once
      auto at = std::lower_bound(b.edits.begin(), b.edits.end(), e.off,
                                 [](const WireEdit& y, uint64_t off) { return y.off < off; });
      if (at != b.edits.end() && at->off == e.off) {
        at->byte = e.byte;
      } else {
        b.edits.insert(at, e);
      }
    }
  }
}

uint64_t FlowInspection::ProbeAndCut(Flow& f) {
  JudgeAsEnd(f);
  // After every value judged in the trailing run: those are masked, or let
  // through by the policy, as they are.
  uint64_t cut = f.hold.CutPoint(f.pos.next_off, WireReach(f));
  for (const Finding& x : f.recent) {
    if (x.end > cut && x.end <= f.pos.next_off) cut = x.end;
  }
  return cut;
}

bool FlowInspection::ScanAlone(Flow& f, uint8_t* payload, size_t len, uint64_t off, bool remembered,
                               bool* changed) {
  Findings alone;
  WireUnits units;
  if (!ScanDecodedBlock(*f.ctx, payload, len, &alone, &units)) return false;
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  if (alone.empty()) return true;
  for (auto& a : alone) {  // as stream offsets
    a.start += off;
    a.end += off;
  }
  for (auto& u : units) u.off += off;
  MergeUnits(units, &f.units);
  if (remembered) {
    AddFindings(f, alone, /*in_stream=*/false);  // a value seen before is not counted again
  } else {
    for (auto& a : alone) Decide(f, a, /*stream_offsets=*/false);
    counters_.findings.fetch_add(alone.size(), std::memory_order_relaxed);
    recorder_.Record(f, alone, /*in_stream=*/false);
  }
  *changed |=
      MaskFindings(f.ctx->rules(), alone.data(), alone.size(), f.units, payload, len, off) > 0;
  return true;
}

bool FlowInspection::ScanBeforeStart(Flow& f, uint8_t* payload, size_t len, bool* changed) {
  const StreamWindow& w = f.window.window;
  std::vector<uint8_t> joined(payload, payload + len);
  if (!w.empty() && w.begin() == 0) {
    const size_t more =
        static_cast<size_t>(std::min<uint64_t>(f.ctx->rules().max_width(), w.end()));
    joined.resize(len + more);
    w.Normalize(0, joined.data() + len, more);  // copies the window's bytes in
  }
  Findings found;
  WireUnits units;
  if (!ScanDecodedBlock(*f.ctx, joined.data(), joined.size(), &found, &units)) return false;
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  // Only values that reach into these bytes are theirs (those wholly in the
  // stream were found in it); they have no stream offsets.
  found.erase(std::remove_if(found.begin(), found.end(),
                             [len](const Finding& x) { return x.start >= len; }),
              found.end());
  if (found.empty()) return true;
  for (auto& x : found) Decide(f, x, /*stream_offsets=*/false);
  counters_.findings.fetch_add(found.size(), std::memory_order_relaxed);
  recorder_.Record(f, found, /*in_stream=*/false);
  if (MaskFindings(f.ctx->rules(), found.data(), found.size(), units, joined.data(), joined.size(),
                   0) > 0) {
    std::copy(joined.begin(), joined.begin() + static_cast<std::ptrdiff_t>(len), payload);
    *changed = true;
  }
  return true;
}

size_t FlowInspection::MaskRemembered(Flow& f, uint8_t* payload, size_t len, uint64_t off) const {
  size_t edited = ApplyEdits(f.edits, payload, len, off);
  if (f.base64 != nullptr) edited += ApplyEdits(f.base64->edits, payload, len, off);
  return edited + MaskFindings(f.ctx->rules(), f.recent.data(), f.recent.size(), f.units, f.xors,
                               payload, len, off);
}

FlowInspection::CopyCheck FlowInspection::NormalizeToFirstCopy(Flow& f, const SegmentRef& s,
                                                               const DigestKey& key, size_t* keep) {
  const StreamWindow& w = f.window.window;
  const uint64_t kept_from = w.empty() ? f.pos.next_off : w.begin();
  size_t masked = 0;
  if (s.off < kept_from) {
    // As the first copy left: then it must hash as the digest says.
    masked = MaskRemembered(f, s.payload(), s.payload_len(), s.off);
    const uint64_t upto = std::min(s.end(), kept_from);
    const size_t checked = w.digest().CheckedPrefix(s.off, s.payload(), s.payload_len(), upto, key);
    if (checked < upto - s.off) {
      if (checked == 0) {
        recorder_.Anomaly(AnomalyKind::copies_unchecked, f);
        return CopyCheck::kUnchecked;
      }
      // Whole segments first, then one it holds only in part: a sender
      // that resends from where a withheld tail was cut, in its own
      // segment size, splits what follows differently from how it first
      // left. Only the checked part goes (the receiver needs the tail; the
      // rest, if it needs it, comes again from there, on a boundary).
      counters_.copies_trimmed.fetch_add(1, std::memory_order_relaxed);
      *keep = checked;
      return CopyCheck::kTrimmed;
    }
    counters_.copies_checked.fetch_add(1, std::memory_order_relaxed);
  }
  if (w.Normalize(s.off, s.payload(), s.payload_len()).rewritten == 0) {
    return masked > 0 ? CopyCheck::kRewritten : CopyCheck::kSame;  // its checksum to fix
  }
  counters_.overlaps_normalized.fetch_add(1, std::memory_order_relaxed);
  return CopyCheck::kRewritten;
}

bool FlowInspection::CopyMayBeginValue(const Flow& f, const SegmentRef& s) const {
  const HoldQueue::Range r = f.hold.WithheldPart(s.off, s.payload_len());
  // Only while the request's length says more of its body is to come: then
  // the sender pauses inside what may be a value (or its next segment was
  // lost and it resends this alone). Where the body may end here, the copy
  // goes as it is, so a form that ends in digits is never changed. And only
  // while the run the tail began is still open: once the stream has taken a
  // byte that ends it, the stream has judged the tail (a value in it is in
  // the findings, which mask the copy as it goes), and masking more would
  // corrupt a number that was none (a slow link withholds the end of every
  // segment that ends in digits, and the next segment ends the number).
  return r.from < r.to && (BodyGoesOn(f) || EndUnknown(f)) && f.hold.RunOpenAt(r.from);
}

bool FlowInspection::BodyGoesOn(const Flow& f) {
  const RequestFraming* framing = f.normalizer->framing();
  return framing != nullptr && framing->BodyGoesOnAfter(f.pos.next_off);
}

bool FlowInspection::EndUnknown(const Flow& f) {
  // Picked up inside a body (dlpd restarted in the middle of a request):
  // no request line came, so no length says where the body ends, and the
  // first digits of a value may be all that comes until the sender has
  // sent them again. Released at a hold's end, they would leave in clear.
  if (!f.tcp.picked_up) return false;
  const RequestFraming* framing = f.normalizer->framing();
  return framing == nullptr || framing->mode() == RequestFraming::Mode::kStart ||
         framing->mode() == RequestFraming::Mode::kPlain;
}

FlowInspection::Settled FlowInspection::SettleWithheldCopy(Flow& f, const SegmentRef& s,
                                                           uint32_t copy_timeouts,
                                                           bool mask_when_stalled) {
  if (!CopyMayBeginValue(f, s)) return Settled::kNotOpen;
  const HoldQueue::Range r = f.hold.WithheldPart(s.off, s.payload_len());
  uint8_t* payload = s.payload();
  const uint64_t off = s.off;
  // The sender already sent what follows (it waits beyond a gap, or the
  // tail ended a full segment: lost on the way, before or after the
  // gateway) and cannot send it again until the copy is acknowledged (back
  // to one segment per retransmission timer, it sends this copy alone
  // however long it is held), and every value the stream up to the copy's
  // end may begin holds no more digits so far, those that left before the
  // copy included (a sender that stalls again and again must not get a
  // value through a few digits at a time), than a truncated display of its
  // kind shows: the copy leaves as it is (a number that turns out to be
  // none is unchanged; a value that does is recorded mask-partial). A
  // sender that pauses inside a value with nothing sent beyond it gets it
  // masked. The scanner's history holds those bytes: the copy ends at most
  // at the stream's end.
  const std::string_view tail = f.scanner->history();
  const uint64_t text_to = f.normalizer->map().NormalizedBefore(r.to);
  const uint64_t cut = f.scanner->offset() - std::min(text_to, f.scanner->offset());
  const std::string_view upto = tail.substr(0, tail.size() - std::min<size_t>(cut, tail.size()));
  const ValuePrefixes::ContextCheck context = f.scanner->context_check();
  // A flow picked up inside a body is judged so too: where its body ends
  // is not known (EndUnknown), and the copy may be a number the body ends
  // with, its sender waiting for the reply.
  const bool sent_beyond = !f.reorder.empty() || f.hold.WithheldFromFullSegment() || EndUnknown(f);
  // The display count reads the text the scanner reads. A run open in
  // base64's decoded text (its characters show no digits there), or a value
  // whose verdict waits for what follows, is not counted by it: such a
  // copy never leaves in clear.
  const bool counted =
      (f.base64 == nullptr || f.base64->scan->OpenRunFrom(*f.ctx) >= f.scanner->offset()) &&
      f.scanner->pending_from() >= f.scanner->offset();
  if (sent_beyond && counted &&
      f.ctx->rules().prefixes().WithinShownDigits(upto, StartOf(f), f.ctx->prefix_scratch(),
                                                  &context)) {
    counters_.tails_released.fetch_add(1, std::memory_order_relaxed);
    return Settled::kClear;
  }
  if (copy_timeouts < kCopyHolds) return Settled::kNotOpen;  // withheld again
  // A sender that sent on and now waits on this copy: masked, a number
  // that is none arrives corrupted and nobody knows; in clear, more digits
  // than a display shows leave. The flow stops instead (fail closed): the
  // application sees an error and sends again.
  if (sent_beyond && !mask_when_stalled) return Settled::kStalled;
  // A WebSocket payload is judged and masked unmasked.
  WireXors xors;
  f.normalizer->map().XorsIn(r.from, r.to, &xors);
  ApplyXors(xors, payload, s.payload_len(), off);
  bool changed = false;
  for (uint64_t o = r.from; o < r.to; ++o) {
    const bool judged = std::any_of(f.recent.begin(), f.recent.end(),
                                    [o](const Finding& x) { return x.start <= o && o < x.end; });
    uint8_t& c = payload[o - off];
    if (judged || !std::isalnum(c)) continue;
    c = static_cast<uint8_t>(kMaskChar);
    changed = true;
  }
  ApplyXors(xors, payload, s.payload_len(), off);
  if (!changed) return Settled::kNotOpen;
  counters_.tails_masked.fetch_add(1, std::memory_order_relaxed);
  f.hold.MarkWithheldMasked();
  f.window.window.StoreForwarded(off, payload, s.payload_len());
  return Settled::kMasked;
}

void FlowInspection::UseRequestAt(Flow& f, uint64_t wire_off) {
  const RequestFraming* framing = f.normalizer->framing();
  const RequestRecord* r = framing != nullptr ? framing->RequestAt(wire_off) : nullptr;
  if (r == nullptr) return;
  if (f.http.seen && f.http.request_begin == r->begin && f.http.request_head_done == r->head_done) {
    return;
  }
  HttpRequestInfo http = r->info;
  // A URI, Host or User-Agent that holds a value is stored masked.
  for (std::string* s : {&http.path, &http.host, &http.user_agent}) MaskValuesIn(*f.ctx, s);
  f.http.request = std::move(http);
  f.http.request_begin = r->begin;
  f.http.request_head_done = r->head_done;
  f.http.seen = true;
}

void FlowInspection::AddFindings(Flow& f, Findings& fresh, bool in_stream, bool placed) {
  if (fresh.empty()) return;
  if (in_stream && !placed) PlaceOnWire(f.normalizer->map(), &fresh, &f.units, &f.xors);
  Findings added;
  for (Finding& x : fresh) {
    auto seen = std::find(f.recent.begin(), f.recent.end(), x);
    if (seen != f.recent.end()) {
      x.action = seen->action;  // decided when first found
      continue;
    }
    // Each value is judged with its own request's Host and recorded with
    // its method and path: pipelined requests go to other hosts.
    if (in_stream && !added.empty() && f.normalizer->framing() != nullptr &&
        f.normalizer->framing()->RequestAt(x.start) !=
            f.normalizer->framing()->RequestAt(added.back().start)) {
      counters_.findings.fetch_add(added.size(), std::memory_order_relaxed);
      recorder_.Record(f, added, in_stream);
      added.clear();
    }
    if (in_stream) UseRequestAt(f, x.start);
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
      if (excess > 0 && it->end <= f.hold.released()) {
        --excess;
        continue;
      }
      if (kept != it) *kept = *it;
      ++kept;
    }
    f.recent.erase(kept, f.recent.end());
    // The units of values no longer remembered go too.
    uint64_t oldest = UINT64_MAX;
    for (const Finding& x : f.recent) oldest = std::min(oldest, x.start);
    f.units.erase(f.units.begin(),
                  std::find_if(f.units.begin(), f.units.end(),
                               [oldest](const WireUnit& u) { return u.off + u.len > oldest; }));
    f.xors.erase(std::remove_if(f.xors.begin(), f.xors.end(),
                                [oldest](const WireXor& x) { return x.off + x.len <= oldest; }),
                 f.xors.end());
    if (f.base64 != nullptr) {
      std::vector<WireEdit>& edits = f.base64->edits;
      edits.erase(edits.begin(),
                  std::lower_bound(edits.begin(), edits.end(), oldest,
                                   [](const WireEdit& e, uint64_t o) { return e.off < o; }));
    }
  }
  counters_.findings.fetch_add(added.size(), std::memory_order_relaxed);
  recorder_.Record(f, added, in_stream);
}

void FlowInspection::Decide(Flow& f, Finding& x, bool stream_offsets) {
  x.action = PolicyAction::kMask;  // without a policy: mask everything
  if (policy_ != nullptr) {
    const Rule& rule = f.ctx->rules().rule(x.rule_index);
    const FlowKey& k = f.slot.key;
    FindingScope scope;
    scope.rule_id = rule.id;
    scope.severity = rule.severity;
    scope.family = k.ip_version == 6 ? AF_INET6 : AF_INET;
    scope.dst = k.dst.data();
    scope.dst_port = k.dst_port;
    scope.src_family = scope.family;
    scope.src = k.src.data();
    if (f.http.seen) {
      scope.host = f.http.request.host;
      scope.path = f.http.request.path;
    }
    x.action = f.thresholds.Decide(*policy_, scope, policy_generation_);
  }
  // A value in a compressed body cannot be masked in place: the policy's
  // `compressed` action (block by default: the request goes no further;
  // counted as compressed_blocks) or alert (it passes, recorded).
  if (x.compressed && x.action == PolicyAction::kMask) {
    static const Policy kBuiltIn;
    x.action = (policy_ != nullptr ? *policy_ : kBuiltIn).InCompressedBody(x.action);
    if (x.action == PolicyAction::kBlock) {
      counters_.compressed_blocks.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (x.action == PolicyAction::kBlock && !f.block.blocked) {
    f.block.blocked = true;
    f.block.from = stream_offsets ? x.start : 0;
    counters_.flows_blocked.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace dlp
