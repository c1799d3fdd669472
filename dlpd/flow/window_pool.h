// The first-copy windows (StreamWindow, with their digests) of one worker's
// flows, under one byte budget: past `max_total`, the windows of the flows
// that sent least recently are freed. A later copy of such a flow's bytes
// can then not be checked, and is dropped (copies_unchecked). The pool
// holds the worker's secret key for the digests.
//
// Thread-safety: none; one pool per worker, and each PooledWindow belongs to
// one flow of that worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>

#include "dlpd/flow/stream_window.h"

namespace dlp {

// A flow direction's window and its place in the pool's order.
struct PooledWindow {
  StreamWindow window;
  std::list<PooledWindow*>::iterator lru;
  bool in_pool = false;
};

class WindowPool {
 public:
  explicit WindowPool(size_t max_total);  // draws the key (libsodium initialized)

  // Keeps the fresh bytes [off, off+len) in `w`, which becomes the most
  // recently fed (bytes before `left_before` have left: StreamWindow::Append),
  // and forgets its digest before `oldest`; frees other windows past the
  // budget. Returns how many windows were freed (`w` too, when it had to
  // be given up: StreamWindow::Append).
  size_t Retain(PooledWindow& w, uint64_t off, const uint8_t* data, size_t len,
                uint64_t left_before, uint64_t oldest);
  const DigestKey& key() const { return key_; }
  // Takes `w` out of the pool and frees its bytes (its flow ends, or its
  // stream restarts).
  void Release(PooledWindow& w);

  size_t total() const { return total_; }

 private:
  const size_t max_total_;
  DigestKey key_{};
  std::list<PooledWindow*> lru_;  // most recently fed first
  size_t total_ = 0;              // sum of the windows' footprints
};

}  // namespace dlp
