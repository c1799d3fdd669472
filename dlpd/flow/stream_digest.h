// What a flow direction forwarded before its first-copy window
// (StreamWindow): a keyed hash of each segment's bytes as they left, so a
// later copy of those bytes can still be checked although they are no
// longer kept. Without it a copy older than the window could only be
// scanned on its own, and a sender whose first copy the receiver dropped
// (a TTL that expires past the gateway, a zero window) could send the real
// bytes as such copies, cut inside values. A copy is checked record by
// record: it must cover whole segments as they were first sent, which is
// how a sender retransmits them; one that does not cannot be checked. (The
// window records the sender's segments, as they left, and splits them where
// a copy may begin elsewhere: StreamWindow.)
//
// Keyed (SipHash-2-4, libsodium's crypto_shorthash, with the worker's
// secret key): the sender cannot make a copy that differs and hashes the same.
//
// Thread-safety: none; owned by the flow's window, used by its worker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlp {

using DigestKey = std::array<uint8_t, 16>;

class StreamDigest {
 public:
  // [begin(), end()): the stream offsets whose segments are recorded.
  uint64_t begin() const { return head_ == records_.size() ? end_ : records_[head_].off; }
  uint64_t end() const { return end_; }
  size_t footprint() const { return records_.capacity() * sizeof(Record); }

  // Records the segment [off, off+len) as it left. A segment that does not
  // follow the last one restarts the digest at `off`.
  void Add(uint64_t off, const uint8_t* data, size_t len, const DigestKey& key);
  // How many bytes the copy [off, off+len) begins with that are whole
  // recorded segments, each with the bytes recorded, stopping at `upto` or
  // before the first one it does not hold whole or that differs (0: none).
  size_t CheckedPrefix(uint64_t off, const uint8_t* data, size_t len, uint64_t upto,
                       const DigestKey& key) const;
  // True if those reach at least `upto`.
  bool Check(uint64_t off, const uint8_t* data, size_t len, uint64_t upto,
             const DigestKey& key) const {
    return upto > off && CheckedPrefix(off, data, len, upto, key) >= upto - off;
  }
  // Forgets the segments that end at or before `off`.
  void ForgetBefore(uint64_t off);
  void Clear();

 private:
  struct Record {
    uint64_t off;
    uint64_t hash;
  };
  // In stream order, each ending where the next begins; those before head_
  // are forgotten (dropped from the front in batches: a vector, not a
  // deque, which allocates over 500 bytes even empty).
  std::vector<Record> records_;
  size_t head_ = 0;
  uint64_t end_ = 0;
};

}  // namespace dlp
