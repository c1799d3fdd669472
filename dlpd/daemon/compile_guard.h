// Reloaded rules compiled first where they cannot hurt: in a child process
// under a time and a memory limit. Hyperscan's compile can neither be
// stopped nor bounded from inside (20,000 rules took 566 MiB and minutes),
// so a rule set the operator (or whoever may write the rule directory)
// reloads is tried in a process of its own, and only a set that compiles
// within the limits is compiled again in dlpd, where it will then take the
// same time and memory. Costs one more compile per reload.
//
// The helper is forked at start-up, before any other thread exists (fork
// copies only the calling thread) and before the packet path's sandbox
// (which refuses fork): it drops every privilege, then waits for rule sets
// on a socket pair. For each it forks a trial process that sets its limits
// (RLIMIT_AS, or RLIMIT_DATA where there is none, for memory; RLIMIT_CPU),
// enters the sandbox, compiles, and answers; the helper kills a trial that
// outlives the time limit by the wall clock. Sanitizer builds (tests) set
// no memory limit: the sanitizer's own mappings would pass any. The helper ends when dlpd
// closes its end (or dies: PR_SET_PDEATHSIG on Linux, end of file
// elsewhere).
//
// Thread-safety: Trial may be called from any thread, one trial at a time
// (the daemon reloads on one thread).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dlpd/common/result.h"
#include "rules/rule_loader.h"

namespace dlp {

struct UserIds;

class CompileGuard {
 public:
  struct Limits {
    int64_t time_ms = 300000;
    size_t memory_bytes = size_t{2} << 30;
  };
  // Forks the helper, which becomes `user` when dlpd runs as root and one
  // is given (else stays as it is, with no capability). REQUIRES: no
  // thread but the caller's.
  static Result<std::unique_ptr<CompileGuard>> Start(Limits limits, const UserIds* user);
  ~CompileGuard();  // closes the socket, then reaps the helper
  CompileGuard(const CompileGuard&) = delete;
  CompileGuard& operator=(const CompileGuard&) = delete;

  // What a trial found: the set compiled within the limits, or a rule
  // error (the same dlpd's own compile would throw), or a limit passed
  // (which, or why no trial could run).
  struct Outcome {
    enum class Kind { kCompiled, kRuleError, kLimit } kind = Kind::kCompiled;
    std::string message;
  };
  // Compiles `sources` (BuildRuleSet, CompiledRuleset::Compile) in a trial
  // process.
  Outcome Trial(const std::vector<RuleSource>& sources);
  const Limits& limits() const { return limits_; }

 private:
  CompileGuard(int fd, pid_t pid, Limits limits) : fd_(fd), pid_(pid), limits_(limits) {}
  static Outcome RuleFailure(std::string m) { return {Outcome::Kind::kRuleError, std::move(m)}; }
  static Outcome LimitFailure(std::string m) { return {Outcome::Kind::kLimit, std::move(m)}; }
  int fd_;
  pid_t pid_;
  Limits limits_;
  std::mutex mu_;
};

}  // namespace dlp
