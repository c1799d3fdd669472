#include "dlpd/daemon/sandbox.h"

#include <cerrno>
#include <cstring>
#include <string>

#ifdef __linux__
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#endif

#include "dlpd/common/sanitized.h"

namespace dlp {

bool SandboxRefusesFork() {
  return !kSanitizedBuild;
}

Status EnterSandbox(SandboxSockets sockets) {
#ifdef __linux__
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error{std::string("sandbox: PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno)};
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Error{std::string("sandbox: PR_SET_DUMPABLE: ") + std::strerror(errno)};
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return Error{"sandbox: seccomp_init failed"};
  std::string failed;
  auto deny = [&](const char* name, int nr, uint32_t action, unsigned argc = 0,
                  scmp_arg_cmp cmp = {}) {
    const int rc = argc == 0 ? seccomp_rule_add(ctx, action, nr, 0)
                             : seccomp_rule_add(ctx, action, nr, 1, cmp);
    if (rc != 0 && failed.empty()) failed = std::string(name) + ": " + std::strerror(-rc);
  };
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
#define DLP_DENY(call) deny(#call, SCMP_SYS(call), eperm)
  // New sockets: the ones dlpd needs are open. A compromised parser could
  // otherwise open one to rewrite the firewall (nftables is netlink, the
  // legacy tables a raw socket's setsockopt) or to send data out.
  if (sockets == SandboxSockets::kNone) {
    DLP_DENY(socket);
  } else {
    // The forwarder connects again after a failure: local, IPv4 and IPv6
    // sockets only (AF_UNIX 1, AF_INET 2, AF_INET6 10).
    deny("socket", SCMP_SYS(socket), eperm, 1, SCMP_A0(SCMP_CMP_EQ, AF_UNSPEC));
    for (int family = AF_INET + 1; family < AF_INET6; ++family) {
      deny("socket", SCMP_SYS(socket), eperm, 1,
           SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
    }
    deny("socket", SCMP_SYS(socket), eperm, 1, SCMP_A0(SCMP_CMP_GT, AF_INET6));
  }
  DLP_DENY(socketpair);
  // io_uring can open sockets and files without these calls (and outside
  // any filter): dlpd uses none.
  DLP_DENY(io_uring_setup);
  DLP_DENY(io_uring_enter);
  DLP_DENY(io_uring_register);
  // Namespaces, mounts, the kernel's own state.
  DLP_DENY(mount);
  DLP_DENY(umount2);
  DLP_DENY(pivot_root);
  DLP_DENY(chroot);
  DLP_DENY(unshare);
  DLP_DENY(setns);
  DLP_DENY(fsopen);
  DLP_DENY(fsmount);
  DLP_DENY(move_mount);
  DLP_DENY(open_tree);
  DLP_DENY(init_module);
  DLP_DENY(finit_module);
  DLP_DENY(delete_module);
  DLP_DENY(kexec_load);
  DLP_DENY(kexec_file_load);
  DLP_DENY(bpf);
  DLP_DENY(perf_event_open);
  DLP_DENY(keyctl);
  DLP_DENY(add_key);
  DLP_DENY(request_key);
  DLP_DENY(userfaultfd);
  DLP_DENY(open_by_handle_at);
  DLP_DENY(process_vm_readv);
  DLP_DENY(process_vm_writev);
  // The ambient-capability path: CAP_NET_ADMIN into the inheritable and
  // ambient sets, for a program to run with it. No capset at all after
  // start-up, and no PR_CAP_AMBIENT operation.
  DLP_DENY(capset);
  deny("prctl", SCMP_SYS(prctl), eperm, 1, SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT));
  // clone: threads only, never in a new namespace (x86-64 and arm64 pass
  // the flags first). clone3 passes them in memory the filter cannot read:
  // ENOSYS, and the C library falls back to clone.
  for (const unsigned long flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                   CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP}) {
    deny("clone", SCMP_SYS(clone), eperm, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
  }
  deny("clone3", SCMP_SYS(clone3), SCMP_ACT_ERRNO(ENOSYS));
  if (!kSanitizedBuild) {
    // A sanitizer's leak check forks a tracer that ptraces the threads, and
    // its reports exec a symbolizer: those builds keep these.
    DLP_DENY(execve);
    DLP_DENY(execveat);
    DLP_DENY(fork);
    DLP_DENY(vfork);
    DLP_DENY(ptrace);
    deny("clone", SCMP_SYS(clone), eperm, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
  }
#undef DLP_DENY
  // Every thread, those already running (writer, control socket) included.
  if (failed.empty() && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    failed = "TSYNC not supported";
  }
  // A call of another ABI (i386, x32) fails too, rather than killing the
  // process: nothing is killed.
  if (failed.empty() && seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, eperm) != 0) {
    failed = "bad-architecture action";
  }
  if (failed.empty()) {
    if (const int rc = seccomp_load(ctx); rc != 0)
      failed = std::string("load: ") + std::strerror(-rc);
  }
  seccomp_release(ctx);
  if (!failed.empty()) return Error{"sandbox: seccomp " + failed};
#else
  (void)sockets;
#endif
  return {};
}

}  // namespace dlp
