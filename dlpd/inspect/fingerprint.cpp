#include "dlpd/inspect/fingerprint.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dlpd/common/hex.h"
#include "dlpd/common/regular_file.h"
#include "dlpd/common/result.h"
#include "rules/value_text.h"

namespace dlp {
namespace {
constexpr size_t kKeyLen = 32;

Error KeyError(const std::string& path, const std::string& what) {
  return Error{"fingerprint key " + path + ": " + what};
}
// An existing key file: not through a link, and only a regular file (a
// FIFO here would block start-up forever), 32 bytes, owner-only.
Result<std::vector<unsigned char>> ReadKey(const std::string& path) {
  std::vector<unsigned char> key(kKeyLen);
  auto opened = OpenRegularFile("fingerprint key", path, O_RDONLY);
  if (!opened) return opened.error();
  const int fd = opened.value();
  struct stat st {};
  ssize_t n = ::fstat(fd, &st) == 0 ? ::read(fd, key.data(), key.size()) : -1;
  unsigned char extra;
  bool longer = n == static_cast<ssize_t>(kKeyLen) && ::read(fd, &extra, 1) == 1;
  ::close(fd);
  if (n != static_cast<ssize_t>(kKeyLen) || longer) {
    return KeyError(path,
                    "not a 32-byte key (remove it to create a new one; old fingerprints "
                    "will no longer correlate)");
  }
  if ((st.st_mode & 077) != 0) return KeyError(path, "readable by group or others; chmod 600 it");
  return key;
}
}  // namespace

Fingerprinter Fingerprinter::FromKeyFile(const std::string& path) {
  std::vector<unsigned char> key(kKeyLen);
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0 && errno == ENOENT) {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      throw std::runtime_error(KeyError(path, "no randomness for a new key").message);
    }
    // O_EXCL: if two processes race, one creates and the other reads.
    int wfd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (wfd >= 0) {
      bool ok = ::write(wfd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
      ok = ::fsync(wfd) == 0 && ok;
      ::close(wfd);
      if (!ok) throw std::runtime_error(KeyError(path, "cannot write new key").message);
      return Fingerprinter(std::move(key));
    }
    if (errno != EEXIST) throw std::runtime_error(KeyError(path, std::strerror(errno)).message);
  }
  auto read = ReadKey(path);
  if (!read) throw std::runtime_error(read.error().message);
  return Fingerprinter(std::move(read).value());
}

std::string Fingerprinter::Probe(const std::string& path) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0 && errno == ENOENT) return "";
  auto read = ReadKey(path);
  return read ? "" : read.error().message;
}

std::string Fingerprinter::Of(std::string_view value) const {
  std::string digits;
  ForEachValueToken(value, [&](std::string_view t, bool digit) {
    if (digit) digits += TokenDigit(t);
  });
  if (digits.empty()) digits = value;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(digits.data()), digits.size(), md, &len);
  return ToHex(md, std::min(16U, len));
}

}  // namespace dlp
