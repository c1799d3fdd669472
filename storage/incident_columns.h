// The incident's columns, declared once. Each row is one field: its key in
// dlpctl's JSON and CSV, its column in the incidents table, whether the CSV
// lists it, where EVE JSON puts it, its type, how the upsert folds a later
// batch into it, and how it is read from and into an Incident. Every output
// iterates over this table: the upsert and the reader (storage/), dlpctl's
// JSON, CSV and `show` (dlpd/ctl/incidents_command.cpp) and EVE lines
// (storage/eve_json.cpp). A field is added here, not in each output.
//
// The schema itself is the migrations' (storage/migrations/): a column that
// a new migration adds gets its row here (a unit test compares the two).
// Syslog messages (storage/syslog_sink.cpp) are not driven by this table:
// they carry a few fields in an order of their own, with the endpoints
// joined as address:port.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "storage/incident.h"

namespace dlp {

enum class ColumnType : uint8_t {
  kRowId,          // the row's id: SQLite assigns it; 0 until stored, and EVE leaves a 0 out
  kText,           // TEXT NOT NULL; a JSON string
  kOptionalText,   // TEXT, NULL when empty; JSON null, CSV empty, left out of EVE
  kInteger,        // INTEGER; a JSON number
  kFlows,          // INTEGER, 1 for nearly every row: a JSON number; EVE leaves a 1 out
  kTime,           // microseconds since the epoch: ISO 8601 UTC text (IsoTimeUtc) in the
                   // database, JSON and CSV; Suricata's form (EveTimestamp) in EVE
  kOptionalCount,  // INTEGER, NULL when unknown (ColumnValue::null); a JSON number or null,
                   // CSV empty, left out of EVE when unknown
  kJsonText,       // a JSON object's text: TEXT, NULL when empty; an object in JSON and
                   // EVE (left out of EVE when empty), the text in CSV
};

// Where dlpctl lists a column: always in JSON; in CSV and `show` as well
// unless kJsonOnly.
enum class Listed : uint8_t { kJsonAndCsv, kJsonOnly };

// How the upsert writes a column, and how it folds a later batch of the
// same flow and rule into the stored row.
enum class Upsert : uint8_t {
  kNone,        // not written: SQLite assigns it (id), or the column's default holds (proto)
  kFirst,       // the first batch's value stays
  kSum,         // the two add up
  kLatest,      // the later of the two times
  kStrongest,   // the stronger action: dlp_action_rank (storage/action_rank.h)
  kFirstKnown,  // the first value that is not NULL
};

// A column's value: `number` for kRowId, kInteger and kTime, `text` (a view
// into the incident, or of the database's row while it is read) for the
// text types. Read from the database, `null` is set for a NULL, or for a
// time that does not parse.
struct ColumnValue {
  int64_t number = 0;
  std::string_view text;
  bool null = false;

