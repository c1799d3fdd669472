// The anomalies the pipeline reports (Zeek's Weird, Suricata's stream
// events): traffic a receiver would reject or that dlpd could not treat as
// a stream, declared once. Each kind is also a counter of the same name
// (pipeline_counters.h, with its help line) and an EVE `anomaly` line whose
// event is "stream.<name>" (storage/eve_json.h). A new kind is one line
// here, its counter, and the report at the place it happens
// (IncidentRecorder::Anomaly, which also counts it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dlpd/pipeline/pipeline_counters.h"

namespace dlp {

// clang-format off
#define DLP_ANOMALY_KINDS(X) \
  X(bad_checksums)           \
  X(resets_ignored)          \
  X(fins_ignored)            \
  X(syns_ignored)            \
  X(flows_restarted)         \
  X(out_of_window)           \
  X(beyond_fin)              \
  X(copies_unchecked)        \
  X(gaps_stopped)            \
  X(tails_stopped)           \
  X(gaps_skipped)            \
  X(hold_overflows)          \
  X(flows_evicted)           \
  X(busy_evictions)          \
  X(idle_closed)             \
  X(http_framing_lost)       \
  X(uninspectable_protocol)
// clang-format on

// Named as the counters are, so that `AnomalyKind::out_of_window` and
// `counters.out_of_window` read as the same thing.
enum class AnomalyKind : uint8_t {
#define DLP_ANOMALY_ENUM_(name) name,
  DLP_ANOMALY_KINDS(DLP_ANOMALY_ENUM_)
#undef DLP_ANOMALY_ENUM_
};

struct AnomalyKindInfo {
  std::string_view name;
  std::atomic<uint64_t> PipelineCounters::*counter;
};

inline constexpr AnomalyKindInfo kAnomalyKinds[] = {
#define DLP_ANOMALY_INFO_(name) {#name, &PipelineCounters::name},
    DLP_ANOMALY_KINDS(DLP_ANOMALY_INFO_)
#undef DLP_ANOMALY_INFO_
};
inline constexpr size_t kAnomalyKindCount = sizeof(kAnomalyKinds) / sizeof(kAnomalyKinds[0]);

inline const AnomalyKindInfo& InfoOf(AnomalyKind kind) {
  return kAnomalyKinds[static_cast<size_t>(kind)];
}

}  // namespace dlp
