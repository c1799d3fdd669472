// Attacks on, and legitimate traffic through, the lossy-sender handling of
// 90cc695: a withheld tail's copy released in clear at its first hold when
// "the sender sent on" (a full-size segment by the SYN's MSS, or bytes
// beyond a gap), the flow stopped at its third, and SACK probes deferred
// while segments are held. The receiver's view is gw.out reassembled by
// sequence number (first copy of each byte wins).
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dlpd/decode/packet.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/unit/base64_support.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::SynWithMss;
using test::Tcp4;

// What the server reads: the bytes forwarded, by sequence number, from seq
// 1 on, as far as they are contiguous (first copy of each byte wins).
std::string Receiver(const Gateway& gw, uint32_t isn_plus_one = 1) {
  std::map<uint32_t, char> bytes;
  for (const auto& o : gw.out) {
    for (size_t i = 0; i < o.payload.size(); ++i) {
      bytes.emplace(o.seq + static_cast<uint32_t>(i), o.payload[i]);
    }
  }
  std::string s;
  for (uint32_t at = isn_plus_one;; ++at) {
    auto it = bytes.find(at);
    if (it == bytes.end()) break;
    s += it->second;
  }
  return s;
}

using test::b64::DecodeLenient;
using test::b64::Encode;

PipelineConfig Holds() {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  return c;
}

const std::string kHead = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\n\r\n";

// A client that wants the server to read digits: a request head, then a
// body segment `body` (full size by its MSS when it is `mss` long), ending
// in bytes that may begin a value; the hold ends, the tail is withheld, and
// the client resends it alone (`copy` bytes from `copy_from`).
struct Attacker {
  Gateway gw;
  uint32_t at = 0;  // seq of the body's first byte
  explicit Attacker(const PipelineConfig& c, uint16_t mss = 100) : gw(c) {
    gw.Send(SynWithMss(mss));
    gw.Send(Tcp4(1, kHead), 0);
    at = static_cast<uint32_t>(1 + kHead.size());
  }
};

// ---------------------------------------------------------------------------
// (a) base64: the display check (WithinShownDigits) reads the normalized
// text, not the decoded text whose open run made the tail withheld. A data:
// URI's characters hold no digits that check counts, so the copy leaves in
// clear at its first hold, however many digits it decodes to. A full-size
// segment by the client's own SYN MSS is all the "sent on" evidence needed.

size_t Digits(const std::string& s) {
  size_t n = 0;
  for (char ch : s) n += std::isdigit(static_cast<unsigned char>(ch)) ? 1 : 0;
  return n;
}

// Sends `prefix` + base64(`plain`) as one full (100-byte) body segment, lets
// its hold end, resends the withheld tail alone, lets that hold end, then
// sends base64(`rest`) in order. Returns what the server decodes.
std::string Base64Through(Attacker& a, const std::string& prefix, const std::string& plain,
                          const std::string& rest) {
  const std::string b64 = Encode(plain);
  std::string body = std::string(100 - prefix.size() - b64.size(), 'a') + prefix + b64;
  EXPECT_EQ(body.size(), 100u);
  a.gw.Send(Tcp4(a.at, body), 10);
  a.gw.pipeline().Tick(2000, a.gw);
  const size_t left = Receiver(a.gw).size() - kHead.size();  // body bytes delivered
  EXPECT_LT(left, body.size()) << "nothing withheld";
  a.gw.Send(Tcp4(a.at + static_cast<uint32_t>(left), body.substr(left)), 200000);
  a.gw.pipeline().Tick(200000 + 500000, a.gw);
  a.gw.Send(Tcp4(a.at + 100, Encode(rest)), 800000);
  a.gw.pipeline().Tick(900000, a.gw);
  const std::string server = Receiver(a.gw);
  return DecodeLenient(server.substr(server.find("base64,") + 7));
}

TEST(LossyAttack, Base64TailInADataUriLeavesInClearAtItsFirstHold) {
  // 15 digits of a 16-digit Visa (no prefix of it Luhn-valid, so nothing is
  // judged at the hold's end): the 16th is the Luhn check digit, so the
  // server has the whole number.
  Attacker a(Holds());
  const std::string decoded = Base64Through(a, "f=data:;base64,", "c: 455673758689985", "5;;");
  EXPECT_LE(Digits(decoded), 6u) << "the server decodes: " << decoded;
  EXPECT_EQ(a.gw.pipeline().counters().tails_released.load(), 0u);
}

TEST(LossyAttack, Base64TailInAnSsnLeavesInClearAtItsFirstHold) {
  // 8 of an SSN's 9 digits (the area is all a display shows).
  Attacker a(Holds());
  const std::string decoded = Base64Through(a, "f=data:;base64,", "ssn: 536-22-145", "7;;");
  EXPECT_LE(Digits(decoded), 3u) << "the server decodes: " << decoded;
}

