// Counters declared once. A group is an X-macro list of X(name, help); the
// group's struct gets one atomic member per entry (named, so the code that
// counts reads `counters.held.fetch_add(...)`) and a table of the entries in
// the same order, so `dlpctl status`, `status --json` and the exit log
// iterate over the declarations instead of naming each counter again
// (Suricata's StatsRegisterCounter).
//
//   #define MY_COUNTERS(X) X(packets, "packets seen") X(drops, "packets dropped")
//   DLP_DECLARE_COUNTERS(MyCounters, MY_COUNTERS)
//
// A counter that holds a level (what is there now: held packets, flows,
// bytes of state) rather than a count of events says "now" in its help:
// `dlpctl status --format prometheus` exports it as a gauge.
//
// Thread-safety: each member is an atomic; the owner writes with relaxed
// order, any thread may read (values of different members may be from
// slightly different moments).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dlp {

struct CounterInfo {
  std::string_view name;
  std::string_view help;  // one line, for `dlpctl status`
};

#define DLP_COUNTER_MEMBER_(name, help) std::atomic<uint64_t> name{0};
#define DLP_COUNTER_INFO_(name, help) ::dlp::CounterInfo{#name, help},
#define DLP_COUNTER_LOAD_(name, help) name.load(std::memory_order_relaxed),

#define DLP_DECLARE_COUNTERS(Type, LIST)                                              \
  struct Type {                                                                       \
    LIST(DLP_COUNTER_MEMBER_)                                                         \
    static constexpr ::dlp::CounterInfo kInfo[] = {LIST(DLP_COUNTER_INFO_)};          \
    static constexpr size_t kCount = sizeof(kInfo) / sizeof(kInfo[0]);                \
    /* Every value, in the order of kInfo. */                                         \
    std::array<uint64_t, kCount> Values() const { return {LIST(DLP_COUNTER_LOAD_)}; } \
  };

}  // namespace dlp
