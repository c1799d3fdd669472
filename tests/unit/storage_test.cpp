// The incident store: migrations, one incident per flow and rule, retention
// and the size guard, WAL readers, the writer's queue, and the queries and
// EVE lines the security team reads.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "dlpd/common/cidr.h"
#include "dlpd/inspect/fingerprint.h"
#include "storage/community_id.h"
#include "storage/eve_json.h"
#include "storage/incident_query.h"
#include "storage/incident_store.h"
#include "storage/incident_writer.h"
#include "storage/migrations.h"
#include "storage/time_spec.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

constexpr int64_t kT0 = 1795000000LL * 1000000;  // 2026-11-18T...Z

using test::TempDb;

Incident Make(const std::string& flow, const std::string& rule, int64_t t, uint32_t count = 1,
              const std::string& action = "mask", const std::string& dst = "198.51.100.20") {
  Incident in;
  in.time_us = in.last_time_us = t;
  in.rule_id = rule;
  in.severity = rule == "pan" ? "critical" : "high";
  in.action = action;
  in.ip_version = dst.find(':') != std::string::npos ? 6 : 4;
  in.src_ip = in.ip_version == 6 ? "2001:db8::10" : "192.0.2.10";
  in.src_port = 40000;
  in.dst_ip = dst;
  in.dst_port = 80;
  in.flow_id = flow;
  in.http_method = "POST";
  in.http_host = "shop.example";
  in.http_path = "/pay?card=XXXX";
  in.match_count = count;
  in.masked_sample = rule == "pan" ? "XXXX XXXX XXXX 1111" : "XXX-XX-1457";
  in.fingerprint = "00112233445566778899aabbccddeeff";
  in.ruleset_version = "test";
  return in;
}

// `in` with `n` values of fingerprint "fp<first>".."fp<first+n-1>" (padded
// to 32 hex-like characters), each with `outcome`, counted as such.
Incident WithValues(Incident in, int first, int n, uint8_t outcome) {
  in.match_count = static_cast<uint32_t>(n);
  for (int i = first; i < first + n; ++i) {
    char fp[33];
    snprintf(fp, sizeof fp, "%032x", i);
    AddValue(in, fp, outcome);
  }
  uint32_t& count = outcome == kValueInClear   ? in.in_clear
                    : outcome == kValueBlocked ? in.blocked
                    : outcome == kValueMasked  ? in.masked
                                               : in.partly_masked;
  count += static_cast<uint32_t>(n);
  return in;
}

int64_t Count(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

std::unique_ptr<IncidentReader> Reader(const std::string& path) {
  auto r = IncidentReader::Open(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return std::move(r).value();
}

TEST(IncidentStore, FreshDatabaseIsCurrentWalAndOwnerOnly) {
  TempDb t;
  IncidentStore store(t.path);
  struct stat sb {};
  ASSERT_EQ(stat(t.path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(Count(store.handle(), "PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_GE(CurrentSchemaVersion(), 2);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(store.handle(), "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  for (const char* view : {"incidents_by_rule", "incidents_by_destination", "incidents_by_hour",
                           "incidents_last_24h"}) {
    EXPECT_EQ(Count(store.handle(), std::string("SELECT count(*) FROM ") + view), 0) << view;
  }
}

TEST(IncidentStore, MigrationFromVersion1KeepsRows) {
  TempDb t;
  {
    // A database as dlpd 0.1 wrote it: migration 1 only, one row per batch.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
    Exec(db, SchemaMigrations().at(0).sql);
    Exec(db, "PRAGMA user_version=1");
    const char* row =
        "INSERT INTO incidents (time_utc, rule_id, severity, action, ip_version, src_ip, "
        "src_port, dst_ip, dst_port, flow_id, match_count, masked_sample, fingerprint, "
        "ruleset_version) VALUES ('%s', '%s', 'high', 'mask', 4, '192.0.2.10', 40000, "
        "'198.51.100.20', 80, '%s', %d, 'XXX-XX-1457', 'ff', 'v1')";
    char sql[1024];
    snprintf(sql, sizeof sql, row, "2026-11-01T10:00:00.000000Z", "us-ssn", "f1", 2);
    Exec(db, sql);
    snprintf(sql, sizeof sql, row, "2026-11-01T10:05:00.000000Z", "us-ssn", "f1", 3);
    Exec(db, sql);
    snprintf(sql, sizeof sql, row, "2026-11-01T11:00:00.000000Z", "pan", "f1", 1);
    Exec(db, sql);
    snprintf(sql, sizeof sql, row, "2026-11-02T09:00:00.000000Z", "us-ssn", "f2", 4);
    Exec(db, sql);
    // An alert row: its values all left in clear, nothing stronger happened.
    Exec(db,
         "INSERT INTO incidents (time_utc, rule_id, severity, action, ip_version, src_ip, "
         "src_port, dst_ip, dst_port, flow_id, match_count, masked_sample, fingerprint, "
         "ruleset_version) VALUES ('2026-11-03T09:00:00.000000Z', 'pan', 'critical', 'alert', 4, "
         "'192.0.2.10', 1, '198.51.100.20', 80, 'f3', 2, 'XXXX', 'ee', 'v1')");
    sqlite3_close(db);
  }
  // dlpctl refuses to read it until the daemon has migrated it.
  auto old = IncidentReader::Open(t.path);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("start dlpd on it once"), std::string::npos);

  IncidentStore store(t.path);
  EXPECT_EQ(Count(store.handle(), "PRAGMA user_version"), CurrentSchemaVersion());
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents"), 4);
  EXPECT_EQ(Count(store.handle(), "SELECT sum(match_count) FROM incidents"), 12);
  auto rows = Reader(t.path)->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  const Incident& first = rows->at(0).incident;
  EXPECT_EQ(first.rule_id, "us-ssn");
  EXPECT_EQ(first.match_count, 5u);
  EXPECT_EQ(IsoTimeUtc(first.time_us), "2026-11-01T10:00:00.000000Z");
  EXPECT_EQ(IsoTimeUtc(first.last_time_us), "2026-11-01T10:05:00.000000Z");
  // Each row lists the one value it kept, of unknown outcome (migration 5).
  EXPECT_EQ(Count(store.handle(),
                  "SELECT count(*) FROM incident_values WHERE fingerprint = 'ff' "
                  "AND outcomes = 0"),
            3);
  auto stats = Reader(t.path)->Stats({});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->unknown_outcome, 10);
  EXPECT_EQ(stats->total.in_clear, 2);
  EXPECT_EQ(stats->total.distinct_values,
            3);  // ff of us-ssn and of pan (a value is its rule's), ee
  EXPECT_EQ(stats->total.distinct_in_clear, 1);  // the alert row's
  EXPECT_EQ(rows->at(3).incident.in_clear, 2u);
  // The migrated table takes the new upsert.
  ASSERT_TRUE(store.InsertBatch({Make("f2", "us-ssn", kT0, 6)}).ok());
  EXPECT_EQ(Count(store.handle(), "SELECT match_count FROM incidents WHERE flow_id='f2'"), 10);
}

TEST(IncidentStore, NewerSchemaAndNonDatabaseAreClearErrors) {
  TempDb t;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
    Exec(db, "PRAGMA user_version=99");
    sqlite3_close(db);
  }
  try {
    IncidentStore store(t.path);
    FAIL() << "opened a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99 is newer"), std::string::npos)
        << e.what();
  }
  // A file that is no SQLite database may be the wrong path: refused, and
  // left exactly as it was (not moved aside).
  TempDb junk;
  std::ofstream(junk.path) << std::string(4096, 'z');
  try {
    IncidentStore store(junk.path);
    FAIL() << "opened a file that is no database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a database"), std::string::npos) << e.what();
  }
  std::ifstream kept(junk.path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), std::string(4096, 'z'));
  EXPECT_FALSE(IncidentReader::Open(junk.path).ok());
}

