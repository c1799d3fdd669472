// What the pipeline keeps per flow direction. Each part is owned by the
// class that keeps its invariants: the table's slot (flow/flow_table.h),
// the stream position (flow/stream_position.h), the reorder buffer, the
// hold and the first-copy window (flow/), the policy's thresholds
// (policy/flow_thresholds.h); the rest is the inspection's: the rules the
// flow started with, its stream scanner, the values it remembers, the
// request it is in and whether a `block` stopped it.
//
// Thread-safety: none; a flow belongs to one worker.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dlpd/flow/flow_table.h"
#include "dlpd/flow/hold_queue.h"
#include "dlpd/flow/reorder_buffer.h"
#include "dlpd/flow/stream_position.h"
#include "dlpd/flow/tcp_state.h"
#include "dlpd/flow/window_pool.h"
#include "dlpd/http/framed_run.h"
#include "dlpd/http/http_request.h"
#include "dlpd/http/wire_map.h"
#include "dlpd/inspect/finding.h"
#include "policy/flow_thresholds.h"

namespace dlp {

class Base64Scan;
class ScanContext;
class StreamNormalizer;
class StreamScanner;

// base64 the flow's text names (dlpd/inspect/base64_scan.h): its scanner,
// and the wire bytes that mask the values found in it (their groups
// re-encoded), in wire order; pruned with the values remembered.
struct Base64State {
  std::unique_ptr<Base64Scan> scan;
  std::vector<WireEdit> edits;
  ~Base64State();  // out of line: Base64Scan is only declared here
};

// The HTTP request the flow is in, for incidents and framing.
struct HttpState {
  HttpRequestInfo request;  // Host and path stored masked
  // Stream offset where the current request's body ends, when its head
  // said (Content-Length); UINT64_MAX when unknown.
  uint64_t body_end = UINT64_MAX;
  bool seen = false;          // a request head was parsed
  bool framing_lost = false;  // counted once
  // Which of the stream's requests `request` is (its wire offset), and
  // whether its head had been read whole.
  uint64_t request_begin = UINT64_MAX;
  bool request_head_done = false;
};

// A `block` decision: nothing more of the flow passes.
struct BlockState {
  // The stream offset of the value that blocked the flow: the bytes before
  // it may still go, none from it on (0: none at all, the value was found
  // outside the stream's order).
  uint64_t from = 0;
  bool blocked = false;
  bool resets_sent = false;
};

struct Flow {
  FlowSlot<Flow> slot;
  StreamPosition pos;
  TcpState tcp;
  std::shared_ptr<ScanContext> ctx;  // the rules the flow started with
  // What the application reads of the stream (framing removed, characters
  // decoded), which the scanner scans, and the map back to wire bytes.
  std::unique_ptr<StreamNormalizer> normalizer;
  std::unique_ptr<StreamScanner> scanner;
  // Values found, to mask later copies of their bytes the way they were
  // masked the first time; bounded (FlowInspection::Remember). Their
  // offsets are wire offsets; `units` holds the encoded characters and
  // framing in their spans, for masking.
  Findings recent;
  // The rules this flow has an incident of (few): its next incident of one
  // counts no new flow.
  std::vector<uint32_t> recorded_rules;
  WireUnits units;
  WireXors xors;  // WebSocket payloads the remembered values are in
  // Head bytes to rewrite as they leave (and in later copies), in wire
  // order; few.
  std::vector<WireEdit> edits;
  std::unique_ptr<Base64State> base64;  // once the text names base64
  FlowThresholds thresholds;
  ReorderBuffer reorder;
  HoldQueue hold;
  PooledWindow window;
  HttpState http;
  BlockState block;

  // Keeps packets that have not left: held, or waiting beyond a gap.
  bool busy() const { return !hold.empty() || !reorder.empty(); }
  // What losing the flow would cost (flow/flow_table.h). Mid-value: the
  // stream ends in a run of value bytes with a digit or letter that was
  // not judged as the end of the request's body, so what follows may
  // complete a value begun here; a hold that timed out has withheld that
  // run and released its packets, and the flow is still mid-value.
  // Resumable: a flow picked up where this one is (a fresh one, after this
  // one is ended) would read what follows as this one does. Not so inside
  // a request, WebSocket frames or another protocol: a keyword read before,
  // a chunk's framing, a body's decoder, base64 named before, a frame's
  // mask all give the bytes to come their meaning, and a fresh flow, which
  // reads them as plain text, would let a value through. Such a flow is
  // busy: given up last, and then closed with resets.
  FlowClass eviction_class() const {
    // After its FIN a stream takes no more bytes: nothing is mid-value.
    const bool mid_value =
        !tcp.finished && hold.RunOpenAt(pos.next_off) && pos.next_off != http.body_end;
    if (busy() || mid_value || !resumable()) return FlowClass::kBusy;
    return pos.next_off > 0 ? FlowClass::kQuiet : FlowClass::kNoData;
  }
  bool resumable() const;

  // Bytes of this flow's inspection state (scanner, normalizer, what it
  // remembers, the table's share), as the worker's memory budget counts
  // them; held and buffered packets and the first-copy window are under
  // budgets of their own (HoldBudget, WindowPool). O(1) but for a few short
  // lists.
  size_t memory_bytes() const;
  size_t accounted = 0;  // memory_bytes() when the pipeline last counted it

  ~Flow();  // out of line: StreamScanner is only declared here
};

}  // namespace dlp
