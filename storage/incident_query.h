// Reading the incident database, for `dlpctl incidents` and anyone else: a
// read-only connection (it never blocks the daemon's writer: WAL), filters
// that run in SQLite, and the summaries `stats` shows.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "storage/incident.h"

namespace dlp {

struct IncidentFilter {
  std::optional<int64_t> since_us;  // incidents whose last match is at or after
  std::optional<int64_t> until_us;  // incidents whose first match is before
  std::vector<std::string> rules;   // any of these rule ids
  std::vector<std::string> actions;
  std::string src_cidr, dst_cidr;  // validated with Cidr::Parse by the caller
  int64_t limit = 0;               // 0: no limit
};

struct StoredIncident {
  int64_t id = 0;
  Incident incident;
};

struct CountRow {
  std::string key;  // rule id, destination, or hour
  int64_t incidents = 0;
  int64_t matches = 0;
};

struct IncidentStats {
  int64_t incidents = 0;
  int64_t matches = 0;
  std::vector<CountRow> by_rule, by_action, by_destination, by_hour;
};

class IncidentReader {
 public:
  // Read-only. A missing file, a database that is not dlpd's, or a schema
  // this dlpctl does not know is an error that says what to do.
  static Result<std::unique_ptr<IncidentReader>> Open(const std::string& path);
  ~IncidentReader();
  IncidentReader(const IncidentReader&) = delete;
  IncidentReader& operator=(const IncidentReader&) = delete;

  // Newest first (by first match).
  Result<std::vector<StoredIncident>> List(const IncidentFilter& filter);
  // Oldest first, for exports that a SIEM reads in order.
  Result<std::vector<StoredIncident>> ListOldestFirst(const IncidentFilter& filter);
  Result<std::optional<StoredIncident>> Get(int64_t id);
  // `top`: rows per breakdown (by_hour is never cut).
  Result<IncidentStats> Stats(const IncidentFilter& filter, size_t top = 10);
  // The rule ids its incidents carry, sorted: what a rule filter may name.
  Result<std::vector<std::string>> Rules();

 private:
  explicit IncidentReader(sqlite3* db) : db_(db) {}
  Result<std::vector<StoredIncident>> Select(const IncidentFilter& filter, const char* order);
  sqlite3* db_;
};

}  // namespace dlp