// dlpd's files are never opened through a link (a link to another file
// must not get its writes, or the chown of --db-group) nor as a FIFO (which
// would block start-up forever) or a device: each a clear error, and the
// file the link names left as it was.
TEST(OwnFiles, LinksAndFifosAreRefusedAndTheirTargetsLeftAlone) {
  TempDb t;
  const std::string dir = t.path.substr(0, t.path.rfind('/'));
  const std::string victim = dir + "/victim";
  std::ofstream(victim) << "not dlpd's";
  ASSERT_EQ(chmod(victim.c_str(), 0644), 0);
  ASSERT_EQ(symlink(victim.c_str(), t.path.c_str()), 0);
  auto refused = [](auto&& open, const std::string& want) {
    try {
      open();
      ADD_FAILURE() << "opened; want: " << want;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  };
  refused([&] { IncidentStore store(t.path, "root"); }, "a symbolic link");
  refused([&] { Fingerprinter::FromKeyFile(t.path); }, "a symbolic link");
  auto eve = EveLog::Open(t.path);
  ASSERT_FALSE(eve.ok());
  EXPECT_NE(eve.error().message.find("a symbolic link"), std::string::npos) << eve.error().message;
  std::ifstream in(victim);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "not dlpd's");
  struct stat st {};
  ASSERT_EQ(stat(victim.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  // A dangling link is not created through either.
  const std::string dangling = dir + "/dangling";
  ASSERT_EQ(symlink((dir + "/nowhere").c_str(), dangling.c_str()), 0);
  refused([&] { IncidentStore store(dangling); }, "a symbolic link");
  refused([&] { Fingerprinter::FromKeyFile(dangling); }, "a symbolic link");
  EXPECT_NE(access((dir + "/nowhere").c_str(), F_OK), 0);
  // A FIFO: refused at once, not waited on.
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  refused([&] { Fingerprinter::FromKeyFile(fifo); }, "a FIFO, not a regular file");
  refused([&] { IncidentStore store(fifo); }, "a FIFO, not a regular file");
  refused([&] { IncidentStore store("/dev/null"); }, "a device, not a regular file");
}

TEST(IncidentStore, CorruptDatabaseIsMovedAsideAndANewOneCreated) {
  TempDb t;
  {
    IncidentStore store(t.path);
    std::vector<Incident> batch;
    for (int i = 0; i < 3000; ++i) batch.push_back(Make("f" + std::to_string(i), "pan", kT0 + i));
    ASSERT_TRUE(store.InsertBatch(batch).ok());
  }
  {
    sqlite3* db = nullptr;  // every page in the file, none left in the WAL
    ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
    Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
  }
  // Garbage over pages in the middle of the file: SQLite opens it, and
  // only reading its pages shows the damage.
  struct stat st {};
  ASSERT_EQ(stat(t.path.c_str(), &st), 0);
  ASSERT_GT(st.st_size, 16 * 4096);
  {
    std::fstream f(t.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4 * 4096);
    f << std::string(8 * 4096, '\xab');
  }
  IncidentStore store(t.path);
  ASSERT_FALSE(store.moved_aside().empty());
  EXPECT_EQ(store.moved_aside().rfind(t.path + ".corrupt-", 0), 0u) << store.moved_aside();
  struct stat aside {};
  ASSERT_EQ(stat(store.moved_aside().c_str(), &aside), 0);  // kept for .recover
  EXPECT_EQ(aside.st_size, st.st_size);
  EXPECT_EQ(Count(store.handle(), "select count(*) from incidents"), 0);
  EXPECT_TRUE(store.InsertBatch({Make("new", "pan", kT0)}).ok());
  EXPECT_EQ(Count(store.handle(), "select count(*) from incidents"), 1);
  // A sound database is not moved.
  IncidentStore again(t.path + "2");
  EXPECT_TRUE(again.moved_aside().empty());
}

TEST(IncidentStore, OneIncidentPerFlowAndRuleWithTheStrongestAction) {
  TempDb t;
  IncidentStore store(t.path);
  ASSERT_TRUE(
      store.InsertBatch({Make("f1", "pan", kT0, 2, "alert"), Make("f1", "us-ssn", kT0)}).ok());
  ASSERT_TRUE(store.InsertBatch({Make("f1", "pan", kT0 + 5000000, 3, "mask")}).ok());
  ASSERT_TRUE(store.InsertBatch({Make("f1", "pan", kT0 + 9000000, 1, "alert")}).ok());
  ASSERT_TRUE(store.InsertBatch({Make("f2", "pan", kT0 + 1, 1)}).ok());
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents"), 3);
  auto got = Reader(t.path)->List({});
  ASSERT_TRUE(got.ok());
  const Incident* pan1 = nullptr;
  for (const auto& r : *got) {
    if (r.incident.flow_id == "f1" && r.incident.rule_id == "pan") pan1 = &r.incident;
  }
  ASSERT_NE(pan1, nullptr);
  EXPECT_EQ(pan1->match_count, 6u);
  EXPECT_EQ(pan1->action, "mask");  // mask outranks alert, whatever the order
  EXPECT_EQ(pan1->time_us, kT0);
  EXPECT_EQ(pan1->last_time_us, kT0 + 9000000);
}

TEST(IncidentStore, RetentionAndSizeGuard) {
  TempDb t;
  IncidentStore store(t.path);
  const int64_t day = 86400LL * 1000000;
  std::vector<Incident> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(Make("old" + std::to_string(i), "pan", kT0 - 40 * day));
  }
  for (int i = 0; i < 100; ++i) batch.push_back(Make("new" + std::to_string(i), "pan", kT0));
  ASSERT_TRUE(store.InsertBatch(batch).ok());
  RetentionPolicy keep30;
  keep30.retain_days = 30;
  keep30.max_bytes = 0;
  auto r = store.Prune(keep30, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expired, 100u);
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents WHERE flow_id LIKE 'old%'"), 0);
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents"), 100);

  // A flood: 20,000 incidents, then a 1 MiB guard. The oldest go.
  batch.clear();
  for (int i = 0; i < 20000; ++i) {
    batch.push_back(Make("flood" + std::to_string(i), "pan", kT0 + i));
  }
  ASSERT_TRUE(store.InsertBatch(batch).ok());
  const uint64_t before = store.UsedBytes();
  RetentionPolicy guard;
  guard.retain_days = 0;
  guard.max_bytes = 1 << 20;
  guard.min_retain_days = 0;  // no floor here: SizeGuardSparesRecentIncidents has one
  ASSERT_GT(before, guard.max_bytes);
  r = store.Prune(guard, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->trimmed, 0u);
  EXPECT_LE(store.UsedBytes(), guard.max_bytes);
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents WHERE flow_id = 'flood19999'"),
            1);
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents WHERE flow_id = 'new0'"), 0);
  // The file does not grow again for the same amount of data: pages are reused.
  struct stat s1 {};
  stat(t.path.c_str(), &s1);
  Exec(store.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
  batch.clear();
  for (int i = 0; i < 2000; ++i) batch.push_back(Make("again" + std::to_string(i), "pan", kT0));
  ASSERT_TRUE(store.InsertBatch(batch).ok());
  Exec(store.handle(), "PRAGMA wal_checkpoint(TRUNCATE)");
  struct stat s2 {};
  stat(t.path.c_str(), &s2);
  EXPECT_LE(s2.st_size, s1.st_size);
}

// The size guard deletes the oldest first, but never an incident younger
// than the floor: past it, the file grows and the prune says so.
TEST(IncidentStore, SizeGuardSparesRecentIncidents) {
  TempDb t;
  IncidentStore store(t.path);
  const int64_t day = 86400LL * 1000000;
  std::vector<Incident> batch;
  for (int i = 0; i < 3000; ++i)
    batch.push_back(Make("old" + std::to_string(i), "pan", kT0 - 30 * day));
  for (int i = 0; i < 3000; ++i) batch.push_back(Make("new" + std::to_string(i), "pan", kT0 - day));
  ASSERT_TRUE(store.InsertBatch(batch).ok());
  RetentionPolicy guard;
  guard.retain_days = 0;
  guard.max_bytes = 64 << 10;
  guard.min_retain_days = 7;
  auto r = store.Prune(guard, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->trimmed, 3000u);  // every old one
  EXPECT_TRUE(r->held_by_floor);
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents WHERE flow_id LIKE 'new%'"),
            3000);
  EXPECT_GT(store.UsedBytes(), guard.max_bytes);
  guard.min_retain_days = 0;  // no floor: they go too
  r = store.Prune(guard, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->held_by_floor);
  EXPECT_LE(store.UsedBytes(), guard.max_bytes);
}

