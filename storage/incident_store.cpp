#include "storage/incident_store.h"

#include <fcntl.h>
#include <grp.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "dlpd/common/clock.h"
#include "dlpd/common/regular_file.h"
#include "storage/action_rank.h"
#include "storage/incident_columns.h"
#include "storage/migrations.h"
#include "storage/time_spec.h"

namespace dlp {
namespace {

// The incident's row, or its flow's and rule's row updated, each column
// as its Upsert says: the counts add up, the time span widens, the
// strongest action stays (dlp_action_rank), and the first request's HTTP
// fields stay. Conflicts on migration 2's UNIQUE (flow_id, rule_id).
std::string UpsertSql() {
  // The id: past every row's, and past any deleted one's (migration 5's
  // incident_id_floor), so that ids never repeat. (A conflict keeps the
  // row's own.)
  std::string names = "id",
              params =
                  "(SELECT max(coalesce((SELECT max(id) FROM incidents), 0), "
                  "(SELECT id FROM incident_id_floor)) + 1)",
              updates;
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.upsert == Upsert::kNone) continue;
    const std::string col(c.sql);
    names += ", " + col;
    params += ",?";
    std::string update;
    switch (c.upsert) {
      case Upsert::kNone:
      case Upsert::kFirst:
        continue;
      case Upsert::kSum:
        update = col + " + excluded." + col;
        break;
      case Upsert::kLatest:
        update = "max(" + col + ", excluded." + col + ")";
        break;
      case Upsert::kStrongest:
        update = "CASE WHEN dlp_action_rank(excluded." + col + ") > dlp_action_rank(" + col +
                 ") THEN excluded." + col + " ELSE " + col + " END";
        break;
      case Upsert::kFirstKnown:
        update = "coalesce(" + col + ", excluded." + col + ")";
        break;
    }
    updates += (updates.empty() ? "\n  " : ",\n  ") + col + " = " + update;
  }
  return "INSERT INTO incidents (" + names + ")\nVALUES (" + params +
         ")\nON CONFLICT (flow_id, rule_id) DO UPDATE SET" + updates + "\nRETURNING " +
         IncidentSelectList();
}

// A value of row ?1: its fates join those of the same value listed, or it
// is listed when the row lists fewer than ?4 (else nothing changes, and
// the caller counts it unlisted). The WHERE also tells SQLite's parser that
// ON CONFLICT belongs to the INSERT.
constexpr const char* kAddValueSql =
    "INSERT INTO incident_values (incident_id, fingerprint, outcomes)\n"
    "SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM incident_values\n"
    "                                WHERE incident_id = ?1 AND fingerprint = ?2)\n"
    "  OR (SELECT count(*) FROM incident_values WHERE incident_id = ?1) < ?4\n"
    "ON CONFLICT (incident_id, fingerprint) DO UPDATE SET outcomes = outcomes | excluded.outcomes";

// A Host of row ?1, while it lists fewer than ?3.
constexpr const char* kAddHostSql =
    "INSERT INTO incident_hosts (incident_id, host)\n"
    "SELECT ?1, ?2 WHERE (SELECT count(*) FROM incident_hosts WHERE incident_id = ?1) < ?3\n"
    "ON CONFLICT (incident_id, host) DO NOTHING";

constexpr const char* kUnlistedSql =
    "UPDATE incidents SET values_unlisted = values_unlisted + ?2 WHERE id = ?1";

void RankAction(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  const unsigned char* text = sqlite3_value_text(argv[0]);  // NULL: ranks as pass
  const std::string_view action =
      text == nullptr ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_value_bytes(argv[0])));
  sqlite3_result_int(ctx, ActionRank(action));
}

[[noreturn]] void Fail(sqlite3*& db, const std::string& path, const std::string& msg) {
  sqlite3_close(db);
  db = nullptr;
  throw std::runtime_error("incident database " + path + ": " + msg);
}

// A SQLite database whose content is damaged: moved aside, not refused.
struct Corrupt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void FailCorrupt(sqlite3*& db, const std::string& msg) {
  sqlite3_close(db);
  db = nullptr;
  throw Corrupt(msg);
}

