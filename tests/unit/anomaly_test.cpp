// Anomalies as EVE lines (issue 18): the real pipeline, the real incident
// writer and a real EVE file. Each kind the TCP state machine and the
// stream rooms count is one `anomaly` line with its tuple and the flow id
// its incidents carry; a flood is rate-limited per kind, and the lines say
// how many events they stand for.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dlpd/common/clock.h"
#include "dlpd/common/token_bucket.h"
#include "dlpd/inspect/fingerprint.h"
#include "storage/eve_json.h"
#include "storage/incident_store.h"
#include "storage/incident_writer.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::Tcp4;

constexpr uint8_t kPshAck = 0x18, kFinAck = 0x11, kRst = 0x04, kSyn = 0x02;
constexpr int64_t kT0 = 1800000000LL * 1000000;  // 2027-01-15, on a hand-moved clock

std::vector<uint8_t> BadChecksum(std::vector<uint8_t> p) {
  p[36] ^= 0x5a;  // the TCP checksum field
  return p;
}

// A gateway whose incidents and anomalies go to an EVE file through the
// real writer, on a clock the test moves.
class EveGateway {
 public:
  explicit EveGateway(PipelineConfig c = {}, WriterOptions wo = {}) : clock_(kT0) {
    eve_path_ = db_.path + ".eve.json";
    std::vector<std::unique_ptr<IncidentSink>> sinks;
    sinks.push_back(std::move(EveLog::Open(eve_path_)).value());
    writer_ = std::make_unique<IncidentWriter>(std::make_unique<IncidentStore>(db_.path), wo,
                                               std::move(sinks));
    gw_ = std::make_unique<Gateway>(c, writer_.get(), &fingerprinter_, clock_);
  }
  // Sends at the clock's time plus `after_us`, which the clock moves to.
  void Send(std::vector<uint8_t> p, int64_t after_us = 0) {
    clock_.Advance(after_us);
    gw_->Send(std::move(p), clock_.NowMicros());
  }
  void Tick(int64_t after_us) {
    clock_.Advance(after_us);
    gw_->pipeline().Tick(clock_.NowMicros(), *gw_);
  }
  // Stops the writer and reads the file: {event_type: lines}.
  std::map<std::string, std::vector<nlohmann::json>> Lines() {
    writer_->Stop();
    std::map<std::string, std::vector<nlohmann::json>> by_type;
    std::ifstream in(eve_path_);
    for (std::string line; std::getline(in, line);) {
      EXPECT_EQ(line.find("536-22-1457"), std::string::npos) << line;
      EXPECT_EQ(line.find("4111 1111 1111 1111"), std::string::npos) << line;
      nlohmann::json j = nlohmann::json::parse(line);
      by_type[j["event_type"]].push_back(std::move(j));
    }
    return by_type;
  }
  Gateway& gw() { return *gw_; }
  const PipelineCounters& counters() { return gw_->pipeline().counters(); }
  ManualClock& clock() { return clock_; }
  IncidentWriter& writer() { return *writer_; }

 private:
  test::TempDb db_;
  std::string eve_path_;
  ManualClock clock_;
  const Fingerprinter fingerprinter_{std::vector<unsigned char>(32, 7)};
  std::unique_ptr<IncidentWriter> writer_;
  std::unique_ptr<Gateway> gw_;
};

// SYN at 999, "ssn=536-22-" (held), `between`, "1457;".
void SplitAround(EveGateway& g, const std::vector<uint8_t>& between) {
  g.Send(Tcp4(999, "", kSyn));
  g.Send(Tcp4(1000, "ssn=536-22-"));
  g.Send(between, 1000);
  g.Send(Tcp4(1011, "1457;"), 1000);
}

struct Case {
  std::string kind;
  PipelineConfig config;
  std::function<void(EveGateway&)> run;
  uint16_t flow_sport = 40000;         // the source port of the flow the anomaly is about
  std::vector<std::string> also = {};  // other kinds the case causes on the way
};