// The same with a short segment and bytes beyond a gap as the evidence
// (the path 72b9718 had, at the third hold; now at the first).
TEST(LossyAttack, Base64TailLeavesInClearWithAGapAsTheEvidence) {
  Attacker a(Holds());
  const std::string body = "f=data:;base64," + Encode("c: 455673758689985");
  ASSERT_LT(body.size(), 100u);
  a.gw.Send(Tcp4(a.at, body), 10);
  a.gw.Send(Tcp4(a.at + 1000, std::string(50, 'z')), 20);  // beyond a gap
  a.gw.pipeline().Tick(2000, a.gw);
  const size_t left = Receiver(a.gw).size() - kHead.size();
  ASSERT_LT(left, body.size());
  a.gw.Send(Tcp4(a.at + static_cast<uint32_t>(left), body.substr(left)), 200000);
  a.gw.pipeline().Tick(700000, a.gw);
  const std::string server = Receiver(a.gw);
  const std::string decoded = DecodeLenient(server.substr(server.find("base64,") + 7));
  EXPECT_LE(Digits(decoded), 6u) << "the server decodes: " << decoded;
}

// ---------------------------------------------------------------------------
// (b) Legitimate uploads.

// The SYN's MSS is what the client can receive, not what it sends: its
// segments are bounded by the server's MSS (SYN-ACK) and by path MTU. A
// server behind a tunnel or load balancer advertising 1400 while the client
// offers 1460 (or PMTUD lowering the client's segment size) means the
// client's full segments are never "full" by the SYN: the CSV row of the
// commit's own capture is left as XXXXXXX again.
TEST(LossyAttack, FullSegmentsBelowTheClientsOwnMssStillGetXsInANumber) {
  Gateway gw(Holds());
  gw.Send(SynWithMss(1460));
  gw.Send(Tcp4(1, kHead), 0);
  const auto at = static_cast<uint32_t>(1 + kHead.size());
  const std::string body = std::string(1392, '1') + "\n2429581";  // 1400: full for the server's MSS
  gw.Send(Tcp4(at, body), 10);
  gw.pipeline().Tick(2000, gw);
  const uint32_t tail_seq = at + 1393;
  for (const int64_t t : {200000, 800000, 1400000}) {
    gw.Send(Tcp4(tail_seq, "2429581"), t);
    gw.pipeline().Tick(t + 500000, gw);
  }
  // What follows arrives with the next copy (or the flow was stopped).
  gw.Send(Tcp4(tail_seq, "2429581,abc;"), 2000000);
  const std::string server = Receiver(gw);
  EXPECT_EQ(server.find('X'), std::string::npos) << server.substr(server.size() - 20);
}

// ---------------------------------------------------------------------------
// Probes: pieces beyond a gap are judged by a block scan of the waiting
// bytes alone. A bare nine-digit SSN is one by its CSV column's header,
// which is far before the gap: the block scan does not see it, the stream
// does. (Pre-existing in SackProbe; the deferred path sends the same.)

// What the server reads when probes arrive before what is forwarded.
std::string ReceiverWithProbes(const Gateway& gw) {
  std::map<uint32_t, char> bytes;
  for (const auto& p : gw.injected) {
    PacketView v;
    if (DecodePacket(p.data(), p.size(), &v) != DecodeStatus::kOk) continue;
    for (size_t i = 0; i < v.payload_len; ++i) {
      bytes.emplace(v.seq + static_cast<uint32_t>(i), static_cast<char>(p[v.payload_offset + i]));
    }
  }
  for (const auto& o : gw.out) {
    for (size_t i = 0; i < o.payload.size(); ++i) {
      bytes.emplace(o.seq + static_cast<uint32_t>(i), o.payload[i]);
    }
  }
  std::string s;
  for (uint32_t at = 1;; ++at) {
    auto it = bytes.find(at);
    if (it == bytes.end()) break;
    s += it->second;
  }
  return s;
}

TEST(LossyAttack, ProbedPiecesCarryBareSsnsOfACsvColumnInClear) {
  std::string rows;
  while (rows.size() < 1200) rows += "bob,536221457\n";
  rows.resize(1200);
  ASSERT_EQ(test::Values("name,ssn\n" + rows.substr(0, 28) + "x"),
            (std::vector<std::string>{"536221457", "536221457"}));
  Gateway gw(Holds());
  gw.Send(SynWithMss(200));
  const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 4000\r\n\r\nname,ssn\n";
  gw.Send(Tcp4(1, head), 0);
  const auto at = static_cast<uint32_t>(1 + head.size());
  gw.Send(Tcp4(at + 50, rows.substr(50)), 10);    // [at, at+50) lost
  gw.Send(Tcp4(at, rows.substr(0, 50)), 300000);  // the gap fills
  const std::string server = ReceiverWithProbes(gw);
  for (const auto& p : gw.injected) {
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    const std::string probe(reinterpret_cast<const char*>(p.data()) + v.payload_offset,
                            v.payload_len);
    EXPECT_EQ(probe.find("536221457"), std::string::npos)
        << "probe at " << v.seq - at << ": " << probe;
  }
  EXPECT_EQ(server.find("536221457"), std::string::npos)
      << gw.injected.size() << " probes; " << server.substr(0, 200);
}

