// Moves incidents off the packet path: a bounded queue that never blocks the
// producer, and one writer thread that stores them in batched transactions.
// An incident for a flow and rule already waiting in the queue is folded
// into it (counted: coalesced), so a flood of values costs no queue space;
// when the queue is full, a new incident is counted as dropped, never
// silently. A failed write is retried and logged. The writer also applies
// the retention policy (at start, then every prune interval) and hands each
// committed batch to the sinks (EVE log, syslog). Anomalies take a queue of
// their own (SubmitAnomaly: bounded, never waits, even offline) and go to
// the sinks only, not to the database (storage/anomaly_event.h says why).
//
// Thread-safety: Submit, SubmitAnomaly, backlog and the counters from any
// thread (the workers); Stop and ReopenSinks from the daemon's main thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/anomaly_event.h"
#include "storage/incident_sink.h"
#include "storage/incident_store.h"

namespace dlp {

struct WriterOptions {
  size_t capacity = 65536;  // incidents waiting
  RetentionPolicy retention;
  int64_t prune_interval_us = 60LL * 1000 * 1000;
  // Offline (a capture file): a full queue makes Submit wait for room
  // instead of dropping, since no live traffic waits behind it.
  bool wait_when_full = false;
  // Anomalies waiting (already rate-limited by each worker).
  size_t anomaly_capacity = 4096;
};

class IncidentWriter {
 public:
  IncidentWriter(std::unique_ptr<IncidentStore> store, WriterOptions options,
                 std::vector<std::unique_ptr<IncidentSink>> sinks = {});
  ~IncidentWriter();  // stops and flushes

  // Never blocks (unless wait_when_full); false (and a dropped count) when
  // the queue is full.
  bool Submit(Incident incident);
  // Never blocks; false when the anomaly queue is full (the caller counts).
  bool SubmitAnomaly(AnomalyEvent anomaly);
  // Writes everything queued so far and stops the thread.
  void Stop();
  // Reopens the sinks' files (after rotation).
  Status ReopenSinks();

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t coalesced() const { return coalesced_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  uint64_t pruned() const { return pruned_.load(std::memory_order_relaxed); }
  size_t backlog();

 private:
  void Run();
  void MaybePrune(bool force);
  // Writes `batch` to the store, then the sinks, retrying a failed write
  // (bounded at shutdown, `stop`); empties it.
  void WriteBatch(std::vector<Incident>& batch, bool stop);
  // Hands `anomalies` to the sinks; empties it.
  void WriteAnomalies(std::vector<AnomalyEvent>& anomalies);

  std::unique_ptr<IncidentStore> store_;
  const WriterOptions options_;
  std::vector<std::unique_ptr<IncidentSink>> sinks_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable room_;  // the writer took incidents off the queue
  std::deque<Incident> queue_;
  std::vector<AnomalyEvent> anomalies_;  // guarded by mu_
  // flow id + rule id -> its incident in queue_ (deque elements do not move
  // on push_back/pop_front).
  std::unordered_map<std::string, Incident*> waiting_;
  bool stopping_ = false;
  int64_t last_prune_us_ = 0;
  std::atomic<uint64_t> written_{0}, coalesced_{0}, dropped_{0}, write_errors_{0}, pruned_{0};
  std::thread thread_;
};

}  // namespace dlp