std::vector<Case> Cases() {
  PipelineConfig open;
  open.fail_mode = FailMode::kOpen;
  open.hold_timeout_us = 1000;
  open.gap_timeout_us = 2000;
  PipelineConfig closed = open;
  closed.fail_mode = FailMode::kClosed;
  PipelineConfig stalled = closed;  // copies held 2 ms, the gap waiting
  stalled.withheld_copy_hold_us = 2000;
  stalled.gap_timeout_us = 1000000;
  PipelineConfig small_window;
  small_window.window_bytes = 64;
  PipelineConfig small_hold;
  small_hold.max_held_bytes = 90;
  PipelineConfig two_flows;
  two_flows.max_flows = 2;
  PipelineConfig idle;
  idle.flow_idle_timeout_us = 1000000;
  PipelineConfig reuse;
  reuse.max_ahead_bytes = 1 << 20;
  return {
      {"bad_checksums",
       {},
       [](EveGateway& g) { SplitAround(g, BadChecksum(Tcp4(1011, "", kRst))); }},
      {"resets_ignored", {}, [](EveGateway& g) { SplitAround(g, Tcp4(1016, "", kRst)); }},
      {"fins_ignored", {}, [](EveGateway& g) { SplitAround(g, Tcp4(1003, "", kFinAck)); }},
      {"syns_ignored", {}, [](EveGateway& g) { SplitAround(g, Tcp4(999 + 70000, "", kSyn)); }},
      {"out_of_window", {}, [](EveGateway& g) { SplitAround(g, Tcp4(1011 + 50000000, "9")); }},
      {"beyond_fin",
       {},
       [](EveGateway& g) {
         g.Send(Tcp4(999, "", kSyn));
         g.Send(Tcp4(1000, "x=1&ssn=536-22-1457", kFinAck | 0x08));
         g.Send(Tcp4(1019, "&card=4111 1111 1111 1111"));
       }},
      {"flows_restarted",
       reuse,
       [](EveGateway& g) {
         // The old connection had a value; the port is reused far away.
         g.Send(Tcp4(999, "", kSyn));
         g.Send(Tcp4(1000, "ssn=536-22-1457;a=1&"));
         const uint32_t isn = 999 + (64u << 20);
         g.Send(Tcp4(isn, "", kSyn));
         g.Send(Tcp4(isn + 1, "b=2;"));
       },
       40000,
       {"syns_ignored"}},  // the new SYN, before its data shows the port reused
      {"copies_unchecked", small_window,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457;"));
         g.Send(Tcp4(17, std::string(200, 'z')));
         g.Send(Tcp4(1, "ssn=536-2"));  // cut inside a segment older than the window
       }},
      {"gaps_stopped", closed,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457;a=b&"));
         g.Send(Tcp4(100, "c=1;"));  // beyond a gap that never fills
         g.Tick(3000);
       }},
      {"tails_stopped", stalled,
       [](EveGateway& g) {
         const std::string head =
             "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 60\r\n\r\nssn=536-22-1457&n=";
         const auto tail = static_cast<uint32_t>(1 + head.size());
         g.Send(Tcp4(1, head + "4111 111"));
         g.Send(Tcp4(tail + 20, "zz;"));  // sent on, beyond a lost segment
         g.Tick(1000);                    // the hold ends: "4111 111" withheld
         for (int i = 0; i < 3; ++i) {    // its copy, alone, three holds
           g.Send(Tcp4(tail, "4111 111"), 200000);
           g.Tick(2000);
         }
       }},
      {"gaps_skipped", open,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457;a=b&"));
         g.Send(Tcp4(100, "c=1;"));
         g.Tick(3000);
       }},
      {"hold_overflows", small_hold,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457;card=4111"));  // 65 bytes held
         g.Send(Tcp4(26, " 1111"));                     // 45 more: past the 90
       }},
      {"flows_evicted", two_flows,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457", kPshAck, 1));  // held: busy
         // A whole request: quiet between requests.
         g.Send(
             Tcp4(1, "POST / HTTP/1.1\r\nContent-Length: 16\r\n\r\nssn=536-22-1457;", kPshAck, 2));
         g.Send(Tcp4(1, "y;", kPshAck, 3));  // evicts flow 2, the quiet one
       },
       2},
      {"idle_closed", idle,
       [](EveGateway& g) {
         // Mid-body when it falls silent: what it sends after could not be
         // read by a fresh flow, so it is closed, not forgotten.
         g.Send(Tcp4(1, "POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\nssn=536-22-1457;"));
         g.Tick(3000000);
       }},
      {"busy_evictions",
       two_flows,
       [](EveGateway& g) {
         g.Send(Tcp4(1, "ssn=536-22-1457", kPshAck, 1));  // held: busy
         g.Send(Tcp4(1, "ssn=536-22-1458", kPshAck, 2));  // held: busy
         g.Send(Tcp4(1, "y;", kPshAck, 3));  // both busy: flow 1, the least recent, is closed
       },
       1,
       {"flows_evicted"}},
      {"uninspectable_protocol", closed,
       [](EveGateway& g) {
         g.Send(Tcp4(1, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + "ssn=536-22-1457;"));
       }},
      {"http_framing_lost", closed,
       [](EveGateway& g) {
         g.Send(Tcp4(1,
                     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "10\r\nssn=536-22-1457;\r\nZZ\r\n"));  // no chunk size
       }},
  };
}

