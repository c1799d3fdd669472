// How strong an action is, declared once: an incident keeps the strongest
// action its flow and rule saw. MergeIncident (the writer's queue) asks
// ActionRank; the database's upsert asks dlp_action_rank(action), an SQLite
// function backed by the same table. Keyed by the action's name as stored
// (policy/action.h has the policy's enum; the database holds names).
#pragma once

#include <array>
#include <string_view>

#include "dlpd/common/result.h"

struct sqlite3;

namespace dlp {

struct ActionRankEntry {
  std::string_view action;
  int rank;
};

// Weakest first. A name not listed (none is written today) ranks as pass.
inline constexpr std::array<ActionRankEntry, 5> kActionRanks = {{
    {"pass", 0},
    {"alert", 1},
    {"mask", 2},
    {"mask-partial", 3},  // a mask that let part of the value out: outranks mask
    {"block", 4},
}};

constexpr int ActionRank(std::string_view action) {
  for (const ActionRankEntry& e : kActionRanks) {
    if (e.action == action) return e.rank;
  }
  return 0;
}

// Registers dlp_action_rank(action) on `db`: ActionRank as a deterministic
// SQLite function (NULL ranks as pass). Only statements use it, never the
// schema: a view, index or trigger naming it would break every reader that
// has not registered it (dlpctl, the sqlite3 shell, the security team's
// tools).
Status RegisterActionRankFunction(sqlite3* db);

}  // namespace dlp
