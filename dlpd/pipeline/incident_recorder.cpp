#include "dlpd/pipeline/incident_recorder.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "dlpd/common/clock.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/flow_state.h"
#include "storage/incident_writer.h"

namespace dlp {

void SetRule(Incident& in, const CompiledRuleset& rules, uint32_t rule_index) {
  const Rule& rule = rules.rule(rule_index);
  in.rule_id = rule.id;
  in.rule_name = rule.name;
  in.signature_id = rule.signature_id();
  in.signature_rev = rule.rev;
  in.category = std::string(rule.category());
  in.metadata = rule.metadata_json;
  in.severity = ToString(rule.severity);
  in.ruleset_version = rules.rule_set().version;
}

uint8_t OutcomeOf(PolicyAction action) {
  if (action == PolicyAction::kAlert) return kValueInClear;
  if (action == PolicyAction::kBlock) return kValueBlocked;
  return kValueMasked;
}

void CountOutcome(Incident& in, uint8_t outcome, uint32_t n) {
  switch (outcome) {
    case kValueInClear:
      in.in_clear += n;
      break;
    case kValueBlocked:
      in.blocked += n;
      break;
    case kValuePartlyMasked:
      in.partly_masked += n;
      break;
    default:
      in.masked += n;
  }
}

IncidentRecorder::IncidentRecorder(PipelineCounters& counters, const Clock& clock, AnomalyRate rate)
    : counters_(counters),
      clock_(clock),
      anomaly_limits_(kAnomalyKindCount, AnomalyLimit{TokenBucket(rate.per_second, rate.burst)}) {}

void IncidentRecorder::Anomaly(AnomalyKind kind, const Flow& f) {
  Anomaly(kind, f.slot.key, &f);
}

void IncidentRecorder::Anomaly(AnomalyKind kind, const FlowKey& key, const Flow* f) {
  const AnomalyKindInfo& info = InfoOf(kind);
  (counters_.*info.counter).fetch_add(1, std::memory_order_relaxed);
  if (writer_ == nullptr) return;
  AnomalyLimit& limit = anomaly_limits_[static_cast<size_t>(kind)];
  if (!limit.bucket.Take(clock_.NowMicros())) {
    ++limit.suppressed;
    counters_.anomalies_suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  AnomalyEvent a;
  a.time_us = clock_.WallMicros();
  a.kind = std::string(info.name);
  a.ip_version = key.ip_version;
  a.src_ip = AddressToString(key.ip_version, key.src);
  a.dst_ip = AddressToString(key.ip_version, key.dst);
  a.src_port = key.src_port;
  a.dst_port = key.dst_port;
  if (f != nullptr) a.flow_id = IdText(f->slot.id);
  a.suppressed = limit.suppressed;
  if (writer_->SubmitAnomaly(std::move(a))) {
    limit.suppressed = 0;
  } else {
    counters_.anomalies_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

void IncidentRecorder::Record(Flow& f, const Findings& fresh, bool in_stream) {
  std::map<std::pair<uint32_t, PolicyAction>, std::vector<const Finding*>> by_rule;
  for (const Finding& x : fresh) by_rule[{x.rule_index, x.action}].push_back(&x);
  {
    std::lock_guard<std::mutex> lock(by_rule_mu_);
    for (const auto& [key, list] : by_rule) {
      findings_by_rule_[f.ctx->rules().rule(key.first).id] += list.size();
    }
  }
  const int64_t now_us = clock_.WallMicros();
  for (const auto& [key, list] : by_rule) {
    const uint32_t rule_index = key.first;
    const PolicyAction action = key.second;  // (not a binding: the lambda below takes it)
    const Finding& first = *list.front();
    if (action == PolicyAction::kPass) {  // an exemption: counted, not recorded
      counters_.findings_passed.fetch_add(list.size(), std::memory_order_relaxed);
      continue;
    }
    if (action == PolicyAction::kAlert) {
      counters_.findings_alerted.fetch_add(list.size(), std::memory_order_relaxed);
    }
    // Part of the value left in clear before it was found: it began before
    // what was released, and not where a withheld tail went out masked.
    auto left_partly = [&](const Finding* x) {
      return action == PolicyAction::kMask && in_stream && x->start < f.hold.released() &&
             !f.hold.LeftMasked(x->start);
    };
    const bool partial = std::any_of(list.begin(), list.end(), left_partly);
    if (partial) counters_.partial.fetch_add(1, std::memory_order_relaxed);
    if (writer_ == nullptr) continue;
    // The flow's first incident of this rule counts the flow (the writer
    // aggregates floods by flows a minute).
    const bool first_of_flow = std::find(f.recorded_rules.begin(), f.recorded_rules.end(),
                                         rule_index) == f.recorded_rules.end();
    if (first_of_flow) f.recorded_rules.push_back(rule_index);
    const FlowKey& k = f.slot.key;
    Incident in;
    in.time_us = now_us;
    in.last_time_us = now_us;
    SetRule(in, f.ctx->rules(), rule_index);
    in.action = partial ? "mask-partial" : ToString(action);
    in.ip_version = k.ip_version;
    in.src_ip = AddressToString(k.ip_version, k.src);
    in.dst_ip = AddressToString(k.ip_version, k.dst);
    in.src_port = k.src_port;
    in.dst_port = k.dst_port;
    in.flow_id = IdText(f.slot.id);
    if (f.http.seen) {
      in.http_method = f.http.request.method;
      in.http_host = f.http.request.host;
      in.http_path = f.http.request.path;
      in.http_user_agent = f.http.request.user_agent;
      if (f.http.request.body_length) {
        in.http_body_length =
            static_cast<int64_t>(std::min<uint64_t>(*f.http.request.body_length, INT64_MAX));
      }
      AddHost(in, in.http_host);
    }
    in.match_count = static_cast<uint32_t>(list.size());
    for (const Finding* x : list) {
      const uint8_t outcome =
          left_partly(x) ? static_cast<uint8_t>(kValuePartlyMasked) : OutcomeOf(action);
      CountOutcome(in, outcome, 1);
      if (x->has_fingerprint) AddValue(in, x->fingerprint_hex(), outcome);
    }
    in.flows = first_of_flow ? 1 : 0;
    in.masked_sample = std::string(first.display_form());
    in.fingerprint = std::string(first.fingerprint_hex());
    for (const Finding* x : list) {
      if (x->reason[0] != '\0') {
        in.reason = x->reason;
        break;
      }
    }
    if (!writer_->Submit(std::move(in))) {
      counters_.incidents_dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

std::map<std::string, uint64_t> IncidentRecorder::findings_by_rule() const {
  std::lock_guard<std::mutex> lock(by_rule_mu_);
  return findings_by_rule_;
}

}  // namespace dlp
