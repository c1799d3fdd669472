// The packet path's sandbox, entered once start-up has opened everything
// (capture and raw sockets, database, key, EVE log, syslog socket, control
// socket): what code running in the process after that (a parser bug an
// attacker found) may no longer do. Linux:
//  - a seccomp filter (libseccomp; allowed unless listed): no execve or
//    execveat; no new socket or socketpair (accept on the control socket
//    still works) and no io_uring (which could open sockets past the
//    filter); no fork (clone only for threads, none with a new namespace;
//    clone3 says ENOSYS so the C library falls back to clone); no ptrace
//    or process_vm_*; no mount, umount, pivot_root, chroot, unshare or
//    setns; no module, kexec, bpf, perf, keyring or userfaultfd calls; no
//    capset and no PR_CAP_AMBIENT (the ambient capability path:
//    CAP_NET_ADMIN handed to a program dlpd would run). Each fails with
//    EPERM; nothing is killed, so a library that probes a call sees an
//    error, not a dead gateway;
//  - PR_SET_DUMPABLE 0: no core dump (it would hold packets' raw values
//    and the fingerprint key), and no ptrace attach by the same user;
//  - no new privileges (PR_SET_NO_NEW_PRIVS).
// The privilege drop (privileges.h), while it still holds CAP_SETPCAP,
// also locks SECBIT_NO_CAP_AMBIENT_RAISE.
// Sanitizer builds keep execve, fork and ptrace: LeakSanitizer stops the
// threads through a forked tracer at exit, and reports run a symbolizer.
// Elsewhere a no-op (OpenBSD pledges in RestrictFilesystem, and the syslog
// forwarder pledges itself; FreeBSD's divert capture enters its Capsicum
// rights itself).
#pragma once

#include "dlpd/common/result.h"

namespace dlp {

// Whether this build's filter refuses fork and ptrace (not under a sanitizer).
bool SandboxRefusesFork();

// Which new sockets the sandbox still lets a process open.
enum class SandboxSockets {
  kNone,      // the packet path: every socket it needs is open
  kOutbound,  // the syslog forwarder: AF_UNIX, AF_INET and AF_INET6 ones
              // (to connect again); no socketpair, netlink or packet socket
};

// Enters the sandbox for the whole process (every thread: TSYNC). Once.
Status EnterSandbox(SandboxSockets sockets = SandboxSockets::kNone);

}  // namespace dlp
