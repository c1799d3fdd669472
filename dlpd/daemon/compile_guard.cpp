#include "dlpd/daemon/compile_guard.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>

#include "dlpd/common/sanitized.h"
#include "dlpd/daemon/privileges.h"
#include "dlpd/daemon/sandbox.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_error.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace dlp {
namespace {

// An answer that begins so is the rule set's own error, not a limit's.
constexpr char kRuleErrorMark = '\x01';

// A request is the rule files' names and texts; larger than this, it is
// refused before it is sent (no rule directory is near it).
constexpr uint64_t kMaxRequest = uint64_t{512} << 20;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool WriteAll(int fd, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    const ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t len) {
  auto* p = static_cast<uint8_t*>(data);
  while (len > 0) {
    const ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteString(int fd, const std::string& s) {
  const uint64_t n = s.size();
  return WriteAll(fd, &n, sizeof n) && WriteAll(fd, s.data(), s.size());
}

bool ReadString(int fd, uint64_t max, std::string* s) {
  uint64_t n = 0;
  if (!ReadAll(fd, &n, sizeof n) || n > max) return false;
  s->resize(n);
  return ReadAll(fd, s->data(), n);
}

// The trial process: limits, sandbox, compile; its answer on `out` ("" for
// a rule set that compiled, else why not). Never returns.
[[noreturn]] void Trial(int out, const std::vector<RuleSource>& sources,
                        const CompileGuard::Limits& limits) {
  // Memory: the heap and anonymous mappings (RLIMIT_DATA, which Linux
  // counts so since 4.7 and the BSDs always have), where the compile's
  // allocations go. Time: CPU seconds (SIGXCPU), and the helper's clock.
  const rlim_t bytes = static_cast<rlim_t>(limits.memory_bytes);
  const rlimit mem{bytes, bytes};
  // Not under a sanitizer: its shadow memory, reserved at start and mapped
  // as it goes, would pass any data limit (those builds apply time only).
  if (!kSanitizedBuild) setrlimit(RLIMIT_DATA, &mem);
  const auto secs = static_cast<rlim_t>((limits.time_ms + 999) / 1000);
  const rlimit cpu{secs, secs + 1};
  setrlimit(RLIMIT_CPU, &cpu);
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // the helper gone, nobody wants the answer
#endif
  (void)EnterSandbox();  // nothing here needs more than the packet path
  std::string answer;
  try {
    (void)CompiledRuleset::Compile(BuildRuleSet(sources));
  } catch (const RuleError& e) {
    // Hyperscan says an allocation failed as a compile error of the first
    // pattern ("Unable to allocate memory."): the limit, not the rule.
    const std::string what = e.what();
    answer = what.find("allocate memory") != std::string::npos
                 ? "over the memory limit of " + std::to_string(limits.memory_bytes >> 20) + " MiB"
                 : std::string(1, kRuleErrorMark) + what;
  } catch (const std::bad_alloc&) {
    answer = "over the memory limit of " + std::to_string(limits.memory_bytes >> 20) + " MiB";
  } catch (const std::exception& e) {
    answer = e.what();
  }
  if (answer.empty()) answer.assign(1, '\0');  // a NUL alone: compiled
  (void)WriteAll(out, answer.data(), answer.size());
  _exit(0);
}

// Runs one trial; its answer (empty: it compiled).
std::string RunTrial(const std::vector<RuleSource>& sources, const CompileGuard::Limits& limits) {
  int p[2];
  if (pipe(p) != 0) return std::string("cannot start a trial compile: ") + std::strerror(errno);
  const pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return std::string("cannot start a trial compile: ") + std::strerror(errno);
  }
  if (pid == 0) {
    close(p[0]);
    Trial(p[1], sources, limits);
  }
  close(p[1]);
  std::string answer;
  const int64_t deadline = NowMs() + limits.time_ms;
  bool timed_out = false;
  for (;;) {
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    const int rc = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    char buf[4096];
    const ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the trial is done (or died)
    if (answer.size() < 4096) answer.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string time_limit =
      "over the time limit of " + std::to_string(limits.time_ms / 1000) + " s";
  if (timed_out) return time_limit;
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGXCPU || sig == SIGKILL) return time_limit;
    // An allocation that failed where nothing could throw (a library's
    // own allocator): the memory limit, most likely.
    return "ended by signal " + std::to_string(sig) + " (the memory limit of " +
           std::to_string(limits.memory_bytes >> 20) + " MiB, most likely)";
  }
  if (answer.empty()) return "the trial compile ended without an answer";
  if (answer.size() == 1 && answer[0] == '\0') return {};
  return answer;
}

// The helper's loop. Never returns.
[[noreturn]] void Serve(int fd, const CompileGuard::Limits& limits) {
  for (;;) {
    uint64_t count = 0;
    if (!ReadAll(fd, &count, sizeof count)) _exit(0);  // dlpd closed its end
    std::vector<RuleSource> sources(count);
    for (RuleSource& s : sources) {
      if (!ReadString(fd, kMaxRequest, &s.name) || !ReadString(fd, kMaxRequest, &s.text)) _exit(0);
    }
    if (!WriteString(fd, RunTrial(sources, limits))) _exit(0);
  }
}

}  // namespace

