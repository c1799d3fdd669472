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
