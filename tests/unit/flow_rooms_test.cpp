// The stream mechanisms of flow/, each through its public API: the flow
// table, the reorder buffer, the hold queue, the window pool, the deadline
// queue, the hold budget and the stream position; and the policy's per-flow
// thresholds. The pipeline's behaviour built on them is pinned in
// flow_test.cpp and stream_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dlpd/flow/deadline_queue.h"
#include "dlpd/flow/flow_table.h"
#include "dlpd/flow/hold_budget.h"
#include "dlpd/flow/hold_queue.h"
#include "dlpd/flow/reorder_buffer.h"
#include "dlpd/flow/stream_position.h"
#include "dlpd/flow/window_pool.h"
#include "dlpd/pipeline/pipeline_counters.h"
#include "policy/flow_thresholds.h"
#include "tests/support/tcp_packet.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

struct TestFlow {
  FlowSlot<TestFlow> slot;
  bool busy_ = false;
  bool busy() const { return busy_; }
  FlowClass eviction_class() const { return FlowClass::kNoData; }
};

using test::KeyOf;

TEST(FlowTable, FindsWhatItHoldsAndOrdersByUse) {
  FlowTable<TestFlow> t(3, 1000000, 42);
  TestFlow* a = t.Insert(KeyOf(1), 0, std::make_unique<TestFlow>());
  TestFlow* b = t.Insert(KeyOf(2), 10, std::make_unique<TestFlow>());
  EXPECT_EQ(t.Find(KeyOf(1)), a);
  EXPECT_EQ(t.Find(KeyOf(2)), b);
  EXPECT_EQ(t.Find(KeyOf(3)), nullptr);
  EXPECT_EQ(t.Victim(), a);
  t.Touch(a, 20);
  EXPECT_EQ(t.Victim(), b);
  EXPECT_EQ(a->slot.last_seen, 20);
  EXPECT_FALSE(t.full());
  t.Insert(KeyOf(3), 30, std::make_unique<TestFlow>());
  EXPECT_TRUE(t.full());  // the caller ends Victim() before the next insert
  t.Remove(b);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Find(KeyOf(2)), nullptr);
  EXPECT_FALSE(t.full());
}

TEST(FlowTable, IdsDifferPerTupleAndPerStartAndPerTable) {
  FlowTable<TestFlow> t(8, 1000000, 1);
  FlowTable<TestFlow> other(8, 1000000, 2);
  const uint64_t a = t.Insert(KeyOf(1), 5, std::make_unique<TestFlow>())->slot.id;
  const uint64_t b = t.Insert(KeyOf(2), 5, std::make_unique<TestFlow>())->slot.id;
  const uint64_t c = other.Insert(KeyOf(1), 5, std::make_unique<TestFlow>())->slot.id;
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(IdText(a).size(), 16u);
}

TEST(FlowTable, IdleFlowsGoOldestFirstButNeverOneThatIsBusy) {
  FlowTable<TestFlow> t(8, /*idle_timeout_us=*/100, 1);
  TestFlow* a = t.Insert(KeyOf(1), 0, std::make_unique<TestFlow>());
  t.Insert(KeyOf(2), 50, std::make_unique<TestFlow>());
  EXPECT_EQ(t.Idle(100), nullptr);  // not longer than the timeout yet
  EXPECT_EQ(t.Idle(101), a);
  a->busy_ = true;
  EXPECT_EQ(t.Idle(1000), nullptr);  // it keeps packets: it stays, and so do the flows behind it
  EXPECT_TRUE(t.IdleScanDue(2000000));
  EXPECT_FALSE(t.IdleScanDue(2500000));  // once a second at most
  EXPECT_TRUE(t.IdleScanDue(3000000));
}

// A segment of `payload` at stream offset `off`, backed by `store`.
SegmentRef Segment(std::vector<uint8_t>& store, uint64_t off, const std::string& payload) {
  test::Tcp4Spec spec;
  store = test::BuildTcp4(spec, payload.data(), payload.size());
  SegmentRef s;
  s.data = store.data();
  s.len = store.size();
  EXPECT_EQ(DecodePacket(s.data, s.len, &s.view), DecodeStatus::kOk);
  s.off = off;
  return s;
}

