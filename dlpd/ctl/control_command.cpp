#include "dlpd/ctl/control_command.h"

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
  try {
    return nlohmann::json::parse(answer.value());
  } catch (const nlohmann::json::exception&) {
    return Error{"dlpd at " + path + " sent an answer that is not JSON"};
  }
}

std::string Uptime(int64_t s) {
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d ";
  if (s >= 3600) out += std::to_string(s / 3600 % 24) + "h ";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m ";
  return out + std::to_string(s % 60) + "s";
}

}  // namespace

int RunStatusCommand(const std::string& socket, bool json) {
  auto r = Ask(socket, "status");
  if (!r) {
    std::cerr << "dlpctl: " << r.error().message << '\n';
    return 2;
  }
  const nlohmann::json& j = r.value();
  if (json) {
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << "dlpd " << j.value("version", "?") << " (" << j.value("engine", "?") << "), pid "
            << j.value("pid", 0) << ", up " << Uptime(j.value("uptime_s", int64_t{0}))
            << ", fail mode " << j.value("fail_mode", "?") << '\n'
            << "ruleset " << j.value("ruleset", "?") << " (" << j.value("rules", 0)
            << " rules), policy " << j.value("policy", "?") << " ("
            << j.value("policy_statements", 0) << " statements, "
            << Terminal(j.value("policy_source", "?")) << ")\n"
            << "reloads " << j.value("reloads", 0) << ", rejected "
            << j.value("reload_failures", 0);
  if (!j.value("last_reload", "").empty()) {
    std::cout << "; last: " << Terminal(j.value("last_reload", ""));
  }
  std::cout << "\nworkers:";
  // value() returns a copy: keep it alive while iterating over it.
  const nlohmann::json workers = j.value("workers", nlohmann::json::array());
  const nlohmann::json counters = j.value("counters", nlohmann::json::object());
  for (const auto& w : workers) {
    std::cout << ' ' << w.value("name", "?");
  }
  std::cout << "\n\n";
  // The daemon sends each counter's one line of help with it (declared once,
  // beside the counter).
  const nlohmann::json help = j.value("counter_help", nlohmann::json::object());
  TextTable t({"COUNTER", "VALUE", "MEANING"});
  for (const auto& [k, v] : counters.items()) {
    t.Add({Terminal(k), std::to_string(v.get<uint64_t>()), Terminal(help.value(k, ""))});
  }
  if (j.contains("incidents")) {
    for (const auto& [k, v] : j["incidents"].items()) {
      t.Add({"incidents_" + Terminal(k), std::to_string(v.get<uint64_t>()), "incident writer"});
    }
  }
  t.Print(std::cout);
  const auto rules = j.value("findings_by_rule", nlohmann::json::object());
  if (!rules.empty()) {
    std::cout << '\n';
    TextTable f({"RULE", "FINDINGS"});
    for (const auto& [k, v] : rules.items())
      f.Add({Terminal(k), std::to_string(v.get<uint64_t>())});
    f.Print(std::cout);
  }
  return 0;
}

int RunReloadCommand(const std::string& socket) {
  auto r = Ask(socket, "reload", kReloadTimeoutMs);
  if (!r) {
    std::cerr << "dlpctl: " << r.error().message << '\n';
    return 2;
  }
  if (r.value().value("ok", false)) {
    std::cout << r.value().value("message", "reloaded") << '\n';
    return 0;
  }
  std::cerr << "dlpctl: reload rejected: " << r.value().value("error", "?") << '\n';
  return 1;
}

}  // namespace dlp
