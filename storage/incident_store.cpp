#include "storage/incident_store.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "storage/migrations.h"

namespace dlp {
namespace {

// The incident's row, or its flow's and rule's row updated: the counts add
// up, the time span widens, the strongest action stays (ActionRank), and
// the first request's HTTP fields stay.
constexpr const char* kUpsert = R"SQL(
INSERT INTO incidents (time_utc, last_seen_utc, rule_id, severity, action, ip_version, src_ip,
  src_port, dst_ip, dst_port, flow_id, http_method, http_host, http_path, match_count,
  masked_sample, fingerprint, ruleset_version)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT (flow_id, rule_id) DO UPDATE SET
  match_count = match_count + excluded.match_count,
  last_seen_utc = max(last_seen_utc, excluded.last_seen_utc),
  action = CASE WHEN
    (CASE excluded.action WHEN 'block' THEN 4 WHEN 'mask-partial' THEN 3 WHEN 'mask' THEN 2
                          WHEN 'alert' THEN 1 ELSE 0 END) >
    (CASE action WHEN 'block' THEN 4 WHEN 'mask-partial' THEN 3 WHEN 'mask' THEN 2
                 WHEN 'alert' THEN 1 ELSE 0 END)
    THEN excluded.action ELSE action END,
  http_method = coalesce(http_method, excluded.http_method),
  http_host = coalesce(http_host, excluded.http_host),
  http_path = coalesce(http_path, excluded.http_path)
)SQL";

[[noreturn]] void Fail(sqlite3*& db, const std::string& path, const std::string& msg) {
  sqlite3_close(db);
  db = nullptr;
  throw std::runtime_error("incident database " + path + ": " + msg);
}

int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

}  // namespace

int ActionRank(const std::string& action) {
  if (action == "block") return 4;
  if (action == "mask-partial") return 3;
  if (action == "mask") return 2;
  if (action == "alert") return 1;
  return 0;
}

void MergeIncident(Incident& into, const Incident& later) {
  into.match_count += later.match_count;
  into.time_us = std::min(into.time_us, later.time_us);
  into.last_time_us = std::max({into.last_time_us, later.last_time_us, later.time_us});
  if (ActionRank(later.action) > ActionRank(into.action)) into.action = later.action;
  if (into.http_method.empty()) {
    into.http_method = later.http_method;
    into.http_host = later.http_host;
    into.http_path = later.http_path;
  }
}

std::string IsoTimeUtc(int64_t us) {
  int64_t secs = us / 1000000;
  int64_t frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(frac));
  return buf;
}

int CurrentSchemaVersion() {
  return static_cast<int>(SchemaMigrations().size());
}

IncidentStore::IncidentStore(const std::string& path, const std::string& group) {
  // Owner-only from the first byte: create the file ourselves, not via
  // SQLite's umask. SQLite gives its -wal and -shm files the same owner and
  // mode, so a group that may read the database can read those too.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("incident database " + path + ": cannot open or create");
  if (!group.empty()) {
    struct group gr {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
      ::close(fd);
      throw std::runtime_error("incident database " + path + ": no group '" + group + "'");
    }
    if (fchown(fd, static_cast<uid_t>(-1), gr.gr_gid) != 0 || fchmod(fd, 0640) != 0) {
      ::close(fd);
      throw std::runtime_error("incident database " + path + ": cannot give it to group '" + group +
                               "'");
    }
  }
  ::close(fd);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    Fail(db_, path, db_ ? sqlite3_errmsg(db_) : "out of memory");
  }
  sqlite3_busy_timeout(db_, 5000);
  char* err = nullptr;
  if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                   &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    Fail(db_, path, msg);
  }
  // Keep the -wal and -shm files when dlpd closes the database: a reader
  // with read access only (the security team's group) cannot create them.
  // (Set once the file is open: SQLite opens it lazily.)
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  Migrate(path);
  if (sqlite3_prepare_v2(db_, kUpsert, -1, &upsert_, nullptr) != SQLITE_OK) {
    Fail(db_, path, sqlite3_errmsg(db_));
  }
}

