// The host name a Host header value gives, as the policy matches it and
// `dlpctl incidents --host` finds it: its port and one trailing dot taken
// off, an IPv6 literal's brackets too ("API.example.:8080" -> "API.example",
// "[2001:db8::1]:8080" -> "2001:db8::1"). A value that is no name and port
// ("a.example:x") comes back whole. Case is left as it is.
#pragma once

#include <string_view>

namespace dlp {

inline std::string_view HostOf(std::string_view host_header) {
  // ":" and digits, or ":" alone (RFC 3986: port = *DIGIT).
  auto is_port = [](std::string_view s) {
    return !s.empty() && s.front() == ':' &&
           s.find_first_not_of("0123456789", 1) == std::string_view::npos;
  };
  std::string_view h = host_header;
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    if (close == std::string_view::npos) return host_header;
    const std::string_view after = h.substr(close + 1);
    if (!after.empty() && !is_port(after)) return host_header;
    return h.substr(1, close - 1);
  }
  const size_t colon = h.find(':');
  if (colon != std::string_view::npos && h.find(':', colon + 1) == std::string_view::npos) {
    if (!is_port(h.substr(colon))) return host_header;
    h = h.substr(0, colon);
  }
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  return h;
}

}  // namespace dlp
