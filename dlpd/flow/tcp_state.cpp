#include "dlpd/flow/tcp_state.h"

namespace dlp {

TcpEvent JudgeSegment(const TcpState& tcp, const StreamPosition& pos, const PacketView& v,
                      uint64_t max_ahead, uint64_t delivered) {
  const uint32_t next_seq = pos.SeqOf(pos.next_off);
  // Where the segment starts, from the stream's next byte (serial number
  // arithmetic: valid within 2 GiB either way).
  const int64_t delta = static_cast<int32_t>(v.seq - next_seq);
  const auto window = static_cast<int64_t>(max_ahead);
  if ((v.tcp_flags & TcpFlags::kRst) != 0) {
    // After the FIN the next sequence number is one past it (the FIN takes
    // one). Before a withheld tail it is the tail's start: the sender's RST
    // comes after the tail, and the receiver answers it with a challenge
    // ACK, which the sender's stack answers with an RST right there.
    const uint32_t expected = tcp.finished ? pos.SeqOf(tcp.fin_off) + 1 : pos.SeqOf(delivered);
    return v.seq == expected ? TcpEvent::kReset : TcpEvent::kIgnored;
  }
  const bool far = delta > window || -delta > window;
  if (far && tcp.syn_pending && v.seq == tcp.syn_seq + 1) return TcpEvent::kNewConnection;
  if (far) return TcpEvent::kOutOfWindow;
  if (tcp.fin_off != UINT64_MAX && v.payload_len > 0) {
    const std::optional<uint64_t> off = pos.OffsetOf(v.seq);
    if (off && *off >= tcp.fin_off) return TcpEvent::kBeyondFin;
  }
  if ((v.tcp_flags & TcpFlags::kFin) != 0 && v.payload_len == 0 && delta < 0) {
    return TcpEvent::kIgnored;  // a FIN behind the stream: an old one sent again
  }
  return TcpEvent::kSegment;
}

SynEvent JudgeSyn(const TcpState& tcp, const StreamPosition& pos, const PacketView& v) {
  if (pos.started && v.seq + 1 == pos.base_seq) return SynEvent::kRepeat;
  return tcp.finished ? SynEvent::kNewConnection : SynEvent::kIgnored;
}

namespace {

constexpr uint8_t kEnd = 0, kNop = 1, kMss = 2, kWindowScale = 3, kTimestamps = 8;

// Calls `take(kind, value, length)` for each well-formed TCP option; stops
// at the end option or the first malformed one.
template <class Take>
void ForEachOption(const uint8_t* packet, const PacketView& v, Take take) {
  const uint8_t* opt = packet + v.tcp_offset + 20;
  const uint8_t* end = packet + v.tcp_offset + v.tcp_header_len;
  while (opt < end) {
    if (*opt == kEnd) break;
    if (*opt == kNop) {
      ++opt;
      continue;
    }
    if (end - opt < 2 || opt[1] < 2 || end - opt < opt[1]) break;
    take(opt[0], opt + 2, static_cast<size_t>(opt[1] - 2));
    opt += opt[1];
  }
}

}  // namespace

std::optional<uint8_t> SynWindowShift(const uint8_t* packet, const PacketView& v) {
  std::optional<uint8_t> shift;
  ForEachOption(packet, v, [&](uint8_t kind, const uint8_t* value, size_t len) {
    // RFC 7323 2.3: a shift over 14 is taken as 14.
    if (kind == kWindowScale && len == 1) shift = value[0] > 14 ? uint8_t{14} : value[0];
  });
  return shift;
}

bool HasTimestamps(const uint8_t* packet, const PacketView& v) {
  bool timestamps = false;
  ForEachOption(packet, v, [&](uint8_t kind, const uint8_t*, size_t len) {
    if (kind == kTimestamps && len == 8) timestamps = true;
  });
  return timestamps;
}

uint32_t SynSegmentSize(const uint8_t* packet, const PacketView& v) {
  uint32_t mss = 0;
  bool timestamps = false;
  ForEachOption(packet, v, [&](uint8_t kind, const uint8_t* value, size_t len) {
    if (kind == kMss && len == 2) mss = static_cast<uint32_t>(value[0] << 8 | value[1]);
    if (kind == kTimestamps && len == 8) timestamps = true;
  });
  if (mss <= 64) return 0;  // none, or not one a sender would use
  return timestamps ? mss - 12 : mss;
}

}  // namespace dlp
