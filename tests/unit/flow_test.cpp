// Stream inspection on the packet path: values cut across TCP segments are
// masked in every segment that carries part of them, in order, and only
// segments that may end inside a value are held.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "dlpd/decode/checksum.h"
#include "dlpd/flow/flow_key.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::Gateway;
using test::SynWithMss;
using test::Tcp4;

const std::string kBody =
    "name=a&ssn=536-22-1457&card=4111 1111 1111 1111&pan=5555555555554444&end";

TEST(FlowInspection, ValueSplitAtEveryByteIsMaskedInBothSegments) {
  const std::string want = test::Mask(kBody);
  ASSERT_NE(want, kBody);
  for (size_t cut = 1; cut < kBody.size(); ++cut) {
    Gateway gw;
    gw.Send(Tcp4(999, "", 0x02));  // SYN
    gw.Send(Tcp4(1000, kBody.substr(0, cut)));
    gw.Send(Tcp4(1000 + static_cast<uint32_t>(cut), kBody.substr(cut)));
    gw.pipeline().Flush(gw);
    ASSERT_EQ(gw.out.size(), 3u) << cut;
    EXPECT_EQ(gw.Delivered(), want) << "cut at " << cut;
    EXPECT_EQ(gw.pipeline().held_bytes(), 0u);
    for (size_t i = 0; i < gw.out.size(); ++i) {
      EXPECT_EQ(gw.out[i].handle, i) << "order, cut at " << cut;
      EXPECT_TRUE(gw.out[i].checksum_ok) << cut;
    }
  }
}

TEST(FlowInspection, ThreeWaySplits) {
  const std::string body = "x=1&c=378282246310005;s=078-05-1120.";
  const std::string want = test::Mask(body);
  for (size_t a = 1; a < body.size(); ++a) {
    for (size_t b = a + 1; b < body.size(); ++b) {
      Gateway gw;
      gw.Send(Tcp4(1, body.substr(0, a)));
      gw.Send(Tcp4(1 + static_cast<uint32_t>(a), body.substr(a, b - a)));
      gw.Send(Tcp4(1 + static_cast<uint32_t>(b), body.substr(b)));
      gw.pipeline().Flush(gw);
      ASSERT_EQ(gw.Delivered(), want) << a << "," << b;
    }
  }
}

TEST(FlowInspection, OneByteSegments) {
  Gateway gw;
  for (size_t i = 0; i < kBody.size(); ++i)
    gw.Send(Tcp4(1 + static_cast<uint32_t>(i), kBody.substr(i, 1)));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(), test::Mask(kBody));
}

TEST(FlowInspection, OnlySegmentsEndingInValueBytesAreHeld) {
  Gateway gw;
  gw.Send(Tcp4(1, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  gw.Send(Tcp4(28, "hello world, nothing here\n"));
  EXPECT_EQ(gw.out.size(), 2u);  // passed at once
  gw.Send(Tcp4(54, "card=4111 1111"));
  EXPECT_EQ(gw.out.size(), 2u);  // may go on: held
  EXPECT_EQ(gw.pipeline().held_packets(), 1u);
  gw.Send(Tcp4(68, " 1111 1111&x=y"));
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[2].payload, "card=XXXX XXXX");
  EXPECT_EQ(gw.out[3].payload, " XXXX XXXX&x=y");
  EXPECT_EQ(gw.pipeline().counters().held_total.load(), 1u);
}

TEST(FlowInspection, BodyEndingInValueBytesIsNotHeldWhenItsLengthSaysItEnds) {
  auto head = [](int n) {
    return "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n";
  };
  Gateway gw;
  uint32_t seq = 1;
  auto send = [&](const std::string& p) {
    gw.Send(Tcp4(seq, p));
    seq += static_cast<uint32_t>(p.size());
  };
  send(head(14) + "x=1&amount=100");
  EXPECT_EQ(gw.out.size(), 1u);  // ends in digits, but so does the body
  EXPECT_EQ(gw.pipeline().counters().held_total.load(), 0u);
  send(head(29) + "x=1&amount=100");  // ends in digits, and the body goes on
  EXPECT_EQ(gw.out.size(), 1u);
  send("ssn=536-22-1457");  // the body's last bytes: judged now, not held
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, "ssn=XXX-XX-XXXX");
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  // Without a length (chunked), a tail in value bytes is held as ever.
  send("POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n18\r\ncard=4111 1111");
  EXPECT_EQ(gw.out.size(), 3u);
  send(" 1111 1111\r\n0\r\n\r\n");
  ASSERT_EQ(gw.out.size(), 5u);
  EXPECT_EQ(gw.out[4].payload, " XXXX XXXX\r\n0\r\n\r\n");
}

TEST(FlowInspection, RetransmissionIsMaskedTheSameWay) {
  Gateway gw;
  gw.Send(Tcp4(1, "ssn=536-22-"));
  gw.Send(Tcp4(12, "1457&a=b"));
  gw.Send(Tcp4(1, "ssn=536-22-"));  // both retransmitted
  gw.Send(Tcp4(12, "1457&a=b"));
  gw.Send(Tcp4(5, "536-22-1457&a=b"));  // re-segmented copy
  ASSERT_EQ(gw.out.size(), 5u);
  EXPECT_EQ(gw.out[0].payload, "ssn=XXX-XX-");
  EXPECT_EQ(gw.out[1].payload, "XXXX&a=b");
  EXPECT_EQ(gw.out[2].payload, "ssn=XXX-XX-");
  EXPECT_EQ(gw.out[3].payload, "XXXX&a=b");
  EXPECT_EQ(gw.out[4].payload, "XXX-XX-XXXX&a=b");
  EXPECT_EQ(gw.pipeline().counters().retransmissions.load(), 3u);
}

TEST(FlowInspection, RetransmissionOfHeldBytesWaitsBehindThem) {
  // The sender's timer fires while its segments are held: the copies must
  // not overtake the originals with an unconfirmed piece of a value.
  Gateway gw;
  gw.Send(Tcp4(1, "card=4111 1111"));  // held
  gw.Send(Tcp4(15, " 1111 11"));       // held
  gw.Send(Tcp4(1, "card=4111 1111"));  // copy of held bytes
  gw.Send(Tcp4(15, " 1111 11"));       // copy of held bytes
  EXPECT_TRUE(gw.out.empty());
  gw.Send(Tcp4(23, "11;"));
  ASSERT_EQ(gw.out.size(), 5u);
  for (const auto& o : gw.out) EXPECT_EQ(o.payload.find("1111"), std::string::npos) << o.payload;
  EXPECT_EQ(gw.out[2].payload, "card=XXXX XXXX");
  EXPECT_EQ(gw.out[3].payload, " XXXX XX");
  EXPECT_EQ(gw.pipeline().held_bytes(), 0u);
}