// The same with a MIME part's base64: the part's header is before the gap,
// the block scan of the waiting bytes reads them as text.
TEST(LossyAttack, ProbedPiecesCarryCardsInAMimePartsBase64) {
  std::string plain;
  while (plain.size() < 1200) plain += "card 4556737586899855;\n";
  plain.resize(1200 - 1200 % 3);
  const std::string b64 = Encode(plain);  // one line: decoders skip none
  Gateway gw(Holds());
  gw.Send(SynWithMss(200));
  const std::string head =
      "POST /u HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
      "Content-Length: 9000\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
      "filename=\"a.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  gw.Send(Tcp4(1, head), 0);
  const auto at = static_cast<uint32_t>(1 + head.size());
  gw.Send(Tcp4(at + 48, b64.substr(48)), 10);  // [at, at+48) lost
  for (const auto& p : gw.injected) {
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    ASSERT_EQ((v.seq - at) % 4, 0u);  // on a group boundary: decodes alone
    const std::string probed = DecodeLenient(
        std::string(reinterpret_cast<const char*>(p.data()) + v.payload_offset, v.payload_len));
    EXPECT_EQ(probed.find("4556737586899855"), std::string::npos)
        << "a probe decodes to: " << probed;
  }
}

// The region's marker in the gap itself: the stream has never named base64
// when the waiting bytes come, and they read as plain text.
TEST(LossyAttack, ProbedPiecesCarryCardsWhenTheBase64MarkerIsInTheGap) {
  std::string plain;
  while (plain.size() < 1500) plain += "card 4556737586899855;\n";
  plain.resize(1500);
  const std::string b64 = Encode(plain);
  Gateway gw(Holds());
  gw.Send(SynWithMss(200));
  const std::string head = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 9000\r\n\r\n";
  gw.Send(Tcp4(1, head), 0);
  const auto at = static_cast<uint32_t>(1 + head.size());
  const std::string marker = "f=data:;base64,";  // never sent before what waits
  gw.Send(Tcp4(at + static_cast<uint32_t>(marker.size()), b64), 10);
  for (const auto& p : gw.injected) {
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    const std::string piece(reinterpret_cast<const char*>(p.data()) + v.payload_offset,
                            v.payload_len);
    for (size_t skip = 0; skip < 4; ++skip) {
      EXPECT_EQ(DecodeLenient(piece.substr(skip)).find("4556737586899855"), std::string::npos)
          << "a probe decodes to a card";
    }
  }
  gw.Send(Tcp4(at, marker), 20);  // the gap fills: the stream decodes it
  const std::string server = ReceiverWithProbes(gw);
  EXPECT_EQ(DecodeLenient(server.substr(server.find("base64,") + 7)).find("4556737586899855"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Regression: in plain text the display counts what left before. A full
// segment (by the client's MSS) gets a card's first six out at the first
// hold; one digit more, with bytes waiting beyond a gap as "sent on", is
// withheld twice and the flow stops.
TEST(LossyAttack, DigitsReleasedAtAFirstHoldCountForTheNextTail) {
  Attacker a(Holds(), /*mss=*/100);
  uint32_t seq = a.at;
  const std::string body = std::string(93, 'a') + "=455673";
  a.gw.Send(Tcp4(seq, body), 10);
  a.gw.pipeline().Tick(2000, a.gw);
  seq += 94;
  a.gw.Send(Tcp4(seq, "455673"), 100000);  // the copy, alone
  a.gw.pipeline().Tick(700000, a.gw);
  EXPECT_EQ(a.gw.pipeline().counters().tails_released.load(), 1u);
  seq += 6;
  a.gw.Send(Tcp4(seq + 500, std::string(100, 'z')), 790000);  // beyond a gap
  a.gw.Send(Tcp4(seq, "7"), 800000);                          // one digit more
  a.gw.pipeline().Tick(802000, a.gw);
  for (const int64_t t : {900000, 1500000, 2100000}) {
    a.gw.Send(Tcp4(seq, "7"), t);
    a.gw.pipeline().Tick(t + 500000, a.gw);
  }
  const std::string server = Receiver(a.gw);
  EXPECT_EQ(server.substr(server.size() - 6), "455673");
  EXPECT_EQ(a.gw.pipeline().counters().tails_stopped.load(), 1u);
  EXPECT_EQ(a.gw.injected.size(), 2u);  // the resets (no probe: the piece is within reach)
}

}  // namespace
}  // namespace dlp
