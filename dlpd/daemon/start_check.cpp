#include "dlpd/daemon/start_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dlpd/common/paths.h"
#include "dlpd/common/regular_file.h"
#include "dlpd/daemon/privileges.h"
#include "dlpd/icap/icap_server.h"
#include "dlpd/inspect/fingerprint.h"
#include "storage/incident_store.h"
#include "storage/syslog_transport.h"

namespace dlp {
namespace {

std::string DirOf(const std::string& file) {
  const std::string dir = std::filesystem::path(file).parent_path().string();
  return dir.empty() ? "." : dir;
}

// `what` (at `file`) needs to create files in its directory. `made`: the
// daemon creates the directory itself, as root, when it is missing.
// Whether it can (else the problem is added).
bool NeedWritableDir(const std::string& what, const std::string& file, bool made, StartCheck* c) {
  const std::string dir = DirOf(file);
  struct stat sb {};
  if (::stat(dir.c_str(), &sb) != 0) {
    if (errno == ENOENT && made) return true;
    c->problems.push_back(what + " " + file + ": directory " + dir + ": " + std::strerror(errno));
    return false;
  }
  if (!S_ISDIR(sb.st_mode)) {
    c->problems.push_back(what + " " + file + ": " + dir + " is not a directory");
    return false;
  }
  // access(2) reports a read-only file system (EROFS: systemd's
  // ProtectSystem= among them) as well as modes.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    c->problems.push_back(what + " " + file + ": cannot create files in " + dir + ": " +
                          std::strerror(errno));
    return false;
  }
  return true;
}

// An existing file dlpd appends to (O_APPEND, never created here).
void NeedAppendable(const std::string& what, const std::string& file, StartCheck* c) {
  struct stat sb {};
  if (::lstat(file.c_str(), &sb) != 0) return;  // created at start
  auto opened = OpenRegularFile(what, file, O_WRONLY | O_APPEND);
  if (!opened) {
    c->problems.push_back(opened.error().message);
    return;
  }
  ::close(opened.value());
}

void NeedReadable(const std::string& what, const std::string& path, StartCheck* c) {
  if (path.empty()) return;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    // Reloads read each file again, as dlpd's user.
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.is_regular_file(ec) && ::access(e.path().c_str(), R_OK) != 0) {
        c->problems.push_back(what + " " + e.path().string() + ": " + std::strerror(errno) +
                              " (reloads read it as dlpd's user)");
      }
    }
    if (ec) c->problems.push_back(what + " " + path + ": " + ec.message());
  } else if (::access(path.c_str(), R_OK) != 0) {
    c->problems.push_back(what + " " + path + ": " + std::strerror(errno) +
                          " (reloads read it as dlpd's user)");
  }
}