TEST(FlowInspection, CopyOfABufferedOutOfOrderSegmentIsDropped) {
  Gateway gw;
  gw.Send(Tcp4(0, "", 0x02));
  gw.Send(Tcp4(13, "1111 1111;"));  // beyond a gap
  gw.Send(Tcp4(13, "1111 1111;"));  // its copy: must not go ahead
  ASSERT_EQ(gw.out.size(), 1u);     // the SYN only
  EXPECT_EQ(gw.dropped, 1u);
  gw.Send(Tcp4(1, "c=4111 1111 "));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.Delivered(), "c=XXXX XXXX XXXX XXXX;");
}

TEST(FlowInspection, HoldTimeoutJudgesTheTailAsEndOfStream) {
  Gateway gw(/*hold_us=*/1000);
  gw.Send(Tcp4(1, "card=4111111111111111"), 0);
  EXPECT_TRUE(gw.out.empty());
  EXPECT_EQ(gw.pipeline().next_deadline(), 1000);
  gw.pipeline().Tick(999, gw);
  EXPECT_TRUE(gw.out.empty());
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "card=XXXXXXXXXXXXXXXX");
  EXPECT_TRUE(gw.out[0].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().hold_timeouts.load(), 1u);
}

TEST(FlowInspection, TailThatMayBeginAValueIsWithheldAtATimeout) {
  // What follows "ssn=5" was lost: the sender sends it again only after its
  // retransmission timer, long after the hold ended. The "5" must not go.
  Gateway gw(1000);
  gw.Send(Tcp4(1, "x=1&ssn=5"), 0);
  gw.pipeline().Tick(5000, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "x=1&ssn=");  // cut before the possible value
  EXPECT_TRUE(gw.out[0].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().tails_withheld.load(), 1u);
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  // The sender's retransmission starts at the first byte not acknowledged,
  // with what follows it.
  gw.Send(Tcp4(9, "536-22-1457&y"), 300000);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "XXX-XX-XXXX&y");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
}

TEST(FlowInspection, WithheldTailSentAgainAloneGoes) {
  // A body that ends in digits, and nothing follows: the copy sent again
  // goes at once, so the request is delayed by one retransmission, not stalled.
  // (From its SYN: one picked up mid-stream is restart_test.cpp's.)
  Gateway gw(1000);
  gw.Send(Tcp4(0, "", 0x02), 0);
  gw.Send(Tcp4(1, "qty=1&amount=100"), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.size(), 2u);  // the SYN, and the segment cut
  EXPECT_EQ(gw.out[1].payload, "qty=1&amount=");
  gw.Send(Tcp4(14, "100"), 200000);
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, "100");
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
}

TEST(FlowInspection, WholeSegmentThatMayBeginAValueIsDroppedAtATimeout) {
  Gateway gw(1000);
  gw.Send(Tcp4(1, "card="), 0);
  gw.Send(Tcp4(6, "4111 1111"), 10);
  gw.pipeline().Tick(2000, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "card=");
  EXPECT_EQ(gw.dropped, 1u);
  // Sent again with the rest: masked whole.
  gw.Send(Tcp4(6, "4111 1111 1111 1111;"), 300000);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "XXXX XXXX XXXX XXXX;");
}

TEST(FlowInspection, ValuePausedPastTheHoldTimeNeverLeavesInClear) {
  // A sender that pauses on purpose inside a value: the first piece is
  // withheld, the rest comes, and the piece sent again waits behind it.
  Gateway gw(1000);
  gw.Send(Tcp4(1, "ssn=5"), 0);
  gw.pipeline().Tick(1000, gw);
  EXPECT_EQ(gw.out.back().payload, "ssn=");
  gw.Send(Tcp4(6, "36-22-14"), 50000);  // held: may go on
  gw.Send(Tcp4(5, "5"), 200000);        // the withheld byte, sent again
  EXPECT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(14, "57;"), 200010);
  ASSERT_EQ(gw.out.size(), 4u);
  for (const auto& o : gw.out)
    EXPECT_EQ(o.payload.find_first_of("1234567"), std::string::npos) << o.payload;
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
}

TEST(FlowInspection, WithheldTailSentAgainAloneWaitsForWhatFollows) {
  // The sender pauses inside a value for longer than its retransmission
  // timer, or a slow link delays what follows: the withheld piece comes back
  // alone. The request's length says more is coming, so it waits for it,
  // held, and leaves judged: masked when it was part of a value.
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  Gateway gw(1000);
  gw.Send(Tcp4(1, head + "x=1&ssn=5"), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, head + "x=1&ssn=");
  gw.Send(Tcp4(body + 8, "5"), 200000);  // sent again alone: held
  EXPECT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.pipeline().counters().tails_held.load(), 1u);
  gw.pipeline().Tick(201000, gw);  // longer than a hold: a copy waits longer
  EXPECT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(body + 9, "36-22-1457;"), 400000);
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "X");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  EXPECT_EQ(gw.out[2].payload, "XX-XX-XXXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
  EXPECT_EQ(gw.pipeline().counters().tails_masked.load(), 0u);
  // A later copy of the masked piece carries the mask.
  gw.Send(Tcp4(body + 4, "ssn=5"), 500000);
  EXPECT_EQ(gw.out.back().payload, "ssn=X");
}

TEST(FlowInspection, WithheldTailSentAgainAloneLeavesUnchangedWhenWhatFollowsEndsTheNumber) {
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  Gateway gw(1000);
  gw.Send(Tcp4(1, head + "n=4771"), 0);
  gw.pipeline().Tick(1000, gw);
  EXPECT_EQ(gw.out.back().payload, head + "n=");
  gw.Send(Tcp4(body + 2, "4771"), 200000);  // the copy: held
  gw.Send(Tcp4(body + 6, "066239&m=2;"), 230000);
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "4771");
  EXPECT_EQ(gw.out[2].payload, "066239&m=2;");
}

TEST(FlowInspection, ANumberNoValueCanBeginWithIsNeverHeld) {
  // "1771": no card brand begins with 1, and an SSN's area is followed by
  // a separator. It goes at once, whole, however slowly the rest comes.
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\n";
  Gateway gw(1000);
  gw.Send(Tcp4(1, head + "n=1771"), 0);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, head + "n=1771");
  EXPECT_EQ(gw.pipeline().counters().held_total.load(), 0u);
  // Its first digits could still begin one: held until the rest decides.
  gw.Send(Tcp4(1 + static_cast<uint32_t>(head.size()) + 6, "&m=17"), 100);
  EXPECT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(1 + static_cast<uint32_t>(head.size()) + 11, "7"), 200);
  EXPECT_EQ(gw.out.size(), 1u);  // "177": an SSN's area
  gw.Send(Tcp4(1 + static_cast<uint32_t>(head.size()) + 12, "1"), 300);
  ASSERT_EQ(gw.out.size(), 4u);  // "1771": none, all three go
  EXPECT_EQ(gw.out[1].payload, "&m=17");
  EXPECT_EQ(gw.out[3].payload, "1");
}

