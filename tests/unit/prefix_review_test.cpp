// Review of the open-run judgement (rules/value_prefix.*) and of the pieces
// sent ahead of a gap (PacketPipeline::SackProbe): inputs that broke them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "rules/validators.h"
#include "rules/value_prefix.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using Start = ValuePrefixes::Start;
using test::Gateway;
using test::SynWithMss;
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
  // Every prefix of the value is open, from the value's first digit. The
  // prefixes read the decoded text: the escape is the one byte it stands for.
  for (const std::string text : {"q=\xA1"
                                 "4111111111111111",
                                 "q=\xA1"
                                 "4111 1111 1111 1111",
                                 "ssn\xA1"
                                 "536221457",
                                 "q=\xA1"
                                 "536-22-1457",
                                 "q=\xF7"
                                 "4111111111111111"}) {
    const size_t value = text.find_first_of("\xA1\xF7") + 1;
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
  for (const auto& o : gw.out)
    got.replace(std::min(got.size(), size_t(o.seq - 1)), o.payload.size(), o.payload);
  EXPECT_EQ(got.find("4111111111111111"), std::string::npos) << got;
  EXPECT_EQ(got.find("4111"), std::string::npos) << got;  // no digit of it in clear
}

// Property: random text around values with every lead escape kind, cut at
// every byte; a value the whole text holds that the cut splits must begin
// at or after the open run's start.
TEST(PrefixReview, EveryLeadEscapeAndSeparatorKindAtEveryCut) {
  std::mt19937 rng(7);
  const std::vector<std::string> values = {"4111111111111111",    "4111 1111 1111 1111",
                                           "4111+1111+1111+1111", "4111%201111%201111%201111",
                                           "536-22-1457",         "536+22+1457",
                                           "536%2022%201457",     "378282246310005",
                                           "5555-5555-5555-4444", "%34%31%31%31111111111111"};
  const std::vector<std::string> keyed = {
      "ssn=",   "SSN: ", "ss#", "Social-Security-No: ", "social security number is ",
      "ssn%3D", "ssn%A1"};
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
    Take(v.seq,
         std::string(reinterpret_cast<const char*>(pkt.data()) + v.payload_offset, v.payload_len));
  }
};

TEST(PrefixReview, APieceSentAheadIsReadWithBytesALaterLowerSegmentPutBeforeIt) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  gw.Send(Tcp4(1, "a=1\n"));  // offsets [0, 4)
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
  gw.Send(Tcp4(1, "a=1\n"));
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

// A value the rules accept, in some written form: a card of some brand or
// an SSN, grouped or not, one kind of separator, some digits %3X-encoded.
std::string RandomValue(std::mt19937& rng) {
  static const std::vector<std::string> prefixes = {"4",    "51",   "55",  "2221", "2720",  "34",
                                                    "37",   "36",   "38",  "6011", "65",    "644",
                                                    "3528", "3095", "300", "62",   "622126"};
  static const std::vector<std::string> seps = {" ", "-", "+", "%20"};
  std::string digits;
  const bool ssn = rng() % 3 == 0;
  if (ssn) {
    do {
      digits.clear();
      for (int i = 0; i < 9; ++i) digits += static_cast<char>('0' + rng() % 10);
    } while (!ValidateUsSsn(digits).valid);
  } else {
    do {
      digits = prefixes[rng() % prefixes.size()];
      const size_t len = 13 + rng() % 7;
      while (digits.size() + 1 < len) digits += static_cast<char>('0' + rng() % 10);
      digits = test::WithLuhnDigit(digits);
    } while (!ValidatePan(digits).valid);
  }
  std::vector<size_t> groups;
  const std::string sep = seps[rng() % seps.size()];
  if (ssn) {
    groups = rng() % 4 == 0 ? std::vector<size_t>{9} : std::vector<size_t>{3, 2, 4};
  } else if (rng() % 2 == 0) {
    groups = {digits.size()};
  } else {
    size_t left = digits.size() - 4;
    groups = {4};
    while (left > 0) {
      size_t g = std::min<size_t>(left, 2 + rng() % 6);
      if (left - g == 1) g = left;  // no group of one
      if (g > 7) g = 7;
      groups.push_back(g);
      left -= g;
    }
  }
  std::string out;
  if (ssn && groups.size() == 1) {
    static const std::vector<std::string> keys = {
        "ssn=",   "SSN: ",  "ss#",   "Social-Security-No: ", "social security number is ", "ssn%3D",
        "SsN%22", "ssn%A1", "ssn - "};
    out = keys[rng() % keys.size()];
  }
  size_t at = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    if (g > 0) out += sep;
    for (size_t i = 0; i < groups[g]; ++i, ++at) {
      if (rng() % 10 == 0) {
        out += "%3";
      }
      out += digits[at];
    }
  }
  return out;
}

