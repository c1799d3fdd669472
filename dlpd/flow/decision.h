// What is to become of a segment, as a room of flow/ answers it; the
// pipeline acts on it in one place (PacketPipeline::Act), the only caller
// of the sink.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dlp {

struct Decision {
  enum class Kind : uint8_t {
    kEmit,  // goes now, masked from what the flow found
    kCut,   // goes now without its payload from `keep` on
    kDrop,  // does not go (the sender sends it again, or it must not pass)
  };
  Kind kind = Kind::kEmit;
  size_t keep = 0;  // kCut: payload bytes that go

  static Decision Emit() { return {Kind::kEmit, 0}; }
  static Decision CutAt(size_t keep) { return {Kind::kCut, keep}; }
  static Decision Drop() { return {Kind::kDrop, 0}; }
};

}  // namespace dlp
