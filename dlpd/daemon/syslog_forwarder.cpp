#include "dlpd/daemon/syslog_forwarder.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>

#include "dlpd/daemon/logging.h"
#include "dlpd/daemon/privileges.h"
#include "dlpd/daemon/sandbox.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace dlp {
namespace {

volatile sig_atomic_t g_reopen_log = 0;  // the forwarder's SIGUSR1

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
    for (const int sig : {SIGHUP, SIGINT, SIGTERM, SIGUSR2, SIGPIPE}) signal(sig, SIG_IGN);
    // SIGUSR1 is dlpd's, passed on after a log rotation: the log file is
    // opened again (the loop's poll wakes with EINTR).
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_reopen_log = 1; };
    sigaction(SIGUSR1, &sa, nullptr);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, nullptr);
    if (Status st = DropAllPrivileges(user); !st) Fail(st.error().message);
    if (Status st = EnterSandbox(SandboxSockets::kOutbound); !st) Fail(st.error().message);
#ifdef __OpenBSD__
    // Sockets (inet, unix) and name lookups (dns), nothing else.
    if (pledge("stdio inet unix dns", nullptr) != 0)
      Fail(std::string("pledge: ") + std::strerror(errno));
#endif
    ForwarderOptions with_log = options;
    with_log.on_wake = [] {
      if (g_reopen_log == 0) return;
      g_reopen_log = 0;
      if (Status st = ReopenLogFile(); !st)
        spdlog::error("syslog forwarder: {}", st.error().message);
    };
    RunSyslogForwarder(sv[1], target, with_log, stats);
    spdlog::default_logger()->flush();
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

void SyslogForwarder::CountLoss(const std::string& how) {
  // Nothing writes the page now: what it held, and what dlpd had written
  // into the socket that it never read.
  const uint64_t held = stats_->queued.load();
  const uint64_t handed = stats_->handed.load(), received = stats_->received.load();
  const uint64_t unread = handed > received ? handed - received : 0;
  stats_->dropped.fetch_add(held + unread);
  stats_->queued.store(0);
  stats_->connected.store(0);
  spdlog::error(
      "syslog forwarder {}: incidents are no longer sent to {} until dlpd restarts ({} messages "
      "it held lost)",
      how, target_.text, held + unread);
}

bool SyslogForwarder::CheckEnded() {
  if (ended_.load()) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  ended_.store(true);
  CountLoss(WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                : "ended (exit " + std::to_string(WEXITSTATUS(status)) + ")");
  return true;
}

void SyslogForwarder::ReopenLog() {
  if (!ended_.load()) kill(pid_, SIGUSR1);
}

SyslogForwarder::~SyslogForwarder() {
  if (fd_ >= 0) close(fd_);  // never handed to a sink
  bool ended = ended_.load();
  const int64_t steps = (drain_ms_ + 1000) / 10;
  for (int64_t i = 0; i < steps && !ended; ++i) {
    const pid_t r = waitpid(pid_, nullptr, WNOHANG);
    ended = r == pid_ || (r < 0 && errno != EINTR);
    if (!ended) usleep(10000);
  }
  if (!ended) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    CountLoss("did not end within its drain");
  }
  // The last word on syslog: the forwarder has sent what it could.
  const uint64_t dropped = stats_->dropped.load();
  spdlog::log(dropped > 0 ? spdlog::level::warn : spdlog::level::info,
              "syslog {}: sent={} dropped={} resent={}", target_.text, stats_->sent.load(), dropped,
              stats_->resent.load());
  stats_->~SyslogStats();
  munmap(stats_, sizeof(SyslogStats));
}

}  // namespace dlp