  static constexpr ColumnValue Number(int64_t n) { return {n, {}, false}; }
  static constexpr ColumnValue Text(std::string_view t) { return {0, t, false}; }
};

struct ColumnAccess {
  ColumnValue (*get)(const Incident& in, int64_t id);
  // From the database; nullptr: the column is not read into an Incident.
  void (*set)(Incident& in, int64_t& id, const ColumnValue& v);
};

struct IncidentColumn {
  std::string_view key;  // dlpctl's JSON key, and its CSV and `show` header
  std::string_view sql;  // the column in the incidents table
  Listed listed;
  std::string_view eve;  // JSON pointer into an EVE line ("/dlp/count"); empty: not in EVE
  ColumnType type;
  Upsert upsert;
  ColumnAccess access;
};

namespace incident_column {

// An Incident member, as it is.
template <auto kMember>
constexpr ColumnAccess Member() {
  using T = std::remove_cvref_t<decltype(std::declval<Incident&>().*kMember)>;
  if constexpr (std::is_same_v<T, std::string>) {
    return {[](const Incident& in, int64_t) { return ColumnValue::Text(in.*kMember); },
            [](Incident& in, int64_t&, const ColumnValue& v) { in.*kMember = v.text; }};
  } else {
    return {[](const Incident& in, int64_t) {
              return ColumnValue::Number(static_cast<int64_t>(in.*kMember));
            },
            [](Incident& in, int64_t&, const ColumnValue& v) {
              in.*kMember = static_cast<T>(v.number);
            }};
  }
}

inline constexpr ColumnAccess kId = {
    [](const Incident&, int64_t id) { return ColumnValue::Number(id); },
    [](Incident&, int64_t& id, const ColumnValue& v) { id = v.number; }};

// A time that does not parse reads as 0.
inline constexpr ColumnAccess kFirstMatch = {
    [](const Incident& in, int64_t) { return ColumnValue::Number(in.time_us); },
    [](Incident& in, int64_t&, const ColumnValue& v) { in.time_us = v.null ? 0 : v.number; }};

// last_time_us 0 (or earlier) means "as time_us". Read after the first
// match (the table's order), which it falls back to when it does not parse.
inline constexpr ColumnAccess kLastMatch = {
    [](const Incident& in, int64_t) {
      return ColumnValue::Number(std::max(in.time_us, in.last_time_us));
    },
    [](Incident& in, int64_t&, const ColumnValue& v) {
      in.last_time_us = v.null ? in.time_us : v.number;
    }};

// -1 (unknown) is NULL.
inline constexpr ColumnAccess kBodyLength = {
    [](const Incident& in, int64_t) {
      return in.http_body_length < 0 ? ColumnValue{0, {}, true}
                                     : ColumnValue::Number(in.http_body_length);
    },
    [](Incident& in, int64_t&, const ColumnValue& v) {
      in.http_body_length = v.null ? -1 : v.number;
    }};

// dlpd inspects TCP only: the column keeps its default, and the reader
// does not look at it.
inline constexpr ColumnAccess kProto = {
    [](const Incident&, int64_t) { return ColumnValue::Text("TCP"); }, nullptr};

using enum ColumnType;
using enum Listed;
using enum Upsert;

// In dlpctl's order (CSV columns, `show` lines). JSON objects and EVE lines
// come out with their keys sorted, whatever the order here.
inline constexpr auto kTable = std::to_array<IncidentColumn>({
    // clang-format off
    // key              sql                listed       eve                     type           upsert       access
    {"id",              "id",              kJsonAndCsv, "/dlp/incident_id",     kRowId,        kNone,       kId},
    {"time",            "time_utc",        kJsonAndCsv, "/dlp/first_seen",      kTime,         kFirst,      kFirstMatch},
    {"last_seen",       "last_seen_utc",   kJsonAndCsv, "/timestamp",           kTime,         kLatest,     kLastMatch},
    {"rule",            "rule_id",         kJsonAndCsv, "/dlp/rule",            kText,         kFirst,      Member<&Incident::rule_id>()},
    {"rule_name",       "rule_name",       kJsonAndCsv, "/alert/signature",     kText,         kFirst,      Member<&Incident::rule_name>()},
    {"signature_id",    "signature_id",    kJsonOnly,   "/alert/signature_id",  kInteger,      kFirst,      Member<&Incident::signature_id>()},
    {"signature_rev",   "signature_rev",   kJsonOnly,   "/alert/rev",           kInteger,      kFirst,      Member<&Incident::signature_rev>()},
    {"category",        "category",        kJsonOnly,   "/alert/category",      kText,         kFirst,      Member<&Incident::category>()},
    {"metadata",        "metadata",        kJsonOnly,   "/alert/metadata",      kJsonText,     kFirst,      Member<&Incident::metadata>()},
    {"severity",        "severity",        kJsonAndCsv, "/dlp/severity",        kText,         kFirst,      Member<&Incident::severity>()},
    {"action",          "action",          kJsonAndCsv, "/dlp/action",          kText,         kStrongest,  Member<&Incident::action>()},
    {"count",           "match_count",     kJsonAndCsv, "/dlp/count",           kInteger,      kSum,        Member<&Incident::match_count>()},
    {"masked",          "masked",          kJsonAndCsv, "/dlp/outcomes/masked", kInteger,      kSum,        Member<&Incident::masked>()},
    {"partly_masked",   "partly_masked",   kJsonAndCsv, "/dlp/outcomes/partly_masked", kInteger, kSum,      Member<&Incident::partly_masked>()},
    {"in_clear",        "in_clear",        kJsonAndCsv, "/dlp/outcomes/in_clear", kInteger,    kSum,        Member<&Incident::in_clear>()},
    {"blocked",         "blocked",         kJsonAndCsv, "/dlp/outcomes/blocked", kInteger,     kSum,        Member<&Incident::blocked>()},
    {"values_unlisted", "values_unlisted", kJsonOnly,   "",                     kInteger,      kSum,        Member<&Incident::values_unlisted>()},
    {"ip_version",      "ip_version",      kJsonOnly,   "",                     kInteger,      kFirst,      Member<&Incident::ip_version>()},
    {"src_ip",          "src_ip",          kJsonAndCsv, "/src_ip",              kText,         kFirst,      Member<&Incident::src_ip>()},
    {"src_port",        "src_port",        kJsonAndCsv, "/src_port",            kInteger,      kFirst,      Member<&Incident::src_port>()},
    {"dst_ip",          "dst_ip",          kJsonAndCsv, "/dest_ip",             kText,         kFirst,      Member<&Incident::dst_ip>()},
    {"dst_port",        "dst_port",        kJsonAndCsv, "/dest_port",           kInteger,      kFirst,      Member<&Incident::dst_port>()},
    {"proto",           "proto",           kJsonOnly,   "/proto",               kText,         kNone,       kProto},
    {"flow_id",         "flow_id",         kJsonAndCsv, "/dlp/flow_id",         kText,         kFirst,      Member<&Incident::flow_id>()},
    {"http_method",     "http_method",     kJsonAndCsv, "/http/http_method",    kOptionalText, kFirstKnown, Member<&Incident::http_method>()},
    {"http_host",       "http_host",       kJsonAndCsv, "/http/hostname",       kOptionalText, kFirstKnown, Member<&Incident::http_host>()},
    {"http_path",       "http_path",       kJsonAndCsv, "/http/url",            kOptionalText, kFirstKnown, Member<&Incident::http_path>()},
    {"http_user_agent", "http_user_agent", kJsonOnly,   "/http/http_user_agent", kOptionalText, kFirstKnown, Member<&Incident::http_user_agent>()},
    {"http_user",       "http_user",       kJsonAndCsv, "/dlp/user",            kOptionalText, kFirstKnown, Member<&Incident::http_user>()},
    {"http_body_length", "http_body_length", kJsonOnly, "/http/request_body_length", kOptionalCount, kFirstKnown, kBodyLength},
    {"sample",          "masked_sample",   kJsonAndCsv, "/dlp/sample",          kText,         kFirst,      Member<&Incident::masked_sample>()},
    {"fingerprint",     "fingerprint",     kJsonAndCsv, "/dlp/fingerprint",     kText,         kFirst,      Member<&Incident::fingerprint>()},
    {"ruleset_version", "ruleset_version", kJsonAndCsv, "/dlp/ruleset_version", kText,         kFirst,      Member<&Incident::ruleset_version>()},
    {"reason",          "reason",          kJsonAndCsv, "/dlp/reason",          kOptionalText, kFirstKnown, Member<&Incident::reason>()},
    {"flows",           "flows",           kJsonAndCsv, "/dlp/flows",           kFlows,        kSum,        Member<&Incident::flows>()},
    // clang-format on
});

}  // namespace incident_column

inline constexpr const auto& kIncidentColumns = incident_column::kTable;

constexpr size_t IncidentColumnIndex(std::string_view key) {
  for (size_t i = 0; i < kIncidentColumns.size(); ++i) {
    if (kIncidentColumns[i].key == key) return i;
  }
  return kIncidentColumns.size();
}

static_assert(IncidentColumnIndex("time") < IncidentColumnIndex("last_seen"),
              "the last match is read after the first, which it falls back to");

}  // namespace dlp