TEST(FlowInspection, WithheldTailSentAgainAloneLeavesMaskedWhenNothingFollowsInTime) {
  // The sender cannot send what follows until the copy is acknowledged (its
  // window, or its retransmission state): at the copy's third hold end it
  // leaves masked, so the request goes on and the value never leaves in
  // clear: "53622" has more digits than a truncated display of an SSN
  // (three) or a card (six) that it may begin shows.
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 24\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  Gateway gw(c);
  gw.Send(Tcp4(1, head + "x=1&ssn=53622"), 0);
  gw.pipeline().Tick(1000, gw);
  gw.Send(Tcp4(body + 8, "53622"), 200000);
  gw.pipeline().Tick(699999, gw);
  EXPECT_EQ(gw.out.size(), 1u);
  gw.pipeline().Tick(700000, gw);  // the first time: withheld again
  EXPECT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.dropped, 1u);                 // the copy, not sent
  gw.Send(Tcp4(body + 8, "53622"), 800000);  // the sender's next copy, alone again
  gw.pipeline().Tick(1300000, gw);           // the second time: withheld again
  EXPECT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(body + 8, "53622"), 1400000);
  gw.pipeline().Tick(1900000, gw);  // the third time: it leaves masked
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "XXXXX");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().tails_masked.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().tails_released.load(), 0u);
  gw.Send(Tcp4(body + 13, "1457;"), 2000000);
  EXPECT_EQ(gw.out.back().payload, "XXXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
}

TEST(FlowInspection, AStalledCopyThatShowsNoMoreThanATruncatedDisplayLeavesAsItIs) {
  // The same stall on "5", with what follows sent beyond a lost segment:
  // one digit, no more than a truncated display of an SSN (its area) or a
  // card (its first six) shows. It leaves as it is at its first hold's end
  // (the sender, back to one segment per retransmission timer, sends
  // nothing else until it is acknowledged), so a number that turns out to
  // be none is unchanged; here the value completes, is masked from there
  // on, and is recorded as partly sent.
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  Gateway gw(c);
  gw.Send(Tcp4(1, head + "x=1&ssn=5"), 0);
  gw.Send(Tcp4(body + 16, "457;"), 10);  // what follows, beyond a lost segment
  gw.pipeline().Tick(1000, gw);
  gw.Send(Tcp4(body + 8, "5"), 200000);
  gw.pipeline().Tick(699999, gw);
  EXPECT_EQ(gw.out.size(), 1u);  // held for what follows
  gw.pipeline().Tick(700000, gw);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "5");
  EXPECT_EQ(gw.pipeline().counters().tails_released.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().tails_masked.load(), 0u);
  gw.Send(Tcp4(body + 9, "36-22-1"), 800000);  // the gap fills
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[2].payload, "XX-XX-X");
  EXPECT_EQ(gw.out[3].payload, "XXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 1u);
}

// Stalled inside "4111 1" (five digits, no more than a card's first six)
// with bytes sent beyond a lost segment, the copy leaves as it is; stalled
// again after "111 11", the run's digits number ten. Returns the gateway
// after that second copy's third hold.
std::unique_ptr<Gateway> StallTwiceInACard(FailMode mode, uint32_t* body) {
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n";
  *body = 1 + static_cast<uint32_t>(head.size());
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  c.fail_mode = mode;
  auto gw = std::make_unique<Gateway>(c);
  gw->Send(Tcp4(1, head + "card=4111 1"), 0);
  gw->Send(Tcp4(*body + 30, "zz;"), 10);  // sent beyond a lost segment
  gw->pipeline().Tick(1000, *gw);
  gw->Send(Tcp4(*body + 5, "4111 1"), 200000);
  gw->pipeline().Tick(700000, *gw);
  EXPECT_EQ(gw->out.size(), 2u);
  EXPECT_EQ(gw->out.back().payload, "4111 1");
  gw->Send(Tcp4(*body + 11, "111 11"), 800000);
  gw->pipeline().Tick(801000, *gw);  // withheld: the run is open
  for (const int64_t t : {1000000, 1600000}) {
    gw->Send(Tcp4(*body + 11, "111 11"), t);
    gw->pipeline().Tick(t + 500000, *gw);
    EXPECT_EQ(gw->out.size(), 2u);  // withheld again
  }
  gw->Send(Tcp4(*body + 11, "111 11"), 2200000);
  gw->pipeline().Tick(2700000, *gw);  // the third hold's end
  EXPECT_EQ(gw->pipeline().counters().tails_released.load(), 1u);
  return gw;
}

TEST(FlowInspection, ASenderStallingAgainAndAgainIsStoppedPastATruncatedDisplay) {
  // Fail closed: neither the digits in clear nor Xs in what may be a
  // number that is none; the flow stops, both ends reset.
  uint32_t body = 0;
  std::unique_ptr<Gateway> gw = StallTwiceInACard(FailMode::kClosed, &body);
  EXPECT_EQ(gw->out.size(), 2u);
  EXPECT_EQ(gw->pipeline().counters().tails_stopped.load(), 1u);
  EXPECT_EQ(gw->pipeline().counters().tails_masked.load(), 0u);
  EXPECT_EQ(gw->injected.size(), 2u);  // a reset each way
  gw->Send(Tcp4(body + 17, "11 1111;"), 2800000);
  EXPECT_EQ(gw->out.size(), 2u);
}

TEST(FlowInspection, ASenderStallingAgainAndAgainGetsNoMoreThanATruncatedDisplayThrough) {
  // Fail open: the flow goes on, the copy masked, and so is the rest.
  uint32_t body = 0;
  std::unique_ptr<Gateway> gw = StallTwiceInACard(FailMode::kOpen, &body);
  ASSERT_EQ(gw->out.size(), 3u);
  EXPECT_EQ(gw->out[2].payload, "XXX XX");
  EXPECT_EQ(gw->pipeline().counters().tails_masked.load(), 1u);
  EXPECT_EQ(gw->pipeline().counters().tails_stopped.load(), 0u);
  gw->Send(Tcp4(body + 17, "11 1111;"), 2800000);
  EXPECT_EQ(gw->out.back().payload, "XX XXXX;");
}

TEST(FlowInspection, WithheldTailSentAgainAfterTheStreamJudgedItGoesUnchanged) {
  // A slow uplink: each segment takes longer than the hold time, so a
  // segment ending in a number has its tail withheld at the timeout. The
  // next segment (sent right after it) shows the number ended without a
  // value; the tail's copy that the sender sends again must then go as it
  // is, or every number at a segment's end is corrupted in transit.
  const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 60\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  Gateway gw(1000);
  gw.Send(Tcp4(1, head + "id,ts\n7,4771066239"), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, head + "id,ts\n7,");     // the number's digits withheld
  gw.Send(Tcp4(body + 18, "\n8,4771066240\n"), 30000);  // the run ended: no value
  gw.Send(Tcp4(body + 8, "4771066239"), 230000);        // the withheld tail, sent again
  std::string got(body + 32, '?');  // as the receiver puts it together, by sequence number
  for (const auto& o : gw.out) got.replace(o.seq - 1, o.payload.size(), o.payload);
  EXPECT_EQ(got.substr(0, body + 31), head + "id,ts\n7,4771066239\n8,4771066240\n");
  EXPECT_EQ(got.find('X'), std::string::npos) << got;
  EXPECT_EQ(gw.pipeline().counters().tails_masked.load(), 0u);
}

