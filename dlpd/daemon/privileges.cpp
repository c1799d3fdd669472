#include "dlpd/daemon/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#ifdef __linux__
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#endif

namespace dlp {

Result<UserIds> LookUpUser(const std::string& user) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  const bool numeric = !user.empty() && user.find_first_not_of("0123456789") == std::string::npos;
  const int rc = numeric ? getpwuid_r(static_cast<uid_t>(std::stoul(user)), &pw, buf.data(),
                                      buf.size(), &found)
                         : getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return Error{"no user '" + user + "' (create it, e.g. adduser --system --group dlpd)"};
  }
  return UserIds{pw.pw_uid, pw.pw_gid, pw.pw_name};
}

Status PrepareDirectory(const std::string& dir, const UserIds& ids, unsigned mode) {
  if (dir.empty()) return {};
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return {};
  if (!std::filesystem::create_directories(dir, ec)) {
    return Error{"cannot create " + dir + ": " + ec.message()};
  }
  if (chown(dir.c_str(), ids.uid, ids.gid) != 0 || chmod(dir.c_str(), mode) != 0) {
    return Error{"cannot hand " + dir + " to " + ids.name + ": " + std::strerror(errno)};
  }
  return {};
}

#ifdef __linux__
namespace {
// CAP_NET_ADMIN only, permitted and effective; nothing inheritable.
Status SetCaps(std::initializer_list<cap_value_t> keep) {
  cap_t caps = cap_init();
  const std::vector<cap_value_t> list(keep);
  const int n = static_cast<int>(list.size());
  Status st;
  // (cap_set_flag refuses an empty list: none kept is cap_init's state.)
  if ((n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, list.data(), CAP_SET) != 0 ||
                 cap_set_flag(caps, CAP_EFFECTIVE, n, list.data(), CAP_SET) != 0)) ||
      cap_set_proc(caps) != 0) {
    st = Error{std::string("cannot set capabilities: ") + std::strerror(errno)};
  }
  cap_free(caps);
  return st;
}

Status KeepNetAdminOnly() {
  // CAP_SETPCAP (if we still have it) to empty the bounding set, so that no
  // exec could ever get the rest back; then CAP_NET_ADMIN alone.
  if (SetCaps({CAP_NET_ADMIN, CAP_SETPCAP})) {
    for (int c = 0; c <= CAP_LAST_CAP; ++c) {
      if (c != CAP_NET_ADMIN) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    }
    // And for good: no capability is ever raised into the ambient set (for
    // a program this process would run), nor regained by a root exec.
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (prctl(PR_SET_SECUREBITS,
              SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED | SECBIT_NOROOT |
                  SECBIT_NOROOT_LOCKED,
              0, 0, 0) != 0) {
      return Error{std::string("cannot lock the securebits: ") + std::strerror(errno)};
    }
  }
  Status st = SetCaps({CAP_NET_ADMIN});
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return st;
}
}  // namespace
#endif

Status DropPrivileges(const UserIds& ids) {
  if (geteuid() != 0) return Error{"--user needs dlpd to start as root"};
#ifdef __linux__
  // Keep the permitted set across setuid, then cut it down to CAP_NET_ADMIN.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    return Error{std::string("PR_SET_KEEPCAPS: ") + std::strerror(errno)};
  }
#endif
  // The user's own groups (e.g. the one the database is shared with), no others.
  if (initgroups(ids.name.c_str(), ids.gid) != 0 || setgid(ids.gid) != 0 || setuid(ids.uid) != 0) {
    return Error{"cannot become " + ids.name + ": " + std::strerror(errno)};
  }
  if (setuid(0) == 0) return Error{"privileges could be regained after the drop"};
#ifdef __linux__
  return KeepNetAdminOnly();
#else
  return {};
#endif
}

Status DropAllPrivileges(const UserIds* ids) {
  if (ids != nullptr && geteuid() == 0) {
    if (initgroups(ids->name.c_str(), ids->gid) != 0 || setgid(ids->gid) != 0 ||
        setuid(ids->uid) != 0) {
      return Error{"cannot become " + ids->name + ": " + std::strerror(errno)};
    }
    if (setuid(0) == 0) return Error{"privileges could be regained after the drop"};
  }
#ifdef __linux__
  // Root without a user to become, or started with capabilities: none kept.
  if (Status st = SetCaps({}); !st) return st;
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
#endif
  return {};
}

Status TrimCapabilities() {
#ifdef __linux__
  return KeepNetAdminOnly();
#else
  return {};
#endif
}

Status RestrictFilesystem(const std::vector<std::string>& read_paths,
                          const std::vector<std::string>& write_dirs) {
#ifdef __OpenBSD__
  for (const auto& p : read_paths) {
    if (!p.empty() && unveil(p.c_str(), "r") != 0) {
      return Error{"unveil " + p + ": " + std::strerror(errno)};
    }
  }
  for (const auto& d : write_dirs) {
    if (!d.empty() && unveil(d.c_str(), "rwc") != 0) {
      return Error{"unveil " + d + ": " + std::strerror(errno)};
    }
  }
  if (unveil(nullptr, nullptr) != 0) return Error{std::string("unveil: ") + std::strerror(errno)};
  // stdio: the packet path; rpath/wpath/cpath/flock: SQLite and reloads;
  // unix: the control socket and syslog; inet: divert sockets, UDP syslog.
  if (pledge("stdio rpath wpath cpath flock unix inet", nullptr) != 0) {
    return Error{std::string("pledge: ") + std::strerror(errno)};
  }
#else
  (void)read_paths;
  (void)write_dirs;
#endif
  return {};
}

}  // namespace dlp
