#include "storage/incident_query.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "dlpd/common/ascii.h"
#include "dlpd/common/cidr.h"
#include "dlpd/common/host_of.h"
#include "storage/incident_columns.h"
#include "storage/incident_store.h"
#include "storage/time_spec.h"

namespace dlp {
namespace {

// dlp_host(h): the host name a Host value gives, as the policy matches it
// (dlpd/common/host_of.h), in lower case (ASCII, as Host names are).
void HostKey(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* text = sqlite3_value_text(argv[0]);
  if (text == nullptr) {
    sqlite3_result_null(ctx);
    return;
  }
  const std::string h = AsciiLower(HostOf(reinterpret_cast<const char*>(text)));
  sqlite3_result_text(ctx, h.data(), static_cast<int>(h.size()), SQLITE_TRANSIENT);
}

// WHERE clause and its bound values, in order.
struct Where {
  std::string sql;
  std::vector<std::string> args;
};

Where WhereOf(const IncidentFilter& f) {
  Where w;
  std::vector<std::string> terms;
  auto in_list = [&](const char* column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    std::string t = std::string(column) + " IN (";
    for (size_t i = 0; i < values.size(); ++i) {
      t += i == 0 ? "?" : ",?";
      w.args.push_back(values[i]);
    }
    terms.push_back(t + ")");
  };
  if (f.since_us) {
    terms.push_back("last_seen_utc >= ?");
    w.args.push_back(IsoTimeUtc(*f.since_us));
  }
  if (f.until_us) {
    terms.push_back("time_utc < ?");
    w.args.push_back(IsoTimeUtc(*f.until_us));
  }
  in_list("rule_id", f.rules);
  in_list("action", f.actions);
  if (!f.src_cidr.empty()) {
    terms.push_back("cidr_match(src_ip, ?)");
    w.args.push_back(f.src_cidr);
  }
  if (!f.dst_cidr.empty()) {
    terms.push_back("cidr_match(dst_ip, ?)");
    w.args.push_back(f.dst_cidr);
  }
  in_list("severity", f.severities);
  if (!f.host_glob.empty()) {
    // Any Host the row's requests named, not only its first: a connection
    // kept alive may send its second request elsewhere. Compared as the
    // policy compares them: without port or trailing dot, in any case.
    terms.push_back(
        "(dlp_host(http_host) GLOB dlp_host(?) OR id IN (SELECT incident_id FROM "
        "incident_hosts WHERE dlp_host(host) GLOB dlp_host(?)))");
    w.args.push_back(f.host_glob);
    w.args.push_back(f.host_glob);
  }
  if (!f.fingerprint.empty()) {
    // A prefix GLOB (hex has no wildcard) uses the fingerprint index.
    terms.push_back("id IN (SELECT incident_id FROM incident_values WHERE fingerprint GLOB ?)");
    w.args.push_back(f.fingerprint + "*");
  }
  if (f.after_id) {
    terms.push_back("id > ?");
    w.args.push_back(std::to_string(*f.after_id));
  }
  for (size_t i = 0; i < terms.size(); ++i) w.sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
  return w;
}

// Prepares `sql`, binds `args`, calls `row` for each result row.
Status Run(sqlite3* db, const std::string& sql, const std::vector<std::string>& args,
           const std::function<void(sqlite3_stmt*)>& row) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    return Error{std::string("query: ") + sqlite3_errmsg(db)};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    sqlite3_bind_text(st, static_cast<int>(i + 1), args[i].data(), static_cast<int>(args[i].size()),
                      SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return Error{std::string("query: ") + sqlite3_errmsg(db)};
  return {};
}

}  // namespace

Result<std::unique_ptr<IncidentReader>> IncidentReader::Open(const std::string& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0 && errno == ENOENT) {
    return Error{"no incident database at " + path + " (dlpd --db " + path +
                 " creates it; --db or DLPD_DB chooses another)"};
  }
  // (SQLite would say only "unable to open database file"; and a -wal
  // file it may not read, it would pass over, answering from the older
  // rows alone.)
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty() && ::access(dir.c_str(), X_OK) != 0) {
    return Error{"incident database " + path + ": cannot enter " + dir + ": " +
                 std::strerror(errno)};
  }
  for (const char* suffix : {"", "-wal"}) {
    const std::string file = path + suffix;
    if (*suffix != '\0' && ::stat(file.c_str(), &sb) != 0) continue;
    if (::access(file.c_str(), R_OK) != 0) {
      const int err = errno;
      std::string why;
      if (err == EACCES && ::stat(file.c_str(), &sb) == 0) {
        // Whom it is shared with, if anyone: the reason in words.
        const struct group* g = (sb.st_mode & S_IRGRP) != 0 ? ::getgrgid(sb.st_gid) : nullptr;
        why = g != nullptr ? " (readable by group " + std::string(g->gr_name) + " only)"
                           : " (owner-only: dlpd shares it with a group when db_group is set)";
      }
      return Error{"incident database " + file + ": " + std::strerror(err) + why};
    }
  }
  // Read-only. A WAL database needs its -shm file; a reader that may read
  // the database but not create files beside it (the security team's
  // group) finds it missing once every connection has closed. Then nothing
  // is writing, and the file is read as immutable.
  sqlite3* db = nullptr;
  int64_t version = -1;
  std::string error;
  for (const bool immutable : {false, true}) {
    const std::string name = immutable ? "file:" + path + "?mode=ro&immutable=1" : path;
    if (sqlite3_open_v2(name.c_str(), &db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI,
                        nullptr) != SQLITE_OK) {
      error = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      db = nullptr;
      continue;
    }
    sqlite3_busy_timeout(db, 5000);
    int persist = 1;  // and leave the -wal/-shm files for the next reader
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    Status st = Run(db, "PRAGMA user_version", {},
                    [&](sqlite3_stmt* s) { version = sqlite3_column_int64(s, 0); });
    if (st) break;
    error = st.error().message;
    const int code = sqlite3_extended_errcode(db);
    sqlite3_close(db);
    db = nullptr;
    if ((code & 0xff) != SQLITE_READONLY && (code & 0xff) != SQLITE_CANTOPEN) break;
  }
  if (db == nullptr) return Error{"incident database " + path + ": " + error};
  std::unique_ptr<IncidentReader> reader(new IncidentReader(db));
  if (version != CurrentSchemaVersion()) {
    return Error{"incident database " + path + " has schema version " + std::to_string(version) +
                 "; this dlpctl reads version " + std::to_string(CurrentSchemaVersion()) +
                 (version < CurrentSchemaVersion() ? " (start dlpd on it once to migrate it)"
                                                   : " (use a newer dlpctl)")};
  }
  if (Status c = RegisterCidrFunction(db); !c) return c.error();
  if (sqlite3_create_function(db, "dlp_host", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                              HostKey, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("dlp_host: ") + sqlite3_errmsg(db)};
  }
  return reader;
}