TEST(IncidentStore, ReaderHoldingTheDatabaseDoesNotStallTheWriter) {
  TempDb t;
  IncidentStore store(t.path);
  ASSERT_TRUE(store.InsertBatch({Make("f0", "pan", kT0)}).ok());
  // The writer may not wait at all: any lock conflict fails at once.
  sqlite3_busy_timeout(store.handle(), 0);
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(t.path.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  Exec(reader, "BEGIN");
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM incidents"), 1);  // a read snapshot, held
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(store.InsertBatch({Make("f" + std::to_string(i), "pan", kT0)}).ok()) << i;
  }
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM incidents"), 1);  // still its snapshot
  Exec(reader, "COMMIT");
  EXPECT_EQ(Count(reader, "SELECT count(*) FROM incidents"), 51);
  sqlite3_close(reader);
}

TEST(IncidentWriter, FoldsWaitingIncidentsAndCountsDrops) {
  TempDb t;
  auto store = std::make_unique<IncidentStore>(t.path);
  // Another writer holds the lock: the writer thread stalls on its first batch.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &blocker), SQLITE_OK);
  Exec(blocker, "BEGIN IMMEDIATE");
  WriterOptions o;
  o.capacity = 2;
  o.retention = {0, 0};  // no pruning: it would wait on the lock before the batch
  IncidentWriter w(std::move(store), o);
  ASSERT_TRUE(w.Submit(Make("a", "pan", kT0)));
  for (int i = 0; i < 1000 && w.backlog() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (w.backlog() != 0) Exec(blocker, "COMMIT");  // let it finish before failing
  ASSERT_EQ(w.backlog(), 0u);                     // "a" is in the stalled batch
  EXPECT_TRUE(w.Submit(Make("b", "pan", kT0, 2)));
  EXPECT_TRUE(w.Submit(Make("b", "pan", kT0 + 10, 3)));  // folded into the waiting "b"
  EXPECT_TRUE(w.Submit(Make("c", "pan", kT0)));
  EXPECT_FALSE(w.Submit(Make("d", "pan", kT0)));  // full
  EXPECT_EQ(w.coalesced(), 1u);
  EXPECT_EQ(w.dropped(), 1u);
  Exec(blocker, "COMMIT");
  sqlite3_close(blocker);
  w.Stop();
  EXPECT_EQ(w.written(), 3u);
  auto rows = Reader(t.path)->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  int64_t b_count = 0;
  for (const auto& r : *rows) {
    if (r.incident.flow_id == "b") b_count = r.incident.match_count;
  }
  EXPECT_EQ(b_count, 5);
}

// A store whose writes fail (here: another connection holds the write
// lock) costs its incidents after the bound, counted, never the writer:
// it writes again once the store does.
TEST(IncidentWriter, FailingStoreLosesBatchesAfterTheBoundAndRecovers) {
  TempDb t;
  auto store = std::make_unique<IncidentStore>(t.path);
  store->SetBusyTimeout(20);
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &blocker), SQLITE_OK);
  Exec(blocker, "BEGIN IMMEDIATE");
  WriterOptions o;
  o.retention = {0, 0};
  o.give_up_after_us = 300 * 1000;
  o.retry_every_us = 100 * 1000;
  IncidentWriter w(std::move(store), o);
  ASSERT_TRUE(w.Submit(Make("a", "pan", kT0)));
  ASSERT_TRUE(w.Submit(Make("b", "pan", kT0)));
  for (int i = 0; i < 400 && w.lost() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(w.lost(), 2u);
  EXPECT_GE(w.write_errors(), 3u);  // retried before giving up
  // Failing still: a later batch gets one try per retry_every_us, and is lost.
  ASSERT_TRUE(w.Submit(Make("c", "pan", kT0)));
  for (int i = 0; i < 400 && w.lost() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(w.lost(), 3u);
  Exec(blocker, "COMMIT");
  sqlite3_close(blocker);
  ASSERT_TRUE(w.Submit(Make("d", "pan", kT0)));
  for (int i = 0; i < 400 && w.written() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(w.written(), 1u);
  w.Stop();
  EXPECT_EQ(w.lost(), 3u);
  EXPECT_EQ(w.dropped(), 0u);
  auto rows = Reader(t.path)->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].incident.flow_id, "d");
}

