// Attacks on the first-copy check (records are the sender's segments,
// per-byte records for withheld tails, SplitAt at copy ends, records made
// only once bytes have left and settled): a sender that controls its TCP
// sends crafted copies of bytes dlpd has already seen.
// Safe behaviour: a copy leaves as the first copy left (or not at all), and
// no byte of a value reaches the wire unmasked.
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
using test::SynWithMss;
using test::Tcp4;

// A1. --window-kb 0. A value split over two segments (neither holds it
// alone, so a copy scanned alone shows nothing) is masked as it leaves;
// after more than kRememberedFindings (256) later values the finding is
// forgotten. Raw copies of both segments must not hash as their records:
// records hold the bytes as they left, never as they came.
TEST(CopyAttack, NoWindowRawCopiesOfAForgottenSplitValueStayMasked) {
  PipelineConfig c;
  c.window_bytes = 0;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));  // held
  gw.Send(Tcp4(14, "2-1457;"));
  ASSERT_EQ(gw.out.size(), 2u);
  ASSERT_EQ(gw.out[0].payload, "x=1&ssn=XXX-X");
  ASSERT_EQ(gw.out[1].payload, "X-XXXX;");
  uint32_t seq = 21;
  SendValues(gw, &seq, 300);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("536-2"), std::string::npos) << left;
  EXPECT_EQ(left.find("2-1457"), std::string::npos) << left;
}

// A1 with the default window (64 KB): the copies are normalized to the
// window's bytes as they left.
TEST(CopyAttack, DefaultWindowRawCopiesOfAForgottenSplitValueStayMasked) {
  Gateway gw;
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  ASSERT_EQ(gw.out.size(), 2u);
  uint32_t seq = 21;
  SendValues(gw, &seq, 300);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  ASSERT_EQ(gw.out.size(), before + 2);
  EXPECT_EQ(gw.out[before].payload, "x=1&ssn=XXX-X");
  EXPECT_EQ(gw.out[before + 1].payload, "X-XXXX;");
}

// A2. The same with a value still remembered in the copy: the copy is
// masked where it is remembered, and its forgotten value's bytes, as they
// came, must still not match (a check that also accepted the copy as it
// came would let them through).
TEST(CopyAttack, NoWindowAltMatchDoesNotLetAForgottenValueThroughBesideARememberedOne) {
  PipelineConfig c;
  c.window_bytes = 0;
  Gateway gw(c);
  gw.Send(Tcp4(1, "ssn=536-2"));          // [0, 9) held
  gw.Send(Tcp4(10, "2-1457&ssn=536-2"));  // [9, 25): A ends, B begins; held
  gw.Send(Tcp4(26, "2-1458;"));           // B ends
  ASSERT_EQ(gw.out.size(), 3u);
  ASSERT_EQ(gw.out[1].payload, "X-XXXX&ssn=XXX-X");
  uint32_t seq = 33;
  std::string leaks;
  for (int i = 0; i < 300; ++i) {
    SendValues(gw, &seq, 1);
    const size_t before = gw.out.size();
    gw.Send(Tcp4(10, "2-1457&ssn=536-2"));  // the middle segment, as it came
    const std::string left = LeftSince(gw, before);
    if (left.find("1457") != std::string::npos && leaks.empty()) {
      leaks = "after " + std::to_string(i + 3) + " findings: " + left;
    }
  }
  EXPECT_TRUE(leaks.empty()) << leaks;
}

// A3. A window smaller than a packet: the held segment before it and the
// packet's head must not be recorded before they leave (raw).
TEST(CopyAttack, SmallWindowRawCopyOfARecordMadeBeforeItLeftStaysMasked) {
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));                     // held
  gw.Send(Tcp4(14, "2-1457;" + std::string(200, 'z')));  // fills the window alone
  ASSERT_EQ(gw.out.size(), 2u);
  ASSERT_EQ(gw.out[0].payload, "x=1&ssn=XXX-X");
  uint32_t seq = 14 + 207;
  SendValues(gw, &seq, 300);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("536-2"), std::string::npos) << left;
}

