// The TCP state machine (flow/tcp_state.h) through the real pipeline: a
// packet the server's stack ignores must neither end, restart nor move the
// stream dlpd inspects. Each case sends a value in two pieces with the
// packet between them; the value must leave masked.
#include "dlpd/flow/tcp_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::Tcp4;

constexpr uint8_t kAck = 0x10, kPshAck = 0x18, kFinAck = 0x11, kRst = 0x04, kSyn = 0x02;

std::vector<uint8_t> BadChecksum(std::vector<uint8_t> p) {
  p[36] ^= 0x5a;  // the TCP checksum field
  return p;
}

// SYN at 999 (stream offset 0 is seq 1000), then "ssn=536-22-" (held: it
// may begin a value), then `between`, then "1457;".
Gateway& SplitAround(Gateway& gw, const std::vector<uint8_t>& between) {
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "ssn=536-22-"));
  gw.Send(between);
  gw.Send(Tcp4(1011, "1457;"));
  return gw;
}

std::string Payloads(const Gateway& gw) {
  std::string s;
  for (const auto& o : gw.out) s += o.payload;
  return s;
}

TEST(TcpState, PacketsWithAWrongChecksumAreDroppedAndChangeNothing) {
  for (const auto& between :
       {BadChecksum(Tcp4(1011, "", kRst)), BadChecksum(Tcp4(1011, "", kFinAck)),
        BadChecksum(Tcp4(1011, "9", kFinAck)), BadChecksum(Tcp4(5000, "", kSyn)),
        BadChecksum(Tcp4(1011, "0000;"))}) {
    Gateway gw;
    SplitAround(gw, between);
    EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;");
    EXPECT_EQ(gw.dropped, 1u);
    EXPECT_EQ(gw.pipeline().counters().bad_checksums.load(), 1u);
  }
}

TEST(TcpState, AnRstNotAtTheNextSequenceNumberKeepsTheFlow) {
  // Out of window, in the window but not exact, behind the stream: the
  // receiver answers with a challenge ACK and keeps the connection.
  for (uint32_t seq : {1011u + 100000000u, 1011u + 5u, 1011u - 3u}) {
    Gateway gw;
    SplitAround(gw, Tcp4(seq, "", kRst));
    EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;") << seq;
    EXPECT_EQ(gw.pipeline().counters().resets_ignored.load(), 1u);
    EXPECT_EQ(gw.pipeline().counters().flows.load(), 1u);
  }
}

TEST(TcpState, AnRstAtTheNextSequenceNumberEndsTheFlow) {
  Gateway gw;
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "x=1&ssn=536-22-1457"));  // held: the value may go on
  gw.Send(Tcp4(1019, "", kRst));
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "x=1&ssn=XXX-XX-XXXX");  // judged as the end
  EXPECT_EQ(gw.out[2].tcp_flags & kRst, kRst);
  EXPECT_EQ(gw.pipeline().counters().flows.load(), 0u);
}

TEST(TcpState, AnRstAfterAWithheldTailCountsOnlyWhatTheReceiverHas) {
  // The hold ends inside "536-22": those bytes are withheld, so the
  // receiver's next number is where they begin. The sender's RST after them
  // is answered with a challenge ACK; its stack's answer to that is at the
  // withheld bytes' start, and that one ends the flow.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  Gateway gw(c);
  gw.Send(Tcp4(999, "", kSyn), 0);
  gw.Send(Tcp4(1000, "x=1&ssn=536-22"), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "x=1&ssn=");
  gw.Send(Tcp4(1014, "", kRst), 2000);
  EXPECT_EQ(gw.pipeline().counters().resets_ignored.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().flows.load(), 1u);
  gw.Send(Tcp4(1008, "", kRst), 3000);
  EXPECT_EQ(gw.pipeline().counters().flows.load(), 0u);
}

TEST(TcpState, AFinBehindTheStreamIsIgnored) {
  Gateway gw;
  SplitAround(gw, Tcp4(1003, "", kFinAck));
  EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;");
  EXPECT_EQ(gw.pipeline().counters().fins_ignored.load(), 1u);
}

