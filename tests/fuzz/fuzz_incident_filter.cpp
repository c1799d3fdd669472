// libFuzzer: `dlpctl incidents` filters as a user types them, run against a
// real incident database. The input is lines: --since, --until, --src,
// --dst, --rule list, --action list, --limit, --severity list, --host glob
// (without '[': fnmatch and SQLite's GLOB read classes differently),
// --fingerprint prefix (hex, as dlpctl takes it), --after-id. Time specs and CIDR ranges
// must parse or be refused with a message; a filter that parses must
// select exactly what it says (each row checked against the filter in C++,
// the SQL's answer against that) and every output format must print it.
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "dlpd/common/ascii.h"
#include "dlpd/common/cidr.h"
#include "dlpd/common/host_of.h"
#include "dlpd/ctl/incidents_command.h"
#include "storage/incident_query.h"
#include "storage/incident_store.h"
#include "storage/time_spec.h"

namespace {

constexpr int64_t kNow = 1764892800000000;  // 2025-12-05T00:00Z
constexpr int64_t kHour = 3600LL * 1000000;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_incident_filter: %s\n", what.c_str());
  std::abort();
}

// Incidents over three days, two families, three rules and three actions,
// one with a Host an attacker chose.
std::vector<dlp::Incident> Seeded() {
  std::vector<dlp::Incident> v;
  const char* rules[] = {"pan", "us-ssn", "custom,rule"};
  const char* actions[] = {"mask", "alert", "block"};
  for (int i = 0; i < 24; ++i) {
    dlp::Incident in;
    in.time_us = kNow - (72 - 3 * i) * kHour;
    in.last_time_us = in.time_us + (i % 4) * kHour;
    in.rule_id = rules[i % 3];
    in.severity = i % 2 ? "high" : "critical";
    in.action = actions[(i / 3) % 3];
    in.ip_version = i % 5 == 0 ? 6 : 4;
    in.src_ip = in.ip_version == 6 ? "2001:db8::" + std::to_string(i)
                                   : "10.0." + std::to_string(i % 4) + "." + std::to_string(i);
    in.dst_ip = in.ip_version == 6 ? "2001:db8:1::1" : "192.0.2." + std::to_string(i % 3);
    in.src_port = static_cast<uint16_t>(40000 + i);
    in.dst_port = 80;
    in.flow_id = "flow" + std::to_string(i);
    in.http_method = "POST";
    // Hosts as requests write them: a port, a trailing dot, capitals.
    in.http_host = i == 7   ? "evil\x1b]0;x\x07.example"
                   : i == 3 ? "Shop.Example:8080"
                   : i == 4 ? "shop.example."
                   : i == 5 ? "[2001:db8::5]:80"
                            : "shop.example";
    in.http_path = "/pay";
    in.match_count = static_cast<uint32_t>(1 + i % 3);
    in.masked_sample = "XXXX XXXX XXXX 1111";
    in.fingerprint = std::string(64, 'a');
    // Values: a fingerprint of five shared by many rows, and one of the row's own.
    char fp[33];
    snprintf(fp, sizeof fp, "%032x", 0xabc00 + i % 5);
    dlp::AddValue(in, fp, dlp::kValueMasked);
    snprintf(fp, sizeof fp, "%032x", 0xdef00 + i);
    dlp::AddValue(in, fp, i % 2 ? dlp::kValueInClear : dlp::kValueMasked);
    in.ruleset_version = "fuzz";
    v.push_back(in);
  }
  return v;
}

const std::string& DbPath() {
  static const std::string path = [] {
    char dir[] = "/tmp/fuzz_filter.XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp");
    const std::string p = std::string(dir) + "/incidents.db";
    dlp::IncidentStore store(p);
    if (auto s = store.InsertBatch(Seeded()); !s) Fail("seed: " + s.error().message);
    return p;
  }();
  return path;
}

std::vector<std::string> Lines(const uint8_t* data, size_t size) {
  std::vector<std::string> out(11);
  size_t k = 0;
  for (size_t i = 0; i < size && k < out.size(); ++i) {
    if (data[i] == '\n') {
      ++k;
    } else {
      out[k] += static_cast<char>(data[i]);
    }
  }
  return out;
}

