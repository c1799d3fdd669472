#include "dlpd/flow/window_pool.h"

#include <sodium.h>

#include <stdexcept>

namespace dlp {

WindowPool::WindowPool(size_t max_total) : max_total_(max_total) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialized");
  randombytes_buf(key_.data(), key_.size());
}

size_t WindowPool::Retain(PooledWindow& w, uint64_t off, const uint8_t* data, size_t len,
                          uint64_t left_before, uint64_t oldest) {
  const size_t before = w.window.footprint();
  size_t freed = w.window.Append(off, data, len, key_, left_before) ? 1 : 0;
  w.window.ForgetBefore(oldest);
  total_ = total_ - before + w.window.footprint();
  if (w.in_pool) {
    lru_.splice(lru_.begin(), lru_, w.lru);
  } else if (w.window.footprint() > 0) {
    lru_.push_front(&w);
    w.lru = lru_.begin();
    w.in_pool = true;
  }
  while (total_ > max_total_ && !lru_.empty()) {
    PooledWindow* victim = lru_.back();
    lru_.pop_back();
    total_ -= victim->window.footprint();
    victim->window.Clear();
    victim->in_pool = false;
    ++freed;
  }
  return freed;
}

void WindowPool::Release(PooledWindow& w) {
  if (w.in_pool) {
    total_ -= w.window.footprint();
    lru_.erase(w.lru);
    w.in_pool = false;
  }
  w.window.Clear();
}

}  // namespace dlp
