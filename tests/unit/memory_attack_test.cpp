// The per-worker memory budget (PipelineConfig::max_state_bytes,
// PacketPipeline::Account) attacked as a hostile client would: can it make
// the budget end the flow carrying a value at the moment that lets the
// value through, make the accounting drift, change legitimate bytes, or
// push out flows holding packets while quiet ones exist?
//
// How a flow is made to go: the budget is small and other flows (or the
// flow's own state) push the state over it; the least recently used quiet
// flow goes first. A flow is quiet only between two HTTP requests (a fresh
// flow picked up there reads on as it would); one inside a request, in
// WebSocket frames or plain text is busy: closed with resets when it goes,
// never ended and picked up again mid-way (the first five attacks below
// got a value through that way before it was so).
#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "tests/unit/base64_support.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::From;
using test::Gateway;
using test::LeftSince;

constexpr uint32_t kClient = 0xc000020a;  // 192.0.2.10

// A small budget for the flows' state (tens of flows), no new-flow limit.
PipelineConfig SmallBudget(size_t bytes = 64 << 10) {
  PipelineConfig c;
  c.max_new_flows_per_source = 0;
  c.max_state_bytes = bytes;
  return c;
}

// `n` other flows of one quiet request each, each from a source of its
// own: what pushes the flows' state over a small budget.
void Crowd(Gateway& gw, int n, int64_t t) {
  for (int i = 0; i < n; ++i) {
    gw.Send(From(0x64400000u + static_cast<uint32_t>(i), 20000, 1,
                 "GET /?a=1&b=2 HTTP/1.1\r\nHost: a\r\n\r\n"),
            t + i);
  }
}

// The budget of a control run, which no flow here comes near: the same
// packets, no eviction.
constexpr size_t kNoEviction = size_t{512} << 20;

// A client WebSocket frame (RFC 6455 5.2), payload masked with `key`.
std::string WsFrame(const std::string& payload, const std::string& key = "\x12\x34\x56\x78") {
  std::string f = "\x81";
  f += static_cast<char>(0x80 | payload.size());  // REQUIRES: < 126
  f += key;
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return f;
}

// What a server reads of a frame WsFrame built (its payload unmasked).
std::string WsPayload(const std::string& frame) {
  std::string p = frame.substr(6);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>(p[i] ^ frame[2 + i % 4]);
  return p;
}

const std::string kWsHead =
    "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// gzip of `first` then `second`, flushed between them: the first part
// inflates whole from its own bytes.
std::pair<std::string, std::string> GzipInTwo(const std::string& first, const std::string& second) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(1 << 16, '\0');
  auto run = [&](const std::string& in, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, flush);
    return out.substr(0, out.size() - z.avail_out);
  };
  std::pair<std::string, std::string> r;
  r.first = run(first, Z_FULL_FLUSH);
  r.second = run(second, Z_FINISH);
  deflateEnd(&z);
  return r;
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 32), Z_OK);
  std::string out(1 << 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// ---- 1. A value let through by an eviction at the right moment ----------

// Attacks: the keyword that makes a bare number a value (ssn=, card) is
// sent, the flow is made the least recently used quiet flow and the budget
// ends it; the number follows and is scanned by a fresh mid-stream flow
// that never saw the keyword. Safe: the number leaves masked (or not at
// all), as it does with no eviction (the control run).
TEST(MemoryAttack, AKeywordBeforeTheEvictionStillMasksTheBareNumberAfterIt) {
  struct Case {
    std::string before, value;
  };
  for (const Case& k : {Case{"name=Jane&ssn=", "536221457"}, Case{"card=", "4222222222222"}}) {
    for (const size_t budget : {kNoEviction, size_t{64} << 10}) {
      Gateway gw(SmallBudget(budget));
      const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 200\r\n\r\n";
      const std::string first = head + k.before;
      gw.Send(From(kClient, 50000, 1000, first), 0);
      ASSERT_EQ(gw.Delivered(), first);  // quiet: nothing held
      Crowd(gw, 100, 1);
      const auto& c = gw.pipeline().counters();
      ASSERT_EQ(c.memory_evictions.load() > 0, budget != kNoEviction);
      gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(first.size()), k.value + "&x=1"),
              1000);
      gw.pipeline().Tick(1000 + 30000, gw);  // a hold it made ends
      EXPECT_EQ(gw.Delivered().find(k.value), std::string::npos)
          << k.before << k.value << (budget == kNoEviction ? " (control)" : " (evicted)")
          << " left as: " << LeftSince(gw, 1 + 100);
    }
  }
}

