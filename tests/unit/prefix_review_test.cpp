// Review of the open-run judgement (rules/value_prefix.*) and of the pieces
// sent ahead of a gap (PacketPipeline::SackProbe): inputs that broke them.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "rules/value_prefix.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using Start = ValuePrefixes::Start;
using test::Gateway;
using test::Tcp4;
constexpr size_t kNone = std::string_view::npos;

size_t From(std::string_view text, Start start = Start::kStreamStart) {
  static ValuePrefixes::Scratch scratch;
  return test::DefaultRules()->prefixes().OpenValueFrom(text, start, scratch);
}

// Where the earliest value of the whole `text` that the cut at `cut`
// splits begins, or npos.
size_t SplitValueStart(const std::string& text, size_t cut) {
  size_t best = kNone;
  for (const Finding& x : test::Scan(text)) {
    if (x.start < cut && cut < x.end) best = std::min<size_t>(best, x.start);
  }
  return best;
}

// ---------------------------------------------------------------------------
// Finding 1: a lead escape whose first hex digit is a letter and whose
// second is a digit ("%A1", "%C0", ...). A letter is not a value byte, so
// the run of value bytes at the end starts in the middle of the escape,
// and FirstValueToken takes the escape's last hex digit for the value's
// first digit: "1" + "4111..." is no card (no brand begins with 1), and
// "1" + "536221457" is ten digits (no SSN). The value is declared closed
// and leaves in clear before its trailing context arrives.
TEST(PrefixReview, LeadEscapeWithALetterThenADigitIsNotTheValuesFirstDigit) {
  // All of these are values (dlpctl scan masks them).
  ASSERT_EQ(test::Values("q=%A14111111111111111;"), std::vector<std::string>{"4111111111111111"});
  ASSERT_EQ(test::Values("ssn%A1536221457;"), std::vector<std::string>{"536221457"});
  ASSERT_EQ(test::Values("q=%A1536-22-1457;"), std::vector<std::string>{"536-22-1457"});
  // Every prefix of the value is open, from the value's first digit.
  for (const std::string text : {"q=%A14111111111111111", "q=%a14111 1111 1111 1111",
                                 "ssn%A1536221457", "q=%A1536-22-1457", "q=%F74111111111111111"}) {
    const size_t value = text.find('%') + 3;
    for (size_t cut = value + 1; cut <= text.size(); ++cut) {
      EXPECT_LE(From(text.substr(0, cut)), value) << "'" << text.substr(0, cut) << "'";
    }
  }
}

// The same through the gateway: the card's digits arrive a few at a time;
// each segment leaves whole, unmasked, before the ';' that confirms it.
TEST(PrefixReview, LeadEscapeCardLeavesInClearThroughTheGateway) {
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n";
  Gateway gw(1000);
  uint32_t seq = 1;
  auto send = [&](const std::string& p, int64_t now) {
    gw.Send(Tcp4(seq, p), now);
    seq += static_cast<uint32_t>(p.size());
  };
  send(head + "q=%A14111", 0);
  send("11111111", 100);
  send("1111", 200);
  send(";", 300);
  gw.pipeline().Tick(100000, gw);
  std::string got;
  for (const auto& o : gw.out) got.replace(std::min(got.size(), size_t(o.seq - 1)), o.payload.size(), o.payload);
  EXPECT_EQ(got.find("4111111111111111"), std::string::npos) << got;
  EXPECT_EQ(got.find("4111"), std::string::npos) << got;  // no digit of it in clear
}

