// Turns a flow's newly confirmed values into incidents for the writer: one
// per rule and action per batch, with the match count; the sample and
// fingerprint are the first value's (the store keeps one row per flow and
// rule, with the strongest action). Counts the values each action left in
// clear, and findings per rule for status.
//
// Thread-safety: Record is called by the owning worker only;
// findings_by_rule() may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "dlpd/inspect/finding.h"
#include "dlpd/pipeline/pipeline_counters.h"

namespace dlp {

class Clock;
class IncidentWriter;
struct Flow;

class IncidentRecorder {
 public:
  // REQUIRES: `counters` and `clock` outlive the recorder.
  IncidentRecorder(PipelineCounters& counters, const Clock& clock)
      : counters_(counters), clock_(clock) {}

  // Where incidents go (null: counted only); before the first packet.
  void set_writer(IncidentWriter* writer) { writer_ = writer; }

  // `fresh` (decided) were just found in `f`. `in_stream`: found by the
  // flow's stream, so a value that began before what had been released
  // (and not in a withheld tail that left masked) is "mask-partial".
  void Record(const Flow& f, const Findings& fresh, bool in_stream);

  std::map<std::string, uint64_t> findings_by_rule() const;

 private:
  PipelineCounters& counters_;
  const Clock& clock_;
  IncidentWriter* writer_ = nullptr;
  mutable std::mutex by_rule_mu_;
  std::map<std::string, uint64_t> findings_by_rule_;  // guarded by by_rule_mu_
};

}  // namespace dlp
