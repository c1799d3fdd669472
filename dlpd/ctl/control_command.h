// `dlpctl status [--format text|json|prometheus]` and `dlpctl reload` over dlpd's control socket
// (--socket PATH, $DLPD_SOCKET, or the default in the run directory).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

// How `dlpctl status` prints: a table, the daemon's JSON, or Prometheus'
// text exposition format.
enum class StatusFormat { kText, kJson, kPrometheus };

// Exit code: 0 ok, 1 the daemon refused (a rejected reload), 2 no daemon
// (in Prometheus' format, "dlpd_up 0" is printed then, for a scraper).
int RunStatusCommand(const std::string& socket, StatusFormat format);
int RunReloadCommand(const std::string& socket);

// An answer as they read it: JSON, nested no deeper than dlpd's own.
Result<nlohmann::json> ParseControlAnswer(const std::string& answer);
// How they print an answer: whatever the socket sent (any JSON, fields of
// any type) is printed escaped or refused with a message, never thrown on.
int PrintStatus(const nlohmann::json& answer, bool json, std::ostream& out, std::ostream& err);
int PrintReload(const nlohmann::json& answer, std::ostream& out, std::ostream& err);
// The status in Prometheus' text exposition format (0.0.4), for
// node_exporter's textfile collector: dlpd_up, dlpd_info{version, engine,
// ruleset, policy}, uptime, reloads, every counter as dlpd_NAME_total
// (dlpd_NAME, a gauge, when its help says it counts what is there "now"),
// the incident writer's as dlpd_incidents_NAME_total, findings by rule and
// packets by worker as labels. Names are reduced to [a-zA-Z0-9_], label
// values and help escaped as the format says; a name met twice is printed
// once.
int PrintStatusPrometheus(const nlohmann::json& answer, std::ostream& out, std::ostream& err);

}  // namespace dlp
