// `dlpctl status [--json]` and `dlpctl reload` over dlpd's control socket
// (--socket PATH, $DLPD_SOCKET, or the default in the run directory).
#pragma once

#include <string>

namespace dlp {

// Exit code: 0 ok, 1 the daemon refused (a rejected reload), 2 no daemon.
int RunStatusCommand(const std::string& socket, bool json);
int RunReloadCommand(const std::string& socket);

}  // namespace dlp
