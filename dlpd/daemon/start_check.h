// dlpd --check, beyond the rules and policy: every file and name a start
// would open or look up, tried without changing anything. A start that
// fails on one of them (a read-only directory, a group dlpd's user is not
// in, a database from a newer dlpd) fails again at each restart under a
// supervisor; run first (systemd's ExecStartPre, rc.d's precmd), the check
// refuses it instead, with the path and the reason.
//
// Started as root with --user, the files are tried as that user (in a
// child process that becomes it), since the daemon opens them after the
// drop. Directories the daemon creates itself as root before the drop (the
// database's and the control socket's) may be missing.
#pragma once

#include <string>
#include <vector>

#include "dlpd/config/daemon_options.h"

namespace dlp {

struct StartCheck {
  std::vector<std::string> problems;  // each refuses the start
  std::vector<std::string> warnings;  // the start goes on without the part
};

// Not thread-safe (may fork): call before any thread starts.
StartCheck CheckStart(const DaemonOptions& o);

}  // namespace dlp
