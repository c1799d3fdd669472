#include "policy/host_name.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>

#include "dlpd/common/ascii.h"

namespace dlp {
namespace {

constexpr char kExpected[] =
    "expected a whole host name ('payments.example'), '*.' and a name for any subdomain of "
    "it ('*.payments.example'), or a list of them";

bool IsIpv6(std::string_view s) {
  in6_addr a;
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

// Letters, digits, '-', '_' and dots between non-empty labels.
bool IsPlainName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.find("..") != std::string_view::npos) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool Consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

// The names an old-style scope (an RE2 pattern searched in the Host) most
// likely meant, as the new form writes them, or "" when the pattern is not
// one of the usual shapes.
std::string NamesFor(std::string_view re) {
  // What may stand before the name: the name itself or any subdomain.
  static constexpr std::string_view kNameOrBelow[] = {
      "(^|\\.)",  "(?:^|\\.)",  "(^|.*\\.)", "(?:^|.*\\.)",
      "(.*\\.)?", "(?:.*\\.)?", "(.+\\.)?",  "(?:.+\\.)?",
  };
  const bool anchored = Consume(&re, "^");
  bool name = true;
  bool below = !anchored;  // unanchored, it matched the name anywhere
  for (std::string_view lead : kNameOrBelow) {
    if (Consume(&re, lead)) {
      below = true;
      break;
    }
  }
  if (Consume(&re, ".*\\.") || Consume(&re, ".+\\.") || (!anchored && Consume(&re, "\\."))) {
    name = false;
    below = true;
  }
  if (!re.empty() && re.back() == '$') re.remove_suffix(1);
  std::string plain;
  for (size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\' && i + 1 < re.size() && (re[i + 1] == '.' || re[i + 1] == '-')) ++i;
    plain += re[i];
  }
  if (!IsPlainName(plain)) return "";
  if (name && below) return "[" + plain + ", '*." + plain + "']";
  return below ? "'*." + plain + "'" : plain;
}

}  // namespace

Result<HostName> HostName::Parse(std::string_view text) {
  const std::string shown = "host '" + std::string(text) + "'";
  if (text.empty()) return Error{"host: an empty name; " + std::string(kExpected)};
  if (text == "*") return Error{shown + ": to match any Host, leave 'host' out"};
  if (text.size() > 2 && text.front() == '[' && text.back() == ']' &&
      IsIpv6(text.substr(1, text.size() - 2))) {
    return Error{shown + ": write an IPv6 address without brackets ('" +
                 std::string(text.substr(1, text.size() - 2)) +
                 "'); the Host's brackets and port are ignored"};
  }
  if (text.find_first_of("^$()|[]\\+?{}") != std::string_view::npos) {
    const std::string names = NamesFor(text);
    return Error{shown +
                 " looks like a regular expression; host takes whole host names now, matched "
                 "case-insensitively, the Host's port ignored: " +
                 (names.empty() ? kExpected : "write " + names)};
  }
  if (text.find("..") != std::string_view::npos) {
    return Error{shown + " has an empty label ('..'); " + kExpected};
  }
  HostName h;
  h.subdomains_ = text.substr(0, 2) == "*.";
  std::string_view name = text.substr(h.subdomains_ ? 2 : 0);
  if (name.find('*') != std::string_view::npos) {
    return Error{shown +
                 ": '*' stands only as the first label, for any subdomain of the name after it "
                 "('*.payments.example'); " +
                 kExpected};
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return Error{shown + ": an empty name; " + kExpected};
  if (name.front() == '.') {
    const std::string rest(name.substr(1));
    return Error{shown + " begins with '.'; write '*." + rest + "' for its subdomains (and list " +
                 rest + " too if it is meant)"};
  }
  if (name.find(':') != std::string_view::npos) {
    if (h.subdomains_ || !IsIpv6(name)) {
      return Error{shown +
                   " is neither a host name nor an IPv6 address; a name has no port (the Host's "
                   "port is ignored: scope ports with 'port')"};
    }
  } else if (!IsPlainName(name)) {
    return Error{shown + " is not a host name (letters, digits, '-', '_' and '.'); " + kExpected};
  }
  h.name_ = std::string(name);
  return h;
}

bool HostName::Matches(std::string_view host) const {
  if (!subdomains_) return IEquals(host, name_);
  // At least one character and a dot before the name.
  return host.size() > name_.size() + 1 && host[host.size() - name_.size() - 1] == '.' &&
         IEquals(host.substr(host.size() - name_.size()), name_);
}

}  // namespace dlp
