// The lists declared once: the incident's columns (storage/incident_columns.h)
// drive the database, dlpctl's JSON and CSV, and EVE lines, and the action
// ranks (storage/action_rank.h) drive both MergeIncident and the upsert.
#include "storage/incident_columns.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "dlpd/ctl/incidents_command.h"
#include "storage/action_rank.h"
#include "storage/eve_json.h"
#include "storage/incident_query.h"
#include "storage/incident_store.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using test::TempDb;

// Every field set, each to a value of its own.
Incident Full() {
  Incident in;
  in.time_us = 1795000000123456LL;
  in.last_time_us = 1795000060000001LL;
  in.rule_id = "pan";
  in.rule_name = "Payment card number";
  in.signature_id = 1000001;
  in.signature_rev = 3;
  in.category = "pci-data";
  in.metadata = R"({"standard":["pci-dss"]})";
  in.severity = "critical";
  in.action = "mask-partial";
  in.ip_version = 6;
  in.src_ip = "2001:db8::10";
  in.src_port = 40000;
  in.dst_ip = "2001:db8:1::20";
  in.dst_port = 443;
  in.flow_id = "0123456789abcdef";
  in.http_method = "POST";
  in.http_host = "shop.example";
  in.http_path = "/pay?card=XXXX";
  in.http_user_agent = "curl/8.1";
  in.http_user = "jdoe";
  in.http_body_length = 4096;
  in.match_count = 7;
  in.masked = 3;
  in.partly_masked = 2;
  in.in_clear = 1;
  in.blocked = 1;
  in.masked_sample = "XXXX XXXX XXXX 1111";
  in.fingerprint = "00112233445566778899aabbccddeeff";
  in.ruleset_version = "r42";
  in.reason = "compressed body";
  return in;
}

std::vector<std::string> Keys(const nlohmann::json& object) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : object.items()) keys.push_back(k);
  return keys;
}

