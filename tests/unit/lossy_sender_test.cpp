// A sender recovering from a loss, as Linux senders do (the slow-link and
// 2 % loss runs of e2e_slowlink, read from their captures): what it resends
// depends on what the receiver reports, and a tail dlpd withholds is all it
// resends, alone, once it is back to one segment per retransmission timer.
// Legitimate numbers must arrive unchanged, and the upload must go on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dlpd/decode/packet.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::SynWithMss;
using test::Tcp4;

std::vector<uint32_t> InjectedSeqs(const Gateway& gw) {
  std::vector<uint32_t> seqs;
  for (const auto& p : gw.injected) {
    PacketView v;
    EXPECT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    seqs.push_back(v.seq);
  }
  return seqs;
}

std::string Clean(size_t n) {
  std::string s;
  while (s.size() < n) s += "name=abc;";
  s.resize(n);
  return s;
}

// While a segment before a gap is held, its bytes are not the receiver's:
// pieces sent ahead then are reported against an acknowledgement before
// them, and the sender resends the held bytes (not lost), sees them
// reported twice when they leave, takes the loss for reordering and waits
// for its retransmission timer. The pieces go once the held bytes have.
TEST(LossySender, PiecesBeyondAGapWaitForTheHeldSegmentsBeforeIt) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  Gateway gw(c);
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a\n"), 0);                   // a first line that heads no CSV table
  gw.Send(Tcp4(3, "b=1&n=4111"), 0);            // held: "4111" may begin a card
  ASSERT_EQ(gw.out.size(), 2u);                 // the SYN, "a\n"
  gw.Send(Tcp4(3 + 10 + 50, Clean(1400)), 10);  // beyond 50 lost bytes
  EXPECT_TRUE(gw.injected.empty()) << "a piece went ahead of held bytes";
  gw.pipeline().Tick(1000, gw);  // the hold ends: the segment leaves cut
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, "b=1&n=");
  EXPECT_FALSE(gw.injected.empty());
  EXPECT_EQ(gw.pipeline().counters().sack_probes.load(), gw.injected.size());
  for (const uint32_t seq : InjectedSeqs(gw)) EXPECT_GE(seq, 63u);
}

TEST(LossySender, PiecesBeyondAGapGoWhenWhatFollowsReleasesTheHold) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a\n"), 0);
  gw.Send(Tcp4(3, "b=1&n=4111"), 0);
  gw.Send(Tcp4(3 + 14 + 50, Clean(1400)), 10);
  EXPECT_TRUE(gw.injected.empty());
  gw.Send(Tcp4(13, "22;b"), 20);  // the number ends: no value, all goes
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[2].payload, "b=1&n=4111");
  EXPECT_FALSE(gw.injected.empty());
}

// A request whose head went, and a body segment of `body` that the SYN's
// MSS (100, no timestamps) says is a full one or not, ending in a number
// that may begin a card; what follows it is lost before the gateway and
// nothing beyond it comes. The hold ends: the number's digits withheld.
struct Upload {
  Gateway gw;
  uint32_t tail_seq = 0;
  std::string tail;
  explicit Upload(const PipelineConfig& c, const std::string& body, size_t digits) : gw(c) {
    const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\n\r\n";
    gw.Send(SynWithMss(100));
    gw.Send(Tcp4(1, head), 0);
    const auto at = static_cast<uint32_t>(1 + head.size());
    gw.Send(Tcp4(at, body), 10);
    gw.pipeline().Tick(c.hold_timeout_us + 10, gw);
    tail = body.substr(body.size() - digits);
    tail_seq = at + static_cast<uint32_t>(body.size() - digits);
  }
  // The sender's copy of the tail, alone, at `t`, and the end of its hold.
  void CopyAndHold(int64_t t, int64_t copy_hold_us) {
    gw.Send(Tcp4(tail_seq, tail), t);
    gw.pipeline().Tick(t + copy_hold_us, gw);
  }
};

PipelineConfig Holds() {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  return c;
}

TEST(LossySender, ATailCutFromAFullSegmentLeavesAsItIsAtItsFirstHoldEnd) {
  // 100 bytes: the sender had more to send, so what followed was sent and
  // lost; back to one segment per timer, it sends only this copy until it
  // is acknowledged. "4111" shows no more than a card's first six.
  const std::string body = std::string(95, 'a') + "=4111";
  Upload u(Holds(), body, 4);
  ASSERT_EQ(u.gw.out.back().payload, body.substr(0, 96));
  const size_t before = u.gw.out.size();
  u.CopyAndHold(200000, 500000);
  ASSERT_EQ(u.gw.out.size(), before + 1);
  EXPECT_EQ(u.gw.out.back().payload, "4111");
  EXPECT_EQ(u.gw.pipeline().counters().tails_released.load(), 1u);
}

