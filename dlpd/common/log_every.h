// One log line per period for a warning that can repeat without end (a
// socket error in a loop, an exception a thread's last catch survives): the
// first is logged at once, then at most one a period, saying how many were
// not. The events themselves are counted where they happen; this bounds
// only what reaches the log (and journald's or syslog's rate limit, which
// would drop other lines with them).
//
// Thread-safety: any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "dlpd/common/clock.h"

namespace dlp {

class LogEvery {
 public:
  explicit LogEvery(int64_t period_us) : period_us_(period_us) {}

  // Whether to log this one; then `*skipped` is how many were not logged
  // since the last that was.
  bool Due(uint64_t* skipped, const Clock& clock = SystemClock::Instance()) {
    const int64_t now = clock.NowMicros();
    int64_t next = next_us_.load(std::memory_order_relaxed);
    if (now < next || !next_us_.compare_exchange_strong(next, now + period_us_)) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    *skipped = skipped_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const int64_t period_us_;
  std::atomic<int64_t> next_us_{INT64_MIN};
  std::atomic<uint64_t> skipped_{0};
};

}  // namespace dlp
