// Every thread's entry point (capture workers, the control socket, the
// incident writer, reload) ends in a last catch: an exception nothing below
// expected is logged with where it happened, counted, and the thread keeps
// running. Errors on the packet path are values (Result/Status); this is
// for what still escapes (a library that throws, bad_alloc).
//
// Thread-safety: any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <string_view>

#include "dlpd/common/log_every.h"

namespace dlp {

// Exceptions caught by a last catch since start (all threads).
inline std::atomic<uint64_t>& UnexpectedErrors() {
  static std::atomic<uint64_t> count{0};
  return count;
}

// Counts an exception a last catch took, and logs it unless `every` says
// one like it was logged moments ago.
inline void ReportUnexpected(std::string_view where, const char* what, LogEvery& every) noexcept {
  UnexpectedErrors().fetch_add(1, std::memory_order_relaxed);
  try {
    if (uint64_t skipped = 0; every.Due(&skipped)) {
      spdlog::error("{}: unexpected error: {}{}", where, what,
                    skipped == 0 ? "" : fmt::format(" ({} more not logged)", skipped));
    }
  } catch (...) {  // nothing may leave a last catch
  }
}

// Runs fn(). Returns true if it returned; false if an exception escaped it,
// which is then logged as "<where>: unexpected error: <what>" and counted.
// A thread that fails the same way again at once (its loop restarts every
// 100 ms) logs one line each 10 s per call site, saying how many it did
// not log.
template <class Fn>
bool RunGuarded(std::string_view where, Fn&& fn) noexcept {
  static LogEvery every(10'000'000);  // one per Fn: per call site
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    ReportUnexpected(where, e.what(), every);
  } catch (...) {
    ReportUnexpected(where, "unknown", every);
  }
  return false;
}

}  // namespace dlp