// Attacks: a WebSocket connection, evicted as quiet between two frames; the
// next frame (its payload XOR-masked, as every client frame is) is read by
// a fresh flow as plain text. Safe: the card in the frame is masked under
// the key, or the frame does not leave, as with no eviction.
TEST(MemoryAttack, AWebSocketFrameAfterTheEvictionIsStillInspected) {
  for (const size_t budget : {kNoEviction, size_t{64} << 10}) {
    Gateway gw(SmallBudget(budget));
    const std::string first = kWsHead + WsFrame("{\"hello\":1}");
    gw.Send(From(kClient, 50000, 1000, first), 0);
    ASSERT_EQ(gw.Delivered(), first);
    Crowd(gw, 100, 1);
    ASSERT_EQ(gw.pipeline().counters().memory_evictions.load() > 0, budget != kNoEviction);
    const std::string frame = WsFrame("{\"card\":\"4111 1111 1111 1111\"}");
    const size_t from = gw.out.size();
    gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(first.size()), frame), 1000);
    gw.pipeline().Tick(1000 + 30000, gw);
    for (size_t i = from; i < gw.out.size(); ++i) {
      if (gw.out[i].payload.size() < 6) continue;
      EXPECT_EQ(WsPayload(gw.out[i].payload).find("4111 1111 1111 1111"), std::string::npos)
          << (budget == kNoEviction ? "(control) " : "(evicted) ")
          << "the server reads: " << WsPayload(gw.out[i].payload);
    }
  }
}

// Attacks: a chunked body, evicted as quiet after a chunk; the card comes
// split over two chunks, whose size line a fresh flow reads as text
// ("4111111111\r\n6\r\n111111" is no card to it; the server joins it).
TEST(MemoryAttack, ACardSplitOverChunksAfterTheEvictionIsStillMasked) {
  for (const size_t budget : {kNoEviction, size_t{64} << 10}) {
    Gateway gw(SmallBudget(budget));
    const std::string first =
        "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ncard=\r\n";
    gw.Send(From(kClient, 50000, 1000, first), 0);
    ASSERT_EQ(gw.Delivered(), first);
    Crowd(gw, 100, 1);
    ASSERT_EQ(gw.pipeline().counters().memory_evictions.load() > 0, budget != kNoEviction);
    const std::string rest = "a\r\n4111111111\r\n6\r\n111111\r\n0\r\n\r\n";
    gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(first.size()), rest), 1000);
    gw.pipeline().Tick(1000 + 30000, gw);
    EXPECT_EQ(gw.Delivered().find("4111111111\r\n6\r\n111111"), std::string::npos)
        << (budget == kNoEviction ? "(control) " : "(evicted) ")
        << "left: " << LeftSince(gw, 1 + 100);
  }
}

// Attacks: a gzip body, its decoder's ~44 KiB making its flow a costly one;
// evicted as quiet after the first half, the second half (with the card)
// is taken by a fresh flow as plain bytes. Safe: the flow blocks (a value
// in inflated text cannot be masked in place), as it does uninterrupted.
TEST(MemoryAttack, AGzipBodyEvictedHalfWayIsStillInflated) {
  for (const size_t budget : {kNoEviction, size_t{256} << 10}) {
    Gateway gw(SmallBudget(budget));
    const auto [one, two] = GzipInTwo(std::string(2000, 'a') + "&", "card=4111 1111 1111 1111&x=1");
    const std::string head =
        "POST /f HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: " +
        std::to_string(one.size() + two.size()) + "\r\n\r\n";
    gw.Send(From(kClient, 50000, 1000, head + one), 0);
    ASSERT_EQ(gw.Delivered(), head + one);
    Crowd(gw, 100, 1);
    ASSERT_EQ(gw.pipeline().counters().memory_evictions.load() > 0, budget != kNoEviction);
    gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(head.size() + one.size()), two),
            1000);
    gw.pipeline().Tick(1000 + 30000, gw);
    std::string body;  // what the server has of the body
    for (const auto& o : gw.out) {
      if (o.payload.rfind(head, 0) == 0) body += o.payload.substr(head.size());
      if (o.payload == two) body += o.payload;
    }
    EXPECT_EQ(Gunzip(body).find("4111 1111 1111 1111"), std::string::npos)
        << (budget == kNoEviction ? "(control) " : "(evicted) ")
        << "the server inflates the card in clear";
  }
}