bool IsCorruptCode(sqlite3* db) {
  const int code = sqlite3_errcode(db) & 0xff;
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

// Whether the file `fd` is empty (new) or begins as a SQLite database does.
// Anything else is not ours to move or rewrite.
bool EmptyOrSqlite(int fd) {
  static constexpr char kMagic[16] = "SQLite format 3";  // and its NUL
  char head[sizeof kMagic] = {};
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  return n == 0 ||
         (n == static_cast<ssize_t>(sizeof head) && std::memcmp(head, kMagic, sizeof head) == 0);
}

// Opening a database a newer dlpd wrote: refused, as its rows may mean
// what this one cannot know.
std::string NewerSchema(int64_t version) {
  return "schema version " + std::to_string(version) + " is newer than this dlpd's (" +
         std::to_string(CurrentSchemaVersion()) + ")";
}

Result<gid_t> GroupId(const std::string& group) {
  struct group gr {};
  struct group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return Error{"no group '" + group + "' (create it: addgroup --system " + group + ")"};
  }
  return gr.gr_gid;
}

// Whether this process may give its files to `gid`: root, or a member.
bool InGroup(gid_t gid) {
  if (geteuid() == 0 || getegid() == gid) return true;
  std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
  const int n = getgroups(static_cast<int>(groups.size()), groups.data());
  return std::find(groups.begin(), groups.begin() + std::max(n, 0), gid) != groups.end();
}

std::string NotAMember(const std::string& group) {
  return "cannot give it to group '" + group + "': dlpd's user is not a member (adduser USER " +
         group + ", then restart dlpd)";
}

Status GiveToGroup(int fd, gid_t gid, const std::string& group) {
  if (!InGroup(gid)) return Error{NotAMember(group)};
  if (fchown(fd, static_cast<uid_t>(-1), gid) != 0 || fchmod(fd, 0640) != 0) {
    return Error{"cannot give it to group '" + group + "': " + std::strerror(errno)};
  }
  return {};
}

// The -wal and -shm files beside `path`, when they exist, given to `group`
// as the database is. A failure is logged: the database itself is shared.
void ShareWalFiles(const std::string& path, const std::string& group) {
  auto gid = GroupId(group);
  if (!gid) return;
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string file = path + suffix;
    auto opened = OpenRegularFile("incident database", file, O_RDWR);
    if (!opened) continue;  // not there (yet): SQLite creates them lazily
    if (Status st = GiveToGroup(opened.value(), gid.value(), group); !st) {
      spdlog::warn("{}: {}", file, st.error().message);
    }
    ::close(opened.value());
  }
}

// Renames `path` and its -wal and -shm files to PATH.corrupt-<UTC time>[-N];
// returns the new name of the database.
std::string MoveAside(const std::string& path) {
  char stamp[32];
  const time_t now = time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string to = path + ".corrupt-" + stamp;
  for (int i = 1; ::access(to.c_str(), F_OK) == 0; ++i) {
    to = path + ".corrupt-" + stamp + "-" + std::to_string(i);
  }
  // The -wal first: its frames belong to the database, and without the
  // database beside it SQLite would never apply them to the new one.
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string from = path + suffix;
    if (::rename(from.c_str(), (to + suffix).c_str()) != 0 && errno != ENOENT) {
      throw std::runtime_error("incident database " + path + " is corrupt and " + from +
                               " cannot be moved aside: " + std::strerror(errno));
    }
  }
  if (::rename(path.c_str(), to.c_str()) != 0) {
    throw std::runtime_error("incident database " + path +
                             " is corrupt and cannot be moved aside: " + std::strerror(errno));
  }
  return to;
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

std::string IncidentSelectList() {
  std::string list;
  for (const IncidentColumn& c : kIncidentColumns) {
    list += (list.empty() ? "" : ", ") + std::string(c.sql);
  }
  return list;
}