IncidentReader::~IncidentReader() {
  sqlite3_close(db_);
}

Result<std::vector<std::string>> IncidentReader::Rules() {
  std::vector<std::string> rules;
  Status st =
      Run(db_, "SELECT DISTINCT rule_id FROM incidents ORDER BY rule_id", {}, [&](sqlite3_stmt* s) {
        const unsigned char* t = sqlite3_column_text(s, 0);
        if (t != nullptr) rules.emplace_back(reinterpret_cast<const char*>(t));
      });
  if (!st) return st.error();
  return rules;
}

Result<std::vector<StoredIncident>> IncidentReader::Select(const IncidentFilter& filter,
                                                           const char* order) {
  Where w = WhereOf(filter);
  std::string sql =
      "SELECT " + IncidentSelectList() + " FROM incidents" + w.sql + " ORDER BY " + order;
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  std::vector<StoredIncident> rows;
  Status st = Run(db_, sql, w.args, [&](sqlite3_stmt* s) { rows.push_back(IncidentFromRow(s)); });
  if (!st) return st.error();
  return rows;
}

Result<std::vector<StoredIncident>> IncidentReader::List(const IncidentFilter& filter) {
  return Select(filter, "time_utc DESC, id DESC");
}

Result<std::vector<StoredIncident>> IncidentReader::ListOldestFirst(const IncidentFilter& filter) {
  // After an id: by id, so that the last row's id is the next export's
  // start (an incident's first match may be older than a stored one's).
  return Select(filter, filter.after_id ? "id" : "time_utc, id");
}

Result<std::vector<StoredIncident>> IncidentReader::Worst(const IncidentFilter& filter, size_t n) {
  IncidentFilter f = filter;
  f.limit = static_cast<int64_t>(n);
  return Select(f, "in_clear DESC, match_count DESC, id DESC");
}

Result<std::optional<StoredIncident>> IncidentReader::Get(int64_t id) {
  std::optional<StoredIncident> found;
  Status st = Run(db_, "SELECT " + IncidentSelectList() + " FROM incidents WHERE id = ?",
                  {std::to_string(id)}, [&](sqlite3_stmt* s) { found = IncidentFromRow(s); });
  if (!st) return st.error();
  return found;
}

Result<std::vector<ValueSeen>> IncidentReader::Values(int64_t id) {
  std::vector<ValueSeen> values;
  Status st =
      Run(db_,
          "SELECT fingerprint, outcomes FROM incident_values WHERE incident_id = ? "
          "ORDER BY fingerprint",
          {std::to_string(id)}, [&](sqlite3_stmt* s) {
            values.push_back({ColumnText(s, 0), static_cast<uint8_t>(sqlite3_column_int(s, 1))});
          });
  if (!st) return st.error();
  return values;
}

