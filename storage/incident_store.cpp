#include "storage/incident_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <stdexcept>

namespace dlp {
namespace {

// storage/schema.sql, embedded so that the daemon needs no data files.
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY, time_utc TEXT NOT NULL, rule_id TEXT NOT NULL,
  severity TEXT NOT NULL, action TEXT NOT NULL, ip_version INTEGER NOT NULL,
  src_ip TEXT NOT NULL, src_port INTEGER NOT NULL, dst_ip TEXT NOT NULL,
  dst_port INTEGER NOT NULL, proto TEXT NOT NULL DEFAULT 'TCP', flow_id TEXT NOT NULL,
  http_method TEXT, http_host TEXT, http_path TEXT, match_count INTEGER NOT NULL,
  masked_sample TEXT NOT NULL, fingerprint TEXT NOT NULL, ruleset_version TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(time_utc);
CREATE INDEX IF NOT EXISTS incidents_rule ON incidents(rule_id, time_utc);
CREATE INDEX IF NOT EXISTS incidents_dst ON incidents(dst_ip, time_utc);
)SQL";

std::string IsoTime(int64_t us) {
  time_t secs = static_cast<time_t>(us / 1000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1000000));
  return buf;
}

}  // namespace

IncidentStore::IncidentStore(const std::string& path) {
  // Owner-only from the first byte: create the file ourselves, not via SQLite's umask.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("incident database " + path + ": cannot open or create");
  ::close(fd);
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("incident database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error("incident database " + path + ": " + msg);
    }
  };
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  int version = 0;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    version = sqlite3_column_int(st, 0);
  }
  sqlite3_finalize(st);
  if (version > kSchemaVersion) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("incident database " + path + " has schema version " +
                             std::to_string(version) + ", newer than this dlpd (" +
                             std::to_string(kSchemaVersion) + ")");
  }
  if (version < 1) {
    exec("BEGIN");
    exec(kSchemaV1);
    exec("PRAGMA user_version=1; COMMIT");
  }
  if (sqlite3_prepare_v2(
          db_,
          "INSERT INTO incidents (time_utc, rule_id, severity, action, ip_version, src_ip, "
          "src_port, dst_ip, dst_port, flow_id, http_method, http_host, http_path, match_count, "
          "masked_sample, fingerprint, ruleset_version) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          -1, &insert_, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("incident database " + path + ": " + msg);
  }
}

IncidentStore::~IncidentStore() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

Status IncidentStore::InsertBatch(const std::vector<Incident>& batch) {
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("begin: ") + sqlite3_errmsg(db_)};
  }
  auto text = [&](int i, const std::string& s, bool null_if_empty = false) {
    if (null_if_empty && s.empty()) {
      sqlite3_bind_null(insert_, i);
    } else {
      sqlite3_bind_text(insert_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
  };
  for (const Incident& in : batch) {
    sqlite3_reset(insert_);
    text(1, IsoTime(in.time_us));
    text(2, in.rule_id);
    text(3, in.severity);
    text(4, in.action);
    sqlite3_bind_int(insert_, 5, in.ip_version);
    text(6, in.src_ip);
    sqlite3_bind_int(insert_, 7, in.src_port);
    text(8, in.dst_ip);
    sqlite3_bind_int(insert_, 9, in.dst_port);
    text(10, in.flow_id);
    text(11, in.http_method, true);
    text(12, in.http_host, true);
    text(13, in.http_path, true);
    sqlite3_bind_int64(insert_, 14, in.match_count);
    text(15, in.masked_sample);
    text(16, in.fingerprint);
    text(17, in.ruleset_version);
    if (sqlite3_step(insert_) != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return Error{"insert: " + msg};
    }
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Error{"commit: " + msg};
  }
  return {};
}

}  // namespace dlp
