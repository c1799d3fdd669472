// dlpd stopped or restarted in the middle of a value (found by an attack
// through the divert gateway, the same on NFQUEUE): the first digits of a
// value never leave in clear, whether the old dlpd held them when it
// stopped or the new one picks the flow up at them.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/gateway.h"

namespace dlp::test {
namespace {

// Ticks every 10 ms from *t up to `to`.
void RunUntil(Gateway& gw, int64_t* t, int64_t to) {
  for (; *t < to; *t += 10000) gw.pipeline().Tick(*t, gw);
}

std::string Request(const std::string& body_start, size_t body_len) {
  return "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body_len) + "\r\n\r\n" +
         body_start;
}

TEST(Restart, AStopWithholdsWhatMayBeginAValueInsteadOfReleasingIt) {
  // The sender paused inside a value: its tail was withheld at the hold's
  // end, and its copy is held, waiting for what follows, when dlpd stops.
  const std::string head = Request("x=1&ssn=536-22-", 23);
  for (const bool shutdown : {true, false}) {
    Gateway gw;
    gw.Send(Tcp4(0, "", 0x02), 0);
    gw.Send(Tcp4(1, head), 1000);
    int64_t t = 1000;
    RunUntil(gw, &t, 300000);
    const uint32_t tail_seq = 1 + static_cast<uint32_t>(head.size()) - 7;
    gw.Send(Tcp4(tail_seq, "536-22-"), t);
    EXPECT_EQ(gw.Delivered().find("536-22-"), std::string::npos);
    if (shutdown) {
      gw.pipeline().Shutdown(gw);  // a live capture stops
      EXPECT_EQ(gw.Delivered().find("536-22-"), std::string::npos) << gw.Delivered();
      EXPECT_EQ(gw.pipeline().held_packets(), 0u);
    } else {
      gw.pipeline().Flush(gw);  // a capture file ends: so does the stream
      EXPECT_NE(gw.Delivered().find("536-22-"), std::string::npos);
    }
  }
}

TEST(Restart, AFlowPickedUpAtTheFirstDigitsOfAValueNeverSendsThemInClear) {
  // The new dlpd's first bytes of the flow are the sender's copy of the
  // tail the old one withheld; the rest of the value comes 3 s later.
  Gateway gw;
  int64_t t = 0;
  gw.Send(Tcp4(1000, "536-22-"), t);
  for (const int64_t copy_at : {300000, 900000, 2100000}) {
    RunUntil(gw, &t, copy_at);
    gw.Send(Tcp4(1000, "536-22-"), t);
    EXPECT_EQ(gw.Delivered().find("536-22"), std::string::npos) << gw.Delivered();
  }
  RunUntil(gw, &t, 3000000);
  gw.Send(Tcp4(1007, "1457&y=2"), t);
  RunUntil(gw, &t, 3300000);
  EXPECT_EQ(gw.Delivered(), "XXX-XX-XXXX&y=");
  // The body's last digit may begin a card and its end is unknown: it is
  // withheld, and its copy (one digit: no more than a display shows)
  // leaves as it is at its first hold's end.
  gw.Send(Tcp4(1014, "2"), t);
  RunUntil(gw, &t, 4500000);
  EXPECT_EQ(gw.Delivered(), "XXX-XX-XXXX&y=2");
}

TEST(Restart, APickedUpBodyEndingInANumberLeavesItAfterOneRetransmission) {
  // The price of not knowing where a picked-up body ends: a number that
  // may begin a value waits for one retransmission, then goes unchanged
  // when it shows no more digits than a display (a card's first six).
  Gateway gw;
  int64_t t = 0;
  gw.Send(Tcp4(1000, "qty=7&card_bin=411111"), t);
  RunUntil(gw, &t, 300000);
  EXPECT_EQ(gw.Delivered(), "qty=7&card_bin=");
  gw.Send(Tcp4(1015, "411111"), t);
  RunUntil(gw, &t, 1500000);
  EXPECT_EQ(gw.Delivered(), "qty=7&card_bin=411111");
  EXPECT_TRUE(gw.injected.empty());
}

TEST(Restart, APickedUpFlowThatStallsInsideAValueIsStoppedNotReleasedNorMasked) {
  // Nothing follows the copy: where the body ends is unknown (no request
  // line was seen), so it may be the start of a value (never in clear) or
  // a number the body ends with (never Xs): the flow stops with resets and
  // the client sends the request again on a connection dlpd sees whole.
  Gateway gw;
  int64_t t = 0;
  gw.Send(Tcp4(1000, "x=1&ssn=536-22-"), t);
  for (const int64_t copy_at : {300000, 900000, 2100000, 4500000, 9300000}) {
    RunUntil(gw, &t, copy_at);
    gw.Send(Tcp4(1008, "536-22-"), t);
  }
  RunUntil(gw, &t, 20000000);
  EXPECT_EQ(gw.Delivered(), "x=1&ssn=");
  EXPECT_EQ(gw.injected.size(), 2u);  // a reset each way
}

TEST(Restart, APickedUpFlowsNumbersThatBeginNoValueGoAtOnce) {
  // Legitimate traffic of a flow picked up mid-body is not held for
  // numbers no value begins with.
  Gateway gw;
  gw.Send(Tcp4(1000, "qty=7&price=12.50&ts=1700000000000"), 0);
  EXPECT_EQ(gw.Delivered(), "qty=7&price=12.50&ts=1700000000000");
}

}  // namespace
}  // namespace dlp::test
