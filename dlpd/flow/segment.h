// A TCP segment of one flow direction at its stream offset: as it came from
// the capture (SegmentRef, borrowed for the call) or as a room keeps it
// (HeldSegment, an owned copy). The rooms of flow/ move segments around;
// only the pipeline hands them to the sink.
//
// Thread-safety: none; a segment belongs to the worker that owns its flow.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dlpd/decode/packet.h"

namespace dlp {

struct SegmentRef {
  uint64_t handle = 0;      // what the back end passed to Process
  uint8_t* data = nullptr;  // the IP packet, writable
  size_t len = 0;
  PacketView view;
  uint64_t off = 0;       // stream offset of the payload's first byte
  bool modified = false;  // changed already (normalized, urgent cleared): checksum to fix

  uint8_t* payload() const { return data + view.payload_offset; }
  size_t payload_len() const { return view.payload_len; }
  uint64_t end() const { return off + view.payload_len; }
};

struct HeldSegment {
  // Back ends may read a buffer rounded up to 4 bytes (libnetfilter_queue
  // sends the payload NLA-aligned): the copy carries zero padding.
  static constexpr size_t kPadding = 4;

  uint64_t handle = 0;
  std::vector<uint8_t> bytes;  // the packet, then kPadding zero bytes
  size_t len = 0;
  PacketView view;
  uint64_t off = 0;
  bool modified = false;
  // A copy of withheld bytes, held while the run they began is open: at
  // the hold's end it leaves masked rather than withheld again (the sender
  // may be unable to send what follows until it is acknowledged).
  bool withheld_copy = false;

  static HeldSegment CopyOf(const SegmentRef& s) {
    HeldSegment h{s.handle,  std::vector<uint8_t>(s.len + kPadding, 0), s.len, s.view, s.off,
                  s.modified};
    std::copy(s.data, s.data + s.len, h.bytes.begin());
    return h;
  }
  // Takes `bytes` (a padded copy already made) instead of copying again.
  static HeldSegment Adopt(const SegmentRef& s, std::vector<uint8_t> bytes) {
    return HeldSegment{s.handle, std::move(bytes), s.len, s.view, s.off, s.modified};
  }
  // Valid while this segment lives and is not moved from.
  SegmentRef ref() { return SegmentRef{handle, bytes.data(), len, view, off, modified}; }
  uint64_t end() const { return off + view.payload_len; }
};

}  // namespace dlp
