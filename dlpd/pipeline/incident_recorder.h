// Turns a flow's newly confirmed values into incidents for the writer: one
// per rule and action per batch, with the match count; the sample and
// fingerprint are the first value's (the store keeps one row per flow and
// rule, with the strongest action). Counts the values each action left in
// clear, and findings per rule for status.
//
// Also counts and reports anomalies (pipeline/anomaly_kinds.h): each one
// to the writer as an EVE `anomaly` line with its flow, at most
// AnomalyRate::per_second a second per kind (`burst` saved up), on the
// clock's NowMicros; the rest are counted (anomalies_suppressed) and the
// next line of the kind says how many. Without a writer, only counted.
//
// Thread-safety: Record and Anomaly are called by the owning worker only;
// findings_by_rule() may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "dlpd/common/token_bucket.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/pipeline/anomaly_kinds.h"
#include "dlpd/pipeline/pipeline_counters.h"

namespace dlp {

class Clock;
class CompiledRuleset;
class IncidentWriter;
struct Incident;
struct Flow;
struct FlowKey;

// Anomaly lines a worker may write, per kind.
struct AnomalyRate {
  uint32_t per_second = 10;  // REQUIRES: 1 to 1,000,000
  uint32_t burst = 20;       // REQUIRES: at least 1
};

// The rule's part of an incident: id, name, sid, rev, category, metadata,
// severity and the rule set's version (for every incident, whatever found
// its values: a flow or an ICAP request).
void SetRule(Incident& in, const CompiledRuleset& rules, uint32_t rule_index);

// What became of values the policy decided `action` for (storage/incident.h:
// kValueMasked, kValueInClear, kValueBlocked); a mask that left part of a
// value is the caller's to tell (kValuePartlyMasked).
uint8_t OutcomeOf(PolicyAction action);
// Adds `n` values of that outcome to the incident's counts.
void CountOutcome(Incident& in, uint8_t outcome, uint32_t n);

class IncidentRecorder {
 public:
  // REQUIRES: `counters` and `clock` outlive the recorder.
  IncidentRecorder(PipelineCounters& counters, const Clock& clock, AnomalyRate rate = {});

  // Where incidents go (null: counted only); before the first packet.
  void set_writer(IncidentWriter* writer) { writer_ = writer; }

  // `fresh` (decided) were just found in `f`. `in_stream`: found by the
  // flow's stream, so a value that began before what had been released
  // (and not in a withheld tail that left masked) is "mask-partial".
  void Record(Flow& f, const Findings& fresh, bool in_stream);

  // Counts `kind` for a packet of the tuple `key` and reports it (`f`: the
  // tuple's flow, null when it has none).
  void Anomaly(AnomalyKind kind, const FlowKey& key, const Flow* f);
  void Anomaly(AnomalyKind kind, const Flow& f);

  std::map<std::string, uint64_t> findings_by_rule() const;

 private:
  struct AnomalyLimit {
    TokenBucket bucket;
    uint64_t suppressed = 0;  // since the last line of the kind
  };

  PipelineCounters& counters_;
  const Clock& clock_;
  IncidentWriter* writer_ = nullptr;
  std::vector<AnomalyLimit> anomaly_limits_;  // by AnomalyKind
  mutable std::mutex by_rule_mu_;
  std::map<std::string, uint64_t> findings_by_rule_;  // guarded by by_rule_mu_
};

}  // namespace dlp