TEST(Anomaly, EachKindIsOneEveLineWithTheTupleAndTheFlowIdOfItsIncidents) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.kind);
    EveGateway g(c.config);
    c.run(g);
    g.gw().pipeline().Flush(g.gw());
    const int64_t at = g.clock().WallMicros();
    auto lines = g.Lines();
    std::vector<nlohmann::json> mine;
    for (const auto& line : lines["anomaly"]) {
      const std::string event = line["anomaly"]["event"];
      if (event == "stream." + c.kind) {
        mine.push_back(line);
      } else {
        EXPECT_NE(std::find(c.also.begin(), c.also.end(), event.substr(7)), c.also.end()) << event;
      }
    }
    ASSERT_EQ(mine.size(), 1u);
    const nlohmann::json& a = mine[0];
    EXPECT_EQ(a["anomaly"]["type"], "stream");
    EXPECT_EQ(a["anomaly"]["event"], "stream." + c.kind);
    EXPECT_FALSE(a["anomaly"].contains("layer"));  // Suricata's, for "applayer" only
    EXPECT_EQ(a["src_ip"], "10.0.0.1");
    EXPECT_EQ(a["src_port"], c.flow_sport);
    EXPECT_EQ(a["dest_ip"], "10.0.0.2");
    EXPECT_EQ(a["dest_port"], 80);
    EXPECT_EQ(a["proto"], "TCP");
    EXPECT_LE(a["timestamp"].get<std::string>(), EveTimestamp(at));
    EXPECT_GE(a["timestamp"].get<std::string>(), EveTimestamp(kT0));
    EXPECT_EQ(a["dlp"]["suppressed"], 0);
    // The flow of the SSN's incident: one query on dlp.flow_id finds both.
    std::string incident_flow;
    for (const auto& alert : lines["alert"]) {
      if (alert["src_port"] == c.flow_sport && alert["dlp"]["rule"] == "us-ssn") {
        incident_flow = alert["dlp"]["flow_id"];
      }
    }
    ASSERT_FALSE(incident_flow.empty());
    EXPECT_EQ(a["dlp"]["flow_id"], incident_flow);
    const size_t kind = [&] {
      for (size_t i = 0; i < kAnomalyKindCount; ++i) {
        if (kAnomalyKinds[i].name == c.kind) return i;
      }
      return kAnomalyKindCount;
    }();
    ASSERT_LT(kind, kAnomalyKindCount);
    EXPECT_EQ((g.counters().*kAnomalyKinds[kind].counter).load(), 1u);
  }
}

TEST(Anomaly, EveryDeclaredKindHasACase) {
  std::vector<std::string> covered;
  for (const Case& c : Cases()) covered.push_back(c.kind);
  for (const AnomalyKindInfo& k : kAnomalyKinds) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), k.name), covered.end()) << k.name;
  }
}

TEST(Anomaly, APacketOfNoFlowIsReportedWithItsTupleAlone) {
  // An IPv6 segment with a wrong checksum, of a connection dlpd never saw.
  std::vector<uint8_t> p(60, 0);
  p[0] = 0x60;
  p[5] = 20;  // payload length
  p[6] = 6;   // TCP
  p[7] = 64;
  p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;    // 2001:db8::1
  p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;  // 2001:db8::2
  p[40] = 0x9c, p[41] = 0x40, p[43] = 80;                             // 40000 -> 80
  p[52] = 0x50, p[53] = kRst;
  p[56] = 0x12;  // checksum 0x1200: wrong
  EveGateway g;
  g.Send(p);
  EXPECT_EQ(g.gw().dropped, 1u);
  auto lines = g.Lines();
  ASSERT_EQ(lines["anomaly"].size(), 1u);
  const nlohmann::json& a = lines["anomaly"][0];
  EXPECT_EQ(a["anomaly"]["event"], "stream.bad_checksums");
  EXPECT_EQ(a["src_ip"], "2001:db8::1");
  EXPECT_EQ(a["dest_ip"], "2001:db8::2");
  EXPECT_EQ(a["src_port"], 40000);
  EXPECT_EQ(a["timestamp"], EveTimestamp(kT0));
  EXPECT_FALSE(a["dlp"].contains("flow_id"));
}

