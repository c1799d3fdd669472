#include "dlpd/ctl/incidents_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "dlpd/common/ascii.h"
#include "dlpd/common/cidr.h"
#include "dlpd/common/machine_name.h"
#include "dlpd/common/paths.h"
#include "dlpd/config/daemon_options.h"
#include "dlpd/ctl/incident_report.h"
#include "dlpd/ctl/text_table.h"
#include "rules/rule_loader.h"
#include "storage/action_rank.h"
#include "storage/eve_json.h"
#include "storage/incident_columns.h"
#include "storage/incident_query.h"
#include "storage/incident_store.h"
#include "storage/time_spec.h"

namespace dlp {
namespace {

// The rule ids of the rule set dlpd's settings name (its default file's),
// or of the built-in set; none when the files do not load (the database's
// own ids still count).
std::vector<std::string> RuleIdsInUse() {
  std::vector<std::string> ids;
  try {
    std::string read;
    auto settings = ReadDaemonSettings("", &read);
    const RuleSet set = settings && !settings->rules_path.empty()
                            ? LoadRuleSet(settings->rules_path)
                            : LoadDefaultRuleSet();
    for (const Rule& r : set.rules) ids.push_back(r.id);
  } catch (const std::exception&) {
  }
  return ids;
}

// The sensor's name as dlpd's own EVE log gives it: `option`, the
// settings' sensor_name, or the host name.
std::string SensorName(const std::string& option) {
  if (!option.empty()) return option;
  std::string read;
  if (auto settings = ReadDaemonSettings("", &read); settings && !settings->sensor_name.empty()) {
    return settings->sensor_name;
  }
  return MachineName();
}

constexpr int64_t kDefaultListLimit = 50;

// "2026-11-22T21:30:00.123456Z" -> "2026-11-22 21:30:00" for tables.
std::string ShortTime(int64_t us) {
  std::string t = IsoTimeUtc(us);
  return t.substr(0, 10) + " " + t.substr(11, 8);
}

void PrintCsvLine(const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) std::cout << (i ? "," : "") << Csv(cells[i]);
  std::cout << "\r\n";
}

// The terminal's width when stdout is one, else 80.
size_t OutputWidth() {
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) {
    return ws.ws_col;
  }
  return 80;
}

void PrintList(const std::vector<StoredIncident>& rows, const std::string& format, bool wide) {
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : rows) arr.push_back(IncidentJson(r));
    std::cout << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  if (format == "csv") {
    PrintCsvLine(IncidentCsvHeader());
    for (const auto& r : rows) PrintCsvLine(IncidentCsvRow(r));
    return;
  }
  if (rows.empty()) {
    std::cout << "no incidents\n";
    return;
  }
  auto values = [](const Incident& in) {
    return in.in_clear > 0 ? fmt::format("{} ({} clear)", in.match_count, in.in_clear)
                           : std::to_string(in.match_count);
  };
  if (!wide) {
    // What to look at first, in a terminal's width: the destination is its
    // Host when known (where the data went), cut first when too long.
    TextTable t({"ID", "TIME (UTC)", "RULE", "ACTION", "VALUES", "SOURCE", "DESTINATION"});
    for (const auto& r : rows) {
      const Incident& in = r.incident;
      const std::string time = ShortTime(in.time_us);
      t.Add({std::to_string(r.id), time.substr(5, 11), Terminal(in.rule_id), in.action, values(in),
             Terminal(in.src_ip), Terminal(IncidentDestination(in))});
    }
    t.SetCuttable({6, 5, 2});
    t.Print(std::cout, OutputWidth());
    return;
  }
  TextTable t({"ID", "FIRST SEEN (UTC)", "RULE", "SEVERITY", "ACTION", "COUNT", "SOURCE",
               "DESTINATION", "REQUEST", "SAMPLE"});
  for (const auto& r : rows) {
    const Incident& in = r.incident;
    std::string request = in.http_method;
    if (!in.http_host.empty() || !in.http_path.empty()) {
      request += (request.empty() ? "" : " ") + in.http_host + in.http_path;
    }
    t.Add({std::to_string(r.id), ShortTime(in.time_us), Terminal(in.rule_id), in.severity,
           in.action, values(in), EndpointText(in.ip_version, in.src_ip, in.src_port),
           EndpointText(in.ip_version, in.dst_ip, in.dst_port), Terminal(request, 48),
           Terminal(in.masked_sample)});
  }
  t.Print(std::cout);
}

