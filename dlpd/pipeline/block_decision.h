// A packet of a flow that a `block` decision stopped: what of it may still
// go, and the resets that tear the connection down. A `block` lets the
// bytes before the blocking value go (a coalesced packet carries up to
// 64 KiB sent before it, and a server that gets the start of a request logs
// it), drops everything from the value on, and resets both ends once.
//
// Thread-safety: none; the flow's worker.
#pragma once

#include <cstdint>
#include <vector>

#include "dlpd/flow/decision.h"
#include "dlpd/flow/segment.h"

namespace dlp {

struct Flow;

struct BlockedPacket {
  Decision decision;  // kCut: the bytes before the value go; kDrop
  // The resets to send, the first time only (complete IP packets): to the
  // server at the first byte it has not been given, to the client at what
  // it acknowledges next, when the packet says. The caller marks them sent
  // (f.block.resets_sent) once the cut packet has gone.
  std::vector<std::vector<uint8_t>> resets;
};

// REQUIRES: f.block.blocked. `in_stream`: `s` has a stream offset.
// Marks the bytes before the value released when they go.
BlockedPacket DecideBlocked(Flow& f, const SegmentRef& s, bool in_stream);

}  // namespace dlp