TEST(FlowInspection, WithheldBytesAreForgottenWhenTheStreamSkipsAGap) {
  // After a skipped gap the stream's offsets start again: what was withheld
  // (and the request's length) were offsets of the old stream, and must
  // not mask a copy of the new one.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.gap_timeout_us = 2000;
  c.fail_mode = FailMode::kOpen;  // closed, the flow stops instead
  Gateway gw(c);
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(1, head + "x=1&ssn=5"), 0);
  gw.pipeline().Tick(1000, gw);  // "5" withheld
  const std::string later(120, 'b');
  gw.Send(Tcp4(body + 20, later), 1100);  // beyond a gap that never fills
  gw.pipeline().Tick(4000, gw);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.pipeline().counters().gaps_skipped.load(), 1u);
  gw.Send(Tcp4(body + 20, later), 5000);  // a copy of it
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, later);
}

TEST(FlowInspection, ValueGoingOnAfterAWithheldTailWasSentAgainIsCountedPartial) {
  Gateway gw(1000);
  gw.Send(Tcp4(0, "", 0x02), 0);
  gw.Send(Tcp4(1, "card=4111 1111"), 0);
  gw.pipeline().Tick(5000, gw);
  EXPECT_EQ(gw.out.back().payload, "card=");
  gw.Send(Tcp4(6, "4111 1111"), 200000);  // sent again alone: goes
  EXPECT_EQ(gw.out.back().payload, "4111 1111");
  gw.Send(Tcp4(15, " 1111 1111;"), 400000);
  EXPECT_EQ(gw.out.back().payload, " XXXX XXXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 1u);
}

TEST(FlowInspection, FinReleasesHeldSegments) {
  Gateway gw;
  gw.Send(Tcp4(1, "ssn=536-22-1457"));
  EXPECT_TRUE(gw.out.empty());
  gw.Send(Tcp4(16, "", 0x11));  // FIN
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[0].payload, "ssn=XXX-XX-XXXX");
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
}

TEST(FlowInspection, ReorderedSegmentsWaitForTheGapAndAreScannedInOrder) {
  // "x=1;" | "card=4111 1111" | " 1111 1111;" | "ssn=536-22-1457." sent as A, D, B, C.
  // (Not "x=1&": a '&' at a segment's end may begin "&#52;", a digit that
  // goes on the run "1", and waits for the next byte.)
  Gateway gw;
  gw.Send(Tcp4(0, "", 0x02));             // SYN
  gw.Send(Tcp4(1, "x=1;"));               // A: offsets 0-3
  gw.Send(Tcp4(30, "ssn=536-22-1457."));  // D: beyond a gap, not forwarded yet
  EXPECT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.pipeline().held_packets(), 1u);
  gw.Send(Tcp4(5, "card=4111 1111"));  // B: ends in value bytes, held
  gw.Send(Tcp4(19, " 1111 1111;"));    // C: fills the gap
  ASSERT_EQ(gw.out.size(), 5u);
  EXPECT_EQ(gw.Delivered(), "x=1;card=XXXX XXXX XXXX XXXX;ssn=XXX-XX-XXXX.");
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  gw.pipeline().Flush(gw);
  std::string all = gw.Delivered();
  EXPECT_EQ(all.find("4111"), std::string::npos) << all;
  EXPECT_EQ(all.find("536-22"), std::string::npos) << all;
  EXPECT_EQ(gw.pipeline().counters().out_of_order.load(), 1u);
}

TEST(FlowInspection, ValueSplitAcrossReorderedSegmentsIsMasked) {
  const std::string body = "a=1&card=4111 1111 1111 1111&b=2";
  const std::string want = test::Mask(body);
  for (size_t cut = 5; cut + 5 < body.size(); ++cut) {
    Gateway gw;
    gw.Send(Tcp4(0, "", 0x02));                                       // SYN
    gw.Send(Tcp4(1 + static_cast<uint32_t>(cut), body.substr(cut)));  // second half first
    EXPECT_EQ(gw.out.size(), 1u);                                     // only the SYN
    gw.Send(Tcp4(1, body.substr(0, cut)));
    gw.pipeline().Flush(gw);
    ASSERT_EQ(gw.out.size(), 3u);
    // Delivered in stream order, whatever order they came in.
    EXPECT_EQ(gw.Delivered(), want) << "cut " << cut;
  }
}

TEST(FlowInspection, LostSegmentNeverComingStopsTheFlowWhenClosed) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.gap_timeout_us = 2000;
  Gateway gw(c);
  gw.Send(Tcp4(1, "a=b&card=4111", 0x18, 40000, 777), 0);        // held: may begin a value
  gw.Send(Tcp4(100, " 1111 1111 1111;", 0x18, 40000, 777), 10);  // beyond a gap
  gw.pipeline().Tick(1000, gw);                                  // the hold ends: "4111" withheld
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "a=b&card=");
  gw.pipeline().Tick(2010, gw);  // the gap did not fill: the flow stops
  EXPECT_EQ(gw.pipeline().counters().gaps_stopped.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().gaps_skipped.load(), 0u);
  EXPECT_EQ(gw.out.size(), 1u);  // nothing beyond the gap went
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  // Both ends reset: the server where it stands (before the withheld
  // tail), the client at the acknowledgment number it last sent. (The
  // segment beyond the gap is too short to judge any of it without the
  // gap: none of it went ahead.)
  ASSERT_EQ(gw.injected.size(), 2u);
  PacketView to_server, to_client;
  ASSERT_EQ(DecodePacket(gw.injected[0].data(), gw.injected[0].size(), &to_server),
            DecodeStatus::kOk);
  ASSERT_EQ(DecodePacket(gw.injected[1].data(), gw.injected[1].size(), &to_client),
            DecodeStatus::kOk);
  EXPECT_EQ(to_server.seq, 10u);
  EXPECT_EQ(to_client.seq, 777u);
  // What comes after, the gap filled at last included, does not go.
  gw.Send(Tcp4(10, std::string(90, 'z')), 3000);
  gw.Send(Tcp4(10, "4111 1111 1111 1111;"), 3001);
  EXPECT_EQ(gw.out.size(), 1u);
}

TEST(FlowInspection, AGapWaitsWhileTheSenderResendsWhatDlpdWithholds) {
  // The receiver lacks a withheld tail: the sender, recovering, sends only
  // that tail again until it is delivered, so the gap is not the sender's.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.gap_timeout_us = 2000;
  Gateway gw(c);
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(1, head + "a=b&n=177"), 0);  // held: may begin a value
  gw.Send(Tcp4(body + 100, "z;"), 10);      // beyond a gap
  gw.pipeline().Tick(1000, gw);             // "177" withheld
  gw.Send(Tcp4(body + 6, "177"), 1500);     // the sender resends it: held for what follows
  gw.pipeline().Tick(2010, gw);
  EXPECT_EQ(gw.pipeline().counters().gaps_stopped.load(), 0u);
  gw.Send(Tcp4(body + 6, "177"), 3500);
  gw.pipeline().Tick(4020, gw);
  EXPECT_EQ(gw.pipeline().counters().gaps_stopped.load(), 0u);
  gw.pipeline().Tick(6030, gw);  // not heard from for a gap time: stopped
  EXPECT_EQ(gw.pipeline().counters().gaps_stopped.load(), 1u);
}

