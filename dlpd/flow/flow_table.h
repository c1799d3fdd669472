// The flows of one worker: lookup by tuple, least-recently-used order,
// idle expiry and eviction candidates. The table never ends a flow by
// itself: a flow may hold packets that must leave first, so it names the
// flow that should go (LeastRecent, Idle) and the pipeline ends it, then
// calls Remove.
//
// `Flow` is the caller's per-flow state, with a member `FlowSlot<Flow> slot`
// that the table keeps (key, id, last use, place in the LRU order), and
// `bool busy() const`: the flow keeps packets that have not left, so it is
// not ended for being idle.
//
// Thread-safety: none; one table per worker. size() is mirrored into an
// atomic by the caller for status.
#pragma once

#include <cstdint>
#include <cstdio>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "dlpd/flow/flow_key.h"

namespace dlp {

template <class Flow>
struct FlowSlot {
  FlowKey key;
  // The flow's id in incidents (IdText): its tuple, when it was first seen
  // and a salt drawn at start, so that a later connection on the same
  // ports, or the same capture replayed, is an incident of its own.
  uint64_t id = 0;
  int64_t last_seen = 0;
  typename std::list<Flow*>::iterator lru;
};

// A flow id as incidents show it: 16 hex digits.
inline std::string IdText(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

template <class Flow>
class FlowTable {
 public:
  FlowTable(size_t max_flows, int64_t idle_timeout_us, uint64_t salt)
      : max_flows_(max_flows), idle_timeout_us_(idle_timeout_us), salt_(salt) {}

  Flow* Find(const FlowKey& key) const {
    auto it = flows_.find(key);
    return it == flows_.end() ? nullptr : it->second.get();
  }
  // True when a new flow needs room: the caller ends LeastRecent() first.
  bool full() const { return flows_.size() >= max_flows_ && !lru_.empty(); }
  size_t size() const { return flows_.size(); }
  bool empty() const { return lru_.empty(); }
  // The flow used least recently (REQUIRES: !empty()).
  Flow* LeastRecent() const { return lru_.back(); }
  // Idle flows are looked for once a second at most: true if that time has
  // come at `now_us`.
  bool IdleScanDue(int64_t now_us) {
    if (now_us - last_idle_scan_us_ < 1000000) return false;
    last_idle_scan_us_ = now_us;
    return true;
  }
  // The least recently used flow if it has been idle for longer than the
  // idle timeout at `now_us` and is not busy, else null (the flows behind a
  // busy one wait for the next scan).
  Flow* Idle(int64_t now_us) const {
    if (lru_.empty()) return nullptr;
    Flow* oldest = lru_.back();
    const bool idle = now_us - oldest->slot.last_seen > idle_timeout_us_;
    return idle && !oldest->busy() ? oldest : nullptr;
  }

  // Adds `flow` for `key` (REQUIRES: not present), most recently used.
  Flow* Insert(const FlowKey& key, int64_t now_us, std::unique_ptr<Flow> flow) {
    Flow* raw = flow.get();
    raw->slot.key = key;
    raw->slot.id = IdOf(key, now_us);
    raw->slot.last_seen = now_us;
    lru_.push_front(raw);
    raw->slot.lru = lru_.begin();
    flows_.emplace(key, std::move(flow));
    return raw;
  }
  // A packet of `flow` at `now_us`: it becomes the most recently used.
  void Touch(Flow* flow, int64_t now_us) {
    flow->slot.last_seen = now_us;
    lru_.splice(lru_.begin(), lru_, flow->slot.lru);
  }
  // Destroys `flow` (REQUIRES: in this table; the caller has ended it).
  void Remove(Flow* flow) {
    lru_.erase(flow->slot.lru);
    flows_.erase(flow->slot.key);
  }

 private:
  uint64_t IdOf(const FlowKey& k, int64_t first_seen_us) const {
    uint64_t h = flows_.hash_function()(k) ^
                 ((static_cast<uint64_t>(first_seen_us) + salt_) * 0x9e3779b97f4a7c15ULL);
    return h ^ (h >> 31);
  }

  const size_t max_flows_;
  const int64_t idle_timeout_us_;
  const uint64_t salt_;
  int64_t last_idle_scan_us_ = 0;
  std::unordered_map<FlowKey, std::unique_ptr<Flow>, FlowKeyHash> flows_;
  std::list<Flow*> lru_;  // most recently used first
};

}  // namespace dlp