TEST(ReorderBuffer, KeepsSegmentsBeyondAGapAndHandsThemOverInOrder) {
  std::atomic<uint64_t> packets{0}, bytes{0};
  HoldBudget budget(1 << 20, 100, packets, bytes);
  ReorderBuffer r;
  std::vector<uint8_t> p1, p2, p3;
  bool opened = false;
  EXPECT_EQ(r.Add(Segment(p1, 20, "world"), budget, &opened), ReorderBuffer::Put::kBuffered);
  EXPECT_TRUE(opened);
  EXPECT_EQ(r.Add(Segment(p2, 10, "hello"), budget, &opened), ReorderBuffer::Put::kBuffered);
  EXPECT_FALSE(opened);  // the gap was open already
  EXPECT_EQ(r.Add(Segment(p3, 20, "WORLD"), budget, &opened), ReorderBuffer::Put::kDuplicate);
  EXPECT_EQ(packets.load(), 2u);
  EXPECT_EQ(r.first_offset(), 10u);
  EXPECT_FALSE(r.PopReady(9, budget).has_value());  // the stream has not reached it
  auto first = r.PopReady(10, budget);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->off, 10u);
  EXPECT_EQ(std::string(first->bytes.begin() + 40, first->bytes.begin() + 45), "hello");
  EXPECT_EQ(first->bytes.size(), first->len + HeldSegment::kPadding);
  EXPECT_EQ(packets.load(), 1u);
  EXPECT_EQ(r.RebaseToFirst(), 20u);
  EXPECT_EQ(r.first_offset(), 0u);
  auto second = r.PopReady(0, budget);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->off, 0u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(bytes.load(), 0u);
}

TEST(ReorderBuffer, RefusesWhatTheBudgetOrItsOwnLimitCannotTake) {
  std::atomic<uint64_t> packets{0}, bytes{0};
  std::vector<uint8_t> p;
  SegmentRef s = Segment(p, 100, "x");
  HoldBudget tight(s.len, 100, packets, bytes);
  ReorderBuffer r;
  bool opened = false;
  EXPECT_EQ(r.Add(s, tight, &opened), ReorderBuffer::Put::kBuffered);
  s.off = 200;
  EXPECT_EQ(r.Add(s, tight, &opened), ReorderBuffer::Put::kNoRoom);  // bytes cap
  HoldBudget roomy(1 << 30, 1 << 20, packets, bytes);
  for (size_t i = 1; i < ReorderBuffer::kMaxSegments; ++i) {
    s.off = 1000 + i;
    ASSERT_EQ(r.Add(s, roomy, &opened), ReorderBuffer::Put::kBuffered);
  }
  s.off = 5000;
  EXPECT_EQ(r.Add(s, roomy, &opened), ReorderBuffer::Put::kNoRoom);  // per-flow limit
}

TEST(HoldQueue, ReleasesBeforeTheOpenRunAndCutsAtIt) {
  HoldQueue h;
  // 100 bytes scanned; the last 8 may begin a value.
  h.NoteOpenRun(92);
  EXPECT_EQ(h.FinalBefore(100, 64), 92u);
  EXPECT_EQ(h.FinalBefore(100, 4), 96u);  // never further back than the widest match
  EXPECT_EQ(h.CutPoint(100, 64), 92u);
  // Nothing at the end can begin a value: nothing needs holding.
  h.NoteNoOpenRun();
  EXPECT_EQ(h.FinalBefore(110, 64), 110u);
  EXPECT_EQ(h.CutPoint(110, 64), 110u);
  h.NoteOpenRun(118);
  EXPECT_EQ(h.FinalBefore(125, 64), 118u);
  h.MarkReleased(121);
  EXPECT_EQ(h.CutPoint(125, 64), 121u);  // never before what has left
}

