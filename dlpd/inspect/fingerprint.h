// Keyed fingerprints let the security team see that two incidents carried
// the same value without anyone storing it: HMAC-SHA256 over the value's
// digits (so "4111 1111..." and "4111-1111..." correlate), with a 32-byte
// key kept in its own file, mode 0600, created on first start.
//
// In inspect, not mask: a fingerprint is taken when a value is confirmed
// (ConfirmCandidates), while its bytes are at hand, and inspect comes before
// mask on the data path, so it must not include anything of mask's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlp {

class Fingerprinter {
 public:
  // Reads the key at `path`, or creates it (0600) if missing. Throws
  // std::runtime_error when the file cannot be read or created, or is not a
  // key this program wrote.
  static Fingerprinter FromKeyFile(const std::string& path);
  // What FromKeyFile would meet at `path`, without creating anything: the
  // message it would throw, or empty (a missing file is created at start).
  static std::string Probe(const std::string& path);
  explicit Fingerprinter(std::vector<unsigned char> key) : key_(std::move(key)) {}

  // Lowercase hex HMAC-SHA256 of the digits of `value`, truncated to 32 hex
  // characters (128 bits: ample for correlation).
  std::string Of(std::string_view value) const;

 private:
  std::vector<unsigned char> key_;
};

}  // namespace dlp
