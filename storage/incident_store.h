// The SQLite incident database, as the daemon writes it: opens (creating if
// needed, mode 0600) in WAL mode, brings the schema up to date with the
// forward migrations (storage/migrations/), and stores incidents one per
// flow and rule: a second batch for the same flow and rule adds to its
// count. Configuration-time errors (cannot open, not a database, newer
// schema) throw; errors while writing are returned.
//
// A SQLite database that fails `PRAGMA quick_check` when opened (or that
// SQLite finds corrupt on the way) is moved aside, with its -wal and -shm
// files, as PATH.corrupt-<UTC time>, and a new one is created: the daemon
// records incidents again instead of failing every write, and the old
// rows stay for `sqlite3 .recover`. A file that is no SQLite database at
// all is not touched (the path may name the wrong file): that throws.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "storage/incident.h"

namespace dlp {

// The schema version this build writes (the number of migrations).
int CurrentSchemaVersion();

struct RetentionPolicy {
  int retain_days = 90;                // incidents last seen longer ago are deleted; 0: keep
  uint64_t max_bytes = 1024ULL << 20;  // size guard on the data in the file; 0: none
  // The size guard never deletes an incident last seen more recently than
  // this (a flood must not erase recent evidence); 0: it may delete any.
  int min_retain_days = 7;
};

struct PruneReport {
  uint64_t expired = 0;  // deleted for their age
  uint64_t trimmed = 0;  // deleted, oldest first, to stay under max_bytes
  // Still over max_bytes, with only incidents younger than min_retain_days left.
  bool held_by_floor = false;
};

class IncidentStore {
 public:
  // `group`: when set, the file and its -wal and -shm files are made
  // group-readable (0640) for that group, e.g. the security team's (dlpd's
  // user must be a member of it); otherwise owner-only (0600).
  explicit IncidentStore(const std::string& path, const std::string& group = "");
  ~IncidentStore();
  IncidentStore(const IncidentStore&) = delete;
  IncidentStore& operator=(const IncidentStore&) = delete;

  // One transaction. Rows of flows and rules already stored are updated.
  // `stored` (when given) gets each incident's row as it stands after the
  // batch, in the batch's order: its id and totals.
  Status InsertBatch(const std::vector<Incident>& batch,
                     std::vector<StoredIncident>* stored = nullptr);
  // Applies the retention policy as of `now_us`.
  Result<PruneReport> Prune(const RetentionPolicy& policy, int64_t now_us);
  // Bytes of the file in use by data (pages not on the free list).
  uint64_t UsedBytes();
  // How long a write waits for a lock another connection holds (5 s from
  // the start). Any thread.
  void SetBusyTimeout(int ms) { busy_timeout_ms_.store(ms, std::memory_order_relaxed); }
  // No wait for a lock, and no statement, goes on past `steady_us`
  // (SystemClock::NowMicros, dlpd/common/clock.h), those under way included:
  // for a shutdown with a bound. Any thread.
  void SetWaitDeadline(int64_t steady_us) {
    wait_deadline_us_.store(steady_us, std::memory_order_relaxed);
  }

  // What opening `path` for `group` would meet, found without changing
  // anything (for dlpd --check, as the user dlpd runs as): a file that is
  // no database or has a newer schema, files it may not write, a group it
  // cannot give the file to. An absent file is fine (created at start).
  static Status Probe(const std::string& path, const std::string& group);

  sqlite3* handle() { return db_; }
  // Where a corrupt database found at open was moved; empty if none was.
  const std::string& moved_aside() const { return moved_aside_; }

 private:
  void Open(const std::string& path, const std::string& group);
  // SQLite's busy handler: waits in short sleeps within the timeout and
  // the deadline (sqlite3_busy_timeout's wait could not be cut short).
  static int OnBusy(void* self, int count);
  void Migrate(const std::string& path);
  std::string moved_aside_;
  std::atomic<int> busy_timeout_ms_{5000};
  std::atomic<int64_t> wait_deadline_us_{INT64_MAX};
  int64_t busy_since_us_ = 0;  // the connection's thread only
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;  // the row; returns its id
  sqlite3_stmt* add_value_ =
      nullptr;                        // one of its values, while the row lists fewer than the bound
  sqlite3_stmt* unlisted_ = nullptr;  // values the row could not list
  sqlite3_stmt* add_host_ = nullptr;  // one of its Hosts, while it lists fewer than the bound
};

// ISO 8601 UTC with microseconds, as stored: 2026-11-22T21:30:00.123456Z.
std::string IsoTimeUtc(int64_t us);

// Reading rows of the incidents table (the store's upsert returns them, the
// reader selects them): every column of storage/incident_columns.h in its
// order ("id, time_utc, ..."), and a row selected so.
std::string IncidentSelectList();
StoredIncident IncidentFromRow(sqlite3_stmt* st);
// Column `col` of the current row as text ("" for NULL).
std::string ColumnText(sqlite3_stmt* st, int col);

}  // namespace dlp
