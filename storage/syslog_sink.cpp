#include "storage/syslog_sink.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/incident_store.h"

namespace dlp {
namespace {

constexpr int kFacilityLocal0 = 16;

int SyslogSeverity(const std::string& severity) {
  if (severity == "critical") return 2;
  if (severity == "high") return 3;
  if (severity == "medium") return 4;
  return 5;
}

// RFC 5424 section 6.3.3: '"', '\' and ']' are escaped in a PARAM-VALUE.
std::string SdValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

// HOSTNAME, APP-NAME...: printable US-ASCII without spaces, or "-".
std::string Header(const std::string& s, size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (c > 32 && c < 127) out += static_cast<char>(c);
  }
  if (out.empty()) return "-";
  return out.substr(0, max);
}

std::string Endpoint(const Incident& in, bool src) {
  const std::string& ip = src ? in.src_ip : in.dst_ip;
  const uint16_t port = src ? in.src_port : in.dst_port;
  return (in.ip_version == 6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace

std::string SyslogMessage(const Incident& in, const std::string& hostname, int pid) {
  const int pri = kFacilityLocal0 * 8 + SyslogSeverity(in.severity);
  std::string m = "<" + std::to_string(pri) + ">1 " +
                  IsoTimeUtc(std::max(in.time_us, in.last_time_us)) + " " + Header(hostname, 255) +
                  " dlpd " + std::to_string(pid) + " incident ";
  m += "[dlp@32473 rule=\"" + SdValue(in.rule_id) + "\" severity=\"" + SdValue(in.severity) +
       "\" action=\"" + SdValue(in.action) + "\" count=\"" + std::to_string(in.match_count) +
       "\" sample=\"" + SdValue(in.masked_sample) + "\" src=\"" + Endpoint(in, true) + "\" dst=\"" +
       Endpoint(in, false) + "\" flow=\"" + SdValue(in.flow_id) + "\" fingerprint=\"" +
       SdValue(in.fingerprint) + "\"";
  if (!in.http_host.empty()) m += " host=\"" + SdValue(in.http_host) + "\"";
  m += "] " + in.rule_id + " " + in.action + " " + Endpoint(in, true) + " -> " +
       Endpoint(in, false) + " count=" + std::to_string(in.match_count) +
       " sample=" + in.masked_sample;
  return m;
}

Result<std::unique_ptr<SyslogSink>> SyslogSink::Open(const std::string& target,
                                                     const std::string& host) {
  int fd = -1;
  if (target.rfind("unix:", 0) == 0) {
    const std::string path = target.substr(5);
    sockaddr_un sa{};
    if (path.empty() || path.size() >= sizeof sa.sun_path) {
      return Error{"syslog target '" + target + "': bad socket path"};
    }
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      const std::string err = std::strerror(errno);
      if (fd >= 0) close(fd);
      return Error{"syslog target '" + target + "': " + err};
    }
  } else {
    const size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon + 1 == target.size()) {
      return Error{"syslog target '" + target + "': use HOST:PORT or unix:PATH"};
    }
    std::string h = target.substr(0, colon);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(h.c_str(), target.substr(colon + 1).c_str(), &hints, &res);
    if (rc != 0) return Error{"syslog target '" + target + "': " + gai_strerror(rc)};
    for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
      fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
    if (fd < 0) return Error{"syslog target '" + target + "': " + std::strerror(errno)};
  }
  return std::unique_ptr<SyslogSink>(new SyslogSink(fd, target, host));
}

SyslogSink::~SyslogSink() {
  close(fd_);
}

Status SyslogSink::Write(const std::vector<StoredIncident>& batch) {
  const int pid = static_cast<int>(getpid());
  size_t failed = 0;
  int last_errno = 0;
  for (const StoredIncident& r : batch) {
    const std::string m = SyslogMessage(r.incident, hostname_, pid);
    // Never waits: a unix socket whose reader (rsyslog, journald) stalls
    // would otherwise stop the writer thread, and with it every store and
    // the shutdown.
    if (send(fd_, m.data(), m.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      ++failed;
      last_errno = errno;
    }
  }
  // UDP is lossy by nature: the collector being down costs messages, not
  // incidents (the database has them). Reported, not retried.
  if (failed > 0) {
    dropped_.fetch_add(failed, std::memory_order_relaxed);
    return Error{"syslog " + target_ + ": " + std::to_string(failed) + " of " +
                 std::to_string(batch.size()) + " messages not sent: " + std::strerror(last_errno)};
  }
  return {};
}

}  // namespace dlp
