#include "dlpd/daemon/syslog_forwarder.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include "dlpd/daemon/privileges.h"
#include "dlpd/daemon/sandbox.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace dlp {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  const std::string line = "dlpd: syslog forwarder: " + what + "\n";
  (void)!write(STDERR_FILENO, line.data(), line.size());
  _exit(1);
}

}  // namespace

Result<std::unique_ptr<SyslogForwarder>> SyslogForwarder::Start(const SyslogTarget& target,
                                                                const ForwarderOptions& options,
                                                                const UserIds* user) {
  void* page =
      mmap(nullptr, sizeof(SyslogStats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANON, -1, 0);
  if (page == MAP_FAILED) {
    return Error{std::string("syslog forwarder: mmap: ") + std::strerror(errno)};
  }
  auto* stats = new (page) SyslogStats();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    munmap(page, sizeof(SyslogStats));
    return Error{std::string("syslog forwarder: socketpair: ") + std::strerror(errno)};
  }
  // Room for bursts while the forwarder is not scheduled (it reads at once).
  const int bytes = 1 << 20;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(sv[0]);
    close(sv[1]);
    munmap(page, sizeof(SyslogStats));
    return Error{std::string("syslog forwarder: fork: ") + std::strerror(e)};
  }
  if (pid == 0) {
    close(sv[0]);
#ifdef __linux__
    prctl(PR_SET_NAME, "dlpd-syslog", 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    // dlpd's signals are dlpd's: a stop (which systemd sends to every
    // process of the unit) must not cut what the forwarder still holds;
    // it ends when dlpd closes the socket.
    for (const int sig : {SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE}) signal(sig, SIG_IGN);
    if (Status st = DropAllPrivileges(user); !st) Fail(st.error().message);
    if (Status st = EnterSandbox(SandboxSockets::kOutbound); !st) Fail(st.error().message);
#ifdef __OpenBSD__
    // Sockets (inet, unix) and name lookups (dns), nothing else.
    if (pledge("stdio inet unix dns", nullptr) != 0)
      Fail(std::string("pledge: ") + std::strerror(errno));
#endif
    RunSyslogForwarder(sv[1], target, options, stats);
    _exit(0);
  }
  close(sv[1]);
  return std::unique_ptr<SyslogForwarder>(
      new SyslogForwarder(sv[0], pid, stats, target, options.drain_ms));
}

int SyslogForwarder::TakeInput() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

SyslogForwarder::~SyslogForwarder() {
  if (fd_ >= 0) close(fd_);  // never handed to a sink
  const int64_t steps = (drain_ms_ + 1000) / 10;
  bool ended = false;
  for (int64_t i = 0; i < steps && !ended; ++i) {
    const pid_t r = waitpid(pid_, nullptr, WNOHANG);
    ended = r == pid_ || (r < 0 && errno != EINTR);
    if (!ended) usleep(10000);
  }
  if (!ended) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  stats_->~SyslogStats();
  munmap(stats_, sizeof(SyslogStats));
}

}  // namespace dlp