// Stop returns within its bound however the store fails: here the write
// lock is held throughout, with the store's own 5 s busy timeout (which
// Stop cuts to what is left) and a retry bound far beyond the test.
TEST(IncidentWriter, StopReturnsWithinItsBoundWhenTheStoreFails) {
  TempDb t;
  auto store = std::make_unique<IncidentStore>(t.path);
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &blocker), SQLITE_OK);
  Exec(blocker, "BEGIN IMMEDIATE");
  WriterOptions o;
  o.retention = {0, 0};
  o.give_up_after_us = 3600LL * 1000 * 1000;
  o.stop_within_us = 500 * 1000;
  o.capacity = 8192;
  o.aggregate_after = 0;  // 5,000 flows of one source: each its own row
  IncidentWriter w(std::move(store), o);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(w.Submit(Make("f" + std::to_string(i), "pan", kT0)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the first batch is trying
  const auto t0 = std::chrono::steady_clock::now();
  w.Stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::milliseconds(2500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_EQ(w.written(), 0u);
  EXPECT_EQ(w.lost(), 5000u);  // every incident accounted for
  EXPECT_EQ(w.backlog(), 0u);
  EXPECT_FALSE(w.Submit(Make("late", "pan", kT0)));
  Exec(blocker, "COMMIT");
  sqlite3_close(blocker);
}

// A flood from one source: past aggregate_after flows a minute, one row
// per source, rule and minute, counting them; other sources and the next
// minute are stored one row per flow again.
TEST(IncidentWriter, AFloodFromOneSourceIsOneRowPerMinute) {
  TempDb t;
  WriterOptions o;
  o.retention = {0, 0, 0};
  o.aggregate_after = 10;
  IncidentWriter w(std::make_unique<IncidentStore>(t.path), o);
  auto from = [](const std::string& src, const std::string& flow, int64_t time, uint32_t flows) {
    Incident in = Make(flow, "pan", time);
    in.src_ip = src;
    in.flows = flows;
    return in;
  };
  for (int i = 0; i < 500; ++i)
    ASSERT_TRUE(w.Submit(from("192.0.2.66", "f" + std::to_string(i), kT0 + i, 1)));
  ASSERT_TRUE(w.Submit(from("192.0.2.66", "f3", kT0 + 600, 0)));  // a later batch of flow f3
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(w.Submit(from("192.0.2.10", "g" + std::to_string(i), kT0, 1)));
  const int64_t next_minute = kT0 + 60LL * 1000 * 1000;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(w.Submit(from("192.0.2.66", "h" + std::to_string(i), next_minute, 1)));
  }
  w.Stop();
  EXPECT_EQ(w.aggregated(), 491u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM incidents"), 10 + 1 + 3 + 5);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM incidents WHERE src_port = 0"), 1);
  EXPECT_EQ(Count(db, "SELECT flows FROM incidents WHERE src_port = 0"), 490);
  EXPECT_EQ(Count(db, "SELECT match_count FROM incidents WHERE src_port = 0"), 491);
  EXPECT_EQ(Count(db, "SELECT length(flow_id) FROM incidents WHERE src_port = 0"), 16);
  EXPECT_EQ(Count(db, "SELECT sum(flows) FROM incidents"), 500 + 3 + 5);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM incidents WHERE src_ip = '192.0.2.10'"), 3);
  sqlite3_close(db);
}

// Decoys to one place do not hide a flow to another: aggregation is per
// destination (up to kDestinationsPerSource thresholds a minute from one
// source); an IPv6 source is its /64, so rotating addresses in it gains
// nothing.
TEST(IncidentWriter, AFloodToOnePlaceDoesNotHideAFlowToAnother) {
  TempDb t;
  WriterOptions o;
  o.retention = {0, 0, 0};
  o.aggregate_after = 10;
  IncidentWriter w(std::make_unique<IncidentStore>(t.path), o);
  for (int i = 0; i < 100; ++i) {
    Incident decoy = Make("d" + std::to_string(i), "pan", kT0, 1, "mask", "2001:db8:9::1");
    decoy.src_ip = "2001:db8:1:2::" + std::to_string(i + 1);  // one /64, many addresses
    ASSERT_TRUE(w.Submit(decoy));
  }
  Incident real = Make("real", "pan", kT0, 1, "mask", "2001:db8:66::1");
  real.src_ip = "2001:db8:1:2::ffff";
  real.http_host = "evil.example";
  ASSERT_TRUE(w.Submit(real));
  w.Stop();
  EXPECT_EQ(IncidentWriter::FloodSource(real), "2001:db8:1:2::/64");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(Count(db, "SELECT count(*) FROM incidents WHERE src_port = 0"), 1);  // the decoys'
  EXPECT_EQ(Count(db, "SELECT flows FROM incidents WHERE src_port = 0"), 90);
  EXPECT_EQ(Count(db,
                  "SELECT count(*) FROM incidents WHERE flow_id = 'real' AND "
                  "http_host = 'evil.example' AND dst_ip = '2001:db8:66::1'"),
            1);
  sqlite3_close(db);
}

