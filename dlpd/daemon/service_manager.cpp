#include "dlpd/daemon/service_manager.h"

#include <spdlog/spdlog.h>

#include <cstring>

#if defined(__linux__) && defined(DLP_HAVE_SYSTEMD)
#include <systemd/sd-daemon.h>
#endif

namespace dlp {

void NotifyReady(const std::string& status) {
#if defined(__linux__) && defined(DLP_HAVE_SYSTEMD)
  // 0: not under a service manager that asked for it ($NOTIFY_SOCKET unset).
  const int rc = sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
  if (rc < 0) spdlog::warn("sd_notify: {}", std::strerror(-rc));
#else
  (void)status;
#endif
}

}  // namespace dlp