std::vector<std::string> Commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::vector<std::string> f = Lines(data, size);
  dlp::IncidentFilter filter;
  for (int k = 0; k < 2; ++k) {
    if (f[k].empty()) continue;
    auto t = dlp::ParseTimeSpec(f[k], kNow);
    if (!t) {
      if (t.error().message.empty()) Fail("a time spec refused without a reason");
      return 0;
    }
    (k == 0 ? filter.since_us : filter.until_us) = t.value();
  }
  for (int k = 2; k < 4; ++k) {
    if (f[k].empty()) continue;
    if (auto c = dlp::Cidr::Parse(f[k]); !c) return 0;
    (k == 2 ? filter.src_cidr : filter.dst_cidr) = f[k];
  }
  filter.rules = Commas(f[4]);
  filter.actions = Commas(f[5]);
  filter.limit = f[6].empty() ? 0 : static_cast<int64_t>(static_cast<uint8_t>(f[6][0]) % 30);
  filter.severities = Commas(f[7]);
  for (char c : f[8]) {
    if (c != '[' && c != '\0') filter.host_glob += c;
  }
  if (!f[9].empty()) {
    if (f[9].size() < 8 || f[9].size() > 32 ||
        f[9].find_first_not_of("0123456789abcdef") != std::string::npos) {
      return 0;  // dlpctl refuses it
    }
    filter.fingerprint = f[9];
  }
  if (!f[10].empty()) filter.after_id = static_cast<uint8_t>(f[10][0]) % 30;

  auto reader = dlp::IncidentReader::Open(DbPath());
  if (!reader) Fail("open: " + reader.error().message);
  auto rows = reader.value()->List(filter);
  if (!rows) Fail("list: " + rows.error().message);

  // What the filter should select, decided here row by row.
  filter.limit = 0;
  auto all = reader.value()->List(dlp::IncidentFilter{});
  if (!all) Fail("list all: " + all.error().message);
  const auto src = filter.src_cidr.empty()
                       ? std::nullopt
                       : std::optional(dlp::Cidr::Parse(filter.src_cidr).value());
  const auto dst = filter.dst_cidr.empty()
                       ? std::nullopt
                       : std::optional(dlp::Cidr::Parse(filter.dst_cidr).value());
  auto any_of = [](const std::vector<std::string>& set, const std::string& v) {
    return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
  };
  size_t expected = 0;
  for (const auto& r : all.value()) {
    const dlp::Incident& in = r.incident;
    auto values = reader.value()->Values(r.id);
    if (!values) Fail("values: " + values.error().message);
    const bool has_value =
        filter.fingerprint.empty() ||
        std::any_of(values->begin(), values->end(), [&](const dlp::ValueSeen& v) {
          return v.fingerprint.compare(0, filter.fingerprint.size(), filter.fingerprint) == 0;
        });
    // As the policy reads a Host: no port, no trailing dot, any case (ASCII).
    const std::string host = dlp::AsciiLower(dlp::HostOf(in.http_host));
    const std::string glob = dlp::AsciiLower(dlp::HostOf(filter.host_glob));
    const bool host_ok =
        filter.host_glob.empty() ||
        (!in.http_host.empty() && fnmatch(glob.c_str(), host.c_str(), FNM_NOESCAPE) == 0);
    const int64_t last = in.last_time_us != 0 ? in.last_time_us : in.time_us;
    const bool in_filter =
        (!filter.since_us || last >= *filter.since_us) &&
        (!filter.until_us || in.time_us < *filter.until_us) && (!src || src->Contains(in.src_ip)) &&
        (!dst || dst->Contains(in.dst_ip)) && any_of(filter.rules, in.rule_id) &&
        any_of(filter.actions, in.action) && any_of(filter.severities, in.severity) && host_ok &&
        has_value && (!filter.after_id || r.id > *filter.after_id);
    expected += in_filter ? 1 : 0;
  }
  const size_t limit = static_cast<size_t>(f[6].empty() ? 0 : static_cast<uint8_t>(f[6][0]) % 30);
  const size_t want = limit == 0 ? expected : std::min(expected, limit);
  if (rows.value().size() != want) {
    Fail("the filter selected " + std::to_string(rows.value().size()) + " rows, not " +
         std::to_string(want));
  }
  auto stats = reader.value()->Stats(filter);
  if (!stats) Fail("stats: " + stats.error().message);
  if (stats.value().total.incidents != static_cast<int64_t>(expected)) Fail("stats count");
  auto count = reader.value()->Count(filter);
  if (!count || count.value() != static_cast<int64_t>(expected)) Fail("count");
  // Every format prints them (JSON and CSV cells are built for each row).
  for (const auto& r : rows.value()) {
    (void)dlp::IncidentJson(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)dlp::IncidentCsvRow(r);
  }
  return 0;
}
