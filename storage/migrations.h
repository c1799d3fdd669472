// The database schema as a list of forward migrations, numbered from 1 in
// storage/migrations/NNNN_name.sql and built into the binaries. A database
// at PRAGMA user_version N gets migrations N+1.. applied, each in its own
// transaction; a fresh database gets all of them. 0002 documents the table
// as it rebuilt it; later files, the columns they add.
#pragma once

#include <string>
#include <vector>

namespace dlp {

struct Migration {
  std::string name;  // "migrations/0002_....sql"
  std::string sql;
};

// In order: element i brings the schema from version i to i+1.
std::vector<Migration> SchemaMigrations();

}  // namespace dlp
