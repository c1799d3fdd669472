// The syslog forwarder: a process of its own that takes dlpd's incident
// messages over a socket pair and sends them to the collector
// (storage/syslog_transport.h). A process because connecting again after
// the collector restarts, moves or was down at start needs a new socket,
// which the packet path's sandbox refuses; the forwarder's own sandbox
// allows local, IPv4 and IPv6 sockets and nothing else of what the packet
// path may not do. (glibc's syslog(3) loses dlpd's own log lines after a
// syslog daemon restart for the same reason.)
//
// Forked at start-up before any thread and before the compile helper (so
// neither holds the other's socket: each ends when dlpd closes its end).
// It becomes dlpd's user with no capability, ignores the signals systemd
// and operators send dlpd (a stop sends them to the whole unit), and ends
// when dlpd closes its end: it then sends what it holds, for up to
// drain_ms. Its counters live in a page both processes map.
#pragma once

#include <sys/types.h>

#include <memory>

#include "dlpd/common/result.h"
#include "storage/syslog_transport.h"

namespace dlp {

struct UserIds;

class SyslogForwarder {
 public:
  // REQUIRES: no thread but the caller's.
  static Result<std::unique_ptr<SyslogForwarder>> Start(const SyslogTarget& target,
                                                        const ForwarderOptions& options,
                                                        const UserIds* user);
  // Closes the input if it was never taken, waits for the forwarder to end
  // (drain_ms and a second), then kills it.
  ~SyslogForwarder();
  SyslogForwarder(const SyslogForwarder&) = delete;
  SyslogForwarder& operator=(const SyslogForwarder&) = delete;

  // The input's write end, for the SyslogSink (which owns it from then on
  // and whose closing ends the forwarder). Once; -1 after.
  int TakeInput();
  // Outlives every sink given the input.
  const SyslogStats& stats() const { return *stats_; }
  const SyslogTarget& target() const { return target_; }

 private:
  SyslogForwarder(int fd, pid_t pid, SyslogStats* stats, SyslogTarget target, int64_t drain_ms)
      : fd_(fd), pid_(pid), stats_(stats), target_(std::move(target)), drain_ms_(drain_ms) {}
  int fd_;
  pid_t pid_;
  SyslogStats* stats_;
  SyslogTarget target_;
  int64_t drain_ms_;
};

}  // namespace dlp