// Everything opened after the drop, tried as the process is now.
void CheckFiles(const DaemonOptions& o, bool root_prepares, StartCheck* c) {
  NeedReadable("rules", o.rules_path, c);
  NeedReadable("policy", o.policy_path, c);
  // (The files in a directory that cannot be reached say nothing more.)
  if (!o.db_path.empty() && NeedWritableDir("incident database", o.db_path, root_prepares, c)) {
    if (Status st = IncidentStore::Probe(o.db_path, o.db_group); !st) {
      c->problems.push_back(st.error().message);
    }
    const std::string key = o.key_path.empty() ? o.db_path + ".key" : o.key_path;
    if (std::string why = Fingerprinter::Probe(key); !why.empty()) {
      c->problems.push_back(why);
    } else {
      struct stat sb {};
      if (::lstat(key.c_str(), &sb) != 0 && DirOf(key) != DirOf(o.db_path)) {
        NeedWritableDir("fingerprint key", key, false, c);
      }
    }
  }
  if (!o.eve_log.empty()) {
    // Rotation renames it beside itself: the directory, too.
    if (NeedWritableDir("EVE log", o.eve_log, false, c)) NeedAppendable("EVE log", o.eve_log, c);
  }
  if (o.log == "syslog") {
    // syslog(3) reports nothing: without a local syslog daemon the lines
    // go nowhere. (OpenBSD's sendsyslog(2) needs no socket.)
#ifndef __OpenBSD__
    struct stat sb {};
    if (::stat("/dev/log", &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
      c->warnings.push_back("log syslog: /dev/log is no socket: no syslog daemon takes the lines");
    }
#endif
  } else if (o.log != "stderr" && root_prepares) {
    // Started as root, dlpd opens (or creates) it before the drop and hands
    // it to the user: only what root's open would refuse.
    struct stat sb {};
    if (::lstat(o.log.c_str(), &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_nlink > 1)) {
      c->problems.push_back("log file " + o.log +
                            ": not a regular file of its own (a link, or other hard links)");
    }
  } else if (o.log != "stderr") {
    // SIGUSR1 opens the path again (creating it after a rotation).
    if (NeedWritableDir("log file", o.log, false, c)) NeedAppendable("log file", o.log, c);
  }
  if (!o.syslog.empty()) {
    // Resolves the name, and tries a connection where there is one to
    // make: nothing is sent.
    if (auto target = ParseSyslogTarget(o.syslog); !target) {
      c->problems.push_back(target.error().message);
    } else {
      const SyslogProbe p = ProbeSyslogTarget(target.value());
      if (!p.problem.empty()) c->problems.push_back(p.problem);
      if (!p.warning.empty()) c->warnings.push_back(p.warning);
    }
  }
  if (o.pcap_in.empty() && (o.nfqueue.size() > 0 || o.divert_port != 0 || !o.icap.empty())) {
    const std::string socket = o.control_socket.empty() ? DefaultControlSocket() : o.control_socket;
    StartCheck s;
    NeedWritableDir("control socket", socket, root_prepares, &s);
    // The daemon starts without a default socket it cannot make (and says
    // so); a socket the settings name is a requirement.
    auto& into = o.control_socket.empty() ? c->warnings : c->problems;
    for (auto& p : s.problems) {
      into.push_back(p + (o.control_socket.empty() ? ": dlpctl status/reload unavailable" : ""));
    }
  }
  if (!o.pcap_in.empty()) {
    // (Read only, through libpcap: a link or a second name is harmless.)
    if (::access(o.pcap_in.c_str(), R_OK) != 0) {
      c->problems.push_back("capture " + o.pcap_in + ": " + std::strerror(errno));
    }
    NeedWritableDir("output capture", o.pcap_out, false, c);
  }
}

// CheckFiles in a child that becomes `ids` (as the daemon does), the lines
// sent back through a pipe: P<problem> or W<warning>, NUL-ended.
StartCheck CheckFilesAs(const DaemonOptions& o, const UserIds& ids) {
  StartCheck c;
  int fds[2];
  if (::pipe(fds) != 0) {
    c.problems.push_back(std::string("--check: pipe: ") + std::strerror(errno));
    return c;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    c.problems.push_back(std::string("--check: fork: ") + std::strerror(errno));
    ::close(fds[0]);
    ::close(fds[1]);
    return c;
  }
  if (pid == 0) {
    ::close(fds[0]);
    StartCheck mine;
    if (Status st = DropAllPrivileges(&ids); !st) {
      mine.problems.push_back(st.error().message);
    } else {
      CheckFiles(o, true, &mine);
    }
    std::string out;
    for (const auto& p : mine.problems) out += "P" + p + '\0';
    for (const auto& w : mine.warnings) out += "W" + w + '\0';
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string in;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    c.problems.push_back("--check: the check as " + ids.name + " did not finish");
  }
  for (size_t at = 0; at < in.size();) {
    const size_t end = in.find('\0', at);
    if (end == std::string::npos) break;
    (in[at] == 'P' ? c.problems : c.warnings).push_back(in.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return c;
}

}  // namespace

// The ICAP address binds (as the daemon does, before it drops its
// privileges): a port in use is a warning (the running dlpd, checked before
// a restart, holds it), anything else a problem; the block page reads.
void CheckIcap(const DaemonOptions& o, StartCheck* c) {
  if (o.icap.empty()) return;
  if (Status st = ProbeIcapListen(o.icap); !st) {
    const std::string& why = st.error().message;
    (why.find("in use") != std::string::npos ? c->warnings : c->problems).push_back(why);
  }
  if (!o.icap_block_page.empty() && ::access(o.icap_block_page.c_str(), R_OK) != 0) {
    c->problems.push_back("--icap-block-page " + o.icap_block_page + ": " + std::strerror(errno));
  }
}

StartCheck CheckStart(const DaemonOptions& o) {
  StartCheck c;
  CheckIcap(o, &c);
  if (!o.user.empty()) {
    auto ids = LookUpUser(o.user);
    if (!ids) {
      c.problems.push_back(ids.error().message);
      return c;
    }
    if (::geteuid() != 0) {
      c.problems.push_back("--user " + o.user + " needs dlpd to start as root");
      return c;
    }
    StartCheck as_user = CheckFilesAs(o, ids.value());
    as_user.problems.insert(as_user.problems.begin(), c.problems.begin(), c.problems.end());
    as_user.warnings.insert(as_user.warnings.begin(), c.warnings.begin(), c.warnings.end());
    return as_user;
  }
  CheckFiles(o, false, &c);
  return c;
}

}  // namespace dlp