std::string ColumnText(sqlite3_stmt* st, int col) {
  const unsigned char* p = sqlite3_column_text(st, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
}

StoredIncident IncidentFromRow(sqlite3_stmt* st) {
  StoredIncident r;
  for (size_t i = 0; i < kIncidentColumns.size(); ++i) {
    const IncidentColumn& c = kIncidentColumns[i];
    if (c.access.set == nullptr) continue;
    const int col = static_cast<int>(i);
    ColumnValue v;
    std::string text;
    switch (c.type) {
      case ColumnType::kRowId:
      case ColumnType::kInteger:
      case ColumnType::kFlows:
        v.number = sqlite3_column_int64(st, col);
        break;
      case ColumnType::kOptionalCount:
        v.null = sqlite3_column_type(st, col) == SQLITE_NULL;
        v.number = sqlite3_column_int64(st, col);
        break;
      case ColumnType::kText:
      case ColumnType::kOptionalText:
      case ColumnType::kJsonText:
        v.null = sqlite3_column_type(st, col) == SQLITE_NULL;
        text = ColumnText(st, col);
        v.text = text;
        break;
      case ColumnType::kTime:
        if (auto t = ParseIsoTime(ColumnText(st, col))) {
          v.number = t.value();
        } else {
          v.null = true;
        }
        break;
    }
    c.access.set(r.incident, r.id, v);
  }
  return r;
}

Status RegisterActionRankFunction(sqlite3* db) {
  if (sqlite3_create_function(db, "dlp_action_rank", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                              RankAction, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("dlp_action_rank: ") + sqlite3_errmsg(db)};
  }
  return {};
}

std::vector<std::string_view> OutcomeNames(uint8_t outcomes) {
  static constexpr std::array<std::string_view, 4> kNames = {"masked", "partly_masked", "in_clear",
                                                             "blocked"};
  std::vector<std::string_view> names;
  for (size_t bit = 0; bit < kNames.size(); ++bit) {
    if ((outcomes & (1u << bit)) != 0) names.push_back(kNames[bit]);
  }
  return names;
}

void AddValue(Incident& in, std::string_view fingerprint, uint8_t outcomes) {
  // A linear look: an incident holds at most kMaxValuesHeld, and nearly
  // every one one or two.
  for (ValueSeen& v : in.values) {
    if (v.fingerprint == fingerprint) {
      v.outcomes |= outcomes;
      return;
    }
  }
  if (in.values.size() >= kMaxValuesHeld) {
    ++in.values_unlisted;
    return;
  }
  in.values.push_back({std::string(fingerprint), outcomes});
}

void AddHost(Incident& in, std::string_view host) {
  if (host.empty() || in.hosts.size() >= kMaxHostsPerIncident) return;
  if (std::find(in.hosts.begin(), in.hosts.end(), host) != in.hosts.end()) return;
  in.hosts.emplace_back(host);
}

void MergeIncident(Incident& into, const Incident& later) {
  into.match_count += later.match_count;
  into.masked += later.masked;
  into.partly_masked += later.partly_masked;
  into.in_clear += later.in_clear;
  into.blocked += later.blocked;
  for (const ValueSeen& v : later.values) AddValue(into, v.fingerprint, v.outcomes);
  into.values_unlisted += later.values_unlisted;
  into.flows += later.flows;
  into.time_us = std::min(into.time_us, later.time_us);
  into.last_time_us = std::max({into.last_time_us, later.last_time_us, later.time_us});
  if (ActionRank(later.action) > ActionRank(into.action)) into.action = later.action;
  if (into.reason.empty()) into.reason = later.reason;
  if (into.http_method.empty()) {
    into.http_method = later.http_method;
    into.http_host = later.http_host;
    into.http_path = later.http_path;
  }
  if (into.http_user_agent.empty()) into.http_user_agent = later.http_user_agent;
  if (into.http_user.empty()) into.http_user = later.http_user;
  if (into.http_body_length < 0) into.http_body_length = later.http_body_length;
  for (const std::string& h : later.hosts) AddHost(into, h);
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
  try {
    Open(path, group);
  } catch (const Corrupt& e) {
    moved_aside_ = MoveAside(path);
    spdlog::error("incident database {} is corrupt ({}): moved to {}; a new one is created", path,
                  e.what(), moved_aside_);
    Open(path, group);
  }
}

void IncidentStore::Open(const std::string& path, const std::string& group) {
  // Owner-only from the first byte: create the file ourselves, not via
  // SQLite's umask. SQLite gives its -wal and -shm files the same owner and
  // mode, so a group that may read the database can read those too.
  auto opened = OpenRegularFile("incident database", path, O_RDWR | O_CREAT, 0600);
  if (!opened) throw std::runtime_error(opened.error().message);
  const int fd = opened.value();
  if (!EmptyOrSqlite(fd)) {
    ::close(fd);
    throw std::runtime_error("incident database " + path +
                             ": not a database (not SQLite's first bytes); left as it is");
  }
  if (!group.empty()) {
    auto gid = GroupId(group);
    if (!gid) {
      ::close(fd);
      throw std::runtime_error("incident database " + path + ": " + gid.error().message);
    }
    if (Status st = GiveToGroup(fd, gid.value(), group); !st) {
      ::close(fd);
      throw std::runtime_error("incident database " + path + ": " + st.error().message);
    }
  }
  ::close(fd);
  // NOFOLLOW here too: the path checked above is the path SQLite opens.
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK) {
    Fail(db_, path, db_ ? sqlite3_errmsg(db_) : "out of memory");
  }
  sqlite3_busy_handler(db_, &IncidentStore::OnBusy, this);
  // A long statement (a prune's DELETE on a large file) ends at the wait
  // deadline too: a shutdown's bound holds.
  sqlite3_progress_handler(
      db_, 10000,
      [](void* self) -> int {
        return SystemClock::Instance().NowMicros() >=
                       static_cast<IncidentStore*>(self)->wait_deadline_us_.load(
                           std::memory_order_relaxed)
                   ? 1
                   : 0;
      },
      this);
  char* err = nullptr;
  if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                   &err) != SQLITE_OK) {
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    if (IsCorruptCode(db_)) FailCorrupt(db_, msg);
    Fail(db_, path, msg);
  }
  // The pages' structure, read once at start (about a second per GiB): a
  // damaged file found now is moved aside; found at the first write, every
  // write would fail and each incident be lost.
  sqlite3_stmt* check = nullptr;
  bool answered = false;  // a row: "ok", or the first problem found
  std::string verdict;
  if (sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &check, nullptr) == SQLITE_OK &&
      sqlite3_step(check) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(check, 0);
    verdict = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    std::replace(verdict.begin(), verdict.end(), '\n', ' ');  // one log line
    answered = true;
  } else {
    verdict = sqlite3_errmsg(db_);  // its code is the statement's, until finalized
    answered = IsCorruptCode(db_);  // the check itself met damaged pages
  }
  sqlite3_finalize(check);
  if (verdict != "ok") {
    // Any other failure (an I/O error, a lock) is not the file's content.
    if (answered) FailCorrupt(db_, "quick_check: " + verdict);
    Fail(db_, path, "quick_check: " + verdict);
  }
  // Keep the -wal and -shm files when dlpd closes the database: a reader
  // with read access only (the security team's group) cannot create them.
  // (Set once the file is open: SQLite opens it lazily.)
  int persist = 1;
  sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  // SQLite creates them with the database's mode but this process's group
  // (it copies the owner only when root): they are the group's too, or a
  // reader could open the database and not read what it holds.
  if (!group.empty()) ShareWalFiles(path, group);
  // Before the migrations, so that a future one may rank actions in its
  // statements (never in the schema: see action_rank.h). The shipped ones
  // (0001, 0002) rank nothing and stay as they are: a database that has
  // applied a migration must find the same file meaning the same thing.
  if (Status st = RegisterActionRankFunction(db_); !st) Fail(db_, path, st.error().message);
  Migrate(path);
  if (sqlite3_prepare_v2(db_, UpsertSql().c_str(), -1, &upsert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, kAddValueSql, -1, &add_value_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, kUnlistedSql, -1, &unlisted_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, kAddHostSql, -1, &add_host_, nullptr) != SQLITE_OK) {
    Fail(db_, path, sqlite3_errmsg(db_));
  }
}