// Property: random text around values with every lead escape kind, cut at
// every byte; a value the whole text holds that the cut splits must begin
// at or after the open run's start.
TEST(PrefixReview, EveryLeadEscapeAndSeparatorKindAtEveryCut) {
  std::mt19937 rng(7);
  const std::vector<std::string> values = {"4111111111111111", "4111 1111 1111 1111",
                                           "4111+1111+1111+1111", "4111%201111%201111%201111",
                                           "536-22-1457", "536+22+1457", "536%2022%201457",
                                           "378282246310005", "5555-5555-5555-4444",
                                           "%34%31%31%31111111111111"};
  const std::vector<std::string> keyed = {"ssn=", "SSN: ", "ss#", "Social-Security-No: ",
                                          "social security number is ", "ssn%3D", "ssn%A1"};
  const char* hex = "0123456789ABCDEFabcdef";
  size_t failures = 0;
  for (int iter = 0; iter < 3000 && failures < 5; ++iter) {
    std::string text = "x";
    if (rng() % 3 == 0) {
      text += keyed[rng() % keyed.size()] + "536221457";
    } else {
      text += "%";
      text += hex[rng() % 22];
      text += hex[rng() % 22];
      text += values[rng() % values.size()];
    }
    text += ";";
    const size_t keep = test::DefaultRules()->max_width() + 1;
    for (size_t cut = 1; cut < text.size(); ++cut) {
      const size_t split = SplitValueStart(text, cut);
      if (split == kNone) continue;
      const size_t from_byte = cut > keep ? cut - keep : 0;
      const size_t open = From(std::string_view(text).substr(from_byte, cut - from_byte),
                               from_byte == 0 ? Start::kStreamStart : Start::kInside);
      const size_t open_at = open == kNone ? cut : from_byte + open;
      if (open_at > split) {
        ADD_FAILURE() << "'" << text << "' cut at " << cut << " opens at " << open_at
                      << ", value at " << split;
        ++failures;
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Finding 2: a piece sent ahead of a gap is judged on the bytes waiting at
// the time; a segment that arrives later at a LOWER offset, overlapping
// the first one, is what the stream takes there (lowest offset first), so
// the bytes before the piece, and even inside it, change after the piece
// left. The receiver, once the stream reaches the piece, reads the rest of
// it from the piece (first copy), unmasked.

// A SYN announcing an MSS of `mss`.
std::vector<uint8_t> SynWithMss(uint16_t mss) {
  std::vector<uint8_t> syn = Tcp4(0, "", 0x02);
  const uint8_t opt[] = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
  syn.insert(syn.begin() + 40, std::begin(opt), std::end(opt));
  syn[3] = static_cast<uint8_t>(syn.size());
  syn[32] = 0x60;
  PacketView v;
  EXPECT_EQ(DecodePacket(syn.data(), syn.size(), &v), DecodeStatus::kOk);
  UpdateTcpChecksum(syn.data(), v);
  return syn;
}

// A receiver as Linux puts it together: in-order bytes first; a segment
// beyond rcv_nxt waits, and is read from rcv_nxt on once reached.
struct Receiver {
  uint32_t rcv_nxt = 1;
  std::string data;
  std::multimap<uint32_t, std::string> ofo;
  void Take(uint32_t seq, const std::string& p) {
    if (p.empty()) return;
    if (seq > rcv_nxt) {
      ofo.emplace(seq, p);
      return;
    }
    if (seq + p.size() > rcv_nxt) {
      data += p.substr(rcv_nxt - seq);
      rcv_nxt = seq + static_cast<uint32_t>(p.size());
    }
    for (bool more = true; more;) {
      more = false;
      for (auto it = ofo.begin(); it != ofo.end(); ++it) {
        if (it->first <= rcv_nxt) {
          const auto [s, q] = *it;
          ofo.erase(it);
          Take(s, q);
          more = true;
          break;
        }
      }
    }
  }
  void TakePacket(const std::vector<uint8_t>& pkt) {
    PacketView v;
    ASSERT_EQ(DecodePacket(pkt.data(), pkt.size(), &v), DecodeStatus::kOk);
    Take(v.seq, std::string(reinterpret_cast<const char*>(pkt.data()) + v.payload_offset,
                            v.payload_len));
  }
};

TEST(PrefixReview, APieceSentAheadIsReadWithBytesALaterLowerSegmentPutBeforeIt) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a=1;"));  // offsets [0, 4)
  ASSERT_EQ(gw.out.size(), 2u);
  // A: offsets [100, 1300). Its piece [500, 700) holds "z111 1111 1111 1111;"
  // at 599: no value in A's own bytes (a letter leads).
  std::string a;
  while (a.size() < 1200) a += "name=abc;";
  a.resize(1200);
  a.replace(499, 20, "z111 1111 1111 1111;");
  gw.Send(Tcp4(101, a));
  ASSERT_FALSE(gw.injected.empty());
  const size_t injected_after_a = gw.injected.size();
  // B: offsets [60, 600), later, ending with "card=4": in the stream (B
  // first, at its lower offset) the card is 4111 1111 1111 1111.
  std::string b(540, 'q');
  b.replace(b.size() - 7, 7, ";card=4");
  gw.Send(Tcp4(61, b));
  // The gap fills.
  gw.Send(Tcp4(5, std::string(56, 'z')));
  // What the stream forwarded masks the card.
  std::string stream;
  for (const auto& o : gw.out) {
    if (o.seq == 0) continue;
    if (stream.size() < o.seq - 1 + o.payload.size()) stream.resize(o.seq - 1 + o.payload.size());
    stream.replace(o.seq - 1, o.payload.size(), o.payload);
  }
  // The receiver: the pieces sent ahead arrived first (when A came), then
  // the stream in order.
  Receiver rx;
  rx.Take(1, gw.out[1].payload);
  for (size_t i = 0; i < injected_after_a; ++i) rx.TakePacket(gw.injected[i]);
  for (size_t i = 2; i < gw.out.size(); ++i) rx.Take(gw.out[i].seq, gw.out[i].payload);
  // It reads what the stream forwarded, and no value in clear (before the
  // fix: "card=X111 1111 1111 1111", the stream masked a card the piece
  // had already given away).
  EXPECT_EQ(rx.data, stream.substr(0, rx.data.size()));
  size_t unmasked = 0;  // digits the stream masked that the receiver reads in clear
  for (size_t i = 0; i < rx.data.size() && i < stream.size(); ++i) {
    unmasked += stream[i] == 'X' && rx.data[i] != 'X';
  }
  EXPECT_EQ(unmasked, 0u) << "the receiver reads: ..." << rx.data.substr(590, 40);
  // And the plain statement: a piece sent ahead differs from what the
  // stream forwarded at its sequence numbers.
  for (size_t i = 0; i < injected_after_a; ++i) {
    PacketView v;
    const auto& pkt = gw.injected[i];
    ASSERT_EQ(DecodePacket(pkt.data(), pkt.size(), &v), DecodeStatus::kOk);
    const std::string bytes(reinterpret_cast<const char*>(pkt.data()) + v.payload_offset,
                            v.payload_len);
    EXPECT_EQ(bytes, stream.substr(v.seq - 1, v.payload_len)) << "piece at seq " << v.seq;
  }
}

// The same with the segment that fills the gap (in order) overlapping the
// one beyond it: G [4, 600) ends with "card=4" inside the piece [500, 700).
TEST(PrefixReview, APieceSentAheadIsReadAfterAnOverlappingGapFiller) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a=1;"));
  std::string a;
  while (a.size() < 1200) a += "name=abc;";
  a.resize(1200);
  a.replace(499, 20, "z111 1111 1111 1111;");
  gw.Send(Tcp4(101, a));
  const size_t injected = gw.injected.size();
  ASSERT_GT(injected, 0u);
  std::string g(596, 'q');
  g.replace(g.size() - 7, 7, ";card=4");
  gw.Send(Tcp4(5, g));
  std::string stream;
  for (const auto& o : gw.out) {
    if (o.seq == 0) continue;
    if (stream.size() < o.seq - 1 + o.payload.size()) stream.resize(o.seq - 1 + o.payload.size());
    stream.replace(o.seq - 1, o.payload.size(), o.payload);
  }
  Receiver rx;
  rx.Take(1, gw.out[1].payload);
  for (size_t i = 0; i < injected; ++i) rx.TakePacket(gw.injected[i]);
  for (size_t i = 2; i < gw.out.size(); ++i) rx.Take(gw.out[i].seq, gw.out[i].payload);
  size_t unmasked = 0;
  for (size_t i = 0; i < rx.data.size() && i < stream.size(); ++i) {
    unmasked += stream[i] == 'X' && rx.data[i] != 'X';
  }
  EXPECT_EQ(unmasked, 0u) << "the receiver reads: ..." << rx.data.substr(590, 40);
  EXPECT_EQ(rx.data, stream.substr(0, rx.data.size()));
}

}  // namespace
}  // namespace dlp
