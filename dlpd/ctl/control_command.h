// `dlpctl status [--json]` and `dlpctl reload` over dlpd's control socket
// (--socket PATH, $DLPD_SOCKET, or the default in the run directory).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

// Exit code: 0 ok, 1 the daemon refused (a rejected reload), 2 no daemon.
int RunStatusCommand(const std::string& socket, bool json);
int RunReloadCommand(const std::string& socket);

// An answer as they read it: JSON, nested no deeper than dlpd's own.
Result<nlohmann::json> ParseControlAnswer(const std::string& answer);
// How they print an answer: whatever the socket sent (any JSON, fields of
// any type) is printed escaped or refused with a message, never thrown on.
int PrintStatus(const nlohmann::json& answer, bool json, std::ostream& out, std::ostream& err);
int PrintReload(const nlohmann::json& answer, std::ostream& out, std::ostream& err);

}  // namespace dlp
