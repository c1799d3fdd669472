// What one worker's pipeline counts, declared once (see common/counters.h):
// `dlpctl status`, its JSON and the exit log are generated from this list.
#pragma once

#include "dlpd/common/counters.h"

namespace dlp {

// clang-format off
#define DLP_PIPELINE_COUNTERS(X)                                                                   \
  X(packets, "packets handed to the pipeline")                                                   \
  X(bytes, "bytes of those packets")                                                             \
  X(inspected, "packets whose payload was scanned")                                              \
  X(masked_packets, "packets that left with bytes changed")                                      \
  X(findings, "values confirmed")                                                                \
  X(findings_alerted, "values left in clear by an alert decision")                               \
  X(findings_passed, "values exempted by a pass decision")                                       \
  X(partial, "incidents whose value had partly left before it was found (mask-partial)")        \
  X(flows_blocked, "flows torn down by a block decision")                                        \
  X(blocked_packets, "packets of blocked flows dropped or cut")                                  \
  X(resets_sent, "TCP resets sent (block, busy eviction)")                                       \
  X(reset_errors, "TCP resets the back end could not send")                                      \
  X(passed_uninspected, "packets passed without inspection (fail open)")                         \
  X(dropped_uninspected, "packets dropped because they could not be inspected (fail closed)")   \
  X(decode_errors, "packets that did not decode as IPv4/IPv6 TCP")                               \
  X(not_tcp, "packets that were not TCP, passed")                                                \
  X(held_packets, "packets held or buffered now")                                                \
  X(held_bytes, "bytes held or buffered now")                                                    \
  X(held_total, "segments held because they may end in part of a value")                         \
  X(hold_timeouts, "holds ended by the hold timeout")                                            \
  X(hold_overflows, "holds or buffered segments refused for lack of room")                       \
  X(tails_withheld, "held segments cut before bytes that may begin a value")                     \
  X(tails_held, "copies of a withheld tail held while the run they began is open")             \
  X(tails_masked, "copies of a withheld tail sent masked (held past their hold, the run open)")   \
  X(tails_released, "copies of a withheld tail sent as they are, the sender having sent on (digits no more than a truncated display shows)") \
  X(tails_stopped, "flows stopped with resets at a withheld tail the sender sent on from, showing more digits than a display (fail closed)") \
  X(flows, "flows in the table now")                                                             \
  X(flows_evicted, "flows ended to make room in the table or in the memory budget")              \
  X(memory_evictions, "of those, flows ended because the flows' state reached its memory budget") \
  X(flow_state_bytes, "bytes of flow inspection state now (scanners, normalizers, what flows remember)") \
  X(window_bytes, "bytes of first-copy windows kept now")                                        \
  X(busy_evictions, "evicted flows that held packets, were mid-value or mid-request, closed with resets") \
  X(idle_closed, "flows idle past the idle timeout mid-request, in WebSocket or mid-value, closed with resets") \
  X(closed_flow_drops, "packets dropped on the tuple of a flow closed by eviction")              \
  X(new_flows_limited, "new flows refused: their source was over --max-new-flows-per-source")    \
  X(http_requests, "HTTP/1 request heads read in client streams")                                  \
  X(chunked_bodies, "request bodies read with chunked framing removed")                            \
  X(chars_decoded, "characters read decoded: escapes, references, Unicode digits and separators") \
  X(http_framing_lost, "streams whose HTTP framing could not be followed (stopped when fail closed)") \
  X(uninspectable_protocol, "streams that turned to what cannot be masked in place: h2c prior knowledge, compressed WebSocket frames (stopped when fail closed)") \
  X(head_edits, "request head bytes rewritten so the server refuses what cannot be inspected (WebSocket compression offers, h2c upgrade tokens)") \
  X(websocket_frames, "WebSocket client frames read (payloads unmasked to scan)") \
  X(bytes_inflated, "bytes compressed request bodies inflated to, to scan") \
  X(base64_regions, "base64 decoded to scan: MIME parts and data: URIs") \
  X(compressed_blocks, "values found in compressed bodies, blocked (they cannot be masked in place)") \
  X(retransmissions, "segments repeating bytes already seen")                                    \
  X(out_of_order, "segments that arrived beyond a gap")                                          \
  X(sack_probes, "pieces of segments beyond a gap sent ahead (no value in reach), so the receiver reports the gap") \
  X(sack_probe_errors, "such pieces the back end could not send")                                \
  X(gaps_skipped, "gaps given up after the gap timeout, the stream going on (fail open)")      \
  X(gaps_stopped, "flows stopped with resets because a gap did not fill (fail closed)")         \
  X(overlaps_normalized, "later copies rewritten to the first copy")                             \
  X(copies_checked, "later copies older than the first-copy window checked against the digest")  \
  X(copies_trimmed, "copies older than the window of which only whole segments, checked, went (resent from a withheld tail's cut)") \
  X(copies_unchecked, "later copies that could not be checked, dropped")                         \
  X(bad_checksums, "packets dropped for a wrong checksum (the receiver drops them too)")         \
  X(resets_ignored, "RSTs not at the next sequence number: forwarded, the flow kept")           \
  X(fins_ignored, "FINs behind the stream: forwarded, the flow kept")                           \
  X(syns_ignored, "SYNs on a live flow: forwarded, the flow kept")                              \
  X(flows_restarted, "connections begun again on a tuple after an ignored SYN")                  \
  X(out_of_window, "segments beyond any receive window, dropped")                               \
  X(beyond_fin, "segments after the stream's FIN, dropped")                                      \
  X(windows_freed, "first-copy windows freed for the memory budget")                             \
  X(urgent_cleared, "packets whose urgent flag and pointer were cleared")                        \
  X(reloads_applied, "rule or policy reloads taken by this worker")                              \
  X(incidents_dropped, "incidents the writer's queue refused")                                    \
  X(anomalies_suppressed, "anomaly events left out of the EVE log by the rate limit (counted)")    \
  X(anomalies_dropped, "anomaly events the writer's queue refused")
// clang-format on

DLP_DECLARE_COUNTERS(PipelineCounters, DLP_PIPELINE_COUNTERS)

}  // namespace dlp
