// Where dlpd's own log goes (not the incidents: storage/ sends those), as
// the system expects it:
//   stderr  the default. Under systemd (stderr is journald's stream,
//           $JOURNAL_STREAM) each line carries its priority as a "<N>"
//           prefix and no time (journald stamps it); otherwise an ISO 8601
//           UTC time and the level.
//   syslog  syslog(3) with ident dlpd, the pid and a facility (daemon by
//           default), each line at its priority. The BSDs' rc.d use it.
//   FILE    appended to FILE, times in UTC; SIGUSR1 reopens it (after
//           logrotate moved it), as it reopens the EVE log.
// Every form escapes control characters in the message (a newline as \n):
// one event is one line, and names taken from files cannot forge lines.
// Hand-written only where spdlog has nothing: the journald prefix and the
// escaping (pattern flags), and a file sink that reopens its path and
// opens it as dlpd's other files (no links).
#pragma once

#include <string>

#include "dlpd/common/result.h"

namespace dlp {

struct LogSettings {
  std::string target = "stderr";    // stderr, syslog, or a file path
  std::string facility = "daemon";  // syslog: daemon, user, local0..local7
  std::string level = "info";       // spdlog's names: trace ... off
};

// Replaces the default logger. Call before any thread logs.
Status SetUpLogging(const LogSettings& s);

// SIGUSR1: the log file opened again by its path (nothing for stderr or
// syslog). Any thread.
Status ReopenLogFile();

// Started as root with --user: the log file root opened is given to the
// user (through its descriptor), who reopens it after a rotation.
Status HandLogFileTo(unsigned uid, unsigned gid);

}  // namespace dlp
