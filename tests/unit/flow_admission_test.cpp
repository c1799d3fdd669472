// Which flows the table keeps when it is full, and which new flows it takes
// (issue 18, "eviction that an attacker cannot aim"): the flow table's
// eviction classes through its API, then the real pipeline under a SYN
// flood, a busy flow that must go (closed with resets, its tuple closed),
// and the per-source limit on new flows.
#include <gtest/gtest.h>
#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

#include "dlpd/flow/flow_table.h"
#include "dlpd/flow/new_flow_limiter.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::Gateway;

// A flow whose class the test sets (Classify is called, or not, on purpose).
struct ClassedFlow {
  FlowSlot<ClassedFlow> slot;
  FlowClass cls = FlowClass::kNoData;
  bool holds_packets = false;
  bool busy() const { return holds_packets; }
  FlowClass eviction_class() const { return cls; }
};

using test::KeyOf;

ClassedFlow* Add(FlowTable<ClassedFlow>& t, uint16_t port, int64_t now, FlowClass cls) {
  ClassedFlow* f = t.Insert(KeyOf(port), now, std::make_unique<ClassedFlow>());
  f->cls = cls;
  t.Classify(f);
  return f;
}

TEST(FlowTable, GivesUpFlowsWithoutDataFirstThenQuietOnesThenBusyOnes) {
  FlowTable<ClassedFlow> t(8, 1000000, 1);
  ClassedFlow* busy = Add(t, 1, 0, FlowClass::kBusy);
  ClassedFlow* quiet_old = Add(t, 2, 1, FlowClass::kQuiet);
  ClassedFlow* quiet_new = Add(t, 3, 2, FlowClass::kQuiet);
  ClassedFlow* syn_old = Add(t, 4, 3, FlowClass::kNoData);
  ClassedFlow* syn_new = Add(t, 5, 4, FlowClass::kNoData);
  t.Touch(quiet_old, 5);  // now the more recently used of the two
  for (ClassedFlow* want : {syn_old, syn_new, quiet_new, quiet_old, busy}) {
    ASSERT_EQ(t.Victim(), want);
    t.Remove(want);
  }
  EXPECT_TRUE(t.empty());
}

TEST(FlowTable, ChecksAVictimsClassAgainBeforeNamingIt) {
  FlowTable<ClassedFlow> t(8, 1000000, 1);
  ClassedFlow* became_busy = Add(t, 1, 0, FlowClass::kNoData);
  ClassedFlow* became_quiet = Add(t, 2, 1, FlowClass::kNoData);
  ClassedFlow* syn = Add(t, 3, 2, FlowClass::kNoData);
  became_busy->cls = FlowClass::kBusy;    // not classified since
  became_quiet->cls = FlowClass::kQuiet;  // nor this one
  EXPECT_EQ(t.Victim(), syn);
  EXPECT_EQ(t.count(FlowClass::kBusy), 1u);  // filed where they belong on the way
  EXPECT_EQ(t.count(FlowClass::kQuiet), 1u);
  t.Remove(syn);
  EXPECT_EQ(t.Victim(), became_quiet);
  // A busy flow released by a timer since: given up as the quiet flow it is.
  ClassedFlow* released = Add(t, 4, 3, FlowClass::kBusy);
  released->cls = FlowClass::kQuiet;
  t.Remove(became_quiet);
  EXPECT_EQ(t.Victim(), became_busy);  // the only flow filed busy and still busy
  became_busy->cls = FlowClass::kQuiet;
  EXPECT_EQ(t.Victim(), became_busy);  // both quiet now; it was used first
  t.Remove(became_busy);
  EXPECT_EQ(t.Victim(), released);
  EXPECT_EQ(t.count(FlowClass::kBusy), 0u);
  EXPECT_EQ(t.count(FlowClass::kQuiet), 1u);
}

