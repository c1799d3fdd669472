// One incident as the packet path records it. Holds no full value: the
// sample is the last-4 display form and the fingerprint a keyed HMAC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dlp {

// What became of a value, as bits: a value sent more than once in a flow
// may have had more than one fate (masked once, let through the next time).
enum ValueOutcome : uint8_t {
  kValueMasked = 1,        // masked in place
  kValuePartlyMasked = 2,  // masked after part of it had left (mask-partial)
  kValueInClear = 4,       // let through as it was (alert)
  kValueBlocked = 8,       // the flow was torn down before it (block)
};

// One distinct value of an incident: its fingerprint and its fates.
struct ValueSeen {
  std::string fingerprint;  // hex HMAC of the value's digits (never the value)
  uint8_t outcomes = 0;     // ValueOutcome bits
};

// The distinct values an incident row lists, at most: a flow of a million
// different cards costs a bounded row, the rest are counted
// (Incident::values_unlisted) without being told apart.
inline constexpr size_t kMaxValuesPerIncident = 256;
// The values an Incident holds on its way to the store, at most: more than
// a row lists, so that a value its row already lists, sent again after
// others filled the list, still reaches the store, which joins its fates
// (the store decides what is listed, and what is unlisted).
inline constexpr size_t kMaxValuesHeld = 2 * kMaxValuesPerIncident;
// The HTTP Hosts an incident row lists, at most: a connection kept alive
// sends requests to one Host, or a few behind one proxy.
inline constexpr size_t kMaxHostsPerIncident = 16;

// The words of `outcomes`' bits, in ValueOutcome's order: "masked",
// "partly_masked", "in_clear", "blocked".
std::vector<std::string_view> OutcomeNames(uint8_t outcomes);

struct Incident {
  int64_t time_us = 0;       // first match: UTC, microseconds since the epoch
  int64_t last_time_us = 0;  // last match (0: same as time_us)
  std::string rule_id;
  // The rule as a SIEM sees it (EVE's alert object): its name, sid, rev,
  // category (its classtype) and metadata (a JSON object's text; "" none).
  // signature_id 0: dlpd's own id from rule_id (DefaultSignatureId).
  std::string rule_name;
  int64_t signature_id = 0;
  uint32_t signature_rev = 1;
  std::string category;  // empty: "Data Leakage"
  std::string metadata;
  std::string severity;
  std::string action;  // mask | mask-partial | alert | block | pass
  uint8_t ip_version = 4;
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  std::string flow_id;
  std::string http_method, http_host, http_path;  // masked; empty when not parsable
  std::string http_user_agent;                    // masked; empty when none
  // The user a proxy authenticated (ICAP's X-Authenticated-User), masked;
  // empty when none.
  std::string http_user;
  // The request body's length as its head declared it (Content-Length, 0
  // without a body); -1 when not known (chunked, or no head parsed).
  int64_t http_body_length = -1;
  // Every Host the row's requests named (a kept-alive connection's may
  // differ), first seen first, at most kMaxHostsPerIncident; http_host is
  // the first.
  std::vector<std::string> hosts;
  uint32_t match_count = 0;
  // match_count by what became of the values (they add up to it).
  uint32_t masked = 0, partly_masked = 0, in_clear = 0, blocked = 0;
  // The distinct values, first seen first; at most kMaxValuesHeld (the
  // store lists kMaxValuesPerIncident of them a row).
  std::vector<ValueSeen> values;
  // Values past that bound: counted, not told apart (some may repeat).
  uint32_t values_unlisted = 0;
  std::string masked_sample;
  std::string fingerprint;  // hex HMAC-SHA256 of the value's digits
  std::string ruleset_version;
  // Why the action is not the policy's own decision, when it is not (a
  // value that cannot be masked in place: "compressed body"); empty else.
  std::string reason;
  // The flows this row counts: 1 for a flow's first incident of its rule,
  // 0 for its later ones (folded into that row); an aggregate row (a flood
  // from one source, IncidentWriter) sums those of the flows folded in.
  uint32_t flows = 1;
};

// An incident as the database holds it: its row id (0 before it is stored)
// and its totals.
struct StoredIncident {
  int64_t id = 0;
  Incident incident;
};

// Folds `later` (same flow and rule) into `into`: counts add up, the time
// span widens, the strongest action stays (ActionRank, storage/action_rank.h),
// the first sample stays, the values join (a value in both keeps both
// fates; past kMaxValuesHeld, counted in values_unlisted).
void MergeIncident(Incident& into, const Incident& later);

// Adds `fingerprint` with `outcomes` to `in.values` (joining the fates of
// one already there), or counts it in values_unlisted when the list is full.
void AddValue(Incident& in, std::string_view fingerprint, uint8_t outcomes);

// Adds `host` to `in.hosts` unless there, empty, or the list is full.
void AddHost(Incident& in, std::string_view host);

}  // namespace dlp
