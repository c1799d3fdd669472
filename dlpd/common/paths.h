// Where things live by default, by platform convention (set by CMake for
// the install layout: /etc/dlpd and /var/lib/dlpd on Linux,
// PREFIX/etc/dlpd (FreeBSD) or /etc/dlpd (OpenBSD) and /var/db/dlpd on
// the BSDs).
#pragma once

#include <cstdlib>
#include <string>

#ifndef DLP_CONF_DIR
#define DLP_CONF_DIR "/etc/dlpd"
#endif
#ifndef DLP_STATE_DIR
#define DLP_STATE_DIR "/var/lib/dlpd"
#endif
#ifndef DLP_RUN_DIR
#define DLP_RUN_DIR "/run/dlpd"
#endif

namespace dlp {

inline constexpr const char* kConfDir = DLP_CONF_DIR;
inline constexpr const char* kStateDir = DLP_STATE_DIR;
inline constexpr const char* kRunDir = DLP_RUN_DIR;

// The settings file read when no -c is given (and only if it exists):
// $DLPD_CONFIG if set (empty: none, as the test suites run dlpd), else the
// configuration directory's dlpd.conf.
inline std::string DefaultConfigPath() {
  const char* env = std::getenv("DLPD_CONFIG");
  if (env != nullptr) return env;
  return std::string(kConfDir) + "/dlpd.conf";
}

// $DLPD_SOCKET, or the run directory's dlpd.sock.
inline std::string DefaultControlSocket() {
  const char* env = std::getenv("DLPD_SOCKET");
  if (env != nullptr && *env != '\0') return env;
  return std::string(kRunDir) + "/dlpd.sock";
}

// $DLPD_DB, or the state directory's incidents.db.
inline std::string DefaultDbPath() {
  const char* env = std::getenv("DLPD_DB");
  if (env != nullptr && *env != '\0') return env;
  return std::string(kStateDir) + "/incidents.db";
}

}  // namespace dlp
