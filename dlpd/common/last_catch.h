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

namespace dlp {

// Exceptions caught by a last catch since start (all threads).
inline std::atomic<uint64_t>& UnexpectedErrors() {
  static std::atomic<uint64_t> count{0};
  return count;
}

// Runs fn(). Returns true if it returned; false if an exception escaped it,
// which is then logged as "<where>: unexpected error: <what>" and counted.
template <class Fn>
bool RunGuarded(std::string_view where, Fn&& fn) noexcept {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    UnexpectedErrors().fetch_add(1, std::memory_order_relaxed);
    spdlog::error("{}: unexpected error: {}", where, e.what());
  } catch (...) {
    UnexpectedErrors().fetch_add(1, std::memory_order_relaxed);
    spdlog::error("{}: unexpected error", where);
  }
  return false;
}

}  // namespace dlp
