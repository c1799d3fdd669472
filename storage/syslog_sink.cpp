#include "storage/syslog_sink.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/incident_store.h"

namespace dlp {
namespace {

// What waits for the socket before new messages are dropped.
constexpr size_t kMaxPending = size_t{1} << 20;

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

std::string SyslogMessage(const StoredIncident& r, const SyslogFormat& f, int pid) {
  const Incident& in = r.incident;
  const int pri = f.facility * 8 + SyslogSeverity(in.severity);
  std::string m = "<" + std::to_string(pri) + ">1 " +
                  IsoTimeUtc(std::max(in.time_us, in.last_time_us)) + " " +
                  Header(f.hostname, 255) + " dlpd " + std::to_string(pid) + " incident ";
  m += "[dlp@" + std::to_string(f.enterprise) + " id=\"" + std::to_string(r.id) + "\" rule=\"" +
       SdValue(in.rule_id) + "\" severity=\"" + SdValue(in.severity) + "\" action=\"" +
       SdValue(in.action) + "\" count=\"" + std::to_string(in.match_count) + "\" in_clear=\"" +
       std::to_string(in.in_clear) + "\" sample=\"" + SdValue(in.masked_sample) + "\" src=\"" +
       Endpoint(in, true) + "\" dst=\"" + Endpoint(in, false) + "\" flow=\"" + SdValue(in.flow_id) +
       "\" fingerprint=\"" + SdValue(in.fingerprint) + "\"";
  if (!in.http_host.empty()) m += " host=\"" + SdValue(in.http_host) + "\"";
  m += "] " + in.rule_id + " " + in.action + " " + Endpoint(in, true) + " -> " +
       Endpoint(in, false) + " count=" + std::to_string(in.match_count) +
       " sample=" + in.masked_sample;
  return m;
}

SyslogSink::SyslogSink(int fd, SyslogFormat format, SyslogStats* stats, bool wait)
    : fd_(fd), format_(std::move(format)), stats_(stats), wait_(wait), pid_(getpid()) {}

SyslogSink::~SyslogSink() {
  Flush(wait_ ? 10000 : 100);  // what waits, if the forwarder takes it now
  close(fd_);
}

uint64_t SyslogSink::dropped() const {
  const uint64_t there = stats_ == nullptr ? 0 : stats_->dropped.load(std::memory_order_relaxed);
  return dropped_.load(std::memory_order_relaxed) + there;
}

bool SyslogSink::Flush(int wait_ms) {
  while (!gone_ && !pending_.empty()) {
    const std::string& f = pending_.front();
    const ssize_t n =
        send(fd_, f.data() + head_sent_, f.size() - head_sent_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      head_sent_ += static_cast<size_t>(n);
      if (head_sent_ == f.size()) {
        pending_bytes_ -= f.size();
        pending_.pop_front();
        head_sent_ = 0;
        if (stats_ != nullptr) stats_->handed.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Full: wait for room (up to wait_ms each time), or leave the rest.
      pollfd p{fd_, POLLOUT, 0};
      if (wait_ms <= 0 || poll(&p, 1, wait_ms) <= 0) break;
      continue;
    }
    gone_ = true;  // EPIPE: the forwarder ended
  }
  return !gone_;
}

Status SyslogSink::Write(const std::vector<StoredIncident>& batch) {
  size_t lost = 0;
  for (const StoredIncident& r : batch) {
    std::string frame = SyslogInputFrame(SyslogMessage(r, format_, pid_));
    // A frame goes whole or not at all (the forwarder would read the rest
    // as the next message): what does not fit in the buffer is dropped.
    if (pending_bytes_ + frame.size() > kMaxPending && wait_) Flush(10000);
    if (gone_ || pending_bytes_ + frame.size() > kMaxPending) {
      ++lost;
      continue;
    }
    pending_bytes_ += frame.size();
    pending_.push_back(std::move(frame));
  }
  if (!Flush(wait_ ? 10000 : 0)) {
    lost += pending_.size();  // nobody will read them
    pending_.clear();
    pending_bytes_ = 0;
    head_sent_ = 0;
  }
  if (lost > 0) dropped_.fetch_add(lost, std::memory_order_relaxed);
  if (gone_) return Error{"syslog: the forwarder process has ended; messages are lost"};
  if (lost > 0) {
    return Error{"syslog: " + std::to_string(lost) + " of " + std::to_string(batch.size()) +
                 " messages dropped (the forwarder is not reading)"};
  }
  return {};
}

}  // namespace dlp