// Attacks: base64 the text named before the eviction ("data:;base64,");
// the fresh flow after it sees base64 characters it was never told of.
TEST(MemoryAttack, Base64NamedBeforeTheEvictionIsStillDecodedAfterIt) {
  for (const size_t budget : {kNoEviction, size_t{64} << 10}) {
    Gateway gw(SmallBudget(budget));
    const std::string coded = test::b64::Encode(std::string(30, 'z') + ";card=4111111111111111&");
    const size_t split = 40;  // whole groups before the card's
    const std::string first =
        "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nimg=data:;base64," +
        coded.substr(0, split);
    gw.Send(From(kClient, 50000, 1000, first), 0);
    ASSERT_EQ(gw.Delivered(), first);
    Crowd(gw, 100, 1);
    ASSERT_EQ(gw.pipeline().counters().memory_evictions.load() > 0, budget != kNoEviction);
    const size_t from = gw.out.size();
    gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(first.size()), coded.substr(split)),
            1000);
    gw.pipeline().Tick(1000 + 30000, gw);
    std::string sent = coded.substr(0, split);  // the flow's base64, as the server has it
    for (size_t i = from; i < gw.out.size(); ++i) sent += gw.out[i].payload;
    EXPECT_EQ(test::b64::Decode(sent).find("4111111111111111"), std::string::npos)
        << (budget == kNoEviction ? "(control) " : "(evicted) ")
        << "the server decodes: " << test::b64::Decode(sent);
  }
}

// Attacks: the flow is the victim of its own packet (a budget below one
// flow), while it holds a value's first digits, and again when the packet
// brings the whole value with nothing after it (held as an open run).
// Safe: closed with resets, the held bytes cut before the value, the rest
// dropped; or the value judged and masked as it goes.
TEST(MemoryAttack, AFlowEvictedByItsOwnPacketMidValueLeaksNoDigit) {
  {
    Gateway gw(SmallBudget(1));
    gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);
    const auto& c = gw.pipeline().counters();
    EXPECT_EQ(c.busy_evictions.load(), 1u);
    EXPECT_EQ(gw.injected.size(), 2u);  // both ends reset
    gw.Send(From(kClient, 50000, 1011, "1457;"), 1);
    gw.Send(From(kClient, 50000, 1004, "536-22-1457;"), 2);
    EXPECT_EQ(gw.Delivered(), "ssn=");
    EXPECT_EQ(c.flow_state_bytes.load(), 0u);
  }
  {
    Gateway gw(SmallBudget(1));
    gw.Send(From(kClient, 50000, 1000, "ssn=536-22-1457"), 0);
    gw.Send(From(kClient, 50000, 1015, ";x=1"), 1);
    EXPECT_EQ(gw.Delivered().find("1457"), std::string::npos) << gw.Delivered();
  }
}

// Attacks: a hold that timed out withheld "536-22-"; the flow holds no
// packet now, yet is mid-value. Budget pressure must end quiet flows
// instead; and when it must end this one too (a budget below one flow),
// it is closed, not ended as quiet and picked up again, so the copy the
// sender sends of the withheld digits with the rest does not pass as a
// fresh stream's first bytes.
TEST(MemoryAttack, AFlowMidValueAfterAHoldTimeoutIsKeptOrClosedNeverForgotten) {
  {
    Gateway gw(SmallBudget(64 << 10));
    gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);
    gw.pipeline().Tick(30000, gw);
    ASSERT_EQ(gw.Delivered(), "ssn=");
    Crowd(gw, 200, 30001);
    const auto& c = gw.pipeline().counters();
    EXPECT_GT(c.memory_evictions.load(), 100u);
    EXPECT_EQ(c.busy_evictions.load(), 0u);  // quiet flows went instead
    gw.Send(From(kClient, 50000, 1004, "536-22-1457;"), 40000);
    EXPECT_EQ(gw.Delivered().find("1457"), std::string::npos) << LeftSince(gw, 1);
    EXPECT_NE(gw.Delivered().find("XXX-XX-XXXX;"), std::string::npos);
  }
  {
    // Room for one flow mid-value, not two: a second one, newer, makes
    // this one the victim (no quiet flow to go first).
    const uint64_t one = [] {
      Gateway probe;
      probe.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);
      return probe.pipeline().counters().flow_state_bytes.load();
    }();
    Gateway gw(SmallBudget(one * 3 / 2));
    gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);
    gw.pipeline().Tick(30000, gw);
    ASSERT_EQ(gw.Delivered(), "ssn=");
    gw.Send(From(kClient, 50001, 1000, "ssn=536-22-"), 30001);
    const auto& c = gw.pipeline().counters();
    EXPECT_EQ(c.busy_evictions.load(), 1u);
    EXPECT_EQ(gw.injected.size(), 2u);
    gw.Send(From(kClient, 50000, 1004, "536-22-1457;"), 40000);
    gw.Send(From(kClient, 50000, 1011, "1457;"), 40001);
    gw.pipeline().Tick(80000, gw);
    EXPECT_EQ(gw.Delivered().find("1457"), std::string::npos) << LeftSince(gw, 0);
    EXPECT_EQ(c.closed_flow_drops.load(), 2u);
  }
}