TEST(FlowInspection, LostSegmentNeverComing) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.gap_timeout_us = 2000;
  c.fail_mode = FailMode::kOpen;  // closed, the flow stops instead
  Gateway gw(c);
  gw.Send(Tcp4(1, "a=b&"), 0);
  gw.Send(Tcp4(100, "card=4111 1111"), 10);  // beyond a gap of 95 bytes
  gw.Send(Tcp4(114, " 1111 1111;"), 20);
  EXPECT_EQ(gw.out.size(), 1u);  // both wait for the gap
  gw.pipeline().Tick(1999, gw);
  EXPECT_EQ(gw.out.size(), 1u);
  gw.pipeline().Tick(2010, gw);  // the gap did not fill: the stream goes on
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "card=XXXX XXXX");
  EXPECT_EQ(gw.out[2].payload, " XXXX XXXX;");
  EXPECT_EQ(gw.pipeline().counters().gaps_skipped.load(), 1u);
  // The stream goes on in order after the skipped gap.
  gw.Send(Tcp4(125, "ssn=536-22-"), 3000);
  gw.Send(Tcp4(136, "1457;"), 3001);
  ASSERT_EQ(gw.out.size(), 5u);
  EXPECT_EQ(gw.out[3].payload, "ssn=XXX-XX-");
  EXPECT_EQ(gw.out[4].payload, "XXXX;");
  // The lost segment comes at last: scanned on its own.
  gw.Send(Tcp4(5, std::string(90, 'z') + "ssn=078-05-1120;"), 4000);
  ASSERT_EQ(gw.out.size(), 6u);
  EXPECT_EQ(gw.out[5].payload.substr(90), "ssn=XXX-XX-XXXX;");
}

TEST(FlowInspection, HeldBytesAreCapped) {
  Gateway gw(20000, 65536, /*max_held_bytes=*/90);
  gw.Send(Tcp4(1, "card=4111"));  // 49 bytes: held
  EXPECT_EQ(gw.pipeline().held_bytes(), 49u);
  gw.Send(Tcp4(10, " 1111"));  // 45 more would pass the cap: judged now
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.pipeline().held_bytes(), 0u);
  EXPECT_EQ(gw.out[0].payload, "card=");  // the possible value is withheld
  EXPECT_EQ(gw.dropped, 1u);              // " 1111": all of it
  EXPECT_EQ(gw.pipeline().counters().hold_overflows.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().tails_withheld.load(), 2u);
  gw.Send(Tcp4(6, "4111 1111 1111 1111;"));  // sent again, with the rest
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "XXXX XXXX XXXX XXXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
  // Out-of-order segments count too: past the cap one is not forwarded
  // (scanned alone, a value cut at its edge would pass in halves); TCP
  // sends it again once the gap has filled.
  const size_t dropped = gw.dropped;
  gw.Send(Tcp4(500, std::string(45, 'a') + "-22-1457;"));  // 94 bytes: past the cap
  EXPECT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.dropped, dropped + 1);
  EXPECT_EQ(gw.pipeline().counters().hold_overflows.load(), 2u);
}

TEST(FlowInspection, OutOfOrderPastTheCapIsScannedAloneWhenFailOpen) {
  PipelineConfig c;
  c.fail_mode = FailMode::kOpen;
  c.max_held_bytes = 90;
  Gateway gw(c);
  gw.Send(Tcp4(1, "card=4111"));  // held: 49 bytes
  gw.Send(Tcp4(500, std::string(40, 'a') + "ssn=078-05-1120;"));
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload.substr(40), "ssn=XXX-XX-XXXX;");
  EXPECT_EQ(gw.pipeline().counters().hold_overflows.load(), 1u);
}

TEST(FlowInspection, LaterCopiesCarryTheFirstCopysBytes) {
  // An insertion attack on a receiver that keeps the last copy: the first
  // copy is harmless (and may never reach the receiver), later copies carry
  // pieces of a card number, none a whole one.
  Gateway gw;
  gw.Send(Tcp4(1, "card=aaaa aaaa aaaa aaaa;"));
  gw.Send(Tcp4(1, "card=4111 1111"));
  gw.Send(Tcp4(15, " 1111 1111;"));
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "card=aaaa aaaa");
  EXPECT_EQ(gw.out[2].payload, " aaaa aaaa;");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  EXPECT_TRUE(gw.out[2].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().overlaps_normalized.load(), 2u);
}

TEST(FlowInspection, CopyOfMaskedBytesCarriesTheMask) {
  Gateway gw;
  gw.Send(Tcp4(1, "x=1&card=4111 1111 1111 1111;"));
  gw.Send(Tcp4(1, "x=1&card=4111 1111 1111 1112;"));  // changed last digit
  gw.Send(Tcp4(10, "4111 1111 1111 1111;zz"));        // re-segmented, new bytes after
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[0].payload, "x=1&card=XXXX XXXX XXXX XXXX;");
  EXPECT_EQ(gw.out[1].payload, "x=1&card=XXXX XXXX XXXX XXXX;");
  EXPECT_EQ(gw.out[2].payload, "XXXX XXXX XXXX XXXX;zz");
  for (const auto& o : gw.out) EXPECT_TRUE(o.checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().findings.load(), 1u);  // one value, found once
}

TEST(FlowInspection, OverlapIntoHeldBytesIsNormalizedAndWaits) {
  Gateway gw;
  gw.Send(Tcp4(1, "ssn=536-22-"));       // held
  gw.Send(Tcp4(5, "000-00-1457&a=b;"));  // overlaps the held bytes, goes on
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[0].payload, "ssn=XXX-XX-");
  EXPECT_EQ(gw.out[1].payload, "XXX-XX-XXXX&a=b;");
  EXPECT_TRUE(gw.out[1].checksum_ok);
}

FlowKey KeyOf(uint16_t src_port, uint8_t last_octet) {
  FlowKey k;
  k.ip_version = 4;
  k.src = {10, 0, 0, last_octet};
  k.dst = {192, 0, 2, 7};
  k.src_port = src_port;
  k.dst_port = 80;
  return k;
}