TEST(Anomaly, AFloodOfBadChecksumsIsRateLimitedAndTheLinesSayHowManyTheyStandFor) {
  // 10,000 bad RSTs on a live flow, one a millisecond for 10 s, against the
  // default 10 a second with 20 saved up: the burst, then one line per
  // 100 ms, each carrying the count of those left out before it.
  EveGateway g;
  g.Send(Tcp4(999, "", kSyn));
  g.Send(Tcp4(1000, "ssn=536-22-1457;"));
  constexpr int kFlood = 10000;
  for (int i = 0; i < kFlood; ++i) g.Send(BadChecksum(Tcp4(1016, "", kRst)), 1000);
  // One more, a minute later: it reports what was left out at the end.
  g.Send(BadChecksum(Tcp4(1016, "", kRst)), 60LL * 1000000);
  EXPECT_EQ(g.counters().bad_checksums.load(), kFlood + 1u);
  const uint64_t suppressed_count = g.counters().anomalies_suppressed.load();
  auto lines = g.Lines();
  const auto& a = lines["anomaly"];
  // 20 at once, then 10 a second for 10 s, and the last one.
  EXPECT_LE(a.size(), 20u + 10u * 10u + 1u);
  EXPECT_GE(a.size(), 20u + 10u * 9u);
  uint64_t suppressed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["anomaly"]["event"], "stream.bad_checksums");
    EXPECT_EQ(a[i]["dlp"]["flow_id"], lines["alert"].at(0)["dlp"]["flow_id"]);
    if (i < 20) {
      EXPECT_EQ(a[i]["dlp"]["suppressed"], 0) << i;
    }
    suppressed += a[i]["dlp"]["suppressed"].get<uint64_t>();
  }
  EXPECT_EQ(a[20]["dlp"]["suppressed"], 80);  // the burst took 20 ms; a token then takes 100
  EXPECT_EQ(a[21]["dlp"]["suppressed"], 99);
  // Every event is a line or counted in one.
  EXPECT_EQ(a.size() + suppressed, kFlood + 1u);
  EXPECT_EQ(suppressed, suppressed_count);
  EXPECT_EQ(g.counters().anomalies_dropped.load(), 0u);
}

TEST(Anomaly, EachKindHasItsOwnLimit) {
  EveGateway g;
  g.Send(Tcp4(999, "", kSyn));
  g.Send(Tcp4(1000, "ssn=536-22-1457;"));
  for (int i = 0; i < 100; ++i) g.Send(BadChecksum(Tcp4(1016, "", kRst)));
  g.Send(Tcp4(1016 + 5, "", kRst));  // an inexact RST: another kind, not left out
  auto lines = g.Lines();
  ASSERT_EQ(lines["anomaly"].size(), 21u);
  EXPECT_EQ(lines["anomaly"].back()["anomaly"]["event"], "stream.resets_ignored");
  EXPECT_EQ(g.counters().anomalies_suppressed.load(), 80u);
}

TEST(Anomaly, AQueueThatRefusesIsCountedAndThePipelineGoesOn) {
  EveGateway g;
  g.writer().Stop();  // refuses everything from now on
  SplitAround(g, BadChecksum(Tcp4(1011, "", kRst)));
  EXPECT_EQ(g.gw().Delivered(), "ssn=XXX-XX-XXXX;");
  EXPECT_EQ(g.counters().anomalies_dropped.load(), 1u);
  EXPECT_EQ(g.counters().bad_checksums.load(), 1u);
}

TEST(Anomaly, WithoutAWriterTheyAreCountedOnly) {
  Gateway gw;
  gw.Send(Tcp4(999, "", kSyn));
  for (int i = 0; i < 50; ++i) gw.Send(BadChecksum(Tcp4(1000, "", kRst)));
  EXPECT_EQ(gw.pipeline().counters().bad_checksums.load(), 50u);
  EXPECT_EQ(gw.pipeline().counters().anomalies_suppressed.load(), 0u);
}

TEST(TokenBucket, GivesTheBurstThenTheRate) {
  TokenBucket b(10, 3);
  EXPECT_TRUE(b.Take(0));
  EXPECT_TRUE(b.Take(0));
  EXPECT_TRUE(b.Take(0));
  EXPECT_FALSE(b.Take(0));
  EXPECT_FALSE(b.Take(99999));
  EXPECT_TRUE(b.Take(100000));
  EXPECT_FALSE(b.Take(100000));
  EXPECT_FALSE(b.Take(50000));  // a reading from the past adds nothing
  EXPECT_TRUE(b.Take(10000000));
  EXPECT_TRUE(b.Take(10000000));
  EXPECT_TRUE(b.Take(10000000));
  EXPECT_FALSE(b.Take(10000000));  // never more than the burst saved up
}