// ---- 2. The accounting ----------------------------------------------------

// A scenario's packets, on a gateway of its own.
struct Scenario {
  const char* name;
  void (*run)(Gateway& gw);
};

// Attacks: every way a flow ends or starts again (RST, FIN, a SYN on a
// live tuple after its FIN, a segment of a new connection after the
// server's close, retransmissions, a gap skipped, base64, gzip, a
// WebSocket upgrade) must leave the state counted at zero once the flows
// are gone: a drift up would shrink the budget for ever, one below zero
// (size_t) would switch it off.
TEST(MemoryAttack, TheStateCountedIsZeroOnceEveryFlowIsGone) {
  static const Scenario kScenarios[] = {
      {"rst",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 1000, "ssn=536-22-"), 0);
         gw.Send(From(kClient, 1, 1011, "", 0x14), 1);  // RST|ACK
       }},
      {"fin",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 1000, "x=1;"), 0);
         gw.Send(From(kClient, 1, 1004, "y=2;", 0x19), 1);  // FIN
       }},
      {"syn after fin",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 999, "", 0x02), 0);
         gw.Send(From(kClient, 1, 1000, "x=1;", 0x19), 1);
         gw.Send(From(kClient, 1, 900000, "", 0x02), 2);  // a new connection
         gw.Send(From(kClient, 1, 900001, "ssn=536-22-1457;"), 3);
       }},
      {"syn on a live tuple",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 999, "", 0x02), 0);
         gw.Send(From(kClient, 1, 1000, "ssn=536-22-"), 1);
         gw.Send(From(kClient, 1, 5000000, "", 0x02), 2);  // ignored: challenge ACK
         gw.Send(From(kClient, 1, 5000001, "a=1;"), 3);    // the server had closed
         gw.Send(From(kClient, 1, 5000005, "b=2;"), 4);
       }},
      {"retransmissions",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 1000, "ssn=536-22-1457;"), 0);
         for (int i = 0; i < 20; ++i) gw.Send(From(kClient, 1, 1000, "ssn=536-22-1457;"), i);
         gw.Send(From(kClient, 1, 1004, "536-22-"), 30);
       }},
      {"gap skipped",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 1000, "x=1;"), 0);
         gw.Send(From(kClient, 1, 1100, "card=4111 1111 1111 1111;"), 1);
         gw.pipeline().Tick(60000000, gw);  // the gap gives up (open) or stops (closed)
         gw.Send(From(kClient, 1, 1125, "z=1;"), 60000001);
       }},
      {"base64",
       [](Gateway& gw) {
         gw.Send(From(kClient, 1, 1000,
                      "POST / HTTP/1.1\r\nContent-Length: 9999\r\n\r\nimg=data:;base64," +
                          test::b64::Encode("card=4111111111111111&" + std::string(300, 'q'))),
                 0);
       }},
      {"gzip",
       [](Gateway& gw) {
         const auto [one, two] = GzipInTwo(std::string(5000, 'a'), "b");
         gw.Send(From(kClient, 1, 1000,
                      "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 9999\r\n\r\n" +
                          one),
                 0);
       }},
      {"websocket",
       [](Gateway& gw) {
         const std::string wire = kWsHead + WsFrame("{\"a\":1}");
         gw.Send(From(kClient, 1, 1000, wire), 0);
         gw.Send(From(kClient, 1, 1000 + static_cast<uint32_t>(wire.size()),
                      WsFrame("ssn=536-22-1457")),
                 1);
       }},
  };
  for (const FailMode mode : {FailMode::kClosed, FailMode::kOpen}) {
    for (const Scenario& s : kScenarios) {
      PipelineConfig config;
      config.max_new_flows_per_source = 0;
      config.fail_mode = mode;
      Gateway gw(config);
      s.run(gw);
      const auto& c = gw.pipeline().counters();
      if (c.flows.load() == 0) {
        EXPECT_EQ(c.flow_state_bytes.load(), 0u) << s.name;
      } else {
        // Never more than the flows' share of a plausible footprint, nor
        // "below zero".
        EXPECT_LT(c.flow_state_bytes.load(), c.flows.load() * (1u << 20)) << s.name;
      }
      gw.pipeline().Flush(gw);
      EXPECT_EQ(c.flow_state_bytes.load(), 0u)
          << s.name << (mode == FailMode::kOpen ? " open" : "");
      EXPECT_EQ(c.flows.load(), 0u) << s.name;
    }
  }
}