TEST(FlowTable, IdleFlowsOfEveryClassGoButNeverOneHoldingPackets) {
  FlowTable<ClassedFlow> t(8, /*idle_timeout_us=*/100, 1);
  ClassedFlow* holding = Add(t, 1, 0, FlowClass::kBusy);
  holding->holds_packets = true;
  ClassedFlow* mid_value = Add(t, 2, 10, FlowClass::kBusy);
  ClassedFlow* syn = Add(t, 3, 20, FlowClass::kNoData);
  EXPECT_EQ(t.Idle(100), nullptr);
  EXPECT_EQ(t.Idle(121), syn);  // the flow behind a busy one in another list is not stuck
  t.Remove(syn);
  EXPECT_EQ(t.Idle(121), nullptr);  // the busy list's oldest holds packets
  holding->holds_packets = false;
  EXPECT_EQ(t.Idle(121), holding);
  t.Remove(holding);
  EXPECT_EQ(t.Idle(121), mid_value);  // mid-value but holding nothing: idle is idle
}

TEST(NewFlowLimiter, AdmitsABurstThenTheRateAndKeepsSourcesApart) {
  NewFlowLimiter limit(/*rate=*/10, /*burst=*/20);
  FlowKey a = KeyOf(1), b = KeyOf(1);
  b.src[3] = 2;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limit.Admit(a, 0)) << i;
  EXPECT_FALSE(limit.Admit(a, 0));
  a.src_port = 2;  // another port, the same source
  EXPECT_FALSE(limit.Admit(a, 0));
  EXPECT_TRUE(limit.Admit(b, 0));
  EXPECT_FALSE(limit.Admit(a, 99999));
  EXPECT_TRUE(limit.Admit(a, 100000));  // one token every 100 ms
  EXPECT_FALSE(limit.Admit(a, 100000));
  FlowKey v6 = b;
  v6.ip_version = 6;  // the same bytes as IPv6 are another source
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limit.Admit(v6, 0)) << i;
}

TEST(NewFlowLimiter, AnIpv6SourceIsItsSlash64) {
  // A host holds a whole /64: a new address for each flow is the same source.
  NewFlowLimiter limit(/*rate=*/10, /*burst=*/20);
  FlowKey k = KeyOf(1);
  k.ip_version = 6;
  for (int i = 0; i < 20; ++i) {
    k.src[15] = static_cast<uint8_t>(i);
    k.src[9] = static_cast<uint8_t>(i * 7);
    ASSERT_TRUE(limit.Admit(k, 0)) << i;
  }
  k.src[12] = 0xee;
  EXPECT_FALSE(limit.Admit(k, 0));
  k.src[7] = 1;  // another /64
  EXPECT_TRUE(limit.Admit(k, 0));
}

TEST(NewFlowLimiter, AHeavySourceKeepsItsBucketWhileManyOthersComeAndGo) {
  NewFlowLimiter limit(10, 20);
  const FlowKey heavy = KeyOf(1);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limit.Admit(heavy, 0));
  ASSERT_FALSE(limit.Admit(heavy, 0));
  // Five times as many sources as the limiter has buckets, one flow each:
  // a bucket with tokens is forgotten before one that is empty.
  for (uint32_t i = 0; i < 5 * NewFlowLimiter::kSets * NewFlowLimiter::kWays; ++i) {
    FlowKey k;
    k.ip_version = 4;
    k.src = {100, 64, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
             static_cast<uint8_t>(i)};
    ASSERT_TRUE(limit.Admit(k, 1000));
  }
  EXPECT_FALSE(limit.Admit(heavy, 1000));
}

using test::From;

constexpr uint32_t kClient = 0xc000020a;  // 192.0.2.10

// A whole request with `body`: its flow is between requests after it
// (quiet: a fresh flow would read what follows as it would).
std::string Req(const std::string& body) {
  return "POST / HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `n` SYNs from as many sources, at 1 us apart from `t`.
void SynFlood(Gateway& gw, int n, int64_t t) {
  for (int i = 0; i < n; ++i) {
    gw.Send(From(0x64400000u + static_cast<uint32_t>(i), 1024, 1, "", 0x02), t + i);
  }
}

PipelineConfig Config(size_t max_flows) {
  PipelineConfig c;
  c.max_flows = max_flows;
  return c;
}

TEST(FlowAdmission, ASynFloodEvictsOnlyFlowsThatNeverCarriedData) {
  Gateway gw(Config(8));
  gw.Send(From(kClient, 50000, 999, "", 0x02));
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"));  // held: may begin a value
  gw.Send(From(kClient, 50001, 999, "", 0x02));
  gw.Send(From(kClient, 50001, 1000, "x=1;"));  // carried data, holds nothing
  SynFlood(gw, 1000, 10);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.flows_evicted.load(), 1000u + 2 - 8);
  EXPECT_EQ(c.busy_evictions.load(), 0u);
  gw.Send(From(kClient, 50000, 1011, "1457;"), 2000);
  gw.Send(From(kClient, 50001, 1004, "y=2;"), 2001);
  EXPECT_EQ(c.flows_evicted.load(), 1000u + 2 - 8);  // both still tracked: no new flow
  const std::string out = gw.Delivered();
  EXPECT_NE(out.find("ssn=XXX-XX-XXXX;"), std::string::npos) << out;
  EXPECT_EQ(out.find("1457"), std::string::npos);
  EXPECT_EQ(gw.dropped, 0u);
  EXPECT_TRUE(gw.injected.empty());
}

