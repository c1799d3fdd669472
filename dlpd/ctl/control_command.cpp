#include "dlpd/ctl/control_command.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "dlpd/common/paths.h"
#include "dlpd/control/control_server.h"
#include "dlpd/ctl/text_table.h"

namespace dlp {
namespace {

// A reload answers when its compile ends (minutes for tens of thousands of
// rules): dlpctl waits that long, rather than report a failure for a
// reload that then succeeds.
constexpr int kReloadTimeoutMs = 15 * 60 * 1000;

Result<nlohmann::json> Ask(const std::string& socket, const std::string& command,
                           int timeout_ms = 30000) {
  const std::string path = socket.empty() ? DefaultControlSocket() : socket;
  auto answer = ControlRequest(path, command, timeout_ms);
  if (!answer) return answer.error();
  auto j = ParseControlAnswer(answer.value());
  if (!j) return Error{"dlpd at " + path + " sent " + j.error().message};
  return j;
}

std::string Uptime(int64_t s) {
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d ";
  if (s >= 3600) out += std::to_string(s / 3600 % 24) + "h ";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m ";
  return out + std::to_string(s % 60) + "s";
}

// The answer comes from whatever listens on the socket path, so every field
// is read without trusting its type (nlohmann's value() throws on a
// mismatch) and printed through Terminal().
const nlohmann::json& Field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNone;
  if (!j.is_object()) return kNone;
  const auto it = j.find(key);
  return it == j.end() ? kNone : *it;
}

std::string Text(const nlohmann::json& v, const char* absent = "?") {
  if (v.is_null()) return absent;
  if (v.is_string()) return Terminal(v.get_ref<const std::string&>());
  return Terminal(v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

uint64_t Count(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return 0;
}

}  // namespace

Result<nlohmann::json> ParseControlAnswer(const std::string& answer) {
  // Nested deeper than any answer dlpd sends: refused while parsing, since
  // printing (dump) recurses once per level.
  constexpr int kMaxDepth = 32;
  struct TooDeep {};
  try {
    return nlohmann::json::parse(answer,
                                 [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                   if (depth > kMaxDepth) throw TooDeep{};
                                   return true;
                                 });
  } catch (const TooDeep&) {
    return Error{"an answer nested deeper than " + std::to_string(kMaxDepth) + " levels"};
  } catch (const nlohmann::json::exception&) {
    return Error{"an answer that is not JSON"};
  }
}

int PrintStatus(const nlohmann::json& j, bool json, std::ostream& out, std::ostream& err) {
  if (!j.is_object()) {
    err << "dlpctl: the status answer is not a JSON object\n";
    return 2;
  }
  if (json) {
    // ASCII only: a string's bytes reach the terminal as \u escapes.
    out << j.dump(2, ' ', true, nlohmann::json::error_handler_t::replace) << '\n';
    return 0;
  }
  const auto uptime =
      static_cast<int64_t>(std::min<uint64_t>(Count(Field(j, "uptime_s")), 1ULL << 40));
  out << "dlpd " << Text(Field(j, "version")) << " (" << Text(Field(j, "engine")) << "), pid "
      << Count(Field(j, "pid")) << ", up " << Uptime(uptime) << ", fail mode "
      << Text(Field(j, "fail_mode")) << '\n'
      << "ruleset " << Text(Field(j, "ruleset")) << " (" << Count(Field(j, "rules"))
      << " rules), policy " << Text(Field(j, "policy")) << " ("
      << Count(Field(j, "policy_statements")) << " statements, " << Text(Field(j, "policy_source"))
      << ")\n"
      << "reloads " << Count(Field(j, "reloads")) << ", rejected "
      << Count(Field(j, "reload_failures"));
  if (const std::string last = Text(Field(j, "last_reload"), ""); !last.empty()) {
    out << "; last: " << last;
  }
  out << "\nworkers:";
  if (const nlohmann::json& workers = Field(j, "workers"); workers.is_array()) {
    for (const auto& w : workers) out << ' ' << Text(Field(w, "name"));
  }
  out << "\n\n";
  // The daemon sends each counter's one line of help with it (declared once,
  // beside the counter).
  const nlohmann::json& help = Field(j, "counter_help");
  TextTable t({"COUNTER", "VALUE", "MEANING"});
  if (const nlohmann::json& counters = Field(j, "counters"); counters.is_object()) {
    for (const auto& [k, v] : counters.items()) {
      t.Add({Terminal(k), std::to_string(Count(v)), Text(Field(help, k.c_str()), "")});
    }
  }
  if (const nlohmann::json& incidents = Field(j, "incidents"); incidents.is_object()) {
    for (const auto& [k, v] : incidents.items()) {
      t.Add({"incidents_" + Terminal(k), std::to_string(Count(v)), "incident writer"});
    }
  }
  if (const nlohmann::json& icap = Field(j, "icap"); icap.is_object()) {
    const nlohmann::json& icap_help = Field(j, "icap_help");
    for (const auto& [k, v] : icap.items()) {
      if (v.is_number()) {
        t.Add({"icap_" + Terminal(k), std::to_string(Count(v)),
               Text(Field(icap_help, k.c_str()), "")});
      }
    }
  }
  if (const nlohmann::json& syslog = Field(j, "syslog"); syslog.is_object()) {
    const std::string where = "syslog forwarder to " + Text(Field(syslog, "target"));
    for (const auto& [k, v] : syslog.items()) {
      if (v.is_number()) t.Add({"syslog_" + Terminal(k), std::to_string(Count(v)), where});
    }
  }
  t.Print(out);
  if (const nlohmann::json& rules = Field(j, "findings_by_rule");
      rules.is_object() && !rules.empty()) {
    out << '\n';
    TextTable f({"RULE", "FINDINGS"});
    for (const auto& [k, v] : rules.items()) f.Add({Terminal(k), std::to_string(Count(v))});
    f.Print(out);
  }
  return 0;
}

namespace {

// A metric name's part from a counter's name: [a-zA-Z0-9_] kept, any other
// byte '_' (names come from the socket's answer).
std::string MetricPart(std::string_view name) {
  std::string m(name);
  for (char& c : m) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) c = '_';
  }
  return m;
}

// The text exposition format's escapes: a backslash, and in a label value
// a double quote. Terminal() has made the bytes printable first (no line
// break is left).
std::string Escaped(const std::string& s, bool label) {
  std::string e;
  for (const char c : s) {
    if (c == '\\' || (label && c == '"')) e += '\\';
    e += c;
  }
  return e;
}

// name="value", the value escaped.
std::string Label(const char* name, const nlohmann::json& v) {
  return std::string(name) + "=\"" +
         Escaped(v.is_string() ? Terminal(v.get<std::string>()) : Text(v), true) + '"';
}

// A counter whose help says "now" counts what is there (held packets,
// flows, bytes of state): it goes down as well as up, a gauge.
bool IsLevel(std::string_view help) {
  for (size_t at = help.find("now"); at != std::string_view::npos; at = help.find("now", at + 1)) {
    const bool starts = at == 0 || help[at - 1] == ' ';
    const bool ends = at + 3 == help.size() || help[at + 3] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

// Writes one family at a time; a name written before is skipped.
class Exposition {
 public:
  explicit Exposition(std::ostream& out) : out_(out) {}
  void One(const std::string& name, const std::string& type, const std::string& help,
           uint64_t value) {
    if (!seen_.insert(name).second) return;
    Family(name, type, help);
    out_ << name << ' ' << value << '\n';
  }
  // One family of labelled samples: (labels, value) pairs, the labels as
  // written between the braces (name="escaped value",...).
  void Labelled(const std::string& name, const std::string& type, const std::string& help,
                const std::vector<std::pair<std::string, uint64_t>>& samples) {
    if (samples.empty() || !seen_.insert(name).second) return;
    Family(name, type, help);
    for (const auto& [labels, v] : samples) out_ << name << '{' << labels << "} " << v << '\n';
  }

 private:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    out_ << "# HELP " << name << ' ' << Escaped(help, false) << '\n'
         << "# TYPE " << name << ' ' << type << '\n';
  }

  std::ostream& out_;
  std::set<std::string> seen_;
};

constexpr const char* kUpHelp = "whether dlpd answered on its control socket";

}  // namespace

int PrintStatusPrometheus(const nlohmann::json& j, std::ostream& out, std::ostream& err) {
  if (!j.is_object()) {
    err << "dlpctl: the status answer is not a JSON object\n";
    return 2;
  }
  Exposition e(out);
  e.One("dlpd_up", "gauge", kUpHelp, 1);
  e.Labelled(
      "dlpd_info", "gauge", "dlpd's version, match engine, rule set and policy",
      {{Label("version", Field(j, "version")) + ',' + Label("engine", Field(j, "engine")) + ',' +
            Label("ruleset", Field(j, "ruleset")) + ',' + Label("policy", Field(j, "policy")),
        1}});
  e.One("dlpd_uptime_seconds", "gauge", "seconds since dlpd started", Count(Field(j, "uptime_s")));
  e.One("dlpd_rules", "gauge", "rules in the running rule set", Count(Field(j, "rules")));
  e.One("dlpd_reloads_total", "counter", "rule and policy reloads done",
        Count(Field(j, "reloads")));
  e.One("dlpd_reload_failures_total", "counter", "reloads refused (the old set kept running)",
        Count(Field(j, "reload_failures")));
  const nlohmann::json& help = Field(j, "counter_help");
  if (const nlohmann::json& counters = Field(j, "counters"); counters.is_object()) {
    for (const auto& [k, v] : counters.items()) {
      const nlohmann::json& h = Field(help, k.c_str());
      const std::string what = Terminal(h.is_string() ? h.get<std::string>() : k);
      const bool level = IsLevel(what);
      e.One("dlpd_" + MetricPart(k) + (level ? "" : "_total"), level ? "gauge" : "counter", what,
            Count(v));
    }
  }
  if (const nlohmann::json& incidents = Field(j, "incidents"); incidents.is_object()) {
    for (const auto& [k, v] : incidents.items()) {
      // The writer's backlog is what waits now; the rest count events.
      const bool level = k == "backlog";
      e.One("dlpd_incidents_" + MetricPart(k) + (level ? "" : "_total"),
            level ? "gauge" : "counter", "incident writer: " + Terminal(k), Count(v));
    }
  }
  if (const nlohmann::json& icap = Field(j, "icap"); icap.is_object()) {
    const nlohmann::json& icap_help = Field(j, "icap_help");
    for (const auto& [k, v] : icap.items()) {
      if (!v.is_number()) continue;  // the address, the ISTag
      const nlohmann::json& h = Field(icap_help, k.c_str());
      const std::string what = Terminal(h.is_string() ? h.get<std::string>() : k);
      const bool level = IsLevel(what);
      e.One("dlpd_icap_" + MetricPart(k) + (level ? "" : "_total"), level ? "gauge" : "counter",
            what, Count(v));
    }
  }
  if (const nlohmann::json& syslog = Field(j, "syslog"); syslog.is_object()) {
    for (const auto& [k, v] : syslog.items()) {
      if (!v.is_number()) continue;  // the target's name
      // What waits, and whether it is connected, are levels now.
      const bool level = k == "queued" || k == "connected" || k == "up";
      e.One("dlpd_syslog_" + MetricPart(k) + (level ? "" : "_total"), level ? "gauge" : "counter",
            "syslog forwarder: " + Terminal(k), Count(v));
    }
  }
  std::vector<std::pair<std::string, uint64_t>> by_rule;
  if (const nlohmann::json& rules = Field(j, "findings_by_rule"); rules.is_object()) {
    for (const auto& [k, v] : rules.items()) by_rule.emplace_back(Label("rule", k), Count(v));
  }
  e.Labelled("dlpd_findings_total", "counter", "values confirmed, by rule", by_rule);
  std::vector<std::pair<std::string, uint64_t>> packets;
  if (const nlohmann::json& workers = Field(j, "workers"); workers.is_array()) {
    for (const auto& w : workers) {
      packets.emplace_back(Label("worker", Field(w, "name")), Count(Field(w, "packets")));
    }
  }
  e.Labelled("dlpd_worker_packets_total", "counter", "packets seen, by worker", packets);
  return 0;
}

int PrintReload(const nlohmann::json& j, std::ostream& out, std::ostream& err) {
  if (Field(j, "ok").is_boolean() && Field(j, "ok").get<bool>()) {
    out << Text(Field(j, "message"), "reloaded") << '\n';
    return 0;
  }
  err << "dlpctl: reload rejected: " << Text(Field(j, "error")) << '\n';
  return 1;
}

int RunStatusCommand(const std::string& socket, StatusFormat format) {
  auto r = Ask(socket, "status");
  if (!r) {
    std::cerr << "dlpctl: " << r.error().message << '\n';
    if (format == StatusFormat::kPrometheus)
      Exposition(std::cout).One("dlpd_up", "gauge", kUpHelp, 0);
    return 2;
  }
  if (format == StatusFormat::kPrometheus) {
    return PrintStatusPrometheus(r.value(), std::cout, std::cerr);
  }
  return PrintStatus(r.value(), format == StatusFormat::kJson, std::cout, std::cerr);
}

int RunReloadCommand(const std::string& socket) {
  auto r = Ask(socket, "reload", kReloadTimeoutMs);
  if (!r) {
    std::cerr << "dlpctl: " << r.error().message << '\n';
    return 2;
  }
  return PrintReload(r.value(), std::cout, std::cerr);
}

}  // namespace dlp