TEST(LossySender, ATailCutFromAShortSegmentIsWithheldAgain) {
  // 20 bytes: a sender that paused inside what may be a value (a form
  // typed slowly) gets no digit through; its copy is withheld again.
  const std::string body = std::string(15, 'a') + "=4111";
  Upload u(Holds(), body, 4);
  const size_t before = u.gw.out.size();
  u.CopyAndHold(200000, 500000);
  EXPECT_EQ(u.gw.out.size(), before);
  EXPECT_EQ(u.gw.pipeline().counters().tails_released.load(), 0u);
}

// The CSV row that e2e_slowlink's 2 % loss run corrupted: a full segment
// ended in "\n2429581", seven digits that may begin a 2-series Mastercard,
// what followed was lost, and the copy left as XXXXXXX at its third hold.
const std::string kRowCut = std::string(92, '1') + "\n2429581";

TEST(LossySender, ATailShowingMoreThanADisplayStopsTheFlowRatherThanLeaveMasked) {
  Upload u(Holds(), kRowCut, 7);
  const size_t before = u.gw.out.size();
  for (const int64_t t : {200000, 800000, 1400000}) u.CopyAndHold(t, 500000);
  EXPECT_EQ(u.gw.out.size(), before) << u.gw.out.back().payload;
  EXPECT_EQ(u.gw.pipeline().counters().tails_stopped.load(), 1u);
  EXPECT_EQ(u.gw.pipeline().counters().tails_masked.load(), 0u);
  EXPECT_EQ(u.gw.injected.size(), 2u);  // a reset each way: the client sees an error
  for (const auto& o : u.gw.out) EXPECT_EQ(o.payload.find('X'), std::string::npos);
}

TEST(LossySender, ATailShowingMoreThanADisplayIsWithheldTwiceFirst) {
  // Two more retransmission timers for what follows to come with it.
  Upload u(Holds(), kRowCut, 7);
  const size_t before = u.gw.out.size();
  u.CopyAndHold(200000, 500000);
  u.CopyAndHold(800000, 500000);
  EXPECT_EQ(u.gw.out.size(), before);
  EXPECT_EQ(u.gw.pipeline().counters().tails_stopped.load(), 0u);
  EXPECT_TRUE(u.gw.injected.empty());
  u.gw.Send(Tcp4(u.tail_seq, u.tail + ",abc;"), 1400000);  // with what follows
  ASSERT_EQ(u.gw.out.size(), before + 1);
  EXPECT_EQ(u.gw.out.back().payload, u.tail + ",abc;");
}

TEST(LossySender, FailOpenATailShowingMoreThanADisplayLeavesMasked) {
  PipelineConfig c = Holds();
  c.fail_mode = FailMode::kOpen;
  Upload u(c, kRowCut, 7);
  for (const int64_t t : {200000, 800000, 1400000}) u.CopyAndHold(t, 500000);
  EXPECT_EQ(u.gw.out.back().payload, "XXXXXXX");
  EXPECT_EQ(u.gw.pipeline().counters().tails_masked.load(), 1u);
  EXPECT_EQ(u.gw.pipeline().counters().tails_stopped.load(), 0u);
}

// A held copy settles only when its hold ends: a flow given up before
// (evicted for room, here) withholds it, and the ends are reset.
TEST(LossySender, AHeldCopyOfAFlowGivenUpIsWithheldNotSettled) {
  PipelineConfig c = Holds();
  c.max_flows = 1;
  const std::string body = std::string(95, 'a') + "=4111";
  Upload u(c, body, 4);
  u.gw.Send(Tcp4(u.tail_seq, u.tail), 200000);  // the copy: held
  const size_t before = u.gw.out.size();
  u.gw.Send(Tcp4(1, "", 0x02, 40001), 300000);  // another flow takes the room
  for (size_t i = before; i < u.gw.out.size(); ++i) EXPECT_NE(u.gw.out[i].payload, "4111");
  EXPECT_EQ(u.gw.pipeline().counters().tails_released.load(), 0u);
  EXPECT_EQ(u.gw.pipeline().counters().busy_evictions.load(), 1u);
}

}  // namespace
}  // namespace dlp