TEST(IncidentReason, AValueThatCannotBeMaskedInPlaceSaysWhy) {
  // A deflated body (zlib's format), and base64 written as HTML references
  // too short for the characters masking makes; and a value masked as usual.
  const std::string text = "pan=4111111111111111;";
  uLongf n = compressBound(text.size());
  std::string deflated(n, '\0');
  compress(reinterpret_cast<Bytef*>(deflated.data()), &n,
           reinterpret_cast<const Bytef*>(text.data()), text.size());
  deflated.resize(n);
  std::string refs;
  for (const char c : std::string("c3NuIDUzNi0yMi0xNDU3IHg=")) {  // "ssn 536-22-1457 x"
    refs += "&#" + std::to_string(static_cast<int>(c)) + ";";
  }
  const std::string html = "<img src=\"data:;base64," + refs + "\">";
  const std::string bodies[] = {
      "POST /z HTTP/1.1\r\nHost: a\r\nContent-Encoding: deflate\r\nContent-Length: " +
          std::to_string(deflated.size()) + "\r\n\r\n" + deflated,
      "POST /h HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(html.size()) + "\r\n\r\n" +
          html,
      "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\nssn=536-22-1457;"};
  EveGateway g;
  uint16_t port = 41000;
  for (const std::string& b : bodies) {
    g.Send(Tcp4(999, "", kSyn, port));
    g.Send(Tcp4(1000, b, kPshAck, port));
    ++port;
  }
  g.gw().pipeline().Flush(g.gw());
  std::map<std::string, std::string> reason_by_path;
  const auto lines = g.Lines();
  ASSERT_EQ(lines.count("alert"), 1u);
  for (const nlohmann::json& a : lines.at("alert")) {
    const nlohmann::json& dlp = a.at("dlp");
    reason_by_path[a.at("http").at("url").get<std::string>()] =
        dlp.at("action").get<std::string>() + " " + dlp.value("reason", std::string("-"));
  }
  EXPECT_EQ(reason_by_path["/z"], "block compressed body");
  EXPECT_EQ(reason_by_path["/h"], "block base64 cannot be rewritten");
  EXPECT_EQ(reason_by_path["/p"], "mask -");
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// The incident says what became of each value: here one SSN whose first
// digit had left before the rest arrived (flow_test.cpp has the stream's
// side of it), masked from there on: partly masked, not masked.
TEST(IncidentOutcomes, AValuePartlySentBeforeItWasFoundIsCountedAsSuch) {
  PipelineConfig c;
  c.hold_timeout_us = 1000;
  c.withheld_copy_hold_us = 500000;
  EveGateway g(c);
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n";
  const uint32_t body = 1 + static_cast<uint32_t>(head.size());
  g.Send(Tcp4(1, head + "x=1&ssn=5"));
  g.Send(Tcp4(body + 16, "457;"), 10);  // beyond a lost segment
  g.Tick(990);
  g.Send(Tcp4(body + 8, "5"), 199000);
  g.Tick(500000);                             // the held "5" leaves as it is
  g.Send(Tcp4(body + 9, "36-22-1"), 100000);  // the gap fills
  ASSERT_EQ(g.counters().partial.load(), 1u);
  auto lines = g.Lines();
  ASSERT_EQ(lines["alert"].size(), 1u);
  const nlohmann::json& dlp = lines["alert"][0]["dlp"];
  EXPECT_EQ(dlp["action"], "mask-partial");
  EXPECT_EQ(dlp["count"], 1);
  EXPECT_EQ(dlp["outcomes"]["partly_masked"], 1);
  EXPECT_EQ(dlp["outcomes"]["masked"], 0);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// A capture out of time order: timers never go back, records keep each
// packet's own time.
TEST(ReplayClock, TimersNeverGoBackRecordsKeepThePacketsTime) {
  ReplayClock clock;
  clock.AdvanceTo(2000);
  clock.AdvanceTo(1000);  // a packet stamped earlier than the last
  EXPECT_EQ(clock.NowMicros(), 2000);
  EXPECT_EQ(clock.WallMicros(), 1000);
  clock.AdvanceTo(3000);
  EXPECT_EQ(clock.NowMicros(), 3000);
  EXPECT_EQ(clock.WallMicros(), 3000);
}

}  // namespace
}  // namespace dlp
