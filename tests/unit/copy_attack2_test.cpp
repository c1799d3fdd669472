// Second review of the first-copy check after 0e76777 (records made only
// once bytes have left and settled; the window keeps what has not): a
// sender that controls its TCP tries to get raw bytes of a masked value
// into a record, and to make one flow's window grow without bound.
#include <gtest/gtest.h>

#include <string>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::Gateway;
using test::LeftSince;
using test::SendValues;
using test::Tcp4;

// A client WebSocket frame with a zero key (its payload is as written).
std::string WsFrame(const std::string& payload, uint8_t opcode, bool fin) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | opcode);
  f += static_cast<char>(0x80 | payload.size());  // < 126
  f += std::string(4, '\0');
  return f + payload;
}

const std::string kWsHead =
    "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// B1. A withheld tail inside a chunked body, then a chunk-size line whose
// extension goes on and on: it adds no text, so the run the tail began
// stays open, its withheld range never settles, and the window may not
// trim past it. The sender may send in-order bytes up to max_ahead past
// next_off (not past what was acknowledged), so it keeps feeding. Safe: the
// window stays bounded (at most its own is given up), and another flow's
// copies are still checked.
TEST(CopyAttack2, ChunkExtensionAfterAWithheldTailDoesNotGrowTheWindow) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 4096;
  c.max_window_total = 256U << 10;  // 64 windows' worth
  Gateway gw(c);
  // A victim flow whose first segment is resent later.
  const std::string victim = "a=" + std::string(2998, 'v') + ";";
  gw.Send(Tcp4(1, victim, 0x18, 2));
  gw.Send(Tcp4(1 + 3001, std::string(3000, 'w') + ";", 0x18, 2));
  const std::string head =
      "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nssn=536-2";
  int64_t now = 0;
  gw.Send(Tcp4(1, head), now);
  gw.pipeline().Tick(now += 1000, gw);
  ASSERT_EQ(gw.out.back().payload, head.substr(0, head.size() - 5));
  uint32_t seq = 1 + static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(seq, "\r\n1;e="), now);
  seq += 6;
  for (int i = 0; i < 400; ++i) {  // 400 KB of chunk extension
    gw.Send(Tcp4(seq, std::string(1000, 'x')), now += 10);
    seq += 1000;
    gw.pipeline().Tick(now += 1000, gw);
  }
  // At most its own window is given up, never the victim's.
  EXPECT_LE(gw.pipeline().counters().windows_freed.load(), 1u)
      << "blocked=" << gw.pipeline().counters().flows_blocked.load()
      << " withheld=" << gw.pipeline().counters().tails_withheld.load();
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, victim, 0x18, 2), now);
  EXPECT_EQ(gw.out.size(), before + 1) << "victim's copy dropped: copies_unchecked="
                                       << gw.pipeline().counters().copies_unchecked.load();
}

// B2. As B1 with WebSocket control frames: a text message's first
// fragment ends in "ssn=536-2" (withheld at its hold's end), then the
// client sends ping frames without end. Control frames are framing, they
// add no text: the run stays open, the withheld range never settles, and
// every byte the flow sends stays in its window (the pings themselves are
// withheld, so nothing is acknowledged, but the sender may send up to
// max_ahead past the stream's end, and 8 MiB ahead of *next_off*, which
// moves with each ping). Safe: the window stays bounded (given up past a
// packet's worth more than its bound), no other flow's window is freed,
// the victim's copy still goes.
void PingFlood(size_t max_total, int kPingSegments, size_t* sent_out);

TEST(CopyAttack2, WebSocketPingsAfterAWithheldTailDoNotGrowTheWindow) {
  size_t sent = 0;
  PingFlood(256U << 10, 2000, &sent);
}

// B2 with an 8 MiB pool and 4 MiB of pings.
TEST(CopyAttack2, WebSocketPingFloodInAnEightMiBPoolTakesNoOtherWindow) {
  size_t sent = 0;
  PingFlood(8U << 20, 20000, &sent);
}

void PingFlood(size_t max_total, int kPingSegments, size_t* sent_out) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 4096;
  c.max_window_total = max_total;
  Gateway gw(c);
  const std::string victim = "a=" + std::string(2998, 'v') + ";";
  gw.Send(Tcp4(1, victim, 0x18, 2));
  gw.Send(Tcp4(1 + 3001, std::string(3000, 'w') + ";", 0x18, 2));
  const std::string first = kWsHead + WsFrame("{\"a\":\"ssn=536-2", 1, false);
  int64_t now = 0;
  gw.Send(Tcp4(1, first), now);
  gw.pipeline().Tick(now += 1000, gw);
  ASSERT_EQ(gw.out.back().payload, first.substr(0, first.size() - 5)) << LeftSince(gw, 0);
  uint32_t seq = 1 + static_cast<uint32_t>(first.size());
  std::string pings;
  for (int i = 0; i < 8; ++i) pings += WsFrame(std::string(125, 'p'), 9, true);
  size_t sent = 0;
  for (int i = 0; i < kPingSegments; ++i) {
    gw.Send(Tcp4(seq, pings), now += 10);
    seq += static_cast<uint32_t>(pings.size());
    sent += pings.size();
    gw.pipeline().Tick(now += 1000, gw);
  }
  // The flow's own window is given up once it holds a packet's worth more
  // than its bound that never settles (again each time it fills), never
  // another flow's.
  EXPECT_GE(gw.pipeline().counters().windows_freed.load(), 1u);
  EXPECT_LE(gw.pipeline().counters().windows_freed.load(), sent / (64U << 10) + 1)
      << "after " << sent << " bytes of pings, a 4 KiB window outgrew the " << max_total
      << "-byte total: blocked=" << gw.pipeline().counters().flows_blocked.load()
      << " withheld=" << gw.pipeline().counters().tails_withheld.load();
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, victim, 0x18, 2), now);
  EXPECT_EQ(gw.out.size(), before + 1) << "victim's copy dropped: copies_unchecked="
                                       << gw.pipeline().counters().copies_unchecked.load();
  *sent_out = sent;
}

