#include "dlpd/ctl/control_command.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

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

int PrintReload(const nlohmann::json& j, std::ostream& out, std::ostream& err) {
  if (Field(j, "ok").is_boolean() && Field(j, "ok").get<bool>()) {
    out << Text(Field(j, "message"), "reloaded") << '\n';
    return 0;
  }
  err << "dlpctl: reload rejected: " << Text(Field(j, "error")) << '\n';
  return 1;
}

int RunStatusCommand(const std::string& socket, bool json) {
  auto r = Ask(socket, "status");
  if (!r) {
    std::cerr << "dlpctl: " << r.error().message << '\n';
    return 2;
  }
  return PrintStatus(r.value(), json, std::cout, std::cerr);
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