Status IncidentStore::Probe(const std::string& path, const std::string& group) {
  const std::string what = "incident database " + path;
  if (!group.empty()) {
    auto gid = GroupId(group);
    if (!gid) return Error{what + ": " + gid.error().message};
    if (!InGroup(gid.value())) return Error{what + ": " + NotAMember(group)};
  }
  struct stat sb {};
  if (::lstat(path.c_str(), &sb) != 0) {
    if (errno == ENOENT) return {};  // created at start
    return Error{what + ": " + std::strerror(errno)};
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    if (*suffix != '\0' && ::lstat(file.c_str(), &sb) != 0) continue;  // SQLite makes them
    auto opened = OpenRegularFile("incident database", file, O_RDWR);
    if (!opened) return opened.error();
    const bool stated = ::fstat(opened.value(), &sb) == 0;
    const bool ours = *suffix != '\0' || EmptyOrSqlite(opened.value());
    ::close(opened.value());
    // Sharing a file with a group takes owning it (fchown, fchmod).
    if (!group.empty() && stated && sb.st_uid != ::geteuid() && ::geteuid() != 0) {
      return Error{"incident database " + file + ": owned by uid " + std::to_string(sb.st_uid) +
                   ", so dlpd's user cannot give it to group '" + group + "' (chown it)"};
    }
    if (!ours) return Error{what + ": not a database (not SQLite's first bytes)"};
    if (*suffix == '\0' && stated && sb.st_size == 0) return {};
  }
  // Immutable: no lock taken, no -shm made, nothing written.
  sqlite3* db = nullptr;
  const std::string uri = "file:" + path + "?mode=ro&immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
      SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error{what + ": " + why};
  }
  const int64_t version = QueryInt(db, "PRAGMA user_version");
  const std::string why = sqlite3_errmsg(db);
  const bool corrupt = IsCorruptCode(db);
  sqlite3_close(db);
  if (version < 0 && corrupt) return {};  // the start moves it aside (and says so)
  if (version < 0) return Error{what + ": " + why};
  if (version > CurrentSchemaVersion()) return Error{what + ": " + NewerSchema(version)};
  return {};
}

