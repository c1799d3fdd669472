// Where stored incidents go besides the database: the EVE log, syslog. The
// writer thread hands each committed batch to every sink, so a sink never
// reports an incident the database does not have; and the anomalies the
// workers reported, to the sinks that take them (the EVE log).
#pragma once

#include <cstdint>
#include <vector>

#include "dlpd/common/result.h"
#include "storage/anomaly_event.h"
#include "storage/incident.h"

namespace dlp {

class IncidentSink {
 public:
  virtual ~IncidentSink() = default;
  // Each incident as the database holds it after the batch: its id and
  // totals (a line per update, each the incident's whole state so far).
  virtual Status Write(const std::vector<StoredIncident>& batch) = 0;
  // Anomalies (not stored: storage/anomaly_event.h); ignored by default.
  virtual Status WriteAnomalies(const std::vector<AnomalyEvent>&) { return {}; }
  // After log rotation (SIGHUP); a no-op where nothing is to reopen.
  virtual Status Reopen() { return {}; }
  // Lines (incidents and anomalies) it could not write. Any thread.
  virtual uint64_t dropped() const { return 0; }
};

}  // namespace dlp