TEST(IncidentColumns, EveryColumnOfTheDatabaseIsDeclaredOnce) {
  TempDb t;
  IncidentStore store(t.path);
  std::vector<std::string> schema;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(store.handle(), "SELECT name FROM pragma_table_info('incidents')",
                               -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    schema.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  std::vector<std::string> declared;
  std::set<std::string> keys, eve;
  for (const IncidentColumn& c : kIncidentColumns) {
    declared.emplace_back(c.sql);
    EXPECT_TRUE(keys.emplace(c.key).second) << "key twice: " << c.key;
    if (!c.eve.empty()) {
      EXPECT_TRUE(eve.emplace(c.eve).second) << "EVE place twice: " << c.eve;
    }
  }
  std::sort(schema.begin(), schema.end());
  std::sort(declared.begin(), declared.end());
  EXPECT_EQ(declared, schema);
}

TEST(IncidentColumns, CsvHeaderIsTheShippedOneAndEachRowFillsIt) {
  const std::vector<std::string> header = IncidentCsvHeader();
  EXPECT_EQ(
      header,
      (std::vector<std::string>{
          "id",        "time",      "last_seen", "rule",          "rule_name",   "severity",
          "action",    "count",     "masked",    "partly_masked", "in_clear",    "blocked",
          "src_ip",    "src_port",  "dst_ip",    "dst_port",      "flow_id",     "http_method",
          "http_host", "http_path", "http_user", "sample",        "fingerprint", "ruleset_version",
          "reason",    "flows"}));
  for (const IncidentColumn& c : kIncidentColumns) {
    const bool listed = std::find(header.begin(), header.end(), c.key) != header.end();
    EXPECT_EQ(listed, c.listed == Listed::kJsonAndCsv) << c.key;
  }
  StoredIncident r{12, Full()};
  EXPECT_EQ(IncidentCsvRow(r), (std::vector<std::string>{"12",
                                                         "2026-11-18T11:06:40.123456Z",
                                                         "2026-11-18T11:07:40.000001Z",
                                                         "pan",
                                                         "Payment card number",
                                                         "critical",
                                                         "mask-partial",
                                                         "7",
                                                         "3",
                                                         "2",
                                                         "1",
                                                         "1",
                                                         "2001:db8::10",
                                                         "40000",
                                                         "2001:db8:1::20",
                                                         "443",
                                                         "0123456789abcdef",
                                                         "POST",
                                                         "shop.example",
                                                         "/pay?card=XXXX",
                                                         "jdoe",
                                                         "XXXX XXXX XXXX 1111",
                                                         "00112233445566778899aabbccddeeff",
                                                         "r42",
                                                         "compressed body",
                                                         "1"}));
}

TEST(IncidentColumns, JsonHasEveryColumnAsShipped) {
  StoredIncident r{12, Full()};
  const nlohmann::json j = IncidentJson(r);
  std::vector<std::string> declared;
  for (const IncidentColumn& c : kIncidentColumns) declared.emplace_back(c.key);
  std::sort(declared.begin(), declared.end());
  EXPECT_EQ(Keys(j), declared);
  EXPECT_EQ(
      j.dump(),
      R"({"action":"mask-partial","blocked":1,"category":"pci-data","count":7,)"
      R"("dst_ip":"2001:db8:1::20","dst_port":443,)"
      R"("fingerprint":"00112233445566778899aabbccddeeff","flow_id":"0123456789abcdef","flows":1,)"
      R"("http_body_length":4096,"http_host":"shop.example","http_method":"POST","http_path":"/pay?card=XXXX",)"
      R"("http_user":"jdoe","http_user_agent":"curl/8.1",)"
      R"("id":12,"in_clear":1,"ip_version":6,"last_seen":"2026-11-18T11:07:40.000001Z",)"
      R"("masked":3,"metadata":{"standard":["pci-dss"]},"partly_masked":2,"proto":"TCP",)"
      R"("reason":"compressed body","rule":"pan","rule_name":"Payment card number",)"
      R"("ruleset_version":"r42","sample":"XXXX XXXX XXXX 1111","severity":"critical",)"
      R"("signature_id":1000001,"signature_rev":3,"src_ip":"2001:db8::10","src_port":40000,)"
      R"("time":"2026-11-18T11:06:40.123456Z","values_unlisted":0})");
  r.incident.http_method.clear();
  r.incident.http_host.clear();
  r.incident.http_path.clear();
  r.incident.http_user_agent.clear();
  r.incident.http_user.clear();
  r.incident.http_body_length = -1;
  const nlohmann::json no_request = IncidentJson(r);
  for (const char* key : {"http_method", "http_host", "http_path", "http_user_agent", "http_user",
                          "http_body_length"}) {
    EXPECT_TRUE(no_request.at(key).is_null()) << key;
  }
  r.incident.reason.clear();
  EXPECT_TRUE(IncidentJson(r).at("reason").is_null());
}

TEST(IncidentColumns, EveHasEveryColumnThatHasAPlaceThere) {
  Incident aggregate = Full();
  aggregate.flows = 3;  // a flood's row
  const nlohmann::json j = nlohmann::json::parse(EveLine(aggregate, 12));
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.eve.empty()) continue;
    EXPECT_TRUE(j.contains(nlohmann::json::json_pointer(std::string(c.eve)))) << c.eve;
  }
  EXPECT_EQ(j["dlp"]["flows"], 3);
  // Byte for byte: dlpd 0.1's form, with what came later (the outcomes,
  // the Community ID, Suricata's numeric flow_id, a signature per rule
  // without the action): with and without a row id; an http object only for a request
  // with a method or a Host; no reason unless there is one, no flows for a
  // row of one flow.
  auto Plain = [] {
    Incident in = Full();
    in.reason.clear();
    return in;
  };
  const char* alert = R"({"alert":{"action":"allowed","category":"pci-data","gid":1,)"
                      R"("metadata":{"standard":["pci-dss"]},"rev":3,"severity":1,)"
                      R"("signature":"Payment card number","signature_id":1000001},)";
  const char* dlp =
      R"("dlp":{"action":"mask-partial","count":7,"fingerprint":"00112233445566778899aabbccddeeff",)"
      R"("first_seen":"2026-11-18T11:06:40.123456+0000","flow_id":"0123456789abcdef",)";
  const char* dlp_end = R"("rule":"pan","ruleset_version":"r42","sample":"XXXX XXXX XXXX 1111",)"
                        R"("severity":"critical","user":"jdoe"},"event_type":"alert",)"
                        R"("flow_id":920735923817967,)";
  // What became of the values (migration 5): after incident_id, by key.
  const std::string outcomes =
      R"("outcomes":{"blocked":1,"in_clear":1,"masked":3,"partly_masked":2},)";
  const char* tuple = R"("proto":"TCP","src_ip":"2001:db8::10","src_port":40000,"timestamp":)";
  // The flow's Community ID (the spec's hash of the tuple) sorts before
  // dest_ip, Suricata's numeric flow_id (its low 51 bits) after event_type.
  const std::string dest = R"("community_id":"1:q/YvuwdlcxJRAFVbSO0w+mADedI=",)"
                           R"("dest_ip":"2001:db8:1::20","dest_port":443,)";
  const std::string http =
      R"("http":{"hostname":"shop.example","http_method":"POST","http_user_agent":"curl/8.1",)"
      R"("request_body_length":4096,"url":"/pay?card=XXXX"},)";
  EXPECT_EQ(EveLine(Plain(), 12), alert + std::string(R"("app_proto":"http",)") + dest + dlp +
                                      R"("incident_id":12,)" + outcomes + dlp_end + http + tuple +
                                      R"("2026-11-18T11:07:40.000001+0000"})");
  EXPECT_EQ(EveLine(Plain()), alert + std::string(R"("app_proto":"http",)") + dest + dlp +
                                  outcomes + dlp_end + http + tuple +
                                  R"("2026-11-18T11:07:40.000001+0000"})");
  Incident path_only = Plain();
  path_only.http_method.clear();
  path_only.http_host.clear();
  path_only.http_user_agent.clear();
  EXPECT_EQ(EveLine(path_only, 3), alert + dest + dlp + R"("incident_id":3,)" + outcomes + dlp_end +
                                       tuple + R"("2026-11-18T11:07:40.000001+0000"})");
  Incident host_only = Plain();
  host_only.http_method.clear();
  host_only.http_path.clear();
  host_only.http_user_agent.clear();
  host_only.http_body_length = -1;  // unknown: left out
  host_only.last_time_us = 0;
  EXPECT_EQ(EveLine(host_only, 3), alert + std::string(R"("app_proto":"http",)") + dest + dlp +
                                       R"("incident_id":3,)" + outcomes + dlp_end +
                                       R"("http":{"hostname":"shop.example"},)" + tuple +
                                       R"("2026-11-18T11:06:40.123456+0000"})");
  EXPECT_EQ(EveLine(Full()), alert + std::string(R"("app_proto":"http",)") + dest + dlp + outcomes +
                                 R"("reason":"compressed body",)" + dlp_end + http + tuple +
                                 R"("2026-11-18T11:07:40.000001+0000"})");
}