void IncidentStore::Migrate(const std::string& path) {
  const int64_t version = QueryInt(db_, "PRAGMA user_version");
  if (version < 0) Fail(db_, path, std::string("not a database: ") + sqlite3_errmsg(db_));
  const std::vector<Migration> migrations = SchemaMigrations();
  if (version > static_cast<int64_t>(migrations.size())) {
    Fail(db_, path,
         "schema version " + std::to_string(version) + " is newer than this dlpd's (" +
             std::to_string(migrations.size()) + ")");
  }
  for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
    // Each migration and its version bump commit together or not at all.
    const std::string sql = "BEGIN IMMEDIATE;\n" + migrations[i].sql +
                            "\nPRAGMA user_version=" + std::to_string(i + 1) + ";\nCOMMIT;";
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      Fail(db_, path, migrations[i].name + ": " + msg);
    }
  }
}

IncidentStore::~IncidentStore() {
  sqlite3_finalize(upsert_);
  sqlite3_close(db_);
}

Status IncidentStore::InsertBatch(const std::vector<Incident>& batch) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("begin: ") + sqlite3_errmsg(db_)};
  }
  auto text = [&](int i, const std::string& s, bool null_if_empty = false) {
    if (null_if_empty && s.empty()) {
      sqlite3_bind_null(upsert_, i);
    } else {
      sqlite3_bind_text(upsert_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  };
  for (const Incident& in : batch) {
    sqlite3_reset(upsert_);
    text(1, IsoTimeUtc(in.time_us));
    text(2, IsoTimeUtc(std::max(in.time_us, in.last_time_us)));
    text(3, in.rule_id);
    text(4, in.severity);
    text(5, in.action);
    sqlite3_bind_int(upsert_, 6, in.ip_version);
    text(7, in.src_ip);
    sqlite3_bind_int(upsert_, 8, in.src_port);
    text(9, in.dst_ip);
    sqlite3_bind_int(upsert_, 10, in.dst_port);
    text(11, in.flow_id);
    text(12, in.http_method, true);
    text(13, in.http_host, true);
    text(14, in.http_path, true);
    sqlite3_bind_int64(upsert_, 15, in.match_count);
    text(16, in.masked_sample);
    text(17, in.fingerprint);
    text(18, in.ruleset_version);
    if (sqlite3_step(upsert_) != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_reset(upsert_);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return Error{"insert: " + msg};
    }
  }
  sqlite3_reset(upsert_);
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Error{"commit: " + msg};
  }
  return {};
}

uint64_t IncidentStore::UsedBytes() {
  const int64_t pages = QueryInt(db_, "PRAGMA page_count");
  const int64_t free_pages = QueryInt(db_, "PRAGMA freelist_count");
  const int64_t page_size = QueryInt(db_, "PRAGMA page_size");
  if (pages < 0 || free_pages < 0 || page_size < 0) return 0;
  return static_cast<uint64_t>((pages - free_pages) * page_size);
}

Result<PruneReport> IncidentStore::Prune(const RetentionPolicy& policy, int64_t now_us) {
  PruneReport report;
  auto exec = [&](const std::string& sql) -> Status {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Error{"prune: " + msg};
    }
    return {};
  };
  if (policy.retain_days > 0) {
    const int64_t cutoff = now_us - static_cast<int64_t>(policy.retain_days) * 86400LL * 1000000;
    if (Status st =
            exec("DELETE FROM incidents WHERE last_seen_utc < '" + IsoTimeUtc(cutoff) + "'");
        !st) {
      return st.error();
    }
    report.expired = static_cast<uint64_t>(sqlite3_changes(db_));
  }
  // The size guard: the oldest incidents go, a tenth at a time, until the
  // data is back under 90% of the bound. Freed pages are reused by later
  // inserts, so the file stops growing without a VACUUM.
  if (policy.max_bytes > 0 && UsedBytes() > policy.max_bytes) {
    while (UsedBytes() > policy.max_bytes / 10 * 9) {
      const int64_t rows = QueryInt(db_, "SELECT count(*) FROM incidents");
      if (rows <= 0) break;
      const int64_t n = std::max<int64_t>(1, rows / 10);
      if (Status st = exec("DELETE FROM incidents WHERE id IN (SELECT id FROM incidents "
                           "ORDER BY last_seen_utc LIMIT " +
                           std::to_string(n) + ")");
          !st) {
        return st.error();
      }
      report.trimmed += static_cast<uint64_t>(sqlite3_changes(db_));
    }
  }
  return report;
}

}  // namespace dlp