// "masked, in_clear": a value's fates; "unknown" for a row recorded before
// they were kept.
std::string OutcomeText(uint8_t outcomes) {
  const std::vector<std::string_view> names = OutcomeNames(outcomes);
  return names.empty() ? "unknown" : fmt::format("{}", fmt::join(names, ", "));
}

void PrintShow(const StoredIncident& r, const std::vector<ValueSeen>& values,
               const std::vector<std::string>& hosts, const std::string& format) {
  if (format == "json") {
    nlohmann::json j = IncidentJson(r);
    j["hosts"] = hosts;
    nlohmann::json list = nlohmann::json::array();
    for (const ValueSeen& v : values) {
      nlohmann::json outcomes = nlohmann::json::array();
      for (std::string_view name : OutcomeNames(v.outcomes)) outcomes.push_back(name);
      list.push_back({{"fingerprint", v.fingerprint}, {"outcomes", std::move(outcomes)}});
    }
    j["values"] = std::move(list);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  const std::vector<std::string> names = IncidentCsvHeader();
  const std::vector<std::string> cells = IncidentCsvRow(r);
  if (format == "csv") {  // the row alone: one CSV table has one shape
    PrintCsvLine(names);
    PrintCsvLine(cells);
    return;
  }
  size_t w = 0;
  for (const auto& n : names) w = std::max(w, n.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    std::cout << names[i] << ':' << std::string(w + 1 - names[i].size(), ' ')
              << Terminal(cells[i].empty() ? "-" : cells[i]) << '\n';
  }
  if (hosts.size() > 1) {  // the first is http_host, above
    std::cout << "hosts:" << std::string(w + 1 - 5, ' ');
    for (size_t i = 0; i < hosts.size(); ++i) std::cout << (i ? ", " : "") << Terminal(hosts[i]);
    std::cout << '\n';
  }
  std::cout << "values:" << std::string(w + 1 - 6, ' ') << values.size() << " distinct";
  if (r.incident.values_unlisted > 0) {
    std::cout << ", and " << r.incident.values_unlisted << " more not listed (past "
              << kMaxValuesPerIncident << ")";
  }
  std::cout << '\n';
  for (const ValueSeen& v : values) {
    std::cout << "  " << Terminal(v.fingerprint) << "  " << OutcomeText(v.outcomes) << '\n';
  }
}

void PrintStats(const IncidentStats& s, const std::string& format) {
  const std::vector<std::pair<const char*, const std::vector<CountRow>*>> parts = {
      {"rule", &s.by_rule},     {"severity", &s.by_severity},       {"action", &s.by_action},
      {"source", &s.by_source}, {"destination", &s.by_destination}, {"day", &s.by_day},
      {"hour", &s.by_hour}};
  auto counts = [](const CountRow& r) {
    return nlohmann::json{{"incidents", r.incidents},
                          {"values", r.matches},
                          {"values_in_clear", r.in_clear},
                          {"distinct_values", r.distinct_values},
                          {"distinct_values_in_clear", r.distinct_in_clear}};
  };
  if (format == "json") {
    nlohmann::json j = counts(s.total);
    j["values_masked"] = s.masked;
    j["values_partly_masked"] = s.partly_masked;
    j["values_blocked"] = s.blocked;
    j["values_unknown_outcome"] = s.unknown_outcome;
    j["values_unlisted"] = s.values_unlisted;
    for (const auto& [name, rows] : parts) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& r : *rows) {
        nlohmann::json row = counts(r);
        row[name] = r.key;
        arr.push_back(std::move(row));
      }
      j[std::string("by_") + name] = std::move(arr);
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  const std::vector<std::string> columns = {"incidents", "values", "values_in_clear",
                                            "distinct_values", "distinct_values_in_clear"};
  auto cells = [](const CountRow& r) {
    return std::vector<std::string>{std::to_string(r.incidents), std::to_string(r.matches),
                                    std::to_string(r.in_clear), std::to_string(r.distinct_values),
                                    std::to_string(r.distinct_in_clear)};
  };
  if (format == "csv") {
    std::vector<std::string> header = {"breakdown", "key"};
    header.insert(header.end(), columns.begin(), columns.end());
    PrintCsvLine(header);
    std::vector<std::string> total = {"total", ""};
    for (std::string& c : cells(s.total)) total.push_back(std::move(c));
    PrintCsvLine(total);
    for (const auto& [name, rows] : parts) {
      for (const auto& r : *rows) {
        std::vector<std::string> line = {name, r.key};
        for (std::string& c : cells(r)) line.push_back(std::move(c));
        PrintCsvLine(line);
      }
    }
    return;
  }
  const CountRow& t = s.total;
  std::cout << t.incidents << " incidents, " << t.matches << " values: " << s.masked << " masked, "
            << s.partly_masked << " partly masked, " << t.in_clear << " in clear, " << s.blocked
            << " blocked";
  if (s.unknown_outcome > 0) std::cout << ", " << s.unknown_outcome << " of unknown outcome";
  std::cout << '\n';
  const char* at_least = s.values_unlisted > 0 ? "at least " : "";
  std::cout << "distinct values: " << at_least << t.distinct_values << ", " << at_least
            << t.distinct_in_clear << " of them in clear at least once\n";
  if (s.values_unlisted > 0) {
    std::cout << "(" << s.values_unlisted << " values past the " << kMaxValuesPerIncident
              << " an incident lists were counted, not told apart)\n";
  }
  const char* titles[] = {"RULE",        "SEVERITY",  "ACTION",    "SOURCE",
                          "DESTINATION", "DAY (UTC)", "HOUR (UTC)"};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].second->empty()) continue;
    std::cout << '\n';
    TextTable table({titles[i], "INCIDENTS", "VALUES", "IN CLEAR", "DISTINCT", "DISTINCT CLEAR"});
    for (const auto& r : *parts[i].second) {
      std::vector<std::string> row = {Terminal(r.key, 48)};
      for (std::string& c : cells(r)) row.push_back(std::move(c));
      table.Add(row);
    }
    table.Print(std::cout);
  }
}