TEST(HoldQueue, AWithheldTailIsCutOrDroppedAndRemembered) {
  HoldQueue h;
  Decision d = h.Withhold(100, 150, 130, false);
  EXPECT_EQ(d.kind, Decision::Kind::kCut);
  EXPECT_EQ(d.keep, 30u);
  EXPECT_EQ(h.released(), 130u);
  d = h.Withhold(150, 160, 130, false);
  EXPECT_EQ(d.kind, Decision::Kind::kDrop);
  const HoldQueue::Range r = h.WithheldPart(120, 100);
  EXPECT_EQ(r.from, 130u);
  EXPECT_EQ(r.to, 160u);
  EXPECT_GE(h.WithheldPart(100, 20).from, h.WithheldPart(100, 20).to);  // before the tail
  EXPECT_FALSE(h.LeftMasked(135));
  h.MarkWithheldMasked();
  EXPECT_TRUE(h.LeftMasked(135));
  EXPECT_FALSE(h.LeftMasked(160));
  // A new cut past the old tail starts a new withheld range.
  h.Withhold(200, 220, 210, false);
  EXPECT_FALSE(h.LeftMasked(135));
  EXPECT_EQ(h.WithheldPart(0, 1000).from, 210u);
  EXPECT_EQ(h.WithheldPart(0, 1000).to, 220u);
  h.Restart();
  EXPECT_EQ(h.released(), 0u);
  EXPECT_GE(h.WithheldPart(0, 1000).from, h.WithheldPart(0, 1000).to);  // nothing withheld
}

TEST(HoldQueue, HoldsInOrderAndCountsInTheBudget) {
  std::atomic<uint64_t> packets{0}, bytes{0};
  HoldBudget budget(1 << 20, 100, packets, bytes);
  HoldQueue h;
  std::vector<uint8_t> p1, p2;
  h.Hold(HeldSegment::CopyOf(Segment(p1, 0, "4111 ")), budget);
  h.Hold(HeldSegment::CopyOf(Segment(p2, 5, "1111")), budget);
  EXPECT_EQ(packets.load(), 2u);
  EXPECT_TRUE(h.FrontEndsBy(5));
  EXPECT_FALSE(h.FrontEndsBy(4));
  EXPECT_EQ(h.TakeFront(budget).off, 0u);
  EXPECT_FALSE(h.FrontEndsBy(8));
  EXPECT_EQ(h.TakeFront(budget).off, 5u);
  EXPECT_TRUE(h.empty());
  // A hold's end moves on, never back, while something is held; a new hold
  // starts afresh.
  h.ExtendTo(1000);
  h.Hold(HeldSegment::CopyOf(Segment(p1, 9, "5")), budget);
  h.ExtendTo(500);
  EXPECT_EQ(h.deadline(), 1000);
  h.ExtendTo(1500);
  EXPECT_EQ(h.deadline(), 1500);
  h.TakeFront(budget);
  h.ExtendTo(600);
  EXPECT_EQ(h.deadline(), 600);
  EXPECT_EQ(bytes.load(), 0u);
}

TEST(HoldQueue, TheRunIsOpenUntilAByteEndsIt) {
  HoldQueue h;
  h.NoteOpenRun(90);  // "...4111 1111 1"
  EXPECT_TRUE(h.RunOpenAt(90));
  EXPECT_TRUE(h.RunOpenAt(95));
  EXPECT_FALSE(h.RunOpenAt(89));
  h.NoteOpenRun(90);  // more digits: still the same run
  EXPECT_TRUE(h.RunOpenAt(95));
  h.NoteNoOpenRun();  // ",..\n": it ended
  EXPECT_FALSE(h.RunOpenAt(95));
}

TEST(HoldBudget, BothCapsCount) {
  std::atomic<uint64_t> packets{0}, bytes{0};
  HoldBudget b(100, 2, packets, bytes);
  EXPECT_TRUE(b.Fits(100));
  EXPECT_FALSE(b.Fits(101));
  b.Take(10);
  b.Take(10);
  EXPECT_FALSE(b.Fits(1));  // two packets held
  b.Give(10);
  EXPECT_TRUE(b.Fits(90));
  EXPECT_FALSE(b.Fits(91));
}