TEST(FlowKeyHash, KeyedPerTableAndSpreadsChosenTuples) {
  const FlowKeyHash a, b;
  EXPECT_EQ(a(KeyOf(40000, 1)), a(KeyOf(40000, 1)));
  // Another table draws another key: the same tuples land elsewhere, so
  // tuples chosen to collide in one table do not in the next.
  int same = 0;
  for (uint16_t p = 0; p < 64; ++p) same += a(KeyOf(p, 1)) == b(KeyOf(p, 1));
  EXPECT_EQ(same, 0);
  // Tuples an insider controls (ports and addresses in a row) spread over
  // the buckets: 16,384 flows in 1,024 buckets, 16 expected per bucket.
  std::vector<int> load(1024);
  for (uint16_t p = 0; p < 4096; ++p) {
    for (uint8_t o = 0; o < 4; ++o) ++load[a(KeyOf(p, o)) % load.size()];
  }
  EXPECT_LT(*std::max_element(load.begin(), load.end()), 48);
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(FlowInspection, CoalescedPacketWithMoreValuesThanRememberedIsMaskedWhole) {
  // A GSO packet as NFQUEUE hands it over: 60 KB, 3,750 values.
  Gateway gw;
  // It ends in "&end": a last '&' could begin "&#52;", which would go on the
  // value before it, and would wait for the next byte.
  gw.Send(Tcp4(1, Repeat("ssn=536-22-1457&", 3750) + "end"));
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, Repeat("ssn=XXX-XX-XXXX&", 3750) + "end");
  EXPECT_TRUE(gw.out[0].checksum_ok);
}

TEST(FlowInspection, HeldPacketKeepsItsValuesWhileTheNextBringsMore) {
  // The first packet is held (it ends in what may begin a value); the next
  // one's 400 values must not push the first one's out of memory before
  // it goes.
  Gateway gw;
  const std::string first = Repeat("ssn=536-22-1457&", 200) + "x=536-22-";
  gw.Send(Tcp4(1, first));
  EXPECT_TRUE(gw.out.empty());
  gw.Send(Tcp4(1 + static_cast<uint32_t>(first.size()),
               "1457&" + Repeat("ssn=536-22-1457&", 399) + "ssn=536-22-1457;"));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[0].payload, Repeat("ssn=XXX-XX-XXXX&", 200) + "x=XXX-XX-");
  EXPECT_EQ(gw.out[1].payload, "XXXX&" + Repeat("ssn=XXX-XX-XXXX&", 399) + "ssn=XXX-XX-XXXX;");
  // Copies of old bytes are still masked from memory, now bounded again.
  gw.Send(Tcp4(1 + static_cast<uint32_t>(first.size()) + 5 + 399 * 16, "ssn=536-22-1457;"));
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, "ssn=XXX-XX-XXXX;");
}

TEST(FlowInspection, CopiesOlderThanTheWindowAreCheckedAgainstTheDigest) {
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(Tcp4(1, "ssn=536-22-1457;"));
  gw.Send(Tcp4(17, std::string(200, 'z')));
  gw.Send(Tcp4(217, std::string(200, 'y')));  // the window keeps its last piece whole
  // Whole segments as they were sent: checked, and masked as they were.
  gw.Send(Tcp4(1, "ssn=536-22-1457;"));
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[3].payload, "ssn=XXX-XX-XXXX;");
  EXPECT_TRUE(gw.out[3].checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().copies_checked.load(), 1u);
  // A copy with other bytes, or one cut inside a segment, cannot be
  // checked: the receiver may take it for a first copy it dropped, so it
  // does not go.
  gw.Send(Tcp4(17, std::string(100, 'z') + "4" + std::string(99, 'z')));
  gw.Send(Tcp4(1, "ssn=536-2"));
  gw.Send(Tcp4(10, "2-1457;"));
  EXPECT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 3u);
}

TEST(FlowInspection, ACopyFromAWithheldTailsCutIsChecked) {
  // The sender resends from where its segment was cut, long after: the
  // digest has a record boundary there.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&n=4771"), 0);
  gw.pipeline().Tick(1000, gw);  // "4771" withheld
  ASSERT_EQ(gw.out.size(), 1u);
  gw.Send(Tcp4(11, "066239;" + std::string(200, 'z')), 2000);
  gw.Send(Tcp4(218, std::string(200, 'y')), 2000);  // [0, 217) goes to the digest
  gw.Send(Tcp4(7, "4771"), 3000);
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[3].payload, "4771");
  EXPECT_EQ(gw.pipeline().counters().copies_checked.load(), 1u);
}

TEST(FlowInspection, ACopyOfPartOfACoalescedSegmentIsCheckedBySegmentSize) {
  // The SYN's MSS (100, no timestamps) is the size the sender resends a
  // part of a coalesced segment in.
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  std::string body;
  for (int i = 0; i < 40; ++i) body += "row" + std::to_string(1000 + i) + ";";  // 320 bytes
  gw.Send(Tcp4(1, body));
  gw.Send(Tcp4(1 + static_cast<uint32_t>(body.size()), std::string(200, 'z')));
  gw.Send(Tcp4(101, body.substr(100, 100)));  // its second MSS, resent
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[3].payload, body.substr(100, 100));
  gw.Send(Tcp4(51, body.substr(50, 100)));  // not where the sender cuts
  EXPECT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.pipeline().counters().copies_checked.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 1u);
}

// A segment beyond a gap: its pieces (the sender's segment size) that no
// value reaches go ahead, unchanged, so the receiver acknowledges them
// selectively and the sender resends the gap at once; a piece a value
// touches, or too near the island's edges to judge, waits for the gap.
TEST(FlowInspection, PiecesBeyondAGapThatNoValueReachesGoAhead) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a=1\n"));  // a first line that heads no CSV table
  std::string island;
  while (island.size() < 1200) island += "name=abc;";
  island.resize(1200);
  island.replace(650, 16, "ssn=536-22-1457;");  // in the fourth piece
  const uint32_t at = 1 + 4 + 50;               // 50 bytes lost
  gw.Send(Tcp4(at, island));
  EXPECT_EQ(gw.out.size(), 2u);  // the SYN, "a=1": the segment itself waits
  // More than the widest match and a verdict's lookback from the island's
  // start, and its lookahead from the end.
  const auto& rules = *test::DefaultRules();
  const uint64_t before = rules.max_width() + 2 + rules.lookback();
  const uint64_t after = rules.max_width() + 2 + rules.lookahead();
  std::vector<uint32_t> want;
  for (uint32_t a = 0; a < 1200; a += 200) {
    if (a >= before && a + 200 + after <= 1200 && a != 600) want.push_back(at + a);
  }
  ASSERT_FALSE(want.empty()) << "pieces too small for the rules' widest match";
  std::vector<uint32_t> sent;
  for (const auto& p : gw.injected) {
    PacketView pv;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &pv), DecodeStatus::kOk);
    ASSERT_TRUE(TcpChecksumValid(p.data(), pv));
    const std::string bytes(reinterpret_cast<const char*>(p.data()) + pv.payload_offset,
                            pv.payload_len);
    EXPECT_EQ(bytes, island.substr(pv.seq - at, 200));  // as it is
    sent.push_back(pv.seq);
  }
  EXPECT_EQ(sent, want);
  EXPECT_EQ(gw.pipeline().counters().sack_probes.load(), want.size());
  // The gap fills: the whole segment goes as the stream forwards it, the
  // value masked, the pieces sent ahead unchanged in it.
  gw.Send(Tcp4(5, std::string(50, 'z')));
  ASSERT_EQ(gw.out.size(), 4u);
  std::string masked = island;
  masked.replace(654, 11, "XXX-XX-XXXX");
  EXPECT_EQ(gw.out[3].payload, masked);
}

