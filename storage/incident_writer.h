// Moves incidents off the packet path: a bounded queue that never blocks the
// producer, and one writer thread that stores them in batched transactions.
// When the queue is full an incident is counted as dropped (never silently);
// when a write fails the batch is kept and retried, and a failure is logged.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/incident_store.h"

namespace dlp {

class IncidentWriter {
 public:
  IncidentWriter(std::unique_ptr<IncidentStore> store, size_t capacity);
  ~IncidentWriter();  // stops and flushes

  // Never blocks; false (and a dropped count) when the queue is full.
  bool Submit(Incident incident);
  // Writes everything queued so far and stops the thread.
  void Stop();

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  size_t backlog();

 private:
  void Run();

  std::unique_ptr<IncidentStore> store_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Incident> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> written_{0}, dropped_{0}, write_errors_{0};
  std::thread thread_;
};

}  // namespace dlp
