// The flows of one worker: lookup by tuple, idle expiry, and which flow to
// give up when the table is full. The table never ends a flow by itself: a
// flow may hold packets that must leave first, so it names the flow that
// should go (Victim, Idle) and the pipeline ends it, then calls Remove.
//
// Eviction that a peer cannot aim. Plain LRU let anyone who can send SYNs
// choose what goes: 70,000 SYNs pushed out the flow in the middle of a
// value, and its rest was scanned from scratch. So each flow is in one of
// three LRU lists by what losing it would cost (FlowClass), and a full
// table gives up the least recently used flow of the cheapest class that
// has one: a flood of SYNs only ever evicts its own kind while one flow
// with data is left that holds nothing.
//
// `Flow` is the caller's per-flow state, with a member `FlowSlot<Flow> slot`
// that the table keeps (key, id, last use, class, place in its list), and
//   bool busy() const             it keeps packets that have not left, so
//                                 it is not ended for being idle;
//   FlowClass eviction_class() const  what losing it would cost now.
// A flow's class changes with the packets it takes (and with timers that
// release what it holds); the table files a flow by its class when it is
// inserted, touched or classified, and checks the class of each candidate
// again before naming it (Victim), so a class that changed since is never
// acted on (a flow a timer released stays filed busy until its next packet
// or until the busy list's turn: kept longer, never evicted sooner). Each
// flow moves between lists at most once per change of its class: O(1) per
// packet, amortized.
//
// Thread-safety: none; one table per worker. size() is mirrored into an
// atomic by the caller for status.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "dlpd/flow/flow_key.h"

namespace dlp {

// What losing a flow would cost, in the order flows are given up.
enum class FlowClass : uint8_t {
  // No stream byte yet (a SYN, a handshake): nothing is lost with it, and
  // it is what a SYN flood is made of.
  kNoData = 0,
  // Carried data; holds no packet and its stream does not end inside a
  // possible value: if more comes, a fresh flow scans it from there and
  // misses nothing.
  kQuiet = 1,
  // Holds packets (held or beyond a gap), or its stream ends in bytes that
  // may begin a value: forgotten, the rest of that value would be scanned
  // alone and pass. Given up last, and then closed (the pipeline resets it).
  kBusy = 2,
};
inline constexpr size_t kFlowClasses = 3;

template <class Flow>
struct FlowSlot {
  FlowKey key;
  // The list the flow is filed in (set by the table). Fits in the padding
  // after `key`: no bytes added per flow.
  FlowClass filed = FlowClass::kNoData;
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
  // True when a new flow needs room: the caller ends Victim() first.
  bool full() const { return flows_.size() >= max_flows_ && !flows_.empty(); }
  size_t size() const { return flows_.size(); }
  bool empty() const { return flows_.empty(); }
  // Flows filed in `c` (tests).
  size_t count(FlowClass c) const { return lists_[Index(c)].size(); }

  // The flow to give up first: the least recently used of the cheapest
  // class (kNoData, then kQuiet, then kBusy), its class checked now; a
  // flow whose class changed since it was filed is filed again on the way.
  // REQUIRES: !empty().
  Flow* Victim() {
    assert(!empty());
    for (size_t i = 0; i < kFlowClasses;) {
      if (lists_[i].empty()) {
        ++i;
        continue;
      }
      Flow* oldest = lists_[i].back();
      if (oldest->eviction_class() == oldest->slot.filed) return oldest;
      // Filed where it belongs, it is looked at again only if that list
      // comes first. Ends: no flow is filed twice in one call.
      File(oldest);
      i = std::min(i, Index(oldest->slot.filed));
    }
    return nullptr;  // empty()
  }

  // Idle flows are looked for once a second at most: true if that time has
  // come at `now_us`.
  bool IdleScanDue(int64_t now_us) {
    if (now_us - last_idle_scan_us_ < 1000000) return false;
    last_idle_scan_us_ = now_us;
    return true;
  }
  // A flow idle for longer than the idle timeout at `now_us` that is not
  // busy, else null: the least recently used of a list, for each list (the
  // flows behind a busy one in its list wait for the next scan).
  Flow* Idle(int64_t now_us) const {
    for (const auto& list : lists_) {
      if (list.empty()) continue;
      Flow* oldest = list.back();
      if (now_us - oldest->slot.last_seen > idle_timeout_us_ && !oldest->busy()) return oldest;
    }
    return nullptr;
  }

  // Adds `flow` for `key` (REQUIRES: not present), most recently used in
  // the list of its class.
  Flow* Insert(const FlowKey& key, int64_t now_us, std::unique_ptr<Flow> flow) {
    assert(Find(key) == nullptr);
    Flow* raw = flow.get();
    raw->slot.key = key;
    raw->slot.id = IdOf(key, now_us);
    raw->slot.last_seen = now_us;
    auto& list = lists_[Index(raw->eviction_class())];
    list.push_front(raw);
    raw->slot.lru = list.begin();
    raw->slot.filed = raw->eviction_class();
    flows_.emplace(key, std::move(flow));
    return raw;
  }
  // A packet of `flow` at `now_us`: it becomes the most recently used of
  // the list of its class.
  void Touch(Flow* flow, int64_t now_us) {
    flow->slot.last_seen = now_us;
    File(flow);
  }
  // `flow`'s class may have changed (the caller acted on a packet of it):
  // it moves to the list of its class, most recently used there, if it is
  // not in that list already. O(1).
  void Classify(Flow* flow) {
    if (flow->eviction_class() != flow->slot.filed) File(flow);
  }
  // Destroys `flow` (REQUIRES: in this table; the caller has ended it).
  void Remove(Flow* flow) {
    lists_[Index(flow->slot.filed)].erase(flow->slot.lru);
    flows_.erase(flow->slot.key);
  }

 private:
  static size_t Index(FlowClass c) { return static_cast<size_t>(c); }
  // Moves `flow` to the front of the list of its class.
  void File(Flow* flow) {
    const FlowClass now = flow->eviction_class();
    auto& to = lists_[Index(now)];
    to.splice(to.begin(), lists_[Index(flow->slot.filed)], flow->slot.lru);
    flow->slot.filed = now;
  }
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
  // One list per FlowClass, most recently used first. A splice between two
  // std::lists keeps the node (and the flow's iterator): moving a flow
  // between classes allocates nothing.
  std::array<std::list<Flow*>, kFlowClasses> lists_;
};

}  // namespace dlp
