// The sandbox dlpd enters after start-up, entered by a child process of the
// test (the filter is for good): what a compromised packet parser would
// try fails with EPERM, and what the daemon does after start-up (threads,
// files, its open sockets) still works.
#include "dlpd/daemon/sandbox.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>

namespace dlp {
namespace {

// Each check a bit of the child's exit code: set when it did not hold.
enum Check : int {
  kEntered = 1 << 0,
  kNoSocket = 1 << 1,
  kNoExec = 1 << 2,
  kNoFork = 1 << 3,
  kThreads = 1 << 4,
  kNoUnshare = 1 << 5,
  kNotDumpable = 1 << 6,
  kNoAmbientRaise = 1 << 7,
  kNoCapset = 1 << 8,
  kFiles = 1 << 9,
  kNoPtrace = 1 << 10,
  kOpenSocketsWork = 1 << 11,
};

bool Eperm(long rc) {
  return rc == -1 && errno == EPERM;
}

int ChildChecks() {
  int failed = 0;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) return 0xffff;  // before: allowed
  if (!EnterSandbox().ok()) return kEntered;
  if (!Eperm(socket(AF_INET, SOCK_DGRAM, 0)) || !Eperm(socket(AF_NETLINK, SOCK_RAW, 0))) {
    failed |= kNoSocket;
  }
  if (!Eperm(syscall(SYS_io_uring_setup, 4, nullptr))) failed |= kNoSocket;
  int again[2];
  if (!Eperm(socketpair(AF_UNIX, SOCK_STREAM, 0, again))) failed |= kNoSocket;
  if (SandboxRefusesFork()) {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    if (!Eperm(execv("/bin/true", argv))) failed |= kNoExec;
    if (!Eperm(fork())) failed |= kNoFork;
    if (!Eperm(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr))) failed |= kNoPtrace;
  }
  bool ran = false;
  std::thread([&] { ran = true; }).join();
  if (!ran) failed |= kThreads;
  if (!Eperm(unshare(CLONE_NEWNET)) || !Eperm(unshare(CLONE_NEWUSER))) failed |= kNoUnshare;
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) failed |= kNotDumpable;
  if (!Eperm(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0))) {
    failed |= kNoAmbientRaise;
  }
  // CAP_NET_ADMIN into the inheritable set, as libcap's cap_set_proc would.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  syscall(SYS_capget, &header, data);
  data[0].inheritable |= 1U << CAP_NET_ADMIN;
  if (!Eperm(syscall(SYS_capset, &header, data))) failed |= kNoCapset;
  char path[] = "/tmp/dlpd-sandbox-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0 || write(fd, "x", 1) != 1 || fsync(fd) != 0) failed |= kFiles;
  if (fd >= 0) close(fd);
  unlink(path);
  if (send(pair[0], "x", 1, 0) != 1) failed |= kOpenSocketsWork;
  char c = 0;
  if (recv(pair[1], &c, 1, 0) != 1 || c != 'x') failed |= kOpenSocketsWork;
  return failed;
}

// The syslog forwarder's sandbox: new local, IPv4 and IPv6 sockets (to
// connect again), no other family, no socketpair; the rest as above.
int ForwarderChecks() {
  int failed = 0;
  if (!EnterSandbox(SandboxSockets::kOutbound).ok()) return kEntered;
  for (const int family : {AF_UNIX, AF_INET, AF_INET6}) {
    const int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0 && errno != EAFNOSUPPORT) failed |= kOpenSocketsWork;
    if (fd >= 0) close(fd);
  }
  for (const int family : {AF_NETLINK, AF_PACKET, AF_UNSPEC, AF_APPLETALK, AF_BLUETOOTH}) {
    if (!Eperm(socket(family, SOCK_RAW, 0))) failed |= kNoSocket;
  }
  int pair[2];
  if (!Eperm(socketpair(AF_UNIX, SOCK_STREAM, 0, pair))) failed |= kNoSocket;
  if (SandboxRefusesFork() && !Eperm(fork())) failed |= kNoFork;
  if (!Eperm(unshare(CLONE_NEWNET))) failed |= kNoUnshare;
  return failed;
}

// Runs `checks` in a child process; the bits of what did not hold.
template <class F>
void ExpectInChild(F checks) {
  int result[2];
  ASSERT_EQ(pipe(result), 0);
  std::fflush(nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int failed = checks();
    _exit(write(result[1], &failed, sizeof failed) == sizeof failed ? 0 : 1);
  }
  close(result[1]);
  int failed = -1;
  const ssize_t n = read(result[0], &failed, sizeof failed);
  close(result[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child: status " << status;
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof failed));
  EXPECT_EQ(failed, 0) << "checks that did not hold (bits of Check): 0x" << std::hex << failed;
}

TEST(Sandbox, WhatAParserMightTryFailsAndTheDaemonsWorkGoesOn) {
  ExpectInChild(ChildChecks);
}

TEST(Sandbox, TheSyslogForwarderOpensInternetAndLocalSocketsOnly) {
  ExpectInChild(ForwarderChecks);
}

}  // namespace
}  // namespace dlp
