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
// drain_ms. It logs through dlpd's log settings, and opens a log file
// again when dlpd passes SIGUSR1 on. Its counters live in a page both
// processes map.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

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
  SyslogStats& stats() const { return *stats_; }
  const SyslogTarget& target() const { return target_; }

  // Whether the forwarder has ended while dlpd runs (killed, or a fault):
  // it cannot be started again (the sandbox refuses fork), so syslog output
  // stops until dlpd restarts. The first call that finds it ended logs an
  // error and counts what it held, and what it had not yet read, as
  // dropped. dlpd's main loop calls it every tick; any one thread.
  bool CheckEnded();
  bool ended() const { return ended_.load(std::memory_order_relaxed); }
  // After a log rotation (SIGUSR1 to dlpd): the forwarder opens dlpd's log
  // file again too.
  void ReopenLog();

 private:
  SyslogForwarder(int fd, pid_t pid, SyslogStats* stats, SyslogTarget target, int64_t drain_ms)
      : fd_(fd), pid_(pid), stats_(stats), target_(std::move(target)), drain_ms_(drain_ms) {}
  // Counts what the ended forwarder held as dropped, and logs `how`.
  void CountLoss(const std::string& how);
  int fd_;
  pid_t pid_;
  SyslogStats* stats_;
  SyslogTarget target_;
  int64_t drain_ms_;
  std::atomic<bool> ended_{false};
};

}  // namespace dlp