TEST(TcpState, AFinIsAPositionAndNothingPastItGoes) {
  Gateway gw;
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "x=1&ssn=536-22-1457", kFinAck | 0x08));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "x=1&ssn=XXX-XX-XXXX");  // the end of the stream: judged at once
  // The receiver delivers nothing past the FIN: neither does dlpd.
  gw.Send(Tcp4(1019, "&card=4111 1111 1111 1111"));
  EXPECT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.pipeline().counters().beyond_fin.load(), 1u);
  // The flow stays: a copy of its bytes is still normalized.
  gw.Send(Tcp4(1004, "ssn=536-22-1457", kPshAck));
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, "ssn=XXX-XX-XXXX");
  // A segment that runs past the FIN is cut at it.
  gw.Send(Tcp4(1015, "1457&more"));
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[3].payload, "XXXX");
  EXPECT_TRUE(gw.out[3].checksum_ok);
  // Its RST is one past the FIN; a new connection may follow.
  gw.Send(Tcp4(1020, "", kRst));
  EXPECT_EQ(gw.pipeline().counters().flows.load(), 0u);
}

TEST(TcpState, AFinBeyondAGapEndsTheStreamWhenTheGapFills) {
  Gateway gw;
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "a=1&"));
  gw.Send(Tcp4(1008, "", kFinAck));  // the FIN, ahead of bytes not seen yet
  gw.Send(Tcp4(1004, "n=12"));       // ends in digits: the FIN says the stream ends there
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[3].payload, "n=12");
  EXPECT_EQ(gw.pipeline().counters().beyond_fin.load(), 0u);
  gw.Send(Tcp4(1008, "5"));
  EXPECT_EQ(gw.pipeline().counters().beyond_fin.load(), 1u);
}

TEST(TcpState, ASynOnALiveFlowIsIgnored) {
  for (uint32_t isn : {999u, 999u + 70000u, 999u - 70000u}) {
    Gateway gw;
    SplitAround(gw, Tcp4(isn, "", kSyn));
    EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;") << isn;
    EXPECT_EQ(gw.pipeline().counters().syns_ignored.load(), isn == 999u ? 0u : 1u);
  }
  // With data (a crafted Fast Open): the data does not go either.
  Gateway gw;
  SplitAround(gw, Tcp4(5000, "1457;", kSyn));
  EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;");
}

TEST(TcpState, APortReusedAfterAnUnseenCloseStartsANewStream) {
  // The server reset the old connection (dlpd sees only the client's
  // side); the client's next connection reuses the port. Its data is at
  // the new SYN's number + 1, far from the old stream: the old one gives
  // way, its possible-value tail withheld.
  PipelineConfig c;
  c.max_ahead_bytes = 1 << 20;
  Gateway gw(c);
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "a=1&ssn=536-22-"));
  const uint32_t isn = 999 + (64u << 20);
  gw.Send(Tcp4(isn, "", kSyn));
  gw.Send(Tcp4(isn + 1, "1457;b=2&ssn=536-22-1457;"));
  EXPECT_EQ(gw.pipeline().counters().flows_restarted.load(), 1u);
  EXPECT_EQ(Payloads(gw), "a=1&ssn=1457;b=2&ssn=XXX-XX-XXXX;");
  // Bytes of the old stream are now far outside the new one.
  gw.Send(Tcp4(1008, "536-22-1457;"));
  EXPECT_EQ(gw.pipeline().counters().out_of_window.load(), 1u);
  EXPECT_EQ(Payloads(gw), "a=1&ssn=1457;b=2&ssn=XXX-XX-XXXX;");
}

TEST(TcpState, ASynAfterTheFinStartsANewConnection) {
  Gateway gw;
  gw.Send(Tcp4(999, "", kSyn));
  gw.Send(Tcp4(1000, "a=1", kFinAck));
  gw.Send(Tcp4(50000, "", kSyn));
  gw.Send(Tcp4(50001, "ssn=536-22-1457;"));
  EXPECT_EQ(gw.pipeline().counters().syns_ignored.load(), 0u);
  EXPECT_EQ(gw.out.back().payload, "ssn=XXX-XX-XXXX;");
}

TEST(TcpState, BytesBeyondAnyWindowAreDroppedAndOpenNoGap) {
  Gateway gw;
  SplitAround(gw, Tcp4(1011 + 50000000, "9"));
  EXPECT_EQ(Payloads(gw), "ssn=XXX-XX-XXXX;");
  EXPECT_EQ(gw.pipeline().counters().out_of_window.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().out_of_order.load(), 0u);
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
}

