#include "storage/eve_json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "dlpd/common/regular_file.h"
#include "storage/community_id.h"
#include "storage/incident_columns.h"
#include "storage/incident_store.h"

namespace dlp {
namespace {

// Suricata's alert severities: 1 is the most severe.
int EveSeverity(const std::string& severity) {
  if (severity == "critical" || severity == "high") return 1;
  if (severity == "medium") return 2;
  return 3;
}

}  // namespace

nlohmann::json JsonTextValue(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(std::string(text)) : j;
}

std::string EveTimestamp(int64_t us) {
  // The store's form with Suricata's zone suffix instead of 'Z'.
  std::string t = IsoTimeUtc(us);
  t.pop_back();
  return t + "+0000";
}

std::optional<int64_t> EveFlowId(std::string_view hex) {
  if (hex.size() != 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : hex) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return static_cast<int64_t>(v & 0x7ffffffffffffULL);
}

namespace {

// What every line carries: the sensor; and, when the line is one
// connection's (`one_flow`), Suricata's flow_id and the Community ID.
void AddFlowFields(nlohmann::json& j, std::string_view host, bool one_flow,
                   std::string_view flow_id, std::string_view src, uint16_t sport,
                   std::string_view dst, uint16_t dport) {
  if (!host.empty()) j["host"] = std::string(host);
  if (!one_flow) return;
  if (auto id = EveFlowId(flow_id)) j["flow_id"] = *id;
  if (std::string cid = CommunityId(src, sport, dst, dport); !cid.empty()) {
    j["community_id"] = std::move(cid);
  }
}

}  // namespace

std::string EveLine(const Incident& in, int64_t id, std::string_view host) {
  nlohmann::json j;
  j["event_type"] = "alert";
  // A flood's row (source port 0) stands for many connections: no one flow
  // id or Community ID is its, and a made-up one would join nothing.
  AddFlowFields(j, host, in.src_port != 0, in.flow_id, in.src_ip, in.src_port, in.dst_ip,
                in.dst_port);
  for (const IncidentColumn& c : kIncidentColumns) {
    if (c.eve.empty()) continue;
    const ColumnValue v = c.access.get(in, id);
    nlohmann::json value;
    switch (c.type) {
      case ColumnType::kRowId:
        if (v.number <= 0) continue;  // not stored yet
        value = v.number;
        break;
      case ColumnType::kInteger:
        value = v.number;
        break;
      case ColumnType::kFlows:
        if (v.number == 1) continue;  // the usual one: lines as dlpd 0.1 wrote them
        value = v.number;
        break;
      case ColumnType::kText:
        value = std::string(v.text);
        break;
      case ColumnType::kOptionalText:
        if (v.text.empty()) continue;
        value = std::string(v.text);
        break;
      case ColumnType::kOptionalCount:
        if (v.null) continue;
        value = v.number;
        break;
      case ColumnType::kJsonText:
        if (v.text.empty()) continue;
        value = JsonTextValue(v.text);
        break;
      case ColumnType::kTime:
        value = EveTimestamp(v.number);
        break;
    }
    j[nlohmann::json::json_pointer(std::string(c.eve))] = std::move(value);
  }
  // The rule's signature fields are columns (the rule file's sid, rev,
  // classtype, metadata; its name); rows stored before they were have
  // none, and get what dlpd wrote then. The action is alert.action and
  // dlp.action, never part of the signature.
  // "blocked" when nothing of a value went out: by the outcomes when the row
  // has them (a row reading mask may have let values through below a
  // threshold), else (rows stored before they were) by the action.
  const bool known = in.masked + in.partly_masked + in.in_clear + in.blocked > 0;
  const bool stopped = known ? in.in_clear == 0 && in.partly_masked == 0
                             : in.action == "mask" || in.action == "block";
  nlohmann::json& alert = j["alert"];
  alert["action"] = stopped ? "blocked" : "allowed";
  alert["gid"] = 1;
  alert["severity"] = EveSeverity(in.severity);
  if (in.signature_id <= 0) alert["signature_id"] = DefaultSignatureId(in.rule_id);
  if (in.signature_rev == 0) alert["rev"] = 1;
  if (in.rule_name.empty()) alert["signature"] = in.rule_id;
  if (in.category.empty()) alert["category"] = kDefaultAlertCategory;
  // An http object, and app_proto, when the request's method or Host is known.
  if (in.http_method.empty() && in.http_host.empty()) {
    j.erase("http");
  } else {
    j["app_proto"] = "http";
  }
  // Bytes from the wire (Host, path) need not be UTF-8: replace, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EveAnomalyLine(const AnomalyEvent& a, std::string_view host) {
  nlohmann::json j;
  AddFlowFields(j, host, /*one_flow=*/true, a.flow_id, a.src_ip, a.src_port, a.dst_ip, a.dst_port);
  j["timestamp"] = EveTimestamp(a.time_us);
  j["event_type"] = "anomaly";
  j["src_ip"] = a.src_ip;
  j["src_port"] = a.src_port;
  j["dest_ip"] = a.dst_ip;
  j["dest_port"] = a.dst_port;
  j["proto"] = "TCP";
  j["anomaly"] = {{"type", "stream"}, {"event", "stream." + a.kind}};
  // Always there, so that lines + the sum of `suppressed` is the count.
  j["dlp"]["suppressed"] = a.suppressed;
  if (!a.flow_id.empty()) j["dlp"]["flow_id"] = a.flow_id;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<EveLog>> EveLog::Open(const std::string& path, uint64_t max_bytes,
                                             std::string host) {
  std::unique_ptr<EveLog> log(new EveLog(path, max_bytes, std::move(host)));
  if (Status st = log->Reopen(); !st) return st.error();
  return log;
}

EveLog::~EveLog() {
  if (file_ != nullptr) fclose(file_);
}

Status EveLog::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  return OpenFile();
}

Status EveLog::OpenFile() {
  auto opened = OpenRegularFile("EVE log", path_, O_WRONLY | O_APPEND | O_CREAT, 0640);
  if (!opened) return opened.error();
  const int fd = opened.value();
  struct stat st {};
  FILE* f = ::fstat(fd, &st) == 0 ? fdopen(fd, "a") : nullptr;
  if (f == nullptr) {
    ::close(fd);
    return Error{"EVE log " + path_ + ": " + std::strerror(errno)};
  }
  if (file_ != nullptr) fclose(file_);
  file_ = f;
  size_ = static_cast<uint64_t>(st.st_size);
  return {};
}

Status EveLog::Write(const std::vector<StoredIncident>& batch) {
  std::string lines;
  for (const StoredIncident& r : batch) lines += EveLine(r.incident, r.id, host_) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  return Append(lines, batch.size());
}

Status EveLog::WriteAnomalies(const std::vector<AnomalyEvent>& batch) {
  std::string lines;
  for (const AnomalyEvent& a : batch) lines += EveAnomalyLine(a, host_) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  return Append(lines, batch.size());
}

Status EveLog::Append(const std::string& lines, size_t count) {
  // A file that could not be opened (after a rotation) is tried again.
  if (file_ == nullptr) {
    if (Status st = OpenFile(); !st) {
      dropped_.fetch_add(count, std::memory_order_relaxed);
      return st;
    }
  }
  if (max_bytes_ > 0 && size_ > 0 && size_ + lines.size() > max_bytes_) {
    // PATH.1 goes, PATH becomes PATH.1 (a reader holding it open reads on).
    const std::string old = path_ + ".1";
    if (::rename(path_.c_str(), old.c_str()) == 0) {
      rotations_.fetch_add(1, std::memory_order_relaxed);
      if (Status st = OpenFile(); !st) {
        // Never on into PATH.1 past the bound: nothing until PATH opens.
        fclose(file_);
        file_ = nullptr;
        dropped_.fetch_add(count, std::memory_order_relaxed);
        return st;
      }
    }
  }
  if (file_ == nullptr || fwrite(lines.data(), 1, lines.size(), file_) != lines.size() ||
      fflush(file_) != 0) {
    const std::string why = std::strerror(errno);
    dropped_.fetch_add(count, std::memory_order_relaxed);
    if (file_ != nullptr) clearerr(file_);
    return Error{"EVE log " + path_ + ": " + why + " (" + std::to_string(count) +
                 " lines dropped)"};
  }
  size_ += lines.size();
  return {};
}

}  // namespace dlp