Result<std::vector<std::string>> IncidentReader::Hosts(int64_t id) {
  std::vector<std::string> hosts;
  Status st =
      Run(db_, "SELECT host FROM incident_hosts WHERE incident_id = ? ORDER BY host",
          {std::to_string(id)}, [&](sqlite3_stmt* s) { hosts.push_back(ColumnText(s, 0)); });
  if (!st) return st.error();
  return hosts;
}

Result<int64_t> IncidentReader::Count(const IncidentFilter& filter) {
  const Where w = WhereOf(filter);
  int64_t n = 0;
  Status st = Run(db_, "SELECT count(*) FROM incidents" + w.sql, w.args,
                  [&](sqlite3_stmt* s) { n = sqlite3_column_int64(s, 0); });
  if (!st) return st.error();
  return n;
}

Result<IncidentStats> IncidentReader::Stats(const IncidentFilter& filter, size_t top) {
  IncidentStats stats;
  const Where w = WhereOf(filter);
  // Each breakdown: the rows' counts by KEY (busiest first, at most `rows`;
  // 0: all, by key), then the distinct values of each key's rows. A value
  // is its rule and fingerprint: the same card in two incidents is one card.
  auto breakdown = [&](const std::string& key, bool by_key, size_t rows,
                       std::vector<CountRow>* out) -> Status {
    std::string sql = "SELECT " + key +
                      " AS k, count(*), coalesce(sum(match_count), 0), coalesce(sum(in_clear), 0) "
                      "FROM incidents" +
                      w.sql + " GROUP BY k ORDER BY " + (by_key ? "k" : "count(*) DESC, k");
    if (rows > 0) sql += " LIMIT " + std::to_string(rows);
    std::map<std::string, size_t> index;
    Status st = Run(db_, sql, w.args, [&](sqlite3_stmt* s) {
      index[ColumnText(s, 0)] = out->size();
      out->push_back({ColumnText(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                      sqlite3_column_int64(s, 3)});
    });
    if (!st) return st;
    // A value is its rule's: the fingerprint is over the digits alone, and
    // an employee id and a card can share digits without being one value.
    return Run(db_,
               "SELECT " + key +
                   " AS k, count(DISTINCT i.rule_id || ' ' || v.fingerprint), count(DISTINCT CASE "
                   "WHEN v.outcomes & " +
                   std::to_string(kValueInClear) +
                   " THEN i.rule_id || ' ' || v.fingerprint END) FROM (SELECT * FROM incidents" +
                   w.sql + ") AS i JOIN incident_values AS v ON v.incident_id = i.id GROUP BY k",
               w.args, [&](sqlite3_stmt* s) {
                 auto it = index.find(ColumnText(s, 0));
                 if (it == index.end()) return;  // a row the limit cut
                 (*out)[it->second].distinct_values = sqlite3_column_int64(s, 1);
                 (*out)[it->second].distinct_in_clear = sqlite3_column_int64(s, 2);
               });
  };
  std::vector<CountRow> total;
  if (Status st = breakdown("'all'", true, 0, &total); !st) return st.error();
  if (!total.empty()) stats.total = total.front();
  stats.total.key.clear();
  Status st = Run(db_,
                  "SELECT coalesce(sum(masked), 0), coalesce(sum(partly_masked), 0), "
                  "coalesce(sum(blocked), 0), coalesce(sum(match_count - masked - partly_masked - "
                  "in_clear - blocked), 0), coalesce(sum(values_unlisted), 0) FROM incidents" +
                      w.sql,
                  w.args, [&](sqlite3_stmt* s) {
                    stats.masked = sqlite3_column_int64(s, 0);
                    stats.partly_masked = sqlite3_column_int64(s, 1);
                    stats.blocked = sqlite3_column_int64(s, 2);
                    stats.unknown_outcome = sqlite3_column_int64(s, 3);
                    stats.values_unlisted = sqlite3_column_int64(s, 4);
                  });
  if (!st) return st.error();
  // An endpoint is its address (and port), and for a destination the HTTP
  // Host when known.
  const std::string source = "CASE WHEN ip_version = 6 THEN '[' || src_ip || ']' ELSE src_ip END";
  const std::string dest =
      "CASE WHEN ip_version = 6 THEN '[' || dst_ip || ']' ELSE dst_ip END || ':' || dst_port || "
      "coalesce(' (' || http_host || ')', '')";
  const std::pair<std::string, std::vector<CountRow>*> busiest[] = {
      {"rule_id", &stats.by_rule},
      {"severity", &stats.by_severity},
      {"action", &stats.by_action},
      {source, &stats.by_source},
      {dest, &stats.by_destination}};
  for (const auto& [key, out] : busiest) {
    if (st = breakdown(key, false, top, out); !st) return st.error();
  }
  if (st = breakdown("substr(time_utc, 1, 10)", true, 0, &stats.by_day); !st) return st.error();
  if (st = breakdown("substr(time_utc, 1, 13) || ':00Z'", true, 0, &stats.by_hour); !st) {
    return st.error();
  }
  return stats;
}

}  // namespace dlp