// Writes `text` to `path` (opened with `mode`: appended or replaced), or to
// stdout when `path` is empty; the command's exit code.
int WriteOutput(const std::string& path, std::ios::openmode mode, const std::string& text) {
  std::ofstream file;
  if (!path.empty()) {
    file.open(path, mode);
    if (!file) {
      std::cerr << "dlpctl: cannot write " << path << '\n';
      return 2;
    }
  }
  std::ostream& out = path.empty() ? std::cout : file;
  out << text;
  out.flush();
  if (!out) {
    std::cerr << "dlpctl: write failed\n";
    return 2;
  }
  return 0;
}

// Splits "a,b" entries so that --rule a,b and --rule a --rule b agree.
std::vector<std::string> SplitCommas(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) {
    size_t start = 0;
    for (size_t comma; (comma = s.find(',', start)) != std::string::npos; start = comma + 1) {
      if (comma > start) out.push_back(s.substr(start, comma - start));
    }
    if (start < s.size()) out.push_back(s.substr(start));
  }
  return out;
}

}  // namespace

nlohmann::json IncidentJson(const StoredIncident& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const IncidentColumn& c : kIncidentColumns) {
    const ColumnValue v = c.access.get(r.incident, r.id);
    nlohmann::json& field = j[std::string(c.key)];
    switch (c.type) {
      case ColumnType::kRowId:
      case ColumnType::kInteger:
      case ColumnType::kFlows:
        field = v.number;
        break;
      case ColumnType::kText:
        field = std::string(v.text);
        break;
      case ColumnType::kOptionalText:
        if (!v.text.empty()) field = std::string(v.text);  // else null
        break;
      case ColumnType::kOptionalCount:
        if (!v.null) field = v.number;  // else null
        break;
      case ColumnType::kJsonText:
        if (!v.text.empty()) field = JsonTextValue(v.text);  // else null
        break;
      case ColumnType::kTime:
        field = IsoTimeUtc(v.number);
        break;
    }
  }
  return j;
}

