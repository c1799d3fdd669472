// Incidents as EVE JSON lines, the format Suricata writes and Filebeat,
// Vector, Logstash and Splunk already ingest: top-level timestamp,
// event_type "alert", the 5-tuple, an `alert` object (signature, severity
// 1-3, action allowed/blocked) and a `dlp` object with what dlpd knows
// (rule, action, count, masked sample, fingerprint). Never a full value.
// Anomalies in Suricata's anomaly form: event_type "anomaly", the tuple, an
// `anomaly` object (type "stream", event "stream.<kind>"; Suricata adds
// "layer" only to its "applayer" type) and the `dlp` object with the flow
// id (as in the incidents' lines, so one query finds both) and how many
// events of that kind the rate limit left out since the last line.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "storage/anomaly_event.h"
#include "storage/incident.h"
#include "storage/incident_sink.h"

namespace dlp {

// One line, no newline. `id`: the database row, 0 when not known yet.
std::string EveLine(const Incident& incident, int64_t id = 0);

// One anomaly line, no newline.
std::string EveAnomalyLine(const AnomalyEvent& anomaly);

// Suricata's timestamp form: 2026-11-22T21:30:00.123456+0000.
std::string EveTimestamp(int64_t us);

// The daemon's live EVE file: appended to (created 0640), one line per
// stored incident update and per anomaly, flushed per batch; Reopen() after
// log rotation. Bounded: a batch that would take the file past `max_bytes`
// first moves it to PATH.1 (replacing the one before) and starts a new
// one, so the two never hold more than twice the bound and a flood cannot
// fill the disk through it (which would then stop the database). Lines a
// write could not take are counted (dropped), never retried.
class EveLog : public IncidentSink {
 public:
  static constexpr uint64_t kDefaultMaxBytes = 256ULL << 20;
  static Result<std::unique_ptr<EveLog>> Open(const std::string& path,
                                              uint64_t max_bytes = kDefaultMaxBytes);
  ~EveLog() override;
  Status Write(const std::vector<Incident>& batch) override;
  Status WriteAnomalies(const std::vector<AnomalyEvent>& batch) override;
  Status Reopen() override;
  uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }
  uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }

 private:
  EveLog(std::string path, uint64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {}
  // Appends `lines` (`count` of them, each with its newline) and flushes,
  // rotating first when they would pass the bound. REQUIRES: mu_ held.
  Status Append(const std::string& lines, size_t count);
  // Opens path_ (appending). REQUIRES: mu_ held.
  Status OpenFile();
  std::string path_;
  const uint64_t max_bytes_;
  std::mutex mu_;
  FILE* file_ = nullptr;  // guarded by mu_
  uint64_t size_ = 0;     // guarded by mu_
  std::atomic<uint64_t> dropped_{0}, rotations_{0};
};

}  // namespace dlp
