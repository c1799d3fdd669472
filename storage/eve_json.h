// Incidents as EVE JSON lines, the format Suricata writes and Filebeat,
// Vector, Logstash and Splunk already ingest: top-level timestamp,
// event_type "alert", the 5-tuple, Suricata's numeric flow_id, the flow's
// community_id (Community ID v1, storage/community_id.h), the sensor's
// name as `host`, an `alert` object (signature: the rule, one per rule
// whatever the action; severity 1-3, action allowed/blocked) and a `dlp`
// object with what dlpd knows (incident id, rule, action, the count and
// outcomes so far, masked sample, fingerprint). The live log and
// `dlpctl incidents export` write one form: a line is the incident's state
// after an update, its totals, so the last line of an incident id is the
// whole incident (never add lines up). Never a full value.
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
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/common/signature_id.h"
#include "storage/anomaly_event.h"
#include "storage/incident.h"
#include "storage/incident_sink.h"

namespace dlp {

// One line, no newline. `id`: the database row, 0 when not known yet;
// `host`: the sensor's name (none when empty).
std::string EveLine(const Incident& incident, int64_t id = 0, std::string_view host = {});

// One anomaly line, no newline.
std::string EveAnomalyLine(const AnomalyEvent& anomaly, std::string_view host = {});

// A column of JSON text (ColumnType::kJsonText) as a JSON value: the object
// it holds, or the text itself when it does not parse.
nlohmann::json JsonTextValue(std::string_view text);

// Suricata's flow_id for dlpd's 16-hex-digit flow id: its low 51 bits, as
// Suricata keeps its own (JSON readers round integers past 2^53); nullopt
// when `hex` is not one.
std::optional<int64_t> EveFlowId(std::string_view hex);

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
  // `host`: the sensor name each line carries.
  static Result<std::unique_ptr<EveLog>> Open(const std::string& path,
                                              uint64_t max_bytes = kDefaultMaxBytes,
                                              std::string host = {});
  ~EveLog() override;
  Status Write(const std::vector<StoredIncident>& batch) override;
  Status WriteAnomalies(const std::vector<AnomalyEvent>& batch) override;
  Status Reopen() override;
  uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }
  uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }

 private:
  EveLog(std::string path, uint64_t max_bytes, std::string host)
      : path_(std::move(path)), max_bytes_(max_bytes), host_(std::move(host)) {}
  // Appends `lines` (`count` of them, each with its newline) and flushes,
  // rotating first when they would pass the bound. REQUIRES: mu_ held.
  Status Append(const std::string& lines, size_t count);
  // Opens path_ (appending). REQUIRES: mu_ held.
  Status OpenFile();
  std::string path_;
  const uint64_t max_bytes_;
  const std::string host_;
  std::mutex mu_;
  FILE* file_ = nullptr;  // guarded by mu_
  uint64_t size_ = 0;     // guarded by mu_
  std::atomic<uint64_t> dropped_{0}, rotations_{0};
};

}  // namespace dlp