// Property: random token soup (digits, separators, escapes cut short,
// keywords in any case, decimal points), at every cut, against block scans
// of the whole text. DLP_REVIEW_ITERS raises the count.
TEST(PrefixReview, RandomTokenSoupAtEveryCut) {
  const char* env = std::getenv("DLP_REVIEW_ITERS");
  const int iters = env != nullptr ? std::atoi(env) : 1500;
  std::mt19937 rng(11);
  const std::vector<std::string> tokens = {"0",
                                           "1",
                                           "2",
                                           "3",
                                           "4",
                                           "5",
                                           "6",
                                           "7",
                                           "8",
                                           "9",
                                           "4111",
                                           "1111",
                                           "5555",
                                           "4444",
                                           "536",
                                           "22",
                                           "1457",
                                           "37828",
                                           "6011",
                                           " ",
                                           " ",
                                           "+",
                                           "-",
                                           "%",
                                           "%20",
                                           "%3",
                                           "%2",
                                           "%A",
                                           "%35",
                                           "%34",
                                           "%31",
                                           "%2D",
                                           "%3D",
                                           "%A1",
                                           "%e9",
                                           "A",
                                           "z",
                                           ".",
                                           ";",
                                           "=",
                                           "&",
                                           "\n",
                                           "ssn",
                                           "SSN",
                                           "ss#",
                                           "Ss#",
                                           "social security",
                                           "Social-Security-No",
                                           "SOCIAL_SECURITYNUM",
                                           " is ",
                                           "no",
                                           "number",
                                           "was",
                                           ":",
                                           "\"",
                                           "1.",
                                           "%2E"};
  const size_t keep = test::DefaultRules()->max_width() + 1;
  size_t failures = 0;
  size_t checked = 0;
  for (int iter = 0; iter < iters && failures < 5; ++iter) {
    std::string text;
    static const std::vector<std::string> fill = {"1 ", " ", "%20", "-", "+", "ab;", "9-", "%2"};
    const std::string& f = fill[rng() % fill.size()];
    for (size_t i = 0, m = rng() % 2 == 0 ? 0 : rng() % 200; i < m; ++i) text += f;
    const size_t n = 1 + rng() % 12;
    for (size_t i = 0; i < n; ++i) text += tokens[rng() % tokens.size()];
    text += RandomValue(rng);
    for (size_t i = 0, m = rng() % 4; i < m; ++i) text += tokens[rng() % tokens.size()];
    const Findings found = test::Scan(text);
    if (found.empty()) continue;
    ++checked;
    for (size_t cut = 1; cut < text.size(); ++cut) {
      size_t split = kNone;
      for (const Finding& x : found) {
        if (x.start < cut && cut < x.end) split = std::min<size_t>(split, x.start);
      }
      if (split == kNone) continue;
      const size_t from_byte = cut > keep ? cut - keep : 0;
      const size_t open = From(std::string_view(text).substr(from_byte, cut - from_byte),
                               from_byte == 0 ? Start::kStreamStart : Start::kInside);
      const size_t open_at = open == kNone ? cut : from_byte + open;
      if (open_at > split) {
        ADD_FAILURE() << "'" << text << "' cut at " << cut << " ('" << text.substr(0, cut)
                      << "') opens at " << open_at << ", value at " << split;
        ++failures;
        break;
      }
    }
  }
  std::printf("texts with a value: %zu\n", checked);
}

// Finding 3: the stream judges a request body's last bytes as the end
// (JudgeAsEnd: a card at the body's end is one, whatever request follows),
// the island is block-scanned with the next request after it ("...1111POST"
// is no card). The last piece of the body goes ahead with the card in it;
// a segment ending inside that piece makes the receiver read the rest of
// the card from the piece.
TEST(PrefixReview, APieceEndingAtTheBodysEndHoldsACardTheStreamMasks) {
  Gateway gw(PipelineConfig{});
  gw.Send(SynWithMss(200));
  const uint32_t body_len = 860;
  const std::string head =
      "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body_len) + "\r\n\r\n";
  const uint32_t h = static_cast<uint32_t>(head.size());
  gw.Send(Tcp4(1, head + "x=1\n"));  // offsets [0, h + 4)
  ASSERT_EQ(gw.out.size(), 2u);
  const uint32_t body_end = h + body_len;
  // The next request, then the body's last 800 bytes, both beyond a gap.
  const std::string next = "POST /g HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(250, 'p') +
                           "\r\nContent-Length: 0\r\n\r\n";
  gw.Send(Tcp4(1 + body_end, next));
  std::string body_tail(800, 'y');
  body_tail.replace(body_tail.size() - 22, 22, ";card=4111111111111111");
  gw.Send(Tcp4(1 + h + 60, body_tail));  // offsets [h + 60, body_end)
  const size_t injected = gw.injected.size();
  ASSERT_GT(injected, 0u);
  // A segment beyond the gap, the same bytes, ending inside the last piece
  // just before the card ("...;car"), then the gap fills.
  const std::string s0 = std::string(10, 'y') + body_tail.substr(0, 782);
  gw.Send(Tcp4(1 + h + 50, s0));
  gw.Send(Tcp4(1 + h + 4, std::string(46, 'z')));
  std::string stream;
  for (const auto& o : gw.out) {
    if (o.seq == 0) continue;
    if (stream.size() < o.seq - 1 + o.payload.size()) stream.resize(o.seq - 1 + o.payload.size());
    stream.replace(o.seq - 1, o.payload.size(), o.payload);
  }
  ASSERT_GE(stream.size(), body_end);
  ASSERT_EQ(stream.substr(body_end - 16, 16), std::string(16, 'X'));  // the stream masks it
  Receiver rx;
  rx.Take(1, gw.out[1].payload);
  for (size_t i = 0; i < injected; ++i) rx.TakePacket(gw.injected[i]);
  for (size_t i = 2; i < gw.out.size(); ++i) rx.Take(gw.out[i].seq, gw.out[i].payload);
  size_t unmasked = 0;
  for (size_t i = 0; i < rx.data.size() && i < stream.size(); ++i) {
    unmasked += stream[i] == 'X' && rx.data[i] != 'X';
  }
  EXPECT_EQ(unmasked, 0u) << "the receiver reads: ..." << rx.data.substr(body_end - 24, 30);
}

}  // namespace
}  // namespace dlp