TEST(FlowInspection, ACopyResentFromAWithheldTailsCutGoesAsFarAsItChecks) {
  // The sender resends from where its segment was cut, in its own segment
  // size (100 here), long after: the copy holds the withheld tail, then
  // part of a segment that left whole. The tail and nothing more goes (the
  // receiver needs the tail; the rest, if it needs it, comes again from a
  // boundary), so the upload goes on instead of stalling on a copy that
  // can never be checked.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  std::string body;
  while (body.size() < 96) body += "row;";
  body.resize(96);
  body += "4111";  // [96, 100): may begin a card
  for (int i = 0; i < 4; ++i) body += std::string(99, 'z') + ";";
  gw.Send(Tcp4(1, body.substr(0, 100)), 0);
  gw.pipeline().Tick(1000, gw);  // "4111" withheld
  ASSERT_EQ(gw.out.back().payload, body.substr(0, 96));
  for (uint32_t at = 100; at < 500; at += 100) gw.Send(Tcp4(1 + at, body.substr(at, 100)), 2000);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(97, body.substr(96, 100)), 3000);  // [96, 196)
  ASSERT_EQ(gw.out.size(), before + 1);
  EXPECT_EQ(gw.out.back().seq, 97u);
  // The tail, and no more: [100, 200) is one record (a piece is never cut
  // where the window happened to be trimmed), and the copy holds it only
  // in part.
  EXPECT_EQ(gw.out.back().payload, body.substr(96, 4));
  EXPECT_TRUE(gw.out.back().checksum_ok);
  EXPECT_EQ(gw.pipeline().counters().copies_trimmed.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 0u);
  // A copy that differs goes only as far as it is the first copy: the
  // tail's bytes are records of their own, and the first one checks.
  std::string changed = body.substr(96, 100);
  changed[1] = '2';
  gw.Send(Tcp4(97, changed), 4000);
  ASSERT_EQ(gw.out.size(), before + 2);
  EXPECT_EQ(gw.out.back().payload, body.substr(96, 1));
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 0u);
  changed[0] = '2';  // differs from its first byte: nothing goes
  gw.Send(Tcp4(97, changed), 5000);
  EXPECT_EQ(gw.out.size(), before + 2);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 1u);
}

TEST(FlowInspection, ACopyThatEndsInsideAWithheldTailLeavesABoundaryToResendFrom) {
  // A slow link withholds the end of every segment that ends in digits.
  // The sender resends from the receiver's acknowledgement, in its own
  // segment size: a copy that ends inside the next withheld tail moves the
  // receiver there, and the sender resends from that point, long after,
  // when those bytes have left the window. The copy's end must be a point
  // a later copy can be checked from, or every copy from it is dropped and
  // the upload stalls for good (seen on a 400 kbit/s link).
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  std::string body;
  while (body.size() < 96) body += "row;";
  body.resize(96);
  body += "4111";                                     // [96, 100): may begin a card
  body += std::string(89, 'z') + ";" + "4111111111";  // [190, 200) too
  for (int i = 0; i < 3; ++i) body += std::string(99, 'z') + ";";
  gw.Send(Tcp4(1, body.substr(0, 100)), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.back().payload, body.substr(0, 96));
  gw.Send(Tcp4(101, body.substr(100, 100)), 1000);
  gw.pipeline().Tick(2000, gw);
  ASSERT_EQ(gw.out.back().payload, body.substr(100, 90));
  // The first tail resent: [96, 196), into the second tail.
  gw.Send(Tcp4(97, body.substr(96, 100)), 2500);
  ASSERT_EQ(gw.out.back().seq, 97u);
  ASSERT_EQ(gw.out.back().payload, body.substr(96, 100));
  for (uint32_t at = 200; at < 500; at += 100) gw.Send(Tcp4(1 + at, body.substr(at, 100)), 3000);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(197, body.substr(196, 100)), 4000);  // [196, 296), from the digest
  ASSERT_EQ(gw.out.size(), before + 1);
  EXPECT_EQ(gw.out.back().seq, 197u);
  EXPECT_EQ(gw.out.back().payload, body.substr(196, 4));  // [196, 200): [200, 300) is one record
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 0u);
}

TEST(FlowInspection, ACopyMayBeginAnywhereInAWithheldTail) {
  // Once the sender has collapsed copies into its segment size, its
  // segments begin wherever the last copy ended: a copy of one byte of a
  // withheld tail, then one from the next byte on, long after the tail has
  // left the window. Each goes (the tail's bytes, then whole records), so
  // the receiver gets the tail; a copy goes no further than its first
  // byte that differs from the first copy.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  std::string body;
  while (body.size() < 90) body += "row;";
  body.resize(90);
  body += ";536221457";  // [91, 100): may begin an SSN
  for (int i = 0; i < 4; ++i) body += std::string(99, 'z') + ";";
  gw.Send(Tcp4(1, body.substr(0, 100)), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.back().payload, body.substr(0, 91));
  for (uint32_t at = 100; at < 500; at += 100) gw.Send(Tcp4(1 + at, body.substr(at, 100)), 2000);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(92, body.substr(91, 1)), 3000);  // the tail's first byte alone
  ASSERT_EQ(gw.out.size(), before + 1);
  EXPECT_EQ(gw.out.back().seq, 92u);
  EXPECT_EQ(gw.out.back().payload, body.substr(91, 1));
  gw.Send(Tcp4(93, body.substr(92, 100)), 3000);  // [92, 192): the rest, and into [100, 200)
  ASSERT_EQ(gw.out.size(), before + 2);
  EXPECT_EQ(gw.out.back().seq, 93u);
  // The tail, and no more: the copy holds [100, 200) only in part.
  EXPECT_EQ(gw.out.back().payload, body.substr(92, 8));
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 0u);
  // A copy whose third byte differs: its first two go, never the third.
  std::string changed = body.substr(95, 5);
  changed[2] = '0';
  gw.Send(Tcp4(96, changed), 4000);
  ASSERT_EQ(gw.out.size(), before + 3);
  EXPECT_EQ(gw.out.back().payload, body.substr(95, 2));
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 0u);
}