// The evidence a flood cannot erase: an incident from another source, an
// hour old, under a size guard the flood fills many times over, with
// aggregation (the file stays small) and without (the floor keeps it).
TEST(IncidentWriter, AFloodCannotDeleteAnOlderIncidentOfAnotherSource) {
  for (const uint32_t aggregate_after : {60u, 0u}) {
    TempDb t;
    WriterOptions o;
    o.retention = {0, 64 << 10, 7};
    o.prune_interval_us = 1000;  // prunes between batches
    o.aggregate_after = aggregate_after;
    o.capacity = 1 << 20;
    IncidentWriter w(std::make_unique<IncidentStore>(t.path), o);
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    Incident evidence = Make("target", "us-ssn", now - 3600LL * 1000000);
    evidence.src_ip = "192.0.2.10";
    ASSERT_TRUE(w.Submit(evidence));
    for (int i = 0; i < 20000; ++i) {
      Incident in = Make("flood" + std::to_string(i), "pan", now);
      in.src_ip = "192.0.2.66";
      ASSERT_TRUE(w.Submit(in));
    }
    w.Stop();
    EXPECT_EQ(w.dropped() + w.lost(), 0u);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(t.path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(Count(db, "SELECT count(*) FROM incidents WHERE flow_id = 'target'"), 1)
        << "aggregate_after " << aggregate_after;
    EXPECT_EQ(Count(db, "SELECT sum(flows) FROM incidents"), 20001);
    if (aggregate_after != 0) {
      EXPECT_LE(Count(db, "SELECT count(*) FROM incidents"), 200);
    }
    sqlite3_close(db);
  }
}

TEST(IncidentWriter, EveLinesFollowCommits) {
  TempDb t;
  const std::string eve_path = t.path + ".eve.json";
  auto eve = EveLog::Open(eve_path);
  ASSERT_TRUE(eve.ok());
  {
    std::vector<std::unique_ptr<IncidentSink>> sinks;
    sinks.push_back(std::move(eve).value());
    IncidentWriter w(std::make_unique<IncidentStore>(t.path), WriterOptions{}, std::move(sinks));
    w.Submit(Make("f1", "pan", kT0, 4));
    w.Submit(Make("f2", "us-ssn", kT0, 1, "mask-partial", "2001:db8:1::20"));
  }
  std::ifstream in(eve_path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  const auto& a = lines[0];
  EXPECT_EQ(a["event_type"], "alert");
  EXPECT_EQ(a["src_ip"], "192.0.2.10");
  EXPECT_EQ(a["dest_ip"], "198.51.100.20");
  EXPECT_EQ(a["dest_port"], 80);
  EXPECT_EQ(a["proto"], "TCP");
  EXPECT_EQ(a["timestamp"], EveTimestamp(kT0));
  EXPECT_EQ(a["alert"]["severity"], 1);
  EXPECT_EQ(a["alert"]["action"], "blocked");
  EXPECT_EQ(a["dlp"]["rule"], "pan");
  EXPECT_EQ(a["dlp"]["count"], 4);
  EXPECT_EQ(a["dlp"]["sample"], "XXXX XXXX XXXX 1111");
  EXPECT_EQ(a["http"]["hostname"], "shop.example");
  EXPECT_EQ(lines[1]["dlp"]["action"], "mask-partial");
  EXPECT_EQ(lines[1]["dest_ip"], "2001:db8:1::20");
  // A stable signature id per rule, apart from Suricata's own range.
  EXPECT_EQ(a["alert"]["signature_id"],
            nlohmann::json::parse(EveLine(Make("x", "pan", 0)))["alert"]["signature_id"]);
  EXPECT_GE(a["alert"]["signature_id"].get<int64_t>(), 9000000);
  EXPECT_EQ(a["alert"]["signature"], "pan");  // one per rule, whatever the action (no name: the id)
  EXPECT_EQ(a["dlp"]["incident_id"], 1);
}

// The live log and the export write one form: each live line is its
// incident's state after an update (id, totals, first and last seen), so
// the last live line of an incident is the line `export` writes for it.
TEST(IncidentWriter, LiveEveLinesCarryTheIncidentIdAndTotalsAsExportDoes) {
  TempDb t;
  const std::string eve_path = t.path + ".eve.json";
  {
    std::vector<std::unique_ptr<IncidentSink>> sinks;
    sinks.push_back(std::move(EveLog::Open(eve_path, EveLog::kDefaultMaxBytes, "gw1")).value());
    IncidentWriter w(std::make_unique<IncidentStore>(t.path), WriterOptions{}, std::move(sinks));
    w.Submit(WithValues(Make("f1", "pan", kT0, 0, "alert"), 1, 3, kValueInClear));
    for (int i = 0; i < 500 && w.written() < 1; ++i) usleep(10000);
    ASSERT_EQ(w.written(), 1u);
    w.Submit(WithValues(Make("f1", "pan", kT0 + 5000000, 0, "mask"), 1, 2, kValueMasked));
  }
  std::ifstream in(eve_path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  const nlohmann::json last = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(first["dlp"]["incident_id"], last["dlp"]["incident_id"]);
  EXPECT_EQ(first["dlp"]["count"], 3);
  EXPECT_EQ(last["dlp"]["count"], 5);  // the total, not the update's 2
  EXPECT_EQ(last["dlp"]["outcomes"]["in_clear"], 3);
  EXPECT_EQ(last["dlp"]["outcomes"]["masked"], 2);
  EXPECT_EQ(last["dlp"]["first_seen"], EveTimestamp(kT0));  // the incident's, not the update's
  EXPECT_EQ(last["timestamp"], EveTimestamp(kT0 + 5000000));
  EXPECT_EQ(last["dlp"]["action"], "mask");
  EXPECT_EQ(last["host"], "gw1");
  auto rows = Reader(t.path)->List({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(lines[1], EveLine(rows->at(0).incident, rows->at(0).id, "gw1"));
}

// Community ID v1: the spec's published vectors (corelight/community-id-spec),
// the same both ways round.
TEST(CommunityId, MatchesTheSpecsVectors) {
  EXPECT_EQ(CommunityId("128.232.110.120", 34855, "66.35.250.204", 80),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(CommunityId("66.35.250.204", 80, "128.232.110.120", 34855),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(CommunityId("192.168.1.52", 54585, "8.8.8.8", 53, 17),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  EXPECT_EQ(CommunityId("192.168.170.8", 7, "192.168.170.56", 7, 132),
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
  EXPECT_EQ(
      CommunityId("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25),
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  EXPECT_EQ(
      CommunityId("2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943),
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
  EXPECT_EQ(CommunityId("192.0.2.1", 1, "2001:db8::1", 2), "");  // two families
  EXPECT_EQ(CommunityId("not an address", 1, "192.0.2.1", 2), "");
}

TEST(EveLine, SuricatasNumericFlowIdAndTheCommunityId) {
  Incident in = Make("0123456789abcdef", "pan", kT0);
  in.src_ip = "128.232.110.120";
  in.src_port = 34855;
  in.dst_ip = "66.35.250.204";
  const nlohmann::json j = nlohmann::json::parse(EveLine(in, 7, "sensor-a"));
  EXPECT_EQ(j["flow_id"], 0x0123456789abcdefLL & 0x7ffffffffffffLL);  // 51 bits, as Suricata's
  EXPECT_EQ(j["dlp"]["flow_id"], "0123456789abcdef");
  EXPECT_EQ(j["community_id"], "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  EXPECT_EQ(j["host"], "sensor-a");
  EXPECT_FALSE(nlohmann::json::parse(EveLine(in))["host"].is_string());
  // A flood's row (source port 0) is many connections: none of their ids.
  Incident flood = in;
  flood.src_port = 0;
  flood.flows = 40;
  const nlohmann::json f = nlohmann::json::parse(EveLine(flood, 8, "sensor-a"));
  EXPECT_FALSE(f.contains("community_id"));
  EXPECT_FALSE(f.contains("flow_id"));
  EXPECT_EQ(f["host"], "sensor-a");
  // alert.action: "allowed" when a value went out in clear, whatever the
  // row's strongest action; "blocked" when none did.
  Incident mixed = in;
  mixed.action = "mask";
  mixed.masked = 3;
  mixed.in_clear = 2;
  EXPECT_EQ(nlohmann::json::parse(EveLine(mixed))["alert"]["action"], "allowed");
  mixed.in_clear = 0;
  EXPECT_EQ(nlohmann::json::parse(EveLine(mixed))["alert"]["action"], "blocked");
  EXPECT_EQ(EveFlowId("xyz"), std::nullopt);
  EXPECT_EQ(EveFlowId("ffffffffffffffff"), 0x7ffffffffffffLL);
}

// The EVE log never holds more than twice its bound (the file and FILE.1),
// whatever a flood writes; a write the disk refuses is counted, not lost
// silently.
TEST(EveLog, BoundedByRotationAndDropsCounted) {
  TempDb t;
  const std::string path = t.path + ".eve.json";
  auto eve = EveLog::Open(path, 8192);
  ASSERT_TRUE(eve.ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE((*eve)->Write({{0, Make("flow" + std::to_string(i), "pan", kT0)}}).ok());
  }
  struct stat now {
  }, old{};
  ASSERT_EQ(stat(path.c_str(), &now), 0);
  ASSERT_EQ(stat((path + ".1").c_str(), &old), 0);
  EXPECT_LE(now.st_size, 8192);
  EXPECT_LE(old.st_size, 8192);
  EXPECT_GE((*eve)->rotations(), 10u);
  EXPECT_EQ((*eve)->dropped(), 0u);
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) last = line;
  EXPECT_EQ(nlohmann::json::parse(last)["dlp"]["flow_id"], "flow199");
  // A file system that refuses the writes (here: RLIMIT_FSIZE, in a child).
  std::fflush(nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit small{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &small);
    auto full = EveLog::Open(t.path + ".full.json", 0);
    if (!full.ok()) _exit(2);
    int failed = 0;
    for (int i = 0; i < 20; ++i) failed += !(*full)->Write({{0, Make("f", "pan", kT0)}}).ok();
    _exit(failed > 0 && (*full)->dropped() == static_cast<uint64_t>(failed) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(IncidentQuery, FiltersLimitAndStats) {
  TempDb t;
  {
    IncidentStore store(t.path);
    const int64_t h = 3600LL * 1000000;
    ASSERT_TRUE(store
                    .InsertBatch({Make("f1", "pan", kT0, 2), Make("f1", "us-ssn", kT0 + 1),
                                  Make("f2", "pan", kT0 + h, 1, "alert", "203.0.113.7"),
                                  Make("f3", "pan", kT0 + 2 * h, 5, "mask", "2001:db8:1::20"),
                                  Make("f4", "us-ssn", kT0 + 3 * h, 1, "mask-partial")})
                    .ok());
  }
  auto db = Reader(t.path);
  auto ids = [&](IncidentFilter f) {
    std::vector<std::string> out;
    auto rows = db->List(f);
    EXPECT_TRUE(rows.ok());
    for (const auto& r : *rows) out.push_back(r.incident.flow_id + "/" + r.incident.rule_id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"f4/us-ssn", "f3/pan", "f2/pan", "f1/us-ssn", "f1/pan"}));
  IncidentFilter f;
  f.rules = {"pan"};
  EXPECT_EQ(ids(f), (V{"f3/pan", "f2/pan", "f1/pan"}));
  f = {};
  f.actions = {"alert", "mask-partial"};
  EXPECT_EQ(ids(f), (V{"f4/us-ssn", "f2/pan"}));
  f = {};
  f.dst_cidr = "203.0.113.0/24";
  EXPECT_EQ(ids(f), (V{"f2/pan"}));
  f.dst_cidr = "2001:db8::/32";
  EXPECT_EQ(ids(f), (V{"f3/pan"}));
  f = {};
  f.src_cidr = "192.0.2.0/28";
  EXPECT_EQ(ids(f).size(), 4u);
  f = {};
  f.since_us = kT0 + 3600LL * 1000000;
  f.until_us = kT0 + 3 * 3600LL * 1000000;
  EXPECT_EQ(ids(f), (V{"f3/pan", "f2/pan"}));
  f = {};
  f.limit = 2;
  EXPECT_EQ(ids(f), (V{"f4/us-ssn", "f3/pan"}));

  auto s = db->Stats({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total.incidents, 5);
  EXPECT_EQ(s->total.matches, 10);
  EXPECT_EQ(s->unknown_outcome, 10);  // Make() gives no outcomes
  ASSERT_EQ(s->by_rule.size(), 2u);
  EXPECT_EQ(s->by_rule[0].key, "pan");
  EXPECT_EQ(s->by_rule[0].incidents, 3);
  EXPECT_EQ(s->by_rule[0].matches, 8);
  EXPECT_EQ(s->by_hour.size(), 4u);
  EXPECT_EQ(s->by_destination[0].key, "198.51.100.20:80 (shop.example)");
  auto none = db->Get(999);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(IncidentStore, ValuesByOutcomeAndDistinctAcrossIncidents) {
  TempDb t;
  {
    IncidentStore store(t.path);
    // One card (fingerprint 1) 25 times: in clear 9 times below a threshold
    // in flow f1, then masked; and again in f2 masked. Two other cards
    // masked in f2; an SSN in clear in f3.
    std::vector<Incident> batch;
    for (int i = 0; i < 9; ++i)
      batch.push_back(WithValues(Make("f1", "pan", kT0 + i, 1, "alert"), 1, 1, kValueInClear));
    for (int i = 0; i < 3; ++i)
      batch.push_back(WithValues(Make("f1", "pan", kT0 + 20 + i, 1, "mask"), 1, 1, kValueMasked));
    ASSERT_TRUE(store.InsertBatch(batch).ok());
    batch.clear();
    for (int i = 0; i < 13; ++i)
      batch.push_back(WithValues(Make("f2", "pan", kT0 + 100 + i, 1, "mask"), 1, 1, kValueMasked));
    batch.push_back(WithValues(Make("f2", "pan", kT0 + 200, 2, "mask"), 2, 2, kValueMasked));
    batch.push_back(WithValues(Make("f3", "us-ssn", kT0 + 300, 1, "alert"), 100, 1, kValueInClear));
    ASSERT_TRUE(store.InsertBatch(batch).ok());
  }
  auto db = Reader(t.path);
  auto rows = db->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  const StoredIncident& f1 = rows->at(0);
  EXPECT_EQ(f1.incident.action, "mask");  // the strongest action, as before
  EXPECT_EQ(f1.incident.match_count, 12u);
  EXPECT_EQ(f1.incident.in_clear, 9u);  // what the action alone hid
  EXPECT_EQ(f1.incident.masked, 3u);
  auto values = db->Values(f1.id);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 1u);  // one card, twelve times
  EXPECT_EQ(values->at(0).outcomes, kValueInClear | kValueMasked);
  EXPECT_EQ(OutcomeNames(values->at(0).outcomes),
            (std::vector<std::string_view>{"masked", "in_clear"}));

  auto s = db->Stats({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total.matches, 28);
  EXPECT_EQ(s->total.in_clear, 10);
  EXPECT_EQ(s->masked, 18);
  EXPECT_EQ(s->unknown_outcome, 0);
  EXPECT_EQ(s->total.distinct_values, 4);    // cards 1, 2, 3 and the SSN
  EXPECT_EQ(s->total.distinct_in_clear, 2);  // card 1 and the SSN
  ASSERT_EQ(s->by_rule.size(), 2u);
  EXPECT_EQ(s->by_rule[0].key, "pan");
  EXPECT_EQ(s->by_rule[0].matches, 27);
  EXPECT_EQ(s->by_rule[0].distinct_values, 3);  // the card 25 times is one
  EXPECT_EQ(s->by_rule[0].distinct_in_clear, 1);
  EXPECT_EQ(s->by_rule[1].distinct_values, 1);

  // "Was this card seen elsewhere?": by its fingerprint, or a prefix of it.
  IncidentFilter f;
  f.fingerprint = "00000000000000000000000000000001";
  auto seen = db->List(f);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->size(), 2u);                        // f1 and f2
  f.fingerprint = "0000000000000000000000000000006";  // 0x64 = 100: the SSN
  seen = db->List(f);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ(seen->at(0).incident.flow_id, "f3");
  f.fingerprint = "ffffffff";
  EXPECT_EQ(db->List(f)->size(), 0u);
}

TEST(IncidentStore, ARowListsAtMostItsBoundAndCountsTheRest) {
  TempDb t;
  {
    IncidentStore store(t.path);
    // 200 distinct values, then 200 more of which the first 50 repeat.
    ASSERT_TRUE(store.InsertBatch({WithValues(Make("f1", "pan", kT0), 0, 200, kValueMasked)}).ok());
    ASSERT_TRUE(
        store.InsertBatch({WithValues(Make("f1", "pan", kT0 + 1), 150, 200, kValueInClear)}).ok());
    // In memory, an incident holds more than a row lists (so that a listed
    // value sent again after others still joins its fates), and no more.
    Incident huge = WithValues(Make("f9", "pan", kT0), 5000, 600, kValueMasked);
    EXPECT_EQ(huge.values.size(), kMaxValuesHeld);
    EXPECT_EQ(huge.values_unlisted, 600 - kMaxValuesHeld);
    Incident big = WithValues(Make("f2", "pan", kT0), 1000, 300, kValueMasked);
    EXPECT_EQ(big.values.size(), 300u);
    ASSERT_TRUE(store.InsertBatch({big}).ok());
    // 300 distinct values masked, then the first of them in clear, in one
    // incident (the writer folds them so): the listed value gets both fates.
    Incident later = WithValues(Make("f3", "pan", kT0), 0, 300, kValueMasked);
    MergeIncident(later, WithValues(Make("f3", "pan", kT0 + 1, 1, "alert"), 0, 1, kValueInClear));
    ASSERT_TRUE(store.InsertBatch({later}).ok());
  }
  auto db = Reader(t.path);
  auto rows = db->ListOldestFirst({});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  // 350 distinct: 256 listed; 94 more counted (the 50 repeats joined theirs).
  auto listed = db->Values(rows->at(0).id);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), kMaxValuesPerIncident);
  EXPECT_EQ(rows->at(0).incident.values_unlisted, 350 - kMaxValuesPerIncident);
  size_t both = 0;
  for (const ValueSeen& v : *listed) both += v.outcomes == (kValueMasked | kValueInClear);
  EXPECT_EQ(both, 50u);
  EXPECT_EQ(rows->at(1).incident.values_unlisted, 300 - kMaxValuesPerIncident);
  EXPECT_EQ(rows->at(2).incident.values_unlisted, 300 - kMaxValuesPerIncident);
  auto f3 = db->Values(rows->at(2).id);
  ASSERT_TRUE(f3.ok());
  EXPECT_EQ(f3->at(0).outcomes, kValueMasked | kValueInClear);  // "%032x" of 0 sorts first
  auto s = db->Stats({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->values_unlisted, static_cast<int64_t>(350 + 2 * 300 - 3 * kMaxValuesPerIncident));
  // In clear and listed: f1's 150-199 (joined) and 200-255 (listed as the
  // row filled), and f3's value 0: 107 ("at least": 94 more went unlisted).
  EXPECT_EQ(s->total.distinct_in_clear, 50 + 56 + 1);
}

TEST(IncidentStore, PrunedIncidentsTakeTheirValues) {
  TempDb t;
  IncidentStore store(t.path);
  const int64_t day = 86400LL * 1000000;
  ASSERT_TRUE(store
                  .InsertBatch({WithValues(Make("old", "pan", kT0 - 40 * day), 0, 5, kValueMasked),
                                WithValues(Make("new", "pan", kT0), 10, 3, kValueMasked)})
                  .ok());
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incident_values"), 8);
  RetentionPolicy keep30;
  keep30.retain_days = 30;
  keep30.max_bytes = 0;
  ASSERT_TRUE(store.Prune(keep30, kT0).ok());
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incident_values"), 3);
}

// A row lists every Host its requests named (a kept-alive connection's
// second request may go elsewhere): a search by Host finds the row by any
// of them; retention takes them with the row.
TEST(IncidentStore, ARowListsEveryHostItsRequestsNamed) {
  TempDb t;
  {
    IncidentStore store(t.path);
    Incident first = Make("f1", "pan", kT0);
    AddHost(first, first.http_host);
    Incident second = Make("f1", "pan", kT0 + 1);
    second.http_host = "Partner.Example";
    AddHost(second, second.http_host);
    ASSERT_TRUE(store.InsertBatch({first}).ok());
    ASSERT_TRUE(store.InsertBatch({second}).ok());
    Incident many = Make("f2", "pan", kT0);
    for (int i = 0; i < 40; ++i) AddHost(many, "h" + std::to_string(i) + ".example");
    EXPECT_EQ(many.hosts.size(), kMaxHostsPerIncident);
    ASSERT_TRUE(store.InsertBatch({many}).ok());
  }
  auto db = Reader(t.path);
  auto hosts = db->Hosts(1);
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(*hosts, (std::vector<std::string>{"Partner.Example", "shop.example"}));
  IncidentFilter f;
  f.host_glob = "partner.*";
  auto rows = db->List(f);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).incident.http_host, "shop.example");  // the first request's
  EXPECT_EQ(db->Hosts(2)->size(), kMaxHostsPerIncident);
}

// Ids never repeat, even when retention has emptied the table: an export
// that goes on after the last id it saw (--after-id) must not miss the
// rows that come next, nor a SIEM keyed on the id overwrite older ones.
TEST(IncidentStore, IdsNeverRepeatAfterRetentionEmptiedTheTable) {
  TempDb t;
  IncidentStore store(t.path);
  const int64_t day = 86400LL * 1000000;
  ASSERT_TRUE(
      store.InsertBatch({Make("a", "pan", kT0 - 40 * day), Make("b", "pan", kT0 - 40 * day)}).ok());
  RetentionPolicy keep30;
  keep30.retain_days = 30;
  keep30.max_bytes = 0;
  ASSERT_TRUE(store.Prune(keep30, kT0).ok());
  EXPECT_EQ(Count(store.handle(), "SELECT count(*) FROM incidents"), 0);
  std::vector<StoredIncident> stored;
  ASSERT_TRUE(store.InsertBatch({Make("c", "pan", kT0), Make("a", "us-ssn", kT0)}, &stored).ok());
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].id, 3);
  EXPECT_EQ(stored[1].id, 4);
  // An update keeps its row's id.
  ASSERT_TRUE(store.InsertBatch({Make("c", "pan", kT0 + 1)}, &stored).ok());
  EXPECT_EQ(stored.at(0).id, 3);
  EXPECT_EQ(stored.at(0).incident.match_count, 2u);
}

TEST(IncidentQuery, SeverityHostAfterIdAndBreakdowns) {
  TempDb t;
  const int64_t day = 86400LL * 1000000;
  {
    IncidentStore store(t.path);
    Incident a = Make("f1", "pan", kT0);              // critical, shop.example, 192.0.2.10
    Incident b = Make("f2", "us-ssn", kT0 + day, 2);  // high
    b.http_host = "API.Payments.Example";
    b.src_ip = "192.0.2.99";
    Incident c = Make("f3", "us-ssn", kT0 + 2 * day, 3, "mask", "2001:db8:1::20");
    c.http_host.clear();
    ASSERT_TRUE(store.InsertBatch({a, b, c}).ok());
  }
  auto db = Reader(t.path);
  auto flows = [&](const IncidentFilter& f) {
    std::vector<std::string> out;
    auto rows = db->ListOldestFirst(f);
    EXPECT_TRUE(rows.ok());
    for (const auto& r : *rows) out.push_back(r.incident.flow_id);
    return out;
  };
  using V = std::vector<std::string>;
  IncidentFilter f;
  f.severities = {"high"};
  EXPECT_EQ(flows(f), (V{"f2", "f3"}));
  f = {};
  f.host_glob = "*.payments.example";  // any case; no Host never matches
  EXPECT_EQ(flows(f), (V{"f2"}));
  f.host_glob = "*";
  EXPECT_EQ(flows(f), (V{"f1", "f2"}));
  f = {};
  f.after_id = 1;
  EXPECT_EQ(flows(f), (V{"f2", "f3"}));
  f.limit = 1;
  EXPECT_EQ(flows(f), (V{"f2"}));
  EXPECT_EQ(db->Count(f).value(), 2);  // the limit aside

  auto s = db->Stats({}, 1);  // one row per breakdown; days and hours whole
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->by_source.size(), 1u);
  EXPECT_EQ(s->by_source[0].key, "192.0.2.10");  // one incident each: ties go by key
  ASSERT_EQ(s->by_severity.size(), 1u);
  EXPECT_EQ(s->by_severity[0].key, "high");
  ASSERT_EQ(s->by_day.size(), 3u);
  EXPECT_EQ(s->by_day[0].key, IsoTimeUtc(kT0).substr(0, 10));
  EXPECT_EQ(s->by_day[2].matches, 3);
}

TEST(TimeSpec, DurationsAndUtcTimes) {
  const int64_t now = kT0;
  EXPECT_EQ(ParseTimeSpec("24h", now).value(), now - 24 * 3600LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("7d", now).value(), now - 7 * 86400LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("90s", now).value(), now - 90LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2w", now).value(), now - 14 * 86400LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("now", now).value(), now);
  EXPECT_EQ(ParseTimeSpec("@1700000000", now).value(), 1700000000LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14T22:13:20Z", now).value(), 1700000000LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14 22:13:20", now).value(), 1700000000LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14T23:13:20+01:00", now).value(), 1700000000LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14T22:13", now).value(), 1699999980LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14", now).value(), 1699920000LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-14T22:13:20.25Z", now).value(), 1700000000250000LL);
  EXPECT_EQ(ParseIsoTime(IsoTimeUtc(1700000000123456LL)).value(), 1700000000123456LL);
  for (const char* bad : {"", "yesterday", "24x", "h", "2023-13-01", "2023-11-14T25:00",
                          "2023-11-14T22:13:20Q", "2023-11-1", "-5h", "@",
                          // an overflow, offsets no place has
                          "9999999999w", "99999999d", "2023-11-14T22:13+99:99",
                          "2023-11-14T22:13+15:00", "2023-11-14T22:13-12:60",
                          // before the epoch (found by fuzz_incident_filter: year 522
                          // was written "522-..." and compared as text after 2025)
                          "0522-12-04T12:00Z", "1969-12-31"}) {
    EXPECT_FALSE(ParseTimeSpec(bad, now).ok()) << bad;
  }
  EXPECT_EQ(ParseTimeSpec("5200w", now).value(), now - 5200 * 7 * 86400LL * 1000000);
  EXPECT_EQ(ParseTimeSpec("2023-11-15T12:13:20+14:00", now).value(), 1700000000LL * 1000000);
}

TEST(Cidr, ParsesAndMatchesBothFamilies) {
  auto v4 = Cidr::Parse("10.1.0.0/16");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->Contains("10.1.200.3"));
  EXPECT_FALSE(v4->Contains("10.2.0.1"));
  EXPECT_FALSE(v4->Contains("2001:db8::1"));
  auto odd = Cidr::Parse("192.0.2.128/25");
  EXPECT_TRUE(odd->Contains("192.0.2.200"));
  EXPECT_FALSE(odd->Contains("192.0.2.127"));
  auto v6 = Cidr::Parse("2001:db8::/32");
  EXPECT_TRUE(v6->Contains("2001:db8:1::20"));
  EXPECT_FALSE(v6->Contains("2001:db9::1"));
  auto host = Cidr::Parse("192.0.2.10");
  EXPECT_TRUE(host->Contains("192.0.2.10"));
  EXPECT_FALSE(host->Contains("192.0.2.11"));
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains("8.8.8.8"));
  for (const char* bad :
       {"", "10.0.0.0/33", "10.0.0/8", "2001:db8::/129", "10.0.0.0/", "x/8", "10.0.0.0/8a"}) {
    EXPECT_FALSE(Cidr::Parse(bad).ok()) << bad;
  }
  // Found by fuzz_incident_filter: the address stopped at a NUL for
  // inet_pton but not for the SQL filter that got the same text.
  EXPECT_FALSE(Cidr::Parse(std::string("10.0.0.0\0\0/16", 13)).ok());
  EXPECT_FALSE(Cidr::Parse(std::string("10.0.0.0/1\0", 12)).ok());
}

}  // namespace
}  // namespace dlp
