// What the receiving TCP will make of a packet of one flow direction, from
// where the stream stands. dlpd sees the client's direction only, so it
// cannot watch the server's state: it acts only on what the server's stack
// accepts (RFC 793 as RFC 5961 amends it, the way Linux, FreeBSD and OpenBSD
// apply it), so that a packet the server ignores can neither end, restart
// nor move a stream dlpd inspects:
//  - an RST ends the connection only at exactly the next sequence number
//    (anywhere else in the window the receiver sends a challenge ACK);
//  - a FIN is a position in the stream: the stream ends when it gets there,
//    a FIN behind it is a retransmission, and bytes past it are never
//    delivered;
//  - a SYN on a live connection is answered with a challenge ACK and
//    ignored. If the server's side had closed without dlpd seeing it (it
//    reset, and the client's port is reused), the new connection's data
//    starts at that SYN's sequence number + 1, outside the old stream: only
//    then does the old stream give way;
//  - bytes further ahead than any receive window are dropped.
// A packet with a wrong checksum is dropped by the receiver before any of
// this; the pipeline drops it first.
//
// Thread-safety: none; owned by the flow, used by the flow's worker.
#pragma once

#include <cstdint>
#include <optional>

#include "dlpd/decode/packet.h"
#include "dlpd/flow/stream_position.h"

namespace dlp {

struct TcpState {
  // Stream offset of the FIN: the stream ends there. UINT64_MAX: none seen
  // at or ahead of the stream.
  uint64_t fin_off = UINT64_MAX;
  // The last acknowledgment number the client sent: where a reset to the
  // client must be (the server's next sequence number, as far as we know).
  uint32_t last_ack = 0;
  bool has_ack = false;
  // A SYN ignored on this live flow, and its sequence number.
  bool syn_pending = false;
  uint32_t syn_seq = 0;
  // The stream reached fin_off and was judged as ended.
  bool finished = false;
  // The stream did not start at a SYN (dlpd saw the flow first mid-way, or
  // it goes on after a skipped gap): bytes before its start may be real.
  bool picked_up = false;

  // Notes what `v` says of the client that stays true whatever the
  // receiver does with it (its acknowledgment number).
  void NoteAck(const PacketView& v) {
    if ((v.tcp_flags & TcpFlags::kAck) == 0) return;
    last_ack = v.ack;
    has_ack = true;
  }
};

// What a packet of a live flow is to the receiver (a SYN is judged by
// JudgeSyn instead).
enum class TcpEvent {
  kSegment,        // data (or a FIN) for the stream, within the window
  kIgnored,        // the receiver ignores it (an RST not at the next sequence
                   // number, a FIN behind the stream): forwarded, state kept
  kReset,          // an RST at exactly the next sequence number: the flow ends
  kOutOfWindow,    // beyond any receive window, or before what it still
                   // holds: dropped, no gap opened
  kBeyondFin,      // data at or past the stream's FIN: never delivered, dropped
  kNewConnection,  // data at an ignored SYN's sequence number + 1, outside
                   // the old stream: the old connection is gone
};

// Judges the packet `v` (not a SYN; checksum right) of a flow whose stream
// stands at `pos` with TCP state `tcp`. `max_ahead`: how far past the
// stream's next byte a receive window may reach (and how far back a
// retransmission may start). `delivered`: the stream offset up to which
// the receiver has the bytes in order (before a withheld tail), where it
// takes an RST.
TcpEvent JudgeSegment(const TcpState& tcp, const StreamPosition& pos, const PacketView& v,
                      uint64_t max_ahead, uint64_t delivered);

// What a SYN on an existing flow is.
enum class SynEvent {
  kRepeat,         // the flow's own SYN sent again (same sequence number)
  kNewConnection,  // the flow has ended (its FIN reached): a new connection
  kIgnored,        // on a live connection: a challenge ACK, nothing else
};
SynEvent JudgeSyn(const TcpState& tcp, const StreamPosition& pos, const PacketView& v);

// The window scale a SYN offers (RFC 7323), if it carries the option.
std::optional<uint8_t> SynWindowShift(const uint8_t* packet, const PacketView& v);
// The payload size of the full segments its sender will send, as the SYN
// tells: its MSS option, less the timestamp option's 12 bytes if it offers
// timestamps (the peer's MSS, which sets it, is assumed the same: dlpd sees
// one direction); 0 when it has no MSS option.
uint32_t SynSegmentSize(const uint8_t* packet, const PacketView& v);
// Whether a segment carries the timestamps option: on the first data
// segment, whether the peer agreed to the timestamps a SYN offered (each
// full segment is then 12 bytes shorter than the MSS).
bool HasTimestamps(const uint8_t* packet, const PacketView& v);

}  // namespace dlp
