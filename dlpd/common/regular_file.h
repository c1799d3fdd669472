// Opening the files dlpd keeps (the incident database, the fingerprint key,
// the EVE log) so that none can be swapped for something else by whoever
// may write to their directory: never through a symbolic link (a link to
// /etc/shadow must not get dlpd's chown to --db-group or its writes), and
// only a regular file (a FIFO would block start-up forever, a device would
// take writes), and not a file with other hard links either (one planted to
// a file of root's would get root's writes and chown). A refusal says which
// and why.
#pragma once

#include <string>

#include "dlpd/common/result.h"

namespace dlp {

// open(2) of `path` with `flags` (O_CREAT takes `mode`) plus O_NOFOLLOW,
// O_CLOEXEC and, while it checks the file, O_NONBLOCK; the descriptor of a
// regular file, else an error naming `what` and `path`. The caller closes it.
Result<int> OpenRegularFile(const std::string& what, const std::string& path, int flags,
                            unsigned mode = 0600);

}  // namespace dlp