TEST(IncidentColumns, EveryColumnGoesInAndComesBackOut) {
  TempDb t;
  const Incident in = Full();
  {
    IncidentStore store(t.path);
    ASSERT_TRUE(store.InsertBatch({in}).ok());
  }
  auto reader = IncidentReader::Open(t.path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto got = reader.value()->Get(1);
  ASSERT_TRUE(got.ok() && got->has_value());
  const StoredIncident& r = **got;
  EXPECT_EQ(r.id, 1);
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.type == ColumnType::kRowId) continue;
    const ColumnValue want = c.access.get(in, 0);
    const ColumnValue back = c.access.get(r.incident, r.id);
    EXPECT_EQ(back.number, want.number) << c.key;
    EXPECT_EQ(back.text, want.text) << c.key;
  }
}

TEST(ActionRank, WeakestToStrongest) {
  const std::vector<std::string_view> order = {"pass", "alert", "mask", "mask-partial", "block"};
  ASSERT_EQ(kActionRanks.size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(kActionRanks[i].action, order[i]);
    EXPECT_EQ(ActionRank(order[i]), static_cast<int>(i)) << order[i];
  }
  // A name not listed ranks as pass.
  for (const char* other : {"", "Block", "drop", "mask-partial "}) {
    EXPECT_EQ(ActionRank(other), ActionRank("pass")) << other;
  }
}

TEST(ActionRank, TheSqlFunctionAgreesWithTheTable) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_TRUE(RegisterActionRankFunction(db).ok());
  auto sql_rank = [&](const char* action) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT dlp_action_rank(?)", -1, &st, nullptr), SQLITE_OK);
    if (action != nullptr) sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
    int rank = -1;
    if (sqlite3_step(st) == SQLITE_ROW) rank = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rank;
  };
  for (const ActionRankEntry& e : kActionRanks) {
    EXPECT_EQ(sql_rank(std::string(e.action).c_str()), e.rank) << e.action;
  }
  EXPECT_EQ(sql_rank("drop"), ActionRank("drop"));
  EXPECT_EQ(sql_rank(nullptr), ActionRank("pass"));  // NULL
  // Deterministic: SQLite takes it in an index expression.
  char* err = nullptr;
  EXPECT_EQ(
      sqlite3_exec(db, "CREATE TABLE t (a TEXT); CREATE INDEX t_rank ON t(dlp_action_rank(a))",
                   nullptr, nullptr, &err),
      SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(ActionRank, TheUpsertKeepsWhatMergeIncidentKeeps) {
  TempDb t;
  IncidentStore store(t.path);
  std::vector<std::string> actions;
  for (const ActionRankEntry& e : kActionRanks) actions.emplace_back(e.action);
  actions.push_back("drop");  // not listed
  std::vector<Incident> merged;
  for (const std::string& first : actions) {
    for (const std::string& later : actions) {
      Incident a = Full();
      a.flow_id = first + ">" + later;
      a.action = first;
      Incident b = a;
      b.action = later;
      ASSERT_TRUE(store.InsertBatch({a}).ok());
      ASSERT_TRUE(store.InsertBatch({b}).ok());
      MergeIncident(a, b);
      merged.push_back(a);
    }
  }
  auto reader = IncidentReader::Open(t.path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto rows = reader.value()->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), merged.size());
  for (size_t i = 0; i < merged.size(); ++i) {
    EXPECT_EQ(rows->at(i).incident.action, merged[i].action) << merged[i].flow_id;
  }
}

}  // namespace
}  // namespace dlp