TEST(TcpState, JudgeSegmentReadsTheWindow) {
  TcpState tcp;
  StreamPosition pos;
  pos.started = true;
  pos.base_seq = 1000;
  pos.next_off = 100;
  PacketView v;
  v.payload_len = 10;
  v.tcp_flags = kAck;
  v.seq = 1100 + 8000000;
  EXPECT_EQ(JudgeSegment(tcp, pos, v, 8 << 20, 100), TcpEvent::kSegment);
  v.seq = 1100 + 9000000;
  EXPECT_EQ(JudgeSegment(tcp, pos, v, 8 << 20, 100), TcpEvent::kOutOfWindow);
  v.seq = 1100 - 9000000;
  EXPECT_EQ(JudgeSegment(tcp, pos, v, 8 << 20, 100), TcpEvent::kOutOfWindow);
  tcp.fin_off = 105;
  v.seq = 1105;
  EXPECT_EQ(JudgeSegment(tcp, pos, v, 8 << 20, 100), TcpEvent::kBeyondFin);
}

TEST(TcpState, SynWindowShiftReadsTheOption) {
  // A SYN with MSS, SACK-permitted, NOP and window scale 9 (and one over 14).
  for (auto [given, want] : {std::pair<uint8_t, uint8_t>{9, 9}, {20, 14}}) {
    std::vector<uint8_t> p = Tcp4(999, "", kSyn);
    const uint8_t opts[] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, given, 0, 0};
    p.insert(p.begin() + 40, std::begin(opts), std::end(opts));
    p[3] = static_cast<uint8_t>(p.size());
    p[32] = 0x80;  // 32-byte TCP header
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    EXPECT_EQ(SynWindowShift(p.data(), v), std::optional<uint8_t>(want));
  }
  std::vector<uint8_t> plain = Tcp4(999, "", kSyn);
  PacketView v;
  ASSERT_EQ(DecodePacket(plain.data(), plain.size(), &v), DecodeStatus::kOk);
  EXPECT_EQ(SynWindowShift(plain.data(), v), std::nullopt);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(TcpState, BytesBeforeAPickedUpStreamAreScannedWithItsFirstBytes) {
  // dlpd first sees the flow mid-way (it started after the handshake):
  // "ssn=536-22-" went by before, and the sender sends it again.
  Gateway gw;
  gw.Send(Tcp4(1011, "1457&x=1;"));
  ASSERT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(1000, "ssn=536-22-"));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "ssn=XXX-XX-");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().findings.load(), 1u);
}

TEST(TcpState, BytesBeforeTheSynsNumberAreDropped) {
  Gateway gw;
  gw.Send(Tcp4(999, "", 0x02));
  gw.Send(Tcp4(1000, "a=1;"));
  gw.Send(Tcp4(990, "ssn=536-22-"));  // before the connection's first byte
  EXPECT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.pipeline().counters().out_of_window.load(), 1u);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(TcpState, WhatWaitsBeyondAGapIsDroppedWhenTheStreamEndsBeforeIt) {
  Gateway gw;
  gw.Send(Tcp4(999, "", 0x02));
  gw.Send(Tcp4(1000, "a=1;"));
  gw.Send(Tcp4(1010, "ssn=536-22-1457"));  // beyond a gap
  EXPECT_EQ(gw.pipeline().held_packets(), 1u);
  gw.Send(Tcp4(1004, "", 0x11));  // the FIN, where the stream is: nothing after it is delivered
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  EXPECT_EQ(gw.Delivered(), "a=1;");
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(TcpState, AStreamEndedAtItsFinIsNotMidValue) {
  // A body that ends in digits, then its FIN: nothing more can come, so
  // the flow is not kept as one mid-value, nor closed with resets to make room.
  PipelineConfig c;
  c.max_flows = 2;
  Gateway gw(c);
  gw.Send(Tcp4(999, "", 0x02, 1));
  gw.Send(Tcp4(1000, "x=1&n=100", 0x19, 1));    // data and FIN: ends in digits
  gw.Send(Tcp4(1000, "ssn=536-22-", 0x18, 2));  // held: mid-value, busy
  gw.Send(Tcp4(1000, "y=2;", 0x18, 3));         // the table is full: flow 1 goes
  EXPECT_EQ(gw.pipeline().counters().flows_evicted.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().busy_evictions.load(), 0u);
  EXPECT_EQ(gw.pipeline().counters().resets_sent.load(), 0u);
}

}  // namespace
}  // namespace dlp