// B1 without chunk framing: the tail's run closes with the next bytes and
// the window keeps near its limit however long the flow goes on.
TEST(CopyAttack2, WithheldTailsInALongBodySettleAndTheWindowStaysBounded) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 4096;
  c.max_window_total = 64U << 10;
  Gateway gw(c);
  int64_t now = 0;
  uint32_t seq = 1;
  for (int i = 0; i < 200; ++i) {
    const std::string seg = std::string(1000, 'q') + ";536-2";  // a tail each time
    gw.Send(Tcp4(seq, seg), now);
    gw.pipeline().Tick(now += 1000, gw);
    seq += static_cast<uint32_t>(seg.size());
  }
  EXPECT_EQ(gw.pipeline().counters().windows_freed.load(), 0u);
}

// A2. Window 64 B: a value split over two segments, forgotten after 300
// later values; then one copy from the value's start that overlaps the
// stream's end (partly new bytes): the old part is checked against the
// digest, so the raw value never leaves.
TEST(CopyAttack2, OverlapCopyPartlyNewOfAForgottenValueDoesNotLeaveRaw) {
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  ASSERT_EQ(gw.out[0].payload, "x=1&ssn=XXX-X");
  uint32_t seq = 21;
  SendValues(gw, &seq, 300);
  const size_t before = gw.out.size();
  std::string copy = "x=1&ssn=536-22-1457;";
  for (uint32_t at = 21; at < seq; at += 16) copy += "ssn=536-22-1457;";
  copy += "z=1;";
  gw.Send(Tcp4(1, copy));
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  gw.Send(Tcp4(8, "536-22-1457;"));
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("536"), std::string::npos) << left;
  EXPECT_EQ(left.find("1457"), std::string::npos) << left;
}

// A3. A withheld tail whose copy leaves masked at its third hold (the run
// still open), then the stream closes the run as no value: the window
// holds the copy as it left (masked), and its records are made from that.
// A raw copy once it is out of the window must not leave raw.
TEST(CopyAttack2, RawCopyOfATailThatLeftMaskedAtItsThirdHoldDoesNotLeaveRaw) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 1000;
  c.window_bytes = 64;
  Gateway gw(c);
  const std::string head = "POST /f HTTP/1.1\r\nContent-Length: 400\r\n\r\ncard=4111 1111";
  int64_t now = 0;
  gw.Send(Tcp4(1, head), now);
  gw.pipeline().Tick(now += 1000, gw);
  const uint32_t tail_seq = 1 + static_cast<uint32_t>(head.size() - 9);
  ASSERT_EQ(gw.out.back().payload, head.substr(0, head.size() - 9));
  size_t masked_at = 0;
  for (int i = 0; i < 3; ++i) {
    gw.Send(Tcp4(tail_seq, "4111 1111"), now += 10);
    gw.pipeline().Tick(now += 2000, gw);
  }
  masked_at = gw.out.size();
  ASSERT_GE(gw.pipeline().counters().tails_masked.load(), 1u) << LeftSince(gw, 0);
  ASSERT_EQ(gw.out.back().payload, "XXXX XXXX");
  uint32_t seq = 1 + static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(seq, " 22;" + std::string(96, 'z')), now += 10);
  seq += 100;
  for (int i = 0; i < 2; ++i, seq += 100) gw.Send(Tcp4(seq, std::string(100, 'y')), now += 10);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(tail_seq, "4111 1111"), now += 10);
  gw.Send(Tcp4(tail_seq, "4111 1111 22;"), now += 10);
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("4111"), std::string::npos) << left;
  EXPECT_EQ(left.find("1111"), std::string::npos) << left;
  (void)masked_at;
}

// A4. A flow blocked (framing lost, fail closed) with a withheld tail:
// nothing of it leaves afterwards, copies included.
TEST(CopyAttack2, BlockedFlowsCopiesNeverLeave) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 0;
  Gateway gw(c);
  const std::string head = "POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nssn=536-2";
  gw.Send(Tcp4(1, head), 0);
  gw.pipeline().Tick(1000, gw);
  uint32_t seq = 1 + static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(seq, "2-1457;\r\nZZ\r\n"), 2000);  // a bad chunk size: framing lost
  ASSERT_EQ(gw.pipeline().counters().flows_blocked.load(), 1u) << LeftSince(gw, 0);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(seq - 5, "536-2"), 3000);
  gw.Send(Tcp4(1, head), 3000);
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("536"), std::string::npos) << left;
}

}  // namespace
}  // namespace dlp