std::vector<std::string> IncidentCsvHeader() {
  std::vector<std::string> header;
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.listed == Listed::kJsonAndCsv) header.emplace_back(c.key);
  }
  return header;
}

std::vector<std::string> IncidentCsvRow(const StoredIncident& r) {
  std::vector<std::string> cells;
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.listed != Listed::kJsonAndCsv) continue;
    const ColumnValue v = c.access.get(r.incident, r.id);
    switch (c.type) {
      case ColumnType::kRowId:
      case ColumnType::kInteger:
      case ColumnType::kFlows:
        cells.push_back(std::to_string(v.number));
        break;
      case ColumnType::kOptionalCount:
        cells.push_back(v.null ? "" : std::to_string(v.number));
        break;
      case ColumnType::kText:
      case ColumnType::kOptionalText:
      case ColumnType::kJsonText:
        cells.emplace_back(v.text);
        break;
      case ColumnType::kTime:
        cells.push_back(IsoTimeUtc(v.number));
        break;
    }
  }
  return cells;
}

IncidentsCommands AddIncidentsCommands(CLI::App& app, IncidentsOptions* o) {
  auto* inc = app.add_subcommand("incidents", "query the incident database");
  inc->require_subcommand(1);
  IncidentsCommands c;
  c.list = inc->add_subcommand("list", "incidents, newest first");
  c.show = inc->add_subcommand("show", "one incident, every field");
  c.stats = inc->add_subcommand(
      "stats", "values and distinct values in clear, by rule, severity, source, destination, day");
  c.exporter = inc->add_subcommand("export", "EVE JSON lines (Suricata alerts) for a SIEM");
  c.report = inc->add_subcommand(
      "report", "a report of the period: one HTML file with charts (default) or Markdown");
  c.report->add_option("-o,--output", o->output, "write to this file instead of stdout");
  c.show->add_option("id", o->id, "incident id")->required();
  c.exporter->add_option("-o,--output", o->output, "append to this file instead of stdout");
  c.exporter->add_option("--sensor-name", o->sensor_name,
                         "the sensor name the lines carry as host (default: the settings' "
                         "sensor_name, else the host name, as dlpd's own EVE log)");
  c.report->add_option("--sensor-name", o->sensor_name,
                       "the sensor the report names (default: the settings' sensor_name, else "
                       "the host name)");
  for (CLI::App* sub : {c.list, c.show, c.stats, c.exporter, c.report}) {
    sub->add_option(
        "--db", o->db,
        "incident database (default: $DLPD_DB or " + std::string(kStateDir) + "/incidents.db)");
    if (sub == c.show) {
      sub->add_option("--format", o->format, "table (default), json or csv")
          ->check(CLI::IsMember({"table", "json", "csv"}));
      continue;
    }
    sub->add_option("--since", o->since, "from: a duration back (24h, 7d) or a UTC time");
    sub->add_option("--until", o->until, "to: a duration back or a UTC time");
    sub->add_option("--rule", o->rules, "only these rule ids (repeat, or comma-separated)");
    sub->add_option("--action", o->actions, "only these actions (mask, mask-partial, alert, ...)");
    sub->add_option("--severity", o->severities,
                    "only these severities (low, medium, high, critical)");
    sub->add_option("--src", o->src, "only sources in this CIDR range");
    sub->add_option("--dst", o->dst, "only destinations in this CIDR range");
    sub->add_option("--host", o->host,
                    "only this HTTP Host, a glob (*.example), any case, without the port");
    sub->add_option("--fingerprint", o->fingerprint,
                    "only incidents with this value (its fingerprint, or 8+ of its first hex "
                    "digits)");
    sub->add_option("--after-id", o->after_id, "only incidents with a greater id")
        ->check(CLI::Range(int64_t{0}, INT64_MAX));
    sub->add_option("--limit", o->limit,
                    sub == c.stats || sub == c.report
                        ? "rows per breakdown (default 10; 0: all)"
                        : "at most N incidents (list default 50; 0: all)")
        ->check(CLI::Range(int64_t{0}, int64_t{1000000000}));
    if (sub == c.report) {
      sub->add_option("--format", o->format, "html (default) or md")
          ->check(CLI::IsMember({"html", "md"}));
    } else if (sub != c.exporter) {
      sub->add_option("--format", o->format, "table (default), json or csv")
          ->check(CLI::IsMember({"table", "json", "csv"}));
    }
    if (sub == c.list) {
      sub->add_flag("--wide", o->wide,
                    "the table with every column (severity, ports, request, sample), none cut");
    }
  }
  return c;
}

