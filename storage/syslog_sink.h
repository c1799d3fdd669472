// Incidents as RFC 5424 syslog messages over UDP (RFC 5426) or a local
// datagram socket, for collectors that take syslog rather than JSON files.
// Hand-written: glibc's syslog(3) speaks only the older BSD format to
// /dev/log, and no Debian-packaged library formats RFC 5424.
//   <PRI>1 2026-11-22T21:30:00.123456Z HOST dlpd PID incident
//     [dlp@32473 rule="pan" severity="critical" action="mask" count="3"
//      sample="XXXX XXXX XXXX 1111" src="192.0.2.10:40000" dst="198.51.100.20:80"
//      flow="..." fingerprint="..."] pan mask 192.0.2.10:40000 -> ...
// Facility local0; severity from the rule's (critical 2, high 3, medium 4,
// low 5). 32473 is the private enterprise number RFC 5612 sets aside for
// examples and documentation: replace it if you have your own.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "dlpd/common/machine_name.h"
#include "storage/incident_sink.h"

namespace dlp {

// One message, no trailing newline (datagram transport).
std::string SyslogMessage(const Incident& incident, const std::string& hostname, int pid);

class SyslogSink : public IncidentSink {
 public:
  // `target`: HOST:PORT (UDP; [v6]:PORT for IPv6) or unix:PATH (e.g.
  // unix:/dev/log for the local daemon, if it takes RFC 5424).
  // `host`: the HOSTNAME field (the sensor's name).
  static Result<std::unique_ptr<SyslogSink>> Open(const std::string& target,
                                                  const std::string& host = MachineName());
  ~SyslogSink() override;
  // Never waits: a message the socket does not take at once is dropped.
  Status Write(const std::vector<StoredIncident>& batch) override;
  uint64_t dropped() const override { return dropped_.load(std::memory_order_relaxed); }

 private:
  SyslogSink(int fd, std::string target, std::string hostname)
      : fd_(fd), target_(std::move(target)), hostname_(std::move(hostname)) {}
  int fd_;
  std::string target_;
  std::string hostname_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace dlp
