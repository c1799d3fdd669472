// Incidents as RFC 5424 syslog messages, for collectors that take syslog
// rather than JSON files. Hand-written: glibc's syslog(3) speaks only the
// older BSD format to /dev/log, and no Debian-packaged library formats
// RFC 5424.
//   <PRI>1 2026-11-22T21:30:00.123456Z HOST dlpd PID incident
//     [dlp@32473 id="7" rule="pan" severity="critical" action="mask"
//      count="3" in_clear="0" sample="XXXX XXXX XXXX 1111"
//      src="192.0.2.10:40000" dst="198.51.100.20:80" flow="..."
//      fingerprint="..."] pan mask 192.0.2.10:40000 -> ...
// PRI: the facility (local0 unless set) * 8 + the rule's severity
// (critical 2, high 3, medium 4, low 5). 32473 is the private enterprise
// number RFC 5612 sets aside for examples and documentation: a site with
// its own sets it (--syslog-enterprise).
//
// The sink only formats: the messages go to the forwarder
// (syslog_transport.h) over a local stream socket, which connects to the
// collector, again after a failure, and keeps a bounded queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "storage/incident_sink.h"
#include "storage/syslog_transport.h"

namespace dlp {

struct SyslogFormat {
  std::string hostname;  // the HOSTNAME field: the sensor's name
  int facility = 16;     // local0
  uint32_t enterprise = 32473;
};

// One message, without framing.
std::string SyslogMessage(const StoredIncident& incident, const SyslogFormat& format, int pid);

class SyslogSink : public IncidentSink {
 public:
  // `fd`: the forwarder's input (a stream socket; owned, closed by the
  // destructor, which ends the forwarder's input). `stats`: the forwarder's
  // counters, which must outlive the sink (or null). `wait`: a full socket
  // is waited for (a capture replay, which must not lose lines) instead of
  // dropping the messages that do not fit.
  SyslogSink(int fd, SyslogFormat format, SyslogStats* stats, bool wait);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  // Never waits (unless `wait`): what the socket does not take now waits
  // in a buffer of 1 MiB for the next batch, and past that is dropped,
  // counted. The forwarder reads at once, whether or not the collector
  // takes the messages, so the socket is full only for a moment. The
  // writer thread only.
  Status Write(const std::vector<StoredIncident>& batch) override;
  // Dropped here and in the forwarder. Any thread.
  uint64_t dropped() const override;

 private:
  // Sends what waits, as much as the socket takes (waiting up to `wait_ms`
  // each time it is full); false once the forwarder is gone.
  bool Flush(int wait_ms);
  int fd_;
  SyslogFormat format_;
  SyslogStats* stats_;  // handed is the sink's to count
  bool wait_;
  int pid_;
  // Framed messages the socket has not taken yet; the first may have gone
  // in part (head_sent_ bytes of it).
  std::deque<std::string> pending_;
  size_t pending_bytes_ = 0, head_sent_ = 0;
  bool gone_ = false;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace dlp