TEST(FlowAdmission, AFlowMidValueIsKeptAfterItsHoldTimedOut) {
  Gateway gw(Config(3));
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"));
  gw.pipeline().Tick(30000, gw);  // the hold ends: "536-22-" is withheld
  ASSERT_EQ(gw.Delivered(), "ssn=");
  ASSERT_EQ(gw.pipeline().held_packets(), 0u);  // it holds nothing, yet is mid-value
  // A packet of it (a copy of bytes delivered) files it by what it is now.
  gw.Send(From(kClient, 50000, 1000, "ssn="), 30001);
  gw.Send(From(kClient, 50001, 1000, Req("x=1;")), 30002);
  gw.Send(From(kClient, 50002, 1000, Req("y=1;")), 30003);
  // The flow mid-value is the least recently used, yet a quiet flow goes.
  gw.Send(From(kClient, 50003, 1000, Req("z=1;")), 30004);
  SynFlood(gw, 1000, 30010);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.flows_evicted.load(), 1001u);
  EXPECT_EQ(c.busy_evictions.load(), 0u);
  gw.Send(From(kClient, 50000, 1011, "1457;"), 40000);
  gw.Send(From(kClient, 50000, 1004, "536-22-"), 240000);  // the sender sends it again
  EXPECT_EQ(gw.Delivered(), "ssn=ssn=" + Req("x=1;") + Req("y=1;") + Req("z=1;") + "XXXX;XXX-XX-");
}

TEST(FlowAdmission, AQuietFlowGoesBeforeABusyOneTheLeastRecentFirst) {
  Gateway gw(Config(3));
  const uint32_t next = 1000 + static_cast<uint32_t>(Req("a=1;").size());
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);  // busy
  gw.Send(From(kClient, 50001, 1000, Req("a=1;")), 1);    // quiet
  gw.Send(From(kClient, 50002, 1000, Req("b=1;")), 2);    // quiet
  gw.Send(From(kClient, 50001, next, Req("a=2;")), 3);    // 50001 used again
  gw.Send(From(kClient, 50003, 1000, Req("c=1;")), 4);    // evicts 50002
  gw.Send(From(kClient, 50002, next, Req("b=2;")), 5);    // a new flow: evicts 50001
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.flows_evicted.load(), 2u);
  EXPECT_EQ(c.busy_evictions.load(), 0u);
  gw.Send(From(kClient, 50003, next, Req("c=2;")), 6);  // still tracked
  EXPECT_EQ(c.flows_evicted.load(), 2u);
  gw.Send(From(kClient, 50000, 1011, "1457;"), 7);
  EXPECT_NE(gw.Delivered().find("ssn=XXX-XX-XXXX;"), std::string::npos);
}

// The reset `p` is, as (source port, sequence number, to the client).
struct Reset {
  uint16_t sport;
  uint32_t seq;
  bool operator==(const Reset& o) const { return sport == o.sport && seq == o.seq; }
};
Reset ResetOf(const std::vector<uint8_t>& p) {
  PacketView v;
  EXPECT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  EXPECT_EQ(v.tcp_flags & TcpFlags::kRst, TcpFlags::kRst);
  EXPECT_TRUE(TcpChecksumValid(p.data(), v));
  return {v.src_port, v.seq};
}

