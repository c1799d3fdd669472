// The one source of time for every capture back end and the pipeline
// (LevelDB's Env::NowMicros). Timers (holds, gaps, idle flows) run on
// NowMicros, which never steps back; incidents are stamped with WallMicros.
// Live back ends use SystemClock; a capture file is replayed on a
// ReplayClock set to each packet's timestamp, so timers fire as they did on
// the wire however fast the replay runs; tests move a ManualClock by hand.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace dlp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds on a clock that never steps back (an arbitrary epoch).
  virtual int64_t NowMicros() const = 0;
  // Microseconds since the Unix epoch, UTC.
  virtual int64_t WallMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t WallMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // The process's one system clock.
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

// Time set from outside: both readings are the time last set.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_us = 0) : now_us_(now_us) {}
  int64_t NowMicros() const override { return now_us_.load(std::memory_order_relaxed); }
  int64_t WallMicros() const override { return now_us_.load(std::memory_order_relaxed); }
  void Set(int64_t now_us) { now_us_.store(now_us, std::memory_order_relaxed); }
  void Advance(int64_t us) { now_us_.fetch_add(us, std::memory_order_relaxed); }

 protected:
  bool CompareExchange(int64_t& expected, int64_t desired) {
    return now_us_.compare_exchange_weak(expected, desired, std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> now_us_;
};

// A capture file's replay: timers follow the packets' timestamps (set per
// packet), and incidents and anomalies are stamped with them too, the time
// the traffic went out, not the time of the replay. The writer's retention
// measures ages on this clock as well (WriterOptions::retention_clock), so
// a replay of an old capture is not pruned as it is written.
// Captures are not always in time order (merged files, several capture
// points): a packet stamped before one already read does not move timers
// back (NowMicros: the latest time read), while what it is recorded with
// (WallMicros) is its own time.
class ReplayClock final : public ManualClock {
 public:
  void AdvanceTo(int64_t packet_us) {
    wall_us_.store(packet_us, std::memory_order_relaxed);
    int64_t now = NowMicros();
    while (packet_us > now && !CompareExchange(now, packet_us)) {
    }
  }
  int64_t WallMicros() const override { return wall_us_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> wall_us_{0};
};

}  // namespace dlp