TEST(WindowPool, FreesTheWindowsFedLeastRecentlyPastItsTotal) {
  const std::vector<uint8_t> bytes(1000, 'a');
  PooledWindow a, b, c;
  for (PooledWindow* w : {&a, &b, &c}) w->window = StreamWindow(4096);
  WindowPool pool(2500);
  EXPECT_EQ(pool.Retain(a, 0, bytes.data(), bytes.size(), UINT64_MAX, 0), 0u);
  EXPECT_EQ(pool.Retain(b, 0, bytes.data(), bytes.size(), UINT64_MAX, 0), 0u);
  EXPECT_EQ(pool.Retain(a, 1000, bytes.data(), 0, UINT64_MAX, 0), 0u);  // a is now the most recent
  EXPECT_EQ(pool.Retain(c, 0, bytes.data(), bytes.size(), UINT64_MAX, 0), 1u);
  EXPECT_TRUE(b.window.empty());  // b was fed least recently
  EXPECT_FALSE(a.window.empty());
  EXPECT_FALSE(c.window.empty());
  EXPECT_LE(pool.total(), 2500u);
  pool.Release(a);
  EXPECT_TRUE(a.window.empty());
  EXPECT_EQ(pool.total(), c.window.footprint());
}

TEST(DeadlineQueue, RemindsInOrderWhenDue) {
  DeadlineQueue q;
  EXPECT_EQ(q.next(), INT64_MAX);
  q.Add(10, KeyOf(1));
  q.Add(20, KeyOf(2));
  EXPECT_EQ(q.next(), 10);
  EXPECT_FALSE(q.PopDue(9).has_value());
  auto first = q.PopDue(25);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->src_port, 1);
  EXPECT_EQ(q.PopDue(25)->src_port, 2);
  EXPECT_FALSE(q.PopDue(100).has_value());
}

TEST(StreamPosition, OffsetsFollowSequenceNumbersAcrossTheWrap) {
  StreamPosition p;
  p.base_seq = 0xfffffff0;
  p.next_off = 0x20;  // next_seq wrapped to 0x10
  EXPECT_EQ(p.OffsetOf(0x10), 0x20u);
  EXPECT_EQ(p.OffsetOf(0x30), 0x40u);                // ahead
  EXPECT_EQ(p.OffsetOf(0xfffffff8), 0x8u);           // behind, after the start
  EXPECT_FALSE(p.OffsetOf(0xffffffe0).has_value());  // before the start
  EXPECT_EQ(p.SeqOf(0x20), 0x10u);
}

TEST(FlowThresholds, CountsPerStatementAndRestartsWithANewPolicy) {
  Policy policy;
  policy.default_action = PolicyAction::kMask;
  PolicyStatement st;
  st.name = "alert the first two cards";
  st.rules = {"pan"};
  st.action = PolicyAction::kBlock;
  st.thresholds = {{1, PolicyAction::kAlert}, {3, PolicyAction::kBlock}};
  policy.statements.push_back(st);
  FindingScope card;
  card.rule_id = "pan";
  FindingScope ssn;
  ssn.rule_id = "us-ssn";
  FlowThresholds t;
  EXPECT_EQ(t.Decide(policy, card, 1), PolicyAction::kAlert);
  EXPECT_EQ(t.Decide(policy, ssn, 1), PolicyAction::kMask);  // another statement's count
  EXPECT_EQ(t.Decide(policy, card, 1), PolicyAction::kAlert);
  EXPECT_EQ(t.Decide(policy, card, 1), PolicyAction::kBlock);
  EXPECT_EQ(t.Decide(policy, card, 2), PolicyAction::kAlert);  // reloaded: counts restart
}

TEST(PipelineCounters, EachIsDeclaredOnceWithHelp) {
  std::set<std::string_view> names;
  for (const CounterInfo& c : PipelineCounters::kInfo) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_FALSE(c.help.empty()) << c.name;
  }
  PipelineCounters counters;
  counters.hold_timeouts.fetch_add(3);
  const auto values = counters.Values();
  for (size_t i = 0; i < PipelineCounters::kCount; ++i) {
    EXPECT_EQ(values[i], PipelineCounters::kInfo[i].name == "hold_timeouts" ? 3u : 0u);
  }
}

}  // namespace
}  // namespace dlp