TEST(FlowAdmission, ABusyFlowThatMustGoIsClosedWithResetsAndItsTupleStaysClosed) {
  PipelineConfig config = Config(1);
  config.flow_idle_timeout_us = 10000000;
  Gateway gw(config);
  gw.Send(From(kClient, 50000, 999, "", 0x02), 0);
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-", 0x18, 7000), 1);  // held
  gw.Send(From(0x64400001, 1024, 1, "", 0x02), 2);                    // no room: closes it
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.flows_evicted.load(), 1u);
  EXPECT_EQ(c.busy_evictions.load(), 1u);
  // Its held segment went cut before what may begin a value, the server was
  // reset at the first byte it has not been given, the client at its ack.
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "ssn=");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  ASSERT_EQ(gw.injected.size(), 2u);
  EXPECT_EQ(ResetOf(gw.injected[0]), (Reset{50000, 1004}));
  EXPECT_EQ(ResetOf(gw.injected[1]), (Reset{80, 7000}));
  EXPECT_EQ(c.resets_sent.load(), 2u);
  // The rest of the value, on the closed tuple: dropped, not a new flow,
  // and both ends are told again (at the packet's own positions).
  gw.Send(From(kClient, 50000, 1011, "1457;", 0x18, 7000), 3);
  gw.Send(From(kClient, 50000, 1004, "536-22-1457;", 0x18, 7000), 4);
  EXPECT_EQ(gw.dropped, 2u);
  EXPECT_EQ(c.closed_flow_drops.load(), 2u);
  EXPECT_EQ(gw.Delivered().find("1457"), std::string::npos);
  ASSERT_EQ(gw.injected.size(), 6u);
  EXPECT_EQ(ResetOf(gw.injected[2]), (Reset{50000, 1011}));
  EXPECT_EQ(ResetOf(gw.injected[3]), (Reset{80, 7000}));
  EXPECT_EQ(c.flows.load(), 1u);  // the SYN's flow, not the closed one
  // After the idle timeout the tuple is a tuple like any other.
  gw.Send(From(kClient, 50000, 555, "", 0x02), 10000005);
  EXPECT_EQ(gw.dropped, 2u);
  EXPECT_EQ(c.closed_flow_drops.load(), 2u);
}

TEST(FlowAdmission, SegmentsBeyondAGapOfAClosedFlowAreDropped) {
  Gateway gw(Config(1));
  gw.Send(From(kClient, 50000, 1000, "a=1;"), 0);
  gw.Send(From(kClient, 50000, 1010, "b=2;"), 1);  // beyond a gap: waits
  ASSERT_EQ(gw.pipeline().held_packets(), 1u);
  gw.Send(From(0x64400001, 1024, 1, "", 0x02), 2);  // no room: closes it
  EXPECT_EQ(gw.pipeline().counters().busy_evictions.load(), 1u);
  EXPECT_EQ(gw.dropped, 1u);  // every packet has its verdict, none is kept
  EXPECT_EQ(gw.pipeline().held_packets(), 0u);
  EXPECT_EQ(gw.pipeline().held_bytes(), 0u);
  ASSERT_EQ(gw.injected.size(), 2u);
  EXPECT_EQ(ResetOf(gw.injected[0]), (Reset{50000, 1004}));
  EXPECT_EQ(ResetOf(gw.injected[1]), (Reset{80, 7000}));  // the buffered packet's ack
}