// Attacks: a gap given up at a timer (Tick, fail-open) restarts the flow's
// inspection (scanner, normalizer) and drains a gzip request that waited
// beyond the gap, with no packet of the flow to count its state again
// (Account runs per packet only). The count may be stale until then, but
// must not drift: zero once the flows are gone.
TEST(MemoryAttack, AStateThatChangedAtATimerIsCountedAtTheFlowsNextPacket) {
  PipelineConfig config;
  config.max_new_flows_per_source = 0;
  config.fail_mode = FailMode::kOpen;
  Gateway gw(config);
  const auto& c = gw.pipeline().counters();
  gw.Send(From(kClient, 1, 1000, "x=1;"), 0);
  const uint64_t one = c.flow_state_bytes.load();
  // A gzip head beyond a gap: inflated (its decoder counted) only once the
  // gap is given up.
  const auto [gz, unused] = GzipInTwo(std::string(3000, 'a'), "");
  gw.Send(From(kClient, 1, 1100,
               "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 99999\r\n\r\n" + gz),
          1);
  gw.pipeline().Tick(60000000, gw);
  const uint64_t before = c.flow_state_bytes.load();
  gw.Send(From(kClient, 1, 5000000, "", 0x10), 60000001);  // a bare ACK: nothing to count
  gw.Send(From(kClient, 2, 1000, "y=1;"), 60000002);
  EXPECT_GE(before, one);
  gw.pipeline().Flush(gw);
  EXPECT_EQ(c.flow_state_bytes.load(), 0u);
}

// ---- 3. Legitimate traffic through evictions ----------------------------

// Attacks: a quiet request body evicted between two of its segments and
// sent on: it must pass byte-identical (no number that is no value
// changed, nothing dropped), and a value that begins after the eviction
// is still masked.
TEST(MemoryAttack, AQuietFlowEvictedAndSentOnPassesUnchangedButItsValue) {
  Gateway gw(SmallBudget());
  const std::string first =
      "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 300\r\n\r\nnote=hello+there&";
  gw.Send(From(kClient, 50000, 1000, first), 0);
  Crowd(gw, 100, 1);
  const auto& c = gw.pipeline().counters();
  ASSERT_GT(c.memory_evictions.load(), 0u);
  const std::string rest =
      "order=1234567890123&t=2026-01-02T10:11:12Z&ref=9780306406157&phone=555-123-4567&"
      "card=4111 1111 1111 1111&z=9;";
  const size_t from = gw.out.size();
  gw.Send(From(kClient, 50000, 1000 + static_cast<uint32_t>(first.size()), rest), 1000);
  std::string want = rest;
  want.replace(want.find("4111"), 19, "XXXX XXXX XXXX XXXX");
  EXPECT_EQ(LeftSince(gw, from), want + "|");
  EXPECT_EQ(gw.dropped, 0u);
  EXPECT_TRUE(gw.injected.empty());
}