TEST(FlowInspection, WithNoWindowCopiesOfAWithheldTailAreCheckedFromAnyByte) {
  // --window-kb 0: bytes are kept only until they have left and settled,
  // then later copies are checked against the digest alone. A withheld
  // tail settles once the stream has judged it (here: the start of an SSN,
  // masked), and each of its bytes is a record, so the sender's copies
  // from inside it go, masked as its copies always leave.
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 0;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  std::string body = "a=1&ssn=536-2";  // [8, 13) withheld
  gw.Send(Tcp4(1, body), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.back().payload, "a=1&ssn=");
  gw.Send(Tcp4(14, "2-1457;" + std::string(80, 'z')), 2000);  // the SSN is confirmed
  gw.Send(Tcp4(101, std::string(50, 'y')), 2000);             // [0, 100) goes to the digest
  const size_t before = gw.out.size();
  gw.Send(Tcp4(9, "5"), 3000);  // the tail's first byte alone
  ASSERT_EQ(gw.out.size(), before + 1);
  EXPECT_EQ(gw.out.back().payload, "X");
  gw.Send(Tcp4(10, "36-22-1"), 3000);  // the rest, and part of the next segment
  ASSERT_EQ(gw.out.size(), before + 2);
  EXPECT_EQ(gw.out.back().payload, "XX-X");  // [9, 13): the next is one record
  EXPECT_EQ(gw.pipeline().counters().copies_checked.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().copies_trimmed.load(), 1u);
  // Other digits that mask the same leave as the first copy left; a copy
  // goes no further than its first byte that differs from it.
  gw.Send(Tcp4(11, "7-2"), 4000);
  ASSERT_EQ(gw.out.size(), before + 3);
  EXPECT_EQ(gw.out.back().payload, "X-X");
  gw.Send(Tcp4(11, "7+2"), 4000);
  ASSERT_EQ(gw.out.size(), before + 4);
  EXPECT_EQ(gw.out.back().payload, "X");
  gw.Send(Tcp4(12, "+2"), 4000);
  EXPECT_EQ(gw.out.size(), before + 4);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 1u);
}

TEST(FlowInspection, WindowsAreFreedOverTheTotal) {
  PipelineConfig c;
  c.window_bytes = 4096;
  c.max_window_total = 5000;  // room for about one flow's window
  Gateway gw(c);
  gw.Send(Tcp4(1, std::string(3000, 'a') + ";", 0x18, 1));
  gw.Send(Tcp4(1, std::string(3000, 'b') + ";", 0x18, 2));  // frees flow 1's window
  EXPECT_GE(gw.pipeline().counters().windows_freed.load(), 1u);
  // Flow 1's copy can no longer be checked: it does not go.
  gw.Send(Tcp4(1, "ssn=536-22-1457;", 0x18, 1));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 1u);
  // Flow 2's copy still can.
  gw.Send(Tcp4(1, "ssn=536-22-1457;", 0x18, 2));
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[2].payload, std::string(16, 'b'));
}

TEST(FlowInspection, UrgentDataIsMadeInline) {
  // The urgent byte "Z" would be taken out of the stream by the receiver,
  // which would then read an SSN; the gateway clears URG so it stays in.
  Gateway gw;
  auto urg = Tcp4(1, "ssn=536-22Z-1457;");
  urg[33] |= TcpFlags::kUrg;
  urg[38] = 0;
  urg[39] = 11;  // the urgent pointer: just past the "Z"
  PacketView v;
  ASSERT_EQ(DecodePacket(urg.data(), urg.size(), &v), DecodeStatus::kOk);
  UpdateTcpChecksum(urg.data(), v);
  std::vector<uint8_t> sent = urg;
  gw.pipeline().Process(0, sent.data(), sent.size(), 0, gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "ssn=536-22Z-1457;");  // no value on the wire: unchanged
  EXPECT_TRUE(gw.out[0].checksum_ok);
  EXPECT_EQ(sent[33] & TcpFlags::kUrg, 0);
  EXPECT_EQ(sent[38], 0);
  EXPECT_EQ(sent[39], 0);
  EXPECT_EQ(gw.pipeline().counters().urgent_cleared.load(), 1u);
  // Urgent or not, a value on the wire is masked.
  auto urg2 = Tcp4(18, "card=4111111111111111;");
  urg2[33] |= TcpFlags::kUrg;
  urg2[39] = 3;
  ASSERT_EQ(DecodePacket(urg2.data(), urg2.size(), &v), DecodeStatus::kOk);
  UpdateTcpChecksum(urg2.data(), v);
  gw.Send(urg2);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "card=XXXXXXXXXXXXXXXX;");
  EXPECT_TRUE(gw.out[1].checksum_ok);
}

TEST(FlowInspection, DataOnTheSynIsPartOfTheStream) {
  // TCP Fast Open carries data on the SYN; a value may start there.
  Gateway gw;
  gw.Send(Tcp4(1000, "ssn=536-22-", 0x02));  // SYN + data: seq 1000, data from 1001
  EXPECT_TRUE(gw.out.empty());               // ends inside a possible value: held
  gw.Send(Tcp4(1012, "1457;"));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[0].payload, "ssn=XXX-XX-");
  EXPECT_EQ(gw.out[1].payload, "XXXX;");
  EXPECT_TRUE(gw.out[0].checksum_ok);
}

TEST(FlowInspection, ValueDrippedSlowerThanTheHoldTimeIsHeldWhole) {
  // One byte every 15 ms against a 20 ms hold: each byte extends the hold.
  Gateway gw(/*hold_us=*/20000);
  const std::string body = "c=4111 1111 1111 1111;";
  int64_t t = 0;
  for (size_t i = 0; i < body.size(); ++i, t += 15000) {
    gw.pipeline().Tick(t, gw);
    gw.Send(Tcp4(1 + static_cast<uint32_t>(i), body.substr(i, 1)), t);
  }
  gw.pipeline().Tick(t + 100000, gw);
  EXPECT_EQ(gw.Delivered(), "c=XXXX XXXX XXXX XXXX;");
  EXPECT_EQ(gw.pipeline().counters().partial.load(), 0u);
  // Silence past the hold time still ends a hold.
  gw.Send(Tcp4(1 + static_cast<uint32_t>(body.size()), "ssn=536-22"), t + 200000);
  gw.pipeline().Tick(t + 200000 + 20001, gw);
  EXPECT_EQ(gw.out.back().payload, "ssn=");  // the possible value is withheld
  EXPECT_EQ(gw.pipeline().counters().hold_timeouts.load(), 1u);
}

TEST(FlowInspection, FullTableEvictsAQuietFlowBeforeOneThatHoldsAValue) {
  // More in flow_admission_test.cpp.
  Gateway gw(20000, /*max_flows=*/2);
  gw.Send(Tcp4(1, "ssn=536-22-1457", 0x18, 1));  // held
  // A whole request: between requests, a fresh flow would read on as this.
  gw.Send(Tcp4(1, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", 0x18, 2));
  gw.Send(Tcp4(1, "y;", 0x18, 3));  // evicts flow 2, which holds nothing
  ASSERT_EQ(gw.out.size(), 2u);
  gw.Send(Tcp4(16, ";", 0x18, 1));
  ASSERT_EQ(gw.out.size(), 4u);
  EXPECT_EQ(gw.out[2].payload, "ssn=XXX-XX-XXXX");
  EXPECT_EQ(gw.pipeline().counters().flows_evicted.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().busy_evictions.load(), 0u);
  EXPECT_EQ(gw.pipeline().counters().flows.load(), 2u);
}

}  // namespace
}  // namespace dlp
