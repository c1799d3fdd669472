#include "dlpd/common/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dlp {

Result<int> OpenRegularFile(const std::string& what, const std::string& path, int flags,
                            unsigned mode) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0) {
    if (errno == ELOOP) {
      return Error{what + " " + path + ": a symbolic link; dlpd does not follow links for its " +
                   "files (name the file itself)"};
    }
    return Error{what + " " + path + ": " + std::strerror(errno)};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode)                         ? "a FIFO"
                       : S_ISDIR(st.st_mode)                        ? "a directory"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                       : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                    : "not a regular file";
    ::close(fd);
    return Error{what + " " + path + ": " + kind + ", not a regular file"};
  }
  // A second name for a file elsewhere (a hard link planted in a directory
  // dlpd's user may write, to a file of root's) is refused as a link is:
  // dlpd writes, chowns and renames only files that are its own.
  if (st.st_nlink > 1) {
    ::close(fd);
    return Error{what + " " + path + ": has other hard links; dlpd uses only a file of its own"};
  }
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return fd;
}

}  // namespace dlp
