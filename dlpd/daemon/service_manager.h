// Telling the service manager how start-up went. Under systemd
// (Type=notify) `systemctl start` returns once dlpd is ready, so a start
// that fails is reported as failed, not as a success followed by restarts.
// Elsewhere (rc.d, a shell) these do nothing.
#pragma once

#include <string>

namespace dlp {

// The queues are bound, the rules compiled, the files open: READY=1, with
// `status` for systemctl status. Before the sandbox: it opens a socket.
// Main thread, once.
void NotifyReady(const std::string& status);

}  // namespace dlp