Result<std::unique_ptr<CompileGuard>> CompileGuard::Start(Limits limits, const UserIds* user) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    return Error{std::string("compile helper: socketpair: ") + std::strerror(errno)};
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return Error{std::string("compile helper: fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    close(sv[0]);
#ifdef __linux__
    prctl(PR_SET_NAME, "dlpd-compile", 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    if (getppid() != parent) _exit(0);  // dlpd died before the line above
    // dlpd's signals are dlpd's: `kill -HUP $(pidof dlpd)` reloads it only.
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (Status st = DropAllPrivileges(user); !st) {
      const std::string line = "dlpd: compile helper: " + st.error().message + "\n";
      (void)WriteAll(2, line.data(), line.size());
      _exit(1);
    }
    // Its socket and the standard streams only: a descriptor of dlpd's
    // held here (the syslog forwarder's socket) would outlive dlpd.
    int fd = sv[1];
    if (fd != 3) {
      if (dup2(fd, 3) < 0) _exit(1);
      close(fd);
      fd = 3;
    }
    closefrom(4);
    Serve(fd, limits);
  }
  close(sv[1]);
  return std::unique_ptr<CompileGuard>(new CompileGuard(sv[0], pid, limits));
}

CompileGuard::~CompileGuard() {
  close(fd_);  // the helper reads the end of the socket and exits
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) != 0) return;
    usleep(10000);
  }
  kill(pid_, SIGKILL);  // busy with a trial that will not end soon
  waitpid(pid_, nullptr, 0);
}

CompileGuard::Outcome CompileGuard::Trial(const std::vector<RuleSource>& sources) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const RuleSource& s : sources) total += s.name.size() + s.text.size();
  if (total > kMaxRequest) {
    return LimitFailure("rule files of " + std::to_string(total >> 20) + " MiB: more than " +
                        std::to_string(kMaxRequest >> 20) + " MiB");
  }
  const uint64_t count = sources.size();
  bool sent = WriteAll(fd_, &count, sizeof count);
  for (const RuleSource& s : sources) {
    sent = sent && WriteString(fd_, s.name) && WriteString(fd_, s.text);
  }
  std::string answer;
  if (!sent || !ReadString(fd_, 1 << 20, &answer)) {
    return LimitFailure("the compile helper is gone (its limits cannot be applied)");
  }
  if (answer.empty()) return {};
  if (answer[0] == kRuleErrorMark) return RuleFailure(answer.substr(1));
  return LimitFailure(answer);
}

}  // namespace dlp