// A4. A withheld tail whose copy left masked (tails_masked, SettleWithheldCopy
// masks it itself, not from a finding); the run then ends (no value). A later
// copy as it came: the receiver must see the bytes it saw first.
void SettledTailThenRawCopy(size_t window_bytes) {
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 30\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  c.window_bytes = window_bytes;
  Gateway gw(c);
  gw.Send(SynWithMss(100), 0);
  gw.Send(Tcp4(1, head + "x=1&ssn=53622"), 0);
  gw.pipeline().Tick(1000, gw);
  gw.Send(Tcp4(body + 8, "53622"), 200000);
  gw.pipeline().Tick(700000, gw);
  gw.Send(Tcp4(body + 8, "53622"), 800000);
  gw.pipeline().Tick(1300000, gw);
  gw.Send(Tcp4(body + 8, "53622"), 1400000);
  gw.pipeline().Tick(1900000, gw);
  ASSERT_EQ(gw.out.back().payload, "XXXXX");
  ASSERT_EQ(gw.pipeline().counters().tails_masked.load(), 1u);
  gw.Send(Tcp4(body + 13, ";" + std::string(16, 'z')), 2000000);  // ends the run and the body
  const size_t before = gw.out.size();
  gw.Send(Tcp4(body + 8, "53622"), 2100000);  // the attacker's copy, as it came
  const std::string left = LeftSince(gw, before);
  EXPECT_EQ(left.find("53622"), std::string::npos) << left;
}
TEST(CopyAttack, InWindowRawCopyOfATailThatLeftMaskedLeavesMasked) {
  SettledTailThenRawCopy(64 << 10);
}
TEST(CopyAttack, NoWindowRawCopyOfATailThatLeftMaskedLeavesMasked) {
  SettledTailThenRawCopy(0);
}

// A5. --window-kb 0: records are made as bytes left (masked), as with a
// window: a copy with other digits, the first copy as it came, or the
// first copy as it left sent as such, each leaves exactly as the first
// copy left.
TEST(CopyAttack, NoWindowCopiesLeaveAsTheFirstCopyLeft) {
  PipelineConfig c;
  c.window_bytes = 0;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  gw.Send(Tcp4(21, "z=2;"));  // [0, 20) has left and goes to the digest
  ASSERT_EQ(gw.out.size(), 3u);
  for (const char* copy : {"x=1&ssn=999-2", "x=1&ssn=XXX-X", "x=1&ssn=536-2"}) {
    gw.Send(Tcp4(1, copy));
    EXPECT_EQ(gw.out.back().payload, "x=1&ssn=XXX-X") << copy;
    EXPECT_TRUE(gw.out.back().checksum_ok);
  }
  gw.Send(Tcp4(14, "2-9999;"));
  EXPECT_EQ(gw.out.back().payload, "X-XXXX;");
  EXPECT_EQ(gw.out.size(), 7u) << LeftSince(gw, 3);
  gw.Send(Tcp4(1, "x=2&ssn=536-2"));  // other bytes than digits: not the first copy
  EXPECT_EQ(gw.out.size(), 7u);
  EXPECT_EQ(gw.pipeline().counters().copies_unchecked.load(), 1u);
}

// A6. With a window, records are made as bytes left (masked): a copy whose
// raw bytes are the masked ones, or other digits that mask the same, leaves
// exactly as the first copy left.
TEST(CopyAttack, SmallWindowCopiesThatMaskTheSameLeaveAsTheFirstLeft) {
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  gw.Send(Tcp4(1, "x=1&ssn=536-2"));
  gw.Send(Tcp4(14, "2-1457;"));
  gw.Send(Tcp4(21, std::string(100, 'z') + ";"));
  gw.Send(Tcp4(122, std::string(100, 'z') + ";"));
  ASSERT_EQ(gw.out.size(), 4u);
  const size_t before = gw.out.size();
  gw.Send(Tcp4(1, "x=1&ssn=XXX-X"));
  gw.Send(Tcp4(1, "x=1&ssn=999-2"));
  gw.Send(Tcp4(14, "2-9999;"));
  gw.Send(Tcp4(14, "X-XXXX;"));
  for (size_t i = before; i < gw.out.size(); ++i) {
    EXPECT_TRUE(gw.out[i].payload == "x=1&ssn=XXX-X" || gw.out[i].payload == "X-XXXX;")
        << gw.out[i].payload;
  }
  const std::string left = LeftSince(gw, before);
  for (const char* digits : {"536", "999", "1457", "9999", "-2", "2-"}) {
    EXPECT_EQ(left.find(digits), std::string::npos) << left;
  }
}

