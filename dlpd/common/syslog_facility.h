// Syslog facilities by name, with their RFC 5424 codes (section 6.2.1): the
// ones a daemon may log under. dlpd's own log (--log-facility) and its
// incident messages (--syslog-facility) take the same names.
#pragma once

#include <string>
#include <string_view>

namespace dlp {

struct SyslogFacility {
  const char* name;
  int code;  // the PRI's facility: PRI = code * 8 + severity
};

inline constexpr SyslogFacility kSyslogFacilities[] = {
    {"user", 1},    {"daemon", 3},  {"local0", 16}, {"local1", 17}, {"local2", 18},
    {"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
};

// The code of a facility name, or -1.
inline int SyslogFacilityCode(std::string_view name) {
  for (const SyslogFacility& f : kSyslogFacilities) {
    if (name == f.name) return f.code;
  }
  return -1;
}

// "user, daemon, local0, ... local7", for messages and help.
inline std::string SyslogFacilityNames() {
  std::string out;
  for (const SyslogFacility& f : kSyslogFacilities)
    out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

}  // namespace dlp
