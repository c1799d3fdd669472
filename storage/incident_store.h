// The SQLite incident database: opens (creating if needed) in WAL mode,
// applies the schema, inserts batches in one transaction. Schema documented
// in storage/schema.sql and the README. Configuration-time errors (cannot
// open, corrupt, newer schema) throw; insert errors are returned.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "storage/incident.h"

namespace dlp {

constexpr int kSchemaVersion = 1;

class IncidentStore {
 public:
  // Creates the file with mode 0600 if it does not exist.
  explicit IncidentStore(const std::string& path);
  ~IncidentStore();
  IncidentStore(const IncidentStore&) = delete;
  IncidentStore& operator=(const IncidentStore&) = delete;

  Status InsertBatch(const std::vector<Incident>& batch);
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace dlp
