// Where stored incidents go besides the database: the EVE log, syslog. The
// writer thread hands each committed batch to every sink, so a sink never
// reports an incident the database does not have.
#pragma once

#include <vector>

#include "dlpd/common/result.h"
#include "storage/incident.h"

namespace dlp {

class IncidentSink {
 public:
  virtual ~IncidentSink() = default;
  virtual Status Write(const std::vector<Incident>& batch) = 0;
  // After log rotation (SIGHUP); a no-op where nothing is to reopen.
  virtual Status Reopen() { return {}; }
};

}  // namespace dlp