// A7. Per-byte records: copies from inside a withheld tail, with a byte
// changed, or longer, go no further than they are the first copy; an
// attacker making boundaries with one-byte copies (SplitAt at each copy's
// end) gets nothing but the first copy's bytes through.
TEST(CopyAttack, AttackerMadeBoundariesLetOnlyTheFirstCopysBytesThrough) {
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
  gw.Send(Tcp4(101, body.substr(100, 100)), 2000);
  // One-byte copies of bytes still in the window: a boundary after each.
  for (uint32_t at = 100; at < 140; ++at) gw.Send(Tcp4(1 + at, body.substr(at, 1)), 2000);
  for (uint32_t at = 200; at < 500; at += 100) gw.Send(Tcp4(1 + at, body.substr(at, 100)), 2000);
  const size_t before = gw.out.size();
  for (uint32_t at = 91; at < 140; ++at) {
    std::string copy = body.substr(at, 30);
    copy[copy.size() / 2] = '7';  // a byte that differs, mid-copy
    gw.Send(Tcp4(1 + at, copy), 3000);
  }
  for (size_t i = before; i < gw.out.size(); ++i) {
    const test::Out& o = gw.out[i];
    EXPECT_EQ(o.payload, body.substr(o.seq - 1, o.payload.size())) << "at " << o.seq - 1;
    EXPECT_TRUE(o.checksum_ok);
  }
}

// A8. --window-kb 0, a withheld tail not yet pushed out: copies from
// inside it with one byte changed leave as the first copy would (the window
// rewrites them), masked; never with the changed byte.
TEST(CopyAttack, NoWindowTailCopiesWithOtherBytesLeaveAsTheFirstCopy) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.window_bytes = 0;
  Gateway gw(c);
  gw.Send(SynWithMss(100));
  gw.Send(Tcp4(1, "a=1&ssn=536-2"), 0);
  gw.pipeline().Tick(1000, gw);
  ASSERT_EQ(gw.out.back().payload, "a=1&ssn=");
  gw.Send(Tcp4(14, "2-1457;" + std::string(80, 'z')), 2000);
  const std::string masked = "XXX-X";
  for (uint32_t at = 8; at < 13; ++at) {
    std::string copy = std::string("536-2").substr(at - 8);
    copy[0] = copy[0] == '-' ? '0' : '-';
    gw.Send(Tcp4(1 + at, copy), 3000);
    EXPECT_EQ(gw.out.back().payload, masked.substr(at - 8)) << LeftSince(gw, 0);
  }
}

// B2. The timestamps option offered in the SYN (segment size
// taken as MSS - 12) but not agreed by the server (Windows servers, many
// middleboxes): the sender sends segments of the whole MSS.
TEST(CopyAttack, CopyOfAFullMssSegmentIsCheckedWhenTimestampsWereOfferedButNotUsed) {
  PipelineConfig c;
  c.window_bytes = 64;
  Gateway gw(c);
  std::vector<uint8_t> syn = Tcp4(0, "", 0x02);
  const uint8_t opt[] = {2, 4, 0, 100, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
  syn.insert(syn.begin() + 40, std::begin(opt), std::end(opt));
  syn[3] = static_cast<uint8_t>(syn.size());
  syn[32] = 0x90;
  PacketView v;
  ASSERT_EQ(DecodePacket(syn.data(), syn.size(), &v), DecodeStatus::kOk);
  UpdateTcpChecksum(syn.data(), v);
  gw.Send(syn);
  std::string body;
  for (int i = 0; i < 30; ++i) body += "row" + std::to_string(1000 + i) + ";";
  body.resize(200);
  gw.Send(Tcp4(1, body));  // two 100-byte segments, coalesced
  gw.Send(Tcp4(201, std::string(199, 'z') + ";"));
  const size_t before = gw.out.size();
  gw.Send(Tcp4(101, body.substr(100, 100)));  // the sender's second segment, resent
  ASSERT_EQ(gw.out.size(), before + 1)
      << "copies_unchecked=" << gw.pipeline().counters().copies_unchecked.load();
  EXPECT_EQ(gw.out.back().payload, body.substr(100, 100));
}

}  // namespace
}  // namespace dlp
