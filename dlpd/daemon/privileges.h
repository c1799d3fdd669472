// Least privilege. dlpd starts as root only to open what needs it (the
// NFQUEUE netlink socket and raw sockets, or divert sockets), then becomes
// an unprivileged user before it opens anything else: the database, the
// key, the EVE log and the control socket are created by that user.
//   Linux:   initgroups/setgid/setuid, keeping CAP_NET_ADMIN alone (every
//            NFQUEUE verdict is a netlink message the kernel checks for it);
//            no new privileges after that.
//   OpenBSD: pledge(2) and unveil(2): the files it needs, nothing else.
//   FreeBSD: Capsicum rights on the divert sockets (receive, send, poll).
// Started unprivileged (systemd User= with AmbientCapabilities), there is
// nothing to drop and only the capability set is trimmed.
#pragma once

#include <string>
#include <vector>

#include "dlpd/common/result.h"

namespace dlp {

struct UserIds {
  unsigned uid = 0, gid = 0;
  std::string name;
};

// Looks the user up (a name or a numeric uid).
Result<UserIds> LookUpUser(const std::string& user);

// Creates `dir` (and parents) if missing, owned by `ids`, mode `mode`, so the
// user can create files there after the drop. An existing directory is left
// as the operator made it.
Status PrepareDirectory(const std::string& dir, const UserIds& ids, unsigned mode);

// Becomes `ids` (when root), keeping only what the packet path needs.
Status DropPrivileges(const UserIds& ids);
// For a helper that needs no privilege (the compile helper): becomes `ids`
// when root and given, keeps no capability at all, no new privileges.
Status DropAllPrivileges(const UserIds* ids);
// Without a user to become: trims capabilities to what the packet path needs.
Status TrimCapabilities();

// OpenBSD: unveils `read_paths` read-only and `write_dirs` read-write-create,
// then pledges. Elsewhere a no-op.
Status RestrictFilesystem(const std::vector<std::string>& read_paths,
                          const std::vector<std::string>& write_dirs);

}  // namespace dlp
