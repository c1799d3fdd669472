// New rules and policy, handed from the thread that compiled them (reload)
// to a worker, which takes them before its next packet. The worker checks
// an atomic flag per packet; the lock is taken only when something waits.
//
// Thread-safety: Offer from any thread; pending and Take from the worker.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

namespace dlp {

class ScanContext;
struct Policy;

class EngineHandoff {
 public:
  struct Engine {
    std::unique_ptr<ScanContext> ctx;  // null: keep the current rules
    std::shared_ptr<const Policy> policy;
  };
  EngineHandoff();
  ~EngineHandoff();
  // Replaces what waits, if anything.
  void Offer(std::unique_ptr<Engine> next);
  bool pending() const { return pending_.load(std::memory_order_acquire); }
  // What waits (null if it was taken already).
  std::unique_ptr<Engine> Take();

 private:
  std::mutex mu_;
  std::unique_ptr<Engine> next_;  // guarded by mu_
  std::atomic<bool> pending_{false};
};

}  // namespace dlp
