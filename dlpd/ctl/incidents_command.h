// `dlpctl incidents list|show ID|stats|export`: the security team's view of
// the incident database (read-only; the daemon keeps writing meanwhile).
//   --since/--until  24h, 7d, 2026-11-22, 2026-11-22T10:00Z, ...
//   --rule, --action, --severity (repeatable or comma-separated; a name
//   that can never match is an error naming the valid ones), --src/--dst
//   CIDR, --host GLOB, --fingerprint HEX (a value seen elsewhere), --after-id N,
//   --limit N (list: 50 by default, and a notice on stderr when it cuts;
//   stats: rows per breakdown, 10 by default; 0: all), --format table|json|csv.
// list's table fits the terminal (80 columns when not on one): id, time,
// rule, action, values, source and destination, the last cut to fit;
// --wide adds severity, ports, the request and the sample, none cut.
// stats counts incidents, values and the distinct values (by fingerprint)
// that left in clear, overall and by rule, severity, action, source,
// destination, day and hour.
// report writes a self-contained HTML file (charts as inline SVG) or
// Markdown (--format md) of what the filter's incidents add up to
// (dlpd/ctl/incident_report.h), to stdout or --output FILE.
// export writes EVE JSON lines (Suricata's alert form) for a SIEM, oldest
// first (by id with --after-id, so that the last line's id is where the
// next export starts), to stdout or --output FILE.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace dlp {

struct StoredIncident;  // storage/incident_query.h

struct IncidentsOptions {
  std::string db;  // empty: $DLPD_DB or the state directory's incidents.db
  std::string since, until;
  std::vector<std::string> rules, actions, severities;
  std::string src, dst, host, fingerprint;
  int64_t after_id = -1;  // -1: none
  std::string format = "table";
  bool wide = false;   // list: every column, none cut
  int64_t limit = -1;  // -1: the command's default
  int64_t id = 0;      // show
  std::string output;  // export
  std::string sensor_name;  // export: empty, the host name
};

struct IncidentsCommands {
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* exporter = nullptr;
  CLI::App* report = nullptr;
};

IncidentsCommands AddIncidentsCommands(CLI::App& app, IncidentsOptions* opts);
// Exit code: 0 done, 1 nothing found (show), 2 a usage or database error.
int RunIncidentsCommand(const IncidentsCommands& cmds, const IncidentsOptions& opts);

// One incident as `list` and `show` print it, every column of
// storage/incident_columns.h: a JSON object (keys sorted), and CSV cells
// under their header (`show` lists them one per line).
nlohmann::json IncidentJson(const StoredIncident& r);
std::vector<std::string> IncidentCsvHeader();
std::vector<std::string> IncidentCsvRow(const StoredIncident& r);

}  // namespace dlp
