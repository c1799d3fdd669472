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
  std::vector<std::string> severities;
  // An HTTP Host of the incident's requests, a glob (`*.example`,
  // `shop.example`), without regard to case; an incident without a Host
  // never matches.
  std::string host_glob;
  // Incidents that list a value with this fingerprint, or one that begins
  // with it (REQUIRES: lower-case hex, checked by the caller).
  std::string fingerprint;
  std::optional<int64_t> after_id;  // incidents with a greater id (an incremental export)
  int64_t limit = 0;               // 0: no limit
};

struct CountRow {
  std::string key;  // rule id, severity, action, source, destination, day or hour
  int64_t incidents = 0;
  int64_t matches = 0;
  int64_t in_clear = 0;           // of the matches, the values let through in clear
  int64_t distinct_values = 0;    // distinct fingerprints listed
  int64_t distinct_in_clear = 0;  // of those, the ones that left in clear at least once
};

struct IncidentStats {
  CountRow total;
  // The matches by outcome (IncidentStats::total.in_clear is the third);
  // `unknown_outcome`: those of rows recorded before outcomes were kept.
  int64_t masked = 0, partly_masked = 0, blocked = 0, unknown_outcome = 0;
  // Values the rows could not list (past 256 a row): distinct counts are
  // at least what they say when this is not 0.
  int64_t values_unlisted = 0;
  std::vector<CountRow> by_rule, by_severity, by_action, by_source, by_destination, by_day, by_hour;
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
  // Oldest first, for exports that a SIEM reads in order (by id when the
  // filter has after_id).
  Result<std::vector<StoredIncident>> ListOldestFirst(const IncidentFilter& filter);
  Result<std::optional<StoredIncident>> Get(int64_t id);
  // The `n` that let the most values through in clear, then the most values.
  Result<std::vector<StoredIncident>> Worst(const IncidentFilter& filter, size_t n);
  // The distinct values incident `id` lists, by fingerprint.
  Result<std::vector<ValueSeen>> Values(int64_t id);
  // The HTTP Hosts incident `id`'s requests named, sorted.
  Result<std::vector<std::string>> Hosts(int64_t id);
  // How many incidents `filter` matches, its limit aside.
  Result<int64_t> Count(const IncidentFilter& filter);
  // `top`: rows per breakdown (by_day and by_hour are never cut).
  Result<IncidentStats> Stats(const IncidentFilter& filter, size_t top = 10);
  // The rule ids its incidents carry, sorted: what a rule filter may name.
  Result<std::vector<std::string>> Rules();

 private:
  explicit IncidentReader(sqlite3* db) : db_(db) {}
  Result<std::vector<StoredIncident>> Select(const IncidentFilter& filter, const char* order);
  sqlite3* db_;
};

}  // namespace dlp
