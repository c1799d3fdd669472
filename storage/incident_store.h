// The SQLite incident database, as the daemon writes it: opens (creating if
// needed, mode 0600) in WAL mode, brings the schema up to date with the
// forward migrations (storage/migrations/), and stores incidents one per
// flow and rule: a second batch for the same flow and rule adds to its
// count. Configuration-time errors (cannot open, corrupt, newer schema)
// throw; errors while writing are returned.
#pragma once

#include <sqlite3.h>

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
};

struct PruneReport {
  uint64_t expired = 0;  // deleted for their age
  uint64_t trimmed = 0;  // deleted, oldest first, to stay under max_bytes
};

class IncidentStore {
 public:
  // `group`: when set, the file is created group-readable (0640) for that
  // group, e.g. the security team's; otherwise owner-only (0600).
  explicit IncidentStore(const std::string& path, const std::string& group = "");
  ~IncidentStore();
  IncidentStore(const IncidentStore&) = delete;
  IncidentStore& operator=(const IncidentStore&) = delete;

  // One transaction. Rows of flows and rules already stored are updated.
  Status InsertBatch(const std::vector<Incident>& batch);
  // Applies the retention policy as of `now_us`.
  Result<PruneReport> Prune(const RetentionPolicy& policy, int64_t now_us);
  // Bytes of the file in use by data (pages not on the free list).
  uint64_t UsedBytes();

  sqlite3* handle() { return db_; }

 private:
  void Migrate(const std::string& path);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
};

// ISO 8601 UTC with microseconds, as stored: 2026-11-22T21:30:00.123456Z.
std::string IsoTimeUtc(int64_t us);

}  // namespace dlp