// Attacks: the same through a source at its new-flow limit (a NAT with
// many users): the evicted flow's next packet is a "new" flow to the
// limiter. Safe: a flow the gateway itself ended is not refused when it
// sends on (its packet is not dropped).
TEST(MemoryAttack, AnEvictedFlowSendingOnIsNotRefusedAsANewFlow) {
  PipelineConfig config = SmallBudget();
  config.max_new_flows_per_source = 10;  // a burst of 20
  Gateway gw(config);
  for (uint16_t i = 0; i < 20; ++i) gw.Send(From(kClient, 40000 + i, 1000, "a=1&b=2;"), 0);
  Crowd(gw, 100, 1);  // another source
  const auto& c = gw.pipeline().counters();
  ASSERT_GT(c.memory_evictions.load(), 20u);
  const size_t dropped = gw.dropped;
  gw.Send(From(kClient, 40000, 1008, "c=3;"), 1000);
  EXPECT_EQ(gw.dropped, dropped) << "new_flows_limited " << c.new_flows_limited.load();
}

// ---- 4. Who pays for a large flow -------------------------------------

std::string Brotli(const std::string& text, int lgwin) {
  size_t n = BrotliEncoderMaxCompressedSize(text.size());
  std::string out(n, '\0');
  BrotliEncoderCompress(1, lgwin, BROTLI_MODE_TEXT, text.size(),
                        reinterpret_cast<const uint8_t*>(text.data()), &n,
                        reinterpret_cast<uint8_t*>(out.data()));
  out.resize(n);
  return out;
}

// Attacks: one flow inflates a brotli body (a 4 MiB window, its decoder
// counted) past the budget while a flow holds a value's first digits and
// quiet flows exist. Safe: the brotli flow, many times the others' size,
// goes (closed with resets: it is mid-body), never the one holding packets.
TEST(MemoryAttack, ABrotliFlowPushesOutQuietFlowsNotOneHoldingPackets) {
  Gateway gw(SmallBudget(3 << 20));
  const auto& c = gw.pipeline().counters();
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);  // busy
  ASSERT_EQ(gw.pipeline().held_packets(), 1u);
  for (uint16_t i = 0; i < 20; ++i) {
    gw.Send(From(kClient, 30000 + i, 1000, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1 + i);
  }
  std::string text;
  for (int i = 0; text.size() < (size_t{5} << 20); ++i) text += "row " + std::to_string(i) + ";";
  const std::string br = Brotli(text, 22);
  const std::string head =
      "POST / HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: " + std::to_string(br.size()) +
      "\r\n\r\n";
  gw.Send(From(kClient, 50001, 1000, head + br.substr(0, 1200)), 100);
  uint32_t seq = 1000 + static_cast<uint32_t>(head.size()) + 1200;
  for (size_t at = 1200; at < br.size() && at < 400000; at += 1200, seq += 1200) {
    gw.Send(From(kClient, 50001, seq, br.substr(at, 1200)), 101);
  }
  EXPECT_GT(c.memory_evictions.load(), 0u);
  EXPECT_EQ(c.busy_evictions.load(), 1u);  // the brotli flow, mid-body
  EXPECT_LE(c.flow_state_bytes.load(), size_t{3} << 20);
  gw.Send(From(kClient, 50000, 1011, "1457;"), 200);
  EXPECT_NE(gw.Delivered().find("ssn=XXX-XX-XXXX;"), std::string::npos);
}

// Attacks: many remembered findings (a flow of values, each masked: its
// `recent` list grows to its bound) make one flow large; it must not make
// the budget close the flow holding packets: it goes itself (it is many
// times the others' size), closed with resets.
TEST(MemoryAttack, AFlowOfManyFindingsPushesOutQuietFlowsFirst) {
  Gateway gw(SmallBudget(96 << 10));
  const auto& c = gw.pipeline().counters();
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);  // busy
  for (uint16_t i = 0; i < 10; ++i) {
    gw.Send(From(kClient, 30000 + i, 1000, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1 + i);
  }
  uint32_t seq = 1000;
  for (int i = 0; i < 300; ++i) {
    const std::string v = "ssn=536-22-1457;";
    gw.Send(From(kClient, 50001, seq, v), 100 + i);
    seq += static_cast<uint32_t>(v.size());
  }
  EXPECT_GT(c.memory_evictions.load(), 0u);
  EXPECT_LE(c.busy_evictions.load(), 1u);  // the flow of values only
  gw.Send(From(kClient, 50000, 1011, "1457;"), 1000);
  EXPECT_NE(gw.Delivered().find("ssn=XXX-XX-XXXX;"), std::string::npos);
  EXPECT_LE(c.flow_state_bytes.load(), size_t{96} << 10);
}

}  // namespace
}  // namespace dlp
