#include "policy/policy.h"

#include <algorithm>

namespace dlp {

bool PolicyStatement::Matches(const FindingScope& s) const {
  if (!rules.empty() && std::find(rules.begin(), rules.end(), s.rule_id) == rules.end()) {
    return false;
  }
  if (!severities.empty() &&
      std::find(severities.begin(), severities.end(), s.severity) == severities.end()) {
    return false;
  }
  if (!dst.empty()) {
    if (s.dst == nullptr) return false;
    if (std::none_of(dst.begin(), dst.end(),
                     [&](const Cidr& c) { return c.Contains(s.family, s.dst); })) {
      return false;
    }
  }
  if (!ports.empty() && std::find(ports.begin(), ports.end(), s.dst_port) == ports.end()) {
    return false;
  }
  if (!src.empty()) {
    if (s.src == nullptr) return false;
    if (std::none_of(src.begin(), src.end(),
                     [&](const Cidr& c) { return c.Contains(s.src_family, s.src); })) {
      return false;
    }
  }
  if (!paths.empty() && std::none_of(paths.begin(), paths.end(), [&](const std::string& p) {
        return PathInScope(p, s.path);
      })) {
    return false;
  }
  if (!hosts.empty()) {
    if (s.host.empty()) return false;
    const std::string_view name = HostOf(s.host);
    if (std::none_of(hosts.begin(), hosts.end(),
                     [&](const HostName& h) { return h.Matches(name); })) {
      return false;
    }
  }
  return true;
}

bool PathInScope(std::string_view prefix, std::string_view target) {
  // Absolute form: the path after the scheme and authority.
  const size_t scheme = target.find("://");
  if (scheme != std::string_view::npos &&
      target.substr(0, scheme).find('/') == std::string_view::npos) {
    const size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/') return false;
  if (target.find_first_of("%\\") != std::string_view::npos) return false;
  for (size_t at = 0; at < target.size();) {
    size_t end = target.find('/', at + 1);
    if (end == std::string_view::npos) end = target.size();
    const std::string_view seg = target.substr(at + 1, end - at - 1);
    if (seg == "." || seg == "..") return false;
    at = end;
  }
  if (target.substr(0, prefix.size()) != prefix) return false;
  return target.size() == prefix.size() || prefix.back() == '/' || target[prefix.size()] == '/';
}

PolicyAction PolicyStatement::ActionFor(uint32_t count) const {
  PolicyAction a = action;
  for (const Threshold& t : thresholds) {
    if (count >= t.from) a = t.action;
  }
  return a;
}

int Policy::Match(const FindingScope& s) const {
  for (size_t i = 0; i < statements.size(); ++i) {
    if (statements[i].Matches(s)) return static_cast<int>(i);
  }
  return -1;
}

PolicyAction Policy::Decide(int statement, uint32_t count) const {
  if (statement < 0 || static_cast<size_t>(statement) >= statements.size()) return default_action;
  return statements[static_cast<size_t>(statement)].ActionFor(count);
}

}  // namespace dlp
