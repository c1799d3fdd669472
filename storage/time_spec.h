// Times on the command line (`--since 24h`, `--until 2026-11-22T10:00`) and
// in the database (ISO 8601 UTC). Hand-written: the formats are few and
// fixed, and std::chrono's parse is not in GCC 12's library.
#pragma once

#include <cstdint>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

// Microseconds since the epoch for one of:
//   a duration back from `now_us`: 90s, 30m, 24h, 7d, 2w;
//   now;
//   a UTC date or time: 2026-11-22, 2026-11-22T10:00, 2026-11-22 10:00:05,
//   2026-11-22T10:00:05.25Z, or with an offset: 2026-11-22T10:00:05+01:00;
//   @1700000000 (seconds since the epoch).
Result<int64_t> ParseTimeSpec(const std::string& spec, int64_t now_us);

// Parses IsoTimeUtc's format back (and the other ISO forms above).
Result<int64_t> ParseIsoTime(const std::string& text);

}  // namespace dlp
