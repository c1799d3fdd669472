// StreamWindow: the first copy of recent stream bytes, used to normalize
// later copies.
#include "dlpd/flow/stream_window.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace dlp {
namespace {

const DigestKey kKey{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr uint64_t kAllLeft = UINT64_MAX;  // every byte appended has left

const uint8_t* U(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::string Normalized(const StreamWindow& w, uint64_t off, std::string copy, size_t* rewritten,
                       bool* unchecked = nullptr) {
  auto r = w.Normalize(off, reinterpret_cast<uint8_t*>(copy.data()), copy.size());
  *rewritten = r.rewritten;
  if (unchecked != nullptr) *unchecked = r.unchecked;
  return copy;
}

TEST(StreamWindow, FirstCopyWins) {
  StreamWindow w(1024);
  w.Append(0, U("hello "), 6, kKey, kAllLeft);
  w.Append(3, U("XXXworld"), 8, kKey, kAllLeft);  // overlaps: only "world" is new
  EXPECT_EQ(w.begin(), 0u);
  EXPECT_EQ(w.end(), 11u);
  size_t n = 0;
  EXPECT_EQ(Normalized(w, 0, "HELLO WORLD", &n), "hello world");
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(Normalized(w, 9, "LD and more", &n), "ld and more");  // past end(): left alone
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(Normalized(w, 11, "new", &n), "new");
  EXPECT_EQ(n, 0u);
}

TEST(StreamWindow, KeepsOnlyTheLimitAndReportsOlderBytes) {
  StreamWindow w(100);
  std::string data(1000, 'a');
  for (size_t i = 0; i < 1000; i += 10) w.Append(i, U(data) + i, 10, kKey, kAllLeft);
  EXPECT_EQ(w.end(), 1000u);
  EXPECT_LE(w.end() - w.begin(), 150u);
  EXPECT_GE(w.end() - w.begin(), 100u);
  size_t n = 0;
  bool unchecked = false;
  EXPECT_EQ(Normalized(w, 0, std::string(1000, 'b'), &n, &unchecked).substr(w.begin()),
            std::string(1000 - w.begin(), 'a'));
  EXPECT_TRUE(unchecked);
  EXPECT_EQ(n, 1000 - w.begin());
}

TEST(StreamWindow, PiecesOfAnySizeKeepTheLastLimitBytes) {
  // Pieces from 1 byte to three windows (coalesced packets), overlapping
  // at times: the window always holds at least the last `limit` bytes, as
  // first sent, and never more than half as many again and one piece (a
  // piece, here a whole append, is trimmed whole or not at all).
  std::mt19937 rng(5);
  std::string stream(200000, 0);
  for (char& c : stream) c = static_cast<char>('a' + rng() % 26);
  StreamWindow w(1000);
  size_t end = 0;
  while (end < stream.size() - 3000) {
    const size_t back = rng() % 4 == 0 ? rng() % std::min<size_t>(end + 1, 500) : 0;
    const size_t len = back + 1 + rng() % (rng() % 2 ? 100 : 3000);
    std::string piece = stream.substr(end - back, len);
    for (size_t i = 0; i < back; ++i) piece[i] = '#';  // a changed copy: not kept
    w.Append(end - back, U(piece), piece.size(), kKey, kAllLeft);
    end += len - back;
    ASSERT_EQ(w.end(), end);
    ASSERT_GE(end - w.begin(), std::min<size_t>(end, 1000));
    ASSERT_LE(end - w.begin(), 1500u + 3600u);
    size_t n = 0;
    bool unchecked = true;
    const std::string copy(std::min<size_t>(end, 1000), '#');
    ASSERT_EQ(Normalized(w, end - copy.size(), copy, &n, &unchecked),
              stream.substr(end - copy.size(), copy.size()));
    ASSERT_FALSE(unchecked);
  }
}

TEST(StreamWindow, OlderCopiesCheckInTheSendersOwnSegments) {
  // Segments of 100 bytes (the SYN's size), some coalesced two or three
  // to a packet, one overlapping what came before: wherever the window is
  // trimmed, every segment as the sender sent it checks against the
  // digest once it has left the window, and a copy from a point inside one
  // does not. (A record cut where a trim fell stalled an upload: the
  // sender resends from its own boundaries, never covering it whole.)
  std::mt19937 rng(9);
  std::string stream(30000, 0);
  for (char& c : stream) c = static_cast<char>('a' + rng() % 26);
  for (const size_t limit : {150u, 333u, 1000u}) {
    StreamWindow w(limit);
    w.set_segment_size(100);
    size_t end = 0;
    while (end < 20000) {
      const size_t n = 1 + rng() % 3;
      const size_t back = rng() % 8 == 0 && end >= 100 ? 100 : 0;  // a copy of the last, and more
      w.Append(end - back, U(stream) + end - back, back + n * 100, kKey, kAllLeft);
      end += n * 100;
    }
    ASSERT_GE(w.begin(), 15000u);
    for (size_t at = w.digest().begin(); at + 100 <= w.begin(); at += 100) {
      ASSERT_TRUE(w.digest().Check(at, U(stream) + at, 100, at + 100, kKey)) << limit << " " << at;
      ASSERT_FALSE(w.digest().Check(at + 7, U(stream) + at + 7, 100, at + 107, kKey));
    }
  }
}

TEST(StreamWindow, SplitsMakeRecordsACopyCanBeginAt) {
  StreamWindow w(150);
  w.set_segment_size(100);
  std::string stream(1000, 'a');
  for (size_t i = 0; i < stream.size(); ++i) stream[i] = static_cast<char>('a' + i % 26);
  w.Append(0, U(stream), 100, kKey, kAllLeft);
  w.SplitEach(90, 100);  // a withheld tail: each byte its own record
  w.SplitAt(50);
  w.Append(100, U(stream) + 100, 100, kKey, kAllLeft);
  w.Append(200, U(stream) + 200, 100, kKey, kAllLeft);
  EXPECT_EQ(w.begin(), 90u);  // the tail has not settled: nothing from it on goes
  w.SettleWithheld(100, [](uint64_t, uint8_t*, size_t) {});
  for (size_t at = 300; at < 1000; at += 100) w.Append(at, U(stream) + at, 100, kKey, kAllLeft);
  ASSERT_GT(w.begin(), 100u);
  for (const size_t from : {0u, 50u, 90u, 93u, 99u}) {
    EXPECT_TRUE(w.digest().Check(from, U(stream) + from, 100 - from, 100, kKey)) << from;
  }
  EXPECT_FALSE(w.digest().Check(60, U(stream) + 60, 40, 100, kKey));  // no split there
}

TEST(StreamWindow, JumpRestartsAndStoreForwardedOverwritesOnlyKeptBytes) {
  StreamWindow w(1024);
  w.Append(0, U("abc"), 3, kKey, kAllLeft);
  w.Append(10, U("ssn=536"), 7, kKey, kAllLeft);  // a gap: restart at 10
  EXPECT_EQ(w.begin(), 10u);
  w.StoreForwarded(8, U("..ssn=XXX!!"), 11);  // [8,19): only [10,17) is kept
  size_t n = 0;
  EXPECT_EQ(Normalized(w, 10, "ssn=536", &n), "ssn=XXX");
  EXPECT_EQ(w.end(), 17u);
}

TEST(StreamWindow, DisabledAndClearedKeepNothing) {
  StreamWindow off(0);
  off.Append(0, U("abc"), 3, kKey, kAllLeft);
  EXPECT_TRUE(off.empty());
  StreamWindow w(64);
  w.Append(0, U("abc"), 3, kKey, kAllLeft);
  w.Clear();
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.footprint(), 0u);
  size_t n = 0;
  bool unchecked = false;
  EXPECT_EQ(Normalized(w, 0, "xyz", &n, &unchecked), "xyz");
  EXPECT_TRUE(unchecked);
  w.Append(3, U("def"), 3, kKey, kAllLeft);  // restarts where the stream is
  EXPECT_EQ(w.begin(), 3u);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(StreamDigest, ChecksCopiesOfWholeRecordsOnly) {
  const DigestKey key{9};
  StreamDigest d;
  std::string stream;
  for (int i = 0; i < 300; ++i) {
    const std::string seg = "segment-" + std::to_string(i) + ";";
    d.Add(stream.size(), U(seg), seg.size(), key);
    stream += seg;
  }
  EXPECT_EQ(d.end(), stream.size());
  // Records 10..12 as sent: checked; one byte changed, or cut inside a
  // record, or a start that is no record's: not.
  const uint64_t a = stream.find("segment-10;"), b = stream.find("segment-13;");
  std::string copy = stream.substr(a, b - a);
  EXPECT_TRUE(d.Check(a, U(copy), copy.size(), b, key));
  copy[3] ^= 1;
  EXPECT_FALSE(d.Check(a, U(copy), copy.size(), b, key));
  copy = stream.substr(a, b - a - 1);
  EXPECT_FALSE(d.Check(a, U(copy), copy.size(), b, key));
  copy = stream.substr(a + 1, b - a - 1);
  EXPECT_FALSE(d.Check(a + 1, U(copy), copy.size(), b, key));
  // `upto`: only the records before it must be whole in the copy.
  copy = stream.substr(a, b - a + 4);
  EXPECT_TRUE(d.Check(a, U(copy), copy.size(), b, key));
  // Another key: nothing checks.
  copy = stream.substr(a, b - a);
  EXPECT_FALSE(d.Check(a, U(copy), copy.size(), b, DigestKey{8}));
  // Forgotten records (the front dropped in batches) no longer check; the
  // rest still do.
  d.ForgetBefore(stream.find("segment-200;"));
  EXPECT_EQ(d.begin(), stream.find("segment-200;"));  // 199 ends there: forgotten
  EXPECT_FALSE(d.Check(a, U(copy), copy.size(), b, key));
  const uint64_t c = stream.find("segment-250;"), e = stream.find("segment-252;");
  copy = stream.substr(c, e - c);
  EXPECT_TRUE(d.Check(c, U(copy), copy.size(), e, key));
  // A segment that does not follow the last restarts the digest.
  d.Add(stream.size() + 10, U("x"), 1, key);
  EXPECT_EQ(d.begin(), stream.size() + 10);
  EXPECT_FALSE(d.Check(c, U(copy), copy.size(), e, key));
}

}  // namespace
}  // namespace dlp