void IncidentStore::Migrate(const std::string& path) {
  const int64_t version = QueryInt(db_, "PRAGMA user_version");
  if (version < 0) Fail(db_, path, std::string("not a database: ") + sqlite3_errmsg(db_));
  const std::vector<Migration> migrations = SchemaMigrations();
  if (version > static_cast<int64_t>(migrations.size())) {
    Fail(db_, path, NewerSchema(version));
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

int IncidentStore::OnBusy(void* self, int count) {
  auto* s = static_cast<IncidentStore*>(self);
  const int64_t now = SystemClock::Instance().NowMicros();
  if (count == 0) s->busy_since_us_ = now;
  if (now >= s->wait_deadline_us_.load(std::memory_order_relaxed) ||
      now - s->busy_since_us_ >=
          int64_t{s->busy_timeout_ms_.load(std::memory_order_relaxed)} * 1000) {
    return 0;  // SQLITE_BUSY to the caller
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(count < 10 ? 1 : 10));
  return 1;
}

IncidentStore::~IncidentStore() {
  sqlite3_finalize(upsert_);
  sqlite3_finalize(add_value_);
  sqlite3_finalize(unlisted_);
  sqlite3_finalize(add_host_);
  sqlite3_close(db_);
}

Status IncidentStore::InsertBatch(const std::vector<Incident>& batch,
                                  std::vector<StoredIncident>* stored) {
  if (stored != nullptr) stored->clear();
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("begin: ") + sqlite3_errmsg(db_)};
  }
  auto text = [](sqlite3_stmt* st, int i, std::string_view s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  };
  for (const Incident& in : batch) {
    sqlite3_reset(upsert_);
    int i = 0;  // the statement's parameters: the written columns, in order
    for (const IncidentColumn& c : kIncidentColumns) {
      if (c.upsert == Upsert::kNone) continue;
      ++i;
      const ColumnValue v = c.access.get(in, 0);
      switch (c.type) {
        case ColumnType::kRowId:
        case ColumnType::kInteger:
        case ColumnType::kFlows:
          sqlite3_bind_int64(upsert_, i, v.number);
          break;
        case ColumnType::kOptionalCount:
          if (v.null) {
            sqlite3_bind_null(upsert_, i);
          } else {
            sqlite3_bind_int64(upsert_, i, v.number);
          }
          break;
        case ColumnType::kText:
          text(upsert_, i, v.text);
          break;
        case ColumnType::kOptionalText:
        case ColumnType::kJsonText:
          if (v.text.empty()) {
            sqlite3_bind_null(upsert_, i);
          } else {
            text(upsert_, i, v.text);
          }
          break;
        case ColumnType::kTime:
          text(upsert_, i, IsoTimeUtc(v.number));
          break;
      }
    }
    auto fail = [&](sqlite3_stmt* st) -> Status {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_reset(st);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return Error{"insert: " + msg};
    };
    if (sqlite3_step(upsert_) != SQLITE_ROW) return fail(upsert_);
    StoredIncident row = IncidentFromRow(upsert_);  // the totals, after this batch
    const int64_t id = row.id;
    if (sqlite3_step(upsert_) != SQLITE_DONE) return fail(upsert_);
    int64_t unlisted = 0;  // beyond what `in` could not list itself (the upsert adds that)
    for (const ValueSeen& v : in.values) {
      sqlite3_reset(add_value_);
      sqlite3_bind_int64(add_value_, 1, id);
      text(add_value_, 2, v.fingerprint);
      sqlite3_bind_int(add_value_, 3, v.outcomes);
      sqlite3_bind_int64(add_value_, 4, static_cast<int64_t>(kMaxValuesPerIncident));
      if (sqlite3_step(add_value_) != SQLITE_DONE) return fail(add_value_);
      if (sqlite3_changes(db_) == 0) ++unlisted;
    }
    sqlite3_reset(add_value_);
    for (const std::string& h : in.hosts) {
      sqlite3_reset(add_host_);
      sqlite3_bind_int64(add_host_, 1, id);
      text(add_host_, 2, h);
      sqlite3_bind_int64(add_host_, 3, static_cast<int64_t>(kMaxHostsPerIncident));
      if (sqlite3_step(add_host_) != SQLITE_DONE) return fail(add_host_);
    }
    sqlite3_reset(add_host_);
    if (unlisted > 0) {
      sqlite3_reset(unlisted_);
      sqlite3_bind_int64(unlisted_, 1, id);
      sqlite3_bind_int64(unlisted_, 2, unlisted);
      if (sqlite3_step(unlisted_) != SQLITE_DONE) return fail(unlisted_);
      sqlite3_reset(unlisted_);
      row.incident.values_unlisted += static_cast<uint32_t>(unlisted);
    }
    if (stored != nullptr) stored->push_back(std::move(row));
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
  // Never an incident younger than the floor: a flood that fills the file
  // must not erase the evidence before it.
  const std::string floor =
      policy.min_retain_days > 0
          ? " WHERE last_seen_utc < '" +
                IsoTimeUtc(now_us -
                           static_cast<int64_t>(policy.min_retain_days) * 86400LL * 1000000) +
                "'"
          : std::string();
  if (policy.max_bytes > 0 && UsedBytes() > policy.max_bytes) {
    while (UsedBytes() > policy.max_bytes / 10 * 9) {
      const int64_t rows = QueryInt(db_, "SELECT count(*) FROM incidents");
      if (rows <= 0) break;
      const int64_t n = std::max<int64_t>(1, rows / 10);
      if (Status st = exec("DELETE FROM incidents WHERE id IN (SELECT id FROM incidents" + floor +
                           " ORDER BY last_seen_utc LIMIT " + std::to_string(n) + ")");
          !st) {
        return st.error();
      }
      const auto deleted = static_cast<uint64_t>(sqlite3_changes(db_));
      report.trimmed += deleted;
      if (deleted == 0) {
        report.held_by_floor = true;
        break;
      }
    }
  }
  return report;
}

}  // namespace dlp