TEST(FlowAdmission, ARequestWhoseBodyEndedInDigitsIsNotMidValue) {
  Gateway gw(Config(2));
  // The body ends where Content-Length says, in a digit: judged, not held.
  gw.Send(From(kClient, 50000, 1000, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\namt=1"), 0);
  gw.Send(From(kClient, 50001, 1000, "ssn=536-22-"), 1);  // mid-value
  gw.Send(From(kClient, 50002, 1000, "x;"), 2);           // evicts 50000, quiet
  EXPECT_EQ(gw.pipeline().counters().flows_evicted.load(), 1u);
  EXPECT_EQ(gw.pipeline().counters().busy_evictions.load(), 0u);
  gw.Send(From(kClient, 50001, 1011, "1457;"), 3);
  EXPECT_NE(gw.Delivered().find("ssn=XXX-XX-XXXX;"), std::string::npos);
}

TEST(FlowAdmission, NewFlowsPerSourceAreRateLimited) {
  PipelineConfig config = Config(100);
  config.max_new_flows_per_source = 10;  // a burst of 20
  config.fail_mode = FailMode::kOpen;    // over the limit is no reason to pass uninspected
  Gateway gw(config);
  for (uint16_t i = 0; i < 25; ++i) gw.Send(From(kClient, 1024 + i, 1, "", 0x02), 0);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(gw.out.size(), 20u);
  EXPECT_EQ(gw.dropped, 5u);
  EXPECT_EQ(c.new_flows_limited.load(), 5u);
  EXPECT_EQ(c.flows.load(), 20u);
  gw.Send(From(kClient + 1, 1024, 1, "", 0x02), 0);  // another source
  EXPECT_EQ(gw.out.size(), 21u);
  // A flow picked up mid-stream is a new flow too.
  gw.Send(From(kClient, 2000, 1, "ssn=536-22-1457;"), 1000);
  EXPECT_EQ(gw.dropped, 6u);
  EXPECT_EQ(c.passed_uninspected.load(), 0u);
  gw.Send(From(kClient, 2000, 1, "ssn=536-22-1457;"), 100000);  // a token later
  EXPECT_EQ(gw.out.back().payload, "ssn=XXX-XX-XXXX;");
  EXPECT_EQ(c.new_flows_limited.load(), 6u);
  // Packets of flows already admitted are never limited.
  for (int i = 0; i < 50; ++i) gw.Send(From(kClient, 2000, 17, "x;"), 100001);
  EXPECT_EQ(c.new_flows_limited.load(), 6u);
}

TEST(FlowAdmission, ZeroMeansNoLimitOnNewFlows) {
  PipelineConfig config = Config(100);
  config.max_new_flows_per_source = 0;
  Gateway gw(config);
  for (int i = 0; i < 3000; ++i) {
    gw.Send(From(kClient, static_cast<uint16_t>(1024 + i), 1, "", 0x02), 0);
  }
  EXPECT_EQ(gw.out.size(), 3000u);
  EXPECT_EQ(gw.pipeline().counters().new_flows_limited.load(), 0u);
}

// The flows' state under a budget (--max-memory-mb's share): over it,
// flows go in the table's order, quiet ones first; a flow mid-value stays
// and its value is still masked whole.
TEST(FlowMemory, OverTheBudgetQuietFlowsGoFirstAndAFlowMidValueStays) {
  PipelineConfig config = Config(65536);
  config.max_new_flows_per_source = 0;
  config.max_state_bytes = 64 << 10;
  Gateway gw(config);
  gw.Send(From(kClient, 50000, 1000, "ssn=536-22-"), 0);  // busy
  const auto& c = gw.pipeline().counters();
  const uint64_t one = c.flow_state_bytes.load();
  EXPECT_GT(one, 1000u);  // a flow's scanner, normalizer and table slot
  for (int i = 0; i < 200; ++i) {
    gw.Send(From(kClient, static_cast<uint16_t>(1024 + i), 1000, Req("a=1&b=2;")), 1 + i);
    ASSERT_LE(c.flow_state_bytes.load(), config.max_state_bytes) << i;
  }
  EXPECT_GT(c.memory_evictions.load(), 100u);
  EXPECT_EQ(c.busy_evictions.load(), 0u);
  EXPECT_LT(c.flows.load(), 200u);
  gw.Send(From(kClient, 50000, 1011, "1457;"), 10000);
  EXPECT_NE(gw.Delivered().find("ssn=XXX-XX-XXXX;"), std::string::npos) << gw.Delivered();
  gw.pipeline().Flush(gw);
  EXPECT_EQ(c.flow_state_bytes.load(), 0u);
}

// A body's decoder is part of its flow's state: a gzip body's flow counts
// zlib's window (32 KiB), freed with the request.
TEST(FlowMemory, ACompressedBodysDecoderIsCounted) {
  Gateway gw;
  const auto& c = gw.pipeline().counters();
  gw.Send(From(kClient, 50000, 1000, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n"), 0);
  const uint64_t plain = c.flow_state_bytes.load();
  // The first half of a gzip body: inflated, it keeps zlib's window.
  std::string body(1 << 16, '\0');
  {
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "a=" + std::to_string(i) + "&";
    z.next_in = reinterpret_cast<Bytef*>(text.data());
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(body.data());
    z.avail_out = static_cast<uInt>(body.size());
    ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    body.resize(z.total_out);
    deflateEnd(&z);
  }
  gw.Send(From(kClient, 50001, 1000,
               "POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2)),
          1);
  EXPECT_GT(c.flow_state_bytes.load() - plain, plain + (32u << 10));
}

}  // namespace
}  // namespace dlp
