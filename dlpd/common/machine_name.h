// This machine's name (gethostname), as EVE lines and syslog messages name
// the sensor unless the settings give another ("" if it has none).
#pragma once

#include <unistd.h>

#include <string>

namespace dlp {

inline std::string MachineName() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) return "";
  return host;
}

}  // namespace dlp
