// Moves incidents off the packet path: a bounded queue that never blocks the
// producer, and one writer thread that stores them in batched transactions.
// An incident for a flow and rule already waiting in the queue is folded
// into it (counted: coalesced), so a flood of values costs no queue space;
// when the queue is full, a new incident is counted as dropped, never
// silently. A failed write (a full disk, a read-only or corrupt file, a
// lock held too long) is retried, waiting longer each time, for a bounded
// time; then its batch is lost, counted (`lost`), with the reason logged
// once a minute, and while the store keeps failing the writer tries again
// every few seconds: a store that fails never stops the packet path (which
// only ever submits) nor shutdown (Stop returns within a bound, losing and
// counting what it could not write).
//
// A flood is aggregated as it is submitted: beyond `aggregate_after` flows
// in one minute from one source (an IPv6 /64) to one destination address
// and port for one rule, further incidents there that minute fold into one
// row (src_port 0, `flows` counting them, a flow id derived from source,
// rule, destination and minute); once a source has stored
// kDestinationsPerSource times that in rows of one flow each (to as many
// destinations), its further flows fold into one row per source, rule and
// minute.
// So the store grows with sources and destinations, not connections, a
// flood cannot push older evidence out, and decoy flows to one place
// cannot hide a flow to another below that second level. The writer also applies
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
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dlpd/common/clock.h"
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
  // How long a failing store is retried before a batch is lost; once lost,
  // each later batch gets a try every `retry_every_us` until one succeeds.
  int64_t give_up_after_us = 30LL * 1000 * 1000;
  int64_t retry_every_us = 5LL * 1000 * 1000;
  // Stop returns within about this (the database's busy timeout is cut to
  // what is left of it).
  int64_t stop_within_us = 5LL * 1000 * 1000;
  // Flows a minute from one source for one rule that are stored one row
  // each; beyond, one row per source, rule and minute. 0: never aggregate.
  uint32_t aggregate_after = 60;
  // The time retention compares stored times with (its WallMicros), and
  // prunes by: null, the system's; a capture's replay clock in pcap mode,
  // whose incidents carry the packets' times. REQUIRES: outlives the writer.
  const Clock* retention_clock = nullptr;
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
  // Writes everything queued so far and stops the thread, within
  // options.stop_within_us: what is not written by then is lost (counted).
  void Stop();
  // Reopens the sinks' files (after rotation).
  Status ReopenSinks();

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t coalesced() const { return coalesced_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  // Incidents taken off the queue but never stored: their writes failed
  // for longer than the writer waits.
  uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }
  // Lines the sinks (the EVE log) could not write. Any thread.
  uint64_t sink_dropped() const;
  // Incidents folded into a flood's row for their source, rule and minute.
  uint64_t aggregated() const { return aggregated_.load(std::memory_order_relaxed); }

  // The flow id of the row that aggregates a flood's `scope` (source and
  // rule, and destination) in `minute` (16 hex digits, as a flow's; the
  // same for every writer and run).
  static std::string AggregateFlowId(const std::string& scope, int64_t minute);
  // The source a flood is counted by: the address, an IPv6 one's /64.
  static std::string FloodSource(const Incident& in);
  // Past this many times aggregate_after rows of one flow each a minute
  // from one source (to as many destinations), its further flows fold into
  // one row per source.
  static constexpr uint32_t kDestinationsPerSource = 10;
  uint64_t pruned() const { return pruned_.load(std::memory_order_relaxed); }
  size_t backlog();

 private:
  void Run();
  // Folds `in` into its flood's row when its source is over the threshold.
  // REQUIRES: mu_ held.
  void Aggregate(Incident& in);
  // The count of `key` this minute; null when the table is full.
  // REQUIRES: mu_ held.
  uint32_t* FloodCount(const std::string& key);
  void MaybePrune(bool force);
  // Writes `batch` to the store, then the sinks, retrying a failed write
  // until it gives up (the store has failed for give_up_after_us, or the
  // stop deadline passed); empties it.
  void WriteBatch(std::vector<Incident>& batch);
  // Counts `batch` (and, at the stop deadline, all that waits) as lost.
  void Lose(std::vector<Incident>& batch, bool and_queue);
  // Logs a sink's failure, at most once a minute.
  void WarnSink(const std::string& why);
  // Logs the store's failure, at most once a minute.
  void ReportFailure(const std::string& why, int64_t now_us);
  // Sleeps until `until_us`, or until Stop is called (once: a stop already
  // requested does not cut later sleeps short).
  void Sleep(int64_t until_us);
  // When Stop was called plus stop_within_us; INT64_MAX before.
  int64_t StopDeadline();
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
  // Distinct values the queue's incidents list (guarded by mu_), at most
  // kMaxValuesQueued (about 20 MiB of fingerprints).
  static constexpr size_t kMaxValuesQueued = size_t{1} << 18;
  size_t values_queued_ = 0;
  bool stopping_ = false;
  // Flows counted this minute per source and rule (guarded by mu_; at most
  // kMaxFloodKeys: beyond, every new source is folded at once).
  static constexpr size_t kMaxFloodKeys = 1 << 16;
  int64_t flood_minute_ = -1;
  std::unordered_map<std::string, uint32_t> flows_this_minute_;
  const std::string flood_salt_ = [] {
    std::random_device r;
    const uint64_t v = (uint64_t{r()} << 32) ^ r();
    return std::string(reinterpret_cast<const char*>(&v), sizeof v);
  }();
  int64_t stop_deadline_us_ = INT64_MAX;  // guarded by mu_
  int64_t last_prune_us_ = 0;
  // The writer thread's view of a failing store: since when it fails (0:
  // it does not), when it was last logged, the first reason and how many
  // incidents were lost since.
  int64_t failing_since_us_ = 0;
  int64_t reported_us_ = 0;
  int64_t sink_warned_us_ = 0;
  uint64_t lost_while_failing_ = 0;
  std::atomic<uint64_t> written_{0}, coalesced_{0}, dropped_{0}, write_errors_{0}, pruned_{0},
      lost_{0}, aggregated_{0};
  std::thread thread_;
};

}  // namespace dlp