int RunIncidentsCommand(const IncidentsCommands& cmds, const IncidentsOptions& o) {
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  IncidentFilter filter;
  for (const auto& [spec, out] :
       {std::pair{&o.since, &filter.since_us}, std::pair{&o.until, &filter.until_us}}) {
    if (spec->empty()) continue;
    auto t = ParseTimeSpec(*spec, now);
    if (!t) {
      std::cerr << "dlpctl: " << t.error().message << '\n';
      return 2;
    }
    *out = t.value();
  }
  for (const auto& [text, out] :
       {std::pair{&o.src, &filter.src_cidr}, std::pair{&o.dst, &filter.dst_cidr}}) {
    if (text->empty()) continue;
    if (auto c = Cidr::Parse(*text); !c) {
      std::cerr << "dlpctl: " << c.error().message << '\n';
      return 2;
    }
    *out = *text;
  }
  filter.rules = SplitCommas(o.rules);
  filter.actions = SplitCommas(o.actions);
  filter.severities = SplitCommas(o.severities);
  // Hosts are compared as the policy compares them, port aside: a pattern
  // with a port would match every port (or none), so it is refused.
  if (o.host.find("]:") != std::string::npos ||
      (o.host.find('[') == std::string::npos &&
       std::count(o.host.begin(), o.host.end(), ':') == 1)) {
    std::cerr << "dlpctl: --host '" << Terminal(o.host)
              << "': Hosts are matched without their port (as the policy matches them): leave "
                 "the port out\n";
    return 2;
  }
  filter.host_glob = o.host;
  if (o.after_id >= 0) filter.after_id = o.after_id;
  filter.limit = o.limit >= 0 ? o.limit : (*cmds.list ? kDefaultListLimit : 0);
  if (!o.fingerprint.empty()) {
    // Hex only (so no glob character reaches the query), as dlpd writes it.
    const std::string fp = AsciiLower(o.fingerprint);
    if (fp.size() < 8 || fp.size() > 32 ||
        fp.find_first_not_of("0123456789abcdef") != std::string::npos) {
      std::cerr << "dlpctl: --fingerprint '" << Terminal(o.fingerprint)
                << "': a value's fingerprint (32 hex digits, as `show` prints it), or at least "
                   "its first 8\n";
      return 2;
    }
    filter.fingerprint = fp;
  }
  for (const std::string& sev : filter.severities) {
    if (!ParseSeverity(sev)) {
      std::cerr << fmt::format(
          "dlpctl: unknown severity '{}' (severities: low, medium, high, "
          "critical)\n",
          Terminal(sev));
      return 2;
    }
  }

  // A name the filter cannot match is a mistake, not an all-clear: an
  // unknown action, or a rule neither in the rule set nor in the database.
  for (const std::string& a : filter.actions) {
    if (std::none_of(kActionRanks.begin(), kActionRanks.end(),
                     [&](const ActionRankEntry& e) { return a == e.action; })) {
      std::vector<std::string_view> names;
      for (const ActionRankEntry& e : kActionRanks) names.push_back(e.action);
      std::cerr << fmt::format("dlpctl: unknown action '{}' (actions: {})\n", a,
                               fmt::join(names, ", "));
      return 2;
    }
  }
  const std::string path = o.db.empty() ? DefaultDbPath() : o.db;
  auto reader = IncidentReader::Open(path);
  if (!reader) {
    std::cerr << "dlpctl: " << reader.error().message << '\n';
    return 2;
  }
  IncidentReader& db = *reader.value();
  if (!filter.rules.empty()) {
    auto known = db.Rules();
    if (!known) {
      std::cerr << "dlpctl: " << known.error().message << '\n';
      return 2;
    }
    std::set<std::string> names(known->begin(), known->end());
    for (const std::string& id : RuleIdsInUse()) names.insert(id);
    for (const std::string& r : filter.rules) {
      if (names.count(r) > 0) continue;
      std::cerr << fmt::format("dlpctl: no rule '{}' in the rule set or in {} (rules: {})\n", r,
                               path, fmt::join(names, ", "));
      return 2;
    }
  }
  if (*cmds.show) {
    auto r = db.Get(o.id);
    if (!r) {
      std::cerr << "dlpctl: " << r.error().message << '\n';
      return 2;
    }
    if (!r->has_value()) {
      std::cerr << "dlpctl: no incident " << o.id << " in " << path << '\n';
      return 1;
    }
    auto values = db.Values(o.id);
    if (!values) {
      std::cerr << "dlpctl: " << values.error().message << '\n';
      return 2;
    }
    auto hosts = db.Hosts(o.id);
    if (!hosts) {
      std::cerr << "dlpctl: " << hosts.error().message << '\n';
      return 2;
    }
    PrintShow(**r, *values, *hosts, o.format);
    return 0;
  }
  if (*cmds.stats) {
    auto s = db.Stats(filter, static_cast<size_t>(o.limit >= 0 ? o.limit : 10));
    if (!s) {
      std::cerr << "dlpctl: " << s.error().message << '\n';
      return 2;
    }
    PrintStats(*s, o.format);
    return 0;
  }
  if (*cmds.report) {
    ReportInput r;
    auto s = db.Stats(filter, static_cast<size_t>(o.limit >= 0 ? o.limit : 10));
    auto worst = s ? db.Worst(filter, 10) : Result<std::vector<StoredIncident>>(s.error());
    if (!s || !worst) {
      std::cerr << "dlpctl: " << (s ? worst.error() : s.error()).message << '\n';
      return 2;
    }
    r.stats = std::move(*s);
    r.worst = std::move(*worst);
    auto when = [](const std::optional<int64_t>& t, const char* none) {
      return t ? IsoTimeUtc(*t).substr(0, 16) + "Z" : std::string(none);
    };
    r.period = filter.since_us || filter.until_us
                   ? "incidents from " + when(filter.since_us, "the first") + " to " +
                         when(filter.until_us, "now")
                   : "all incidents";
    r.generated = IsoTimeUtc(now).substr(0, 19) + "Z";
    r.sensor = SensorName(o.sensor_name);
    return WriteOutput(o.output, std::ios::trunc,
                       o.format == "md" ? MarkdownReport(r) : HtmlReport(r));
  }
  auto rows = *cmds.exporter ? db.ListOldestFirst(filter) : db.List(filter);
  if (!rows) {
    std::cerr << "dlpctl: " << rows.error().message << '\n';
    return 2;
  }
  if (filter.limit > 0 && static_cast<int64_t>(rows->size()) == filter.limit) {
    // Said on stderr, so that JSON, CSV and EVE output stay whole.
    auto total = db.Count(filter);
    if (total && *total > filter.limit) {
      std::cerr << fmt::format("dlpctl: {} of {} incidents shown (--limit N, 0 for all)\n",
                               filter.limit, *total);
    }
  }
  if (*cmds.exporter) {
    const std::string sensor = SensorName(o.sensor_name);
    std::string lines;
    for (const auto& r : *rows) lines += EveLine(r.incident, r.id, sensor) + '\n';
    return WriteOutput(o.output, std::ios::app, lines);
  }
  PrintList(*rows, o.format, o.wide);
  return 0;
}

}  // namespace dlp
