// Decoder, checksum and one-packet pipeline tests. Golden packets were made
// with scapy (an independent checksum implementation): each masked packet
// below is what scapy builds for the masked payload.
#include "dlpd/decode/packet.h"

#include <gtest/gtest.h>

#include <random>

#include "dlpd/capture/cut_short.h"
#include "dlpd/decode/checksum.h"
#include "dlpd/decode/truncate_payload.h"
#include "dlpd/http/request_framing.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

const char* kV4 =
    "4500006200010000400666930a0000010a0000029c400050000003e80000000080182000235500000101080a000000"
    "01"
    "00000002504f5354202f7820485454502f312e310d0a486f73743a20610d0a0d0a73736e3d3533362d32322d313435"
    "37"
    "267a";
const char* kV4Masked =
    "4500006200010000400666930a0000010a0000029c400050000003e800000000801820008da400000101080a000000"
    "01"
    "00000002504f5354202f7820485454502f312e310d0a486f73743a20610d0a0d0a73736e3d5858582d58582d585858"
    "58"
    "267a";
// IPv6 with hop-by-hop and destination-options extension headers.
const char* kV6 =
    "60000000003a0040fd000000000000000000000000000001fd0000000000000000000000000000023c000104000000"
    "00"
    "06000104000000009c4100500000000500000000501820005c8e0000636172643d3431313131313131313131313131"
    "31313b";
const char* kV6Masked =
    "60000000003a0040fd000000000000000000000000000001fd0000000000000000000000000000023c000104000000"
    "00"
    "06000104000000009c41005000000005000000005018200023580000636172643d5858585858585858585858585858"
    "58583b";

std::vector<uint8_t> Hex(const char* s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; s[i] != '\0' && s[i + 1] != '\0'; i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(s + i, 2), nullptr, 16)));
  }
  return out;
}

std::unique_ptr<PacketPipeline> MakePipelinePtr(FailMode mode, int64_t hold_us = 20000) {
  auto ctx = ScanContext::Create(test::DefaultRules());
  PipelineConfig config;
  config.fail_mode = mode;
  config.hold_timeout_us = hold_us;
  return std::make_unique<PacketPipeline>(std::move(ctx).value(), config, nullptr, nullptr);
}

struct Emitted {
  uint64_t handle;
  Verdict verdict;
  std::vector<uint8_t> bytes;
  bool modified;
};

struct RecordingSink : VerdictSink {
  std::vector<Emitted> out;
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override {
    out.push_back({handle, verdict, std::vector<uint8_t>(data, data + len), modified});
  }
};

// Runs one packet that the pipeline decides at once; returns what it emitted.
struct PacketResult {
  Verdict verdict;
  bool modified;
};
class OnePacket {
 public:
  explicit OnePacket(FailMode mode) : p_(MakePipelinePtr(mode)) {}
  PacketResult Process(uint8_t* data, size_t len, ChecksumState csum = ChecksumState::kComplete) {
    sink_.out.clear();
    p_->Process(++handle_, data, len, 0, sink_, csum);
    EXPECT_EQ(sink_.out.size(), 1u);
    if (sink_.out.empty()) return {Verdict::kDrop, false};
    const Emitted& e = sink_.out.back();
    if (data != nullptr) std::copy(e.bytes.begin(), e.bytes.end(), data);
    return {e.verdict, e.modified};
  }
  const PipelineCounters& counters() const { return p_->counters(); }

 private:
  std::unique_ptr<PacketPipeline> p_;
  RecordingSink sink_;
  uint64_t handle_ = 0;
};

OnePacket MakePipeline(FailMode mode) {
  return OnePacket(mode);
}

TEST(Decode, Ipv4Tcp) {
  auto p = Hex(kV4);
  PacketView v;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  EXPECT_EQ(v.ip_version, 4);
  EXPECT_EQ(AddressToString(4, v.src), "10.0.0.1");
  EXPECT_EQ(AddressToString(4, v.dst), "10.0.0.2");
  EXPECT_EQ(v.src_port, 40000);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(v.seq, 1000u);
  EXPECT_EQ(v.tcp_header_len, 32u);  // with timestamp option
  EXPECT_EQ(v.payload_offset, 52u);
  EXPECT_EQ(v.payload_len, p.size() - 52);
  EXPECT_TRUE(TcpChecksumValid(p.data(), v));
}

TEST(Decode, Ipv6WalksExtensionHeaders) {
  auto p = Hex(kV6);
  PacketView v;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  EXPECT_EQ(v.ip_version, 6);
  EXPECT_EQ(AddressToString(6, v.dst), "fd00::2");
  EXPECT_EQ(v.tcp_offset, 56u);
  EXPECT_EQ(v.dst_port, 80);
  EXPECT_EQ(v.payload_len, 22u);
  EXPECT_TRUE(TcpChecksumValid(p.data(), v));
}

bool Ipv4HeaderChecksumValid(const std::vector<uint8_t>& p) {
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

TEST(Truncate, Ipv4KeepsTheHeadAndFixesBothChecksums) {
  auto p = Hex(kV4);
  PacketView v;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  ASSERT_TRUE(Ipv4HeaderChecksumValid(p));
  const std::string head(reinterpret_cast<const char*>(p.data()) + v.payload_offset, 30);
  const size_t n = TruncateTcpPayload(p.data(), &v, 30);
  EXPECT_EQ(n, v.payload_offset + 30);
  p.resize(n);
  PacketView again;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &again), DecodeStatus::kOk);
  EXPECT_EQ(again.payload_len, 30u);
  EXPECT_EQ(again.seq, v.seq);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data()) + again.payload_offset, 30), head);
  EXPECT_TRUE(TcpChecksumValid(p.data(), again));
  EXPECT_TRUE(Ipv4HeaderChecksumValid(p));
}

TEST(Truncate, TheFinStaysWithTheBytesCut) {
  auto p = Hex(kV4);
  PacketView v;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  p[v.tcp_offset + 13] |= TcpFlags::kFin;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  const uint8_t others = v.tcp_flags & ~TcpFlags::kFin;
  p.resize(TruncateTcpPayload(p.data(), &v, 10));
  PacketView again;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &again), DecodeStatus::kOk);
  EXPECT_EQ(again.tcp_flags, others);
  EXPECT_EQ(v.tcp_flags, others);
  EXPECT_TRUE(TcpChecksumValid(p.data(), again));
}

TEST(Truncate, Ipv6WithExtensionHeadersToNoPayload) {
  auto p = Hex(kV6);
  PacketView v;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
  const size_t n = TruncateTcpPayload(p.data(), &v, 0);
  p.resize(n);
  PacketView again;
  ASSERT_EQ(DecodePacket(p.data(), p.size(), &again), DecodeStatus::kOk);
  EXPECT_EQ(again.tcp_offset, 56u);  // the extension headers are still there
  EXPECT_EQ(again.payload_len, 0u);
  EXPECT_TRUE(TcpChecksumValid(p.data(), again));
}

TEST(Slice, OneByteAtItsOwnSequenceNumberEndingNothing) {
  for (const char* hex : {kV4, kV6}) {
    auto p = Hex(hex);
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    ASSERT_GE(v.payload_len, 8u);
    p[v.tcp_offset + 13] |= TcpFlags::kFin | TcpFlags::kPsh;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    const std::vector<uint8_t> s = SliceTcpSegment(p.data(), v, 5, 2);
    PacketView got;
    ASSERT_EQ(DecodePacket(s.data(), s.size(), &got), DecodeStatus::kOk) << hex;
    EXPECT_EQ(got.seq, v.seq + 5);
    EXPECT_EQ(got.payload_len, 2u);
    EXPECT_EQ(got.tcp_offset, v.tcp_offset);          // IPv6 extension headers kept
    EXPECT_EQ(got.tcp_header_len, v.tcp_header_len);  // options kept
    EXPECT_EQ(s[got.payload_offset], p[v.payload_offset + 5]);
    EXPECT_EQ(s[got.payload_offset + 1], p[v.payload_offset + 6]);
    EXPECT_EQ(got.tcp_flags, v.tcp_flags & ~(TcpFlags::kFin | TcpFlags::kPsh));
    EXPECT_TRUE(TcpChecksumValid(s.data(), got));
    if (got.ip_version == 4) {
      EXPECT_TRUE(Ipv4HeaderChecksumValid(s));
    }
    EXPECT_FALSE(CaptureCutShort(s.data(), s.size()));
  }
}

TEST(Decode, ACaptureIsCutShortWhenTheIpLengthSaysMore) {
  for (const char* hex : {kV4, kV6}) {
    const auto p = Hex(hex);
    EXPECT_FALSE(CaptureCutShort(p.data(), p.size())) << hex;
    EXPECT_TRUE(CaptureCutShort(p.data(), p.size() - 1)) << hex;
    // Ethernet padding after the packet is not a cut.
    auto padded = p;
    padded.resize(p.size() + 6);
    EXPECT_FALSE(CaptureCutShort(padded.data(), padded.size())) << hex;
    // BIG TCP: the length field 0, the length the skb's.
    auto big = p;
    const size_t field = (big[0] >> 4) == 4 ? 2 : 4;
    big[field] = big[field + 1] = 0;
    EXPECT_TRUE(CaptureCutShort(big.data(), big.size())) << hex;
  }
  // Too short to hold the length field: left to the decoder.
  const uint8_t v4[] = {0x45, 0x00, 0xff, 0xff};
  EXPECT_FALSE(CaptureCutShort(v4, sizeof v4));
  EXPECT_FALSE(CaptureCutShort(nullptr, 0));
}

TEST(Decode, EveryTruncationIsRejectedNotRead) {
  for (const char* hex : {kV4, kV6}) {
    auto p = Hex(hex);
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk);
    const size_t payload_offset = v.payload_offset;
    for (size_t n = 0; n < p.size(); ++n) {
      // An exact-size copy, so ASan catches any read past it.
      std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<long>(n));
      DecodeStatus st = DecodePacket(cut.data(), cut.size(), &v);
      if (n < payload_offset) {
        EXPECT_NE(st, DecodeStatus::kOk) << "length " << n;
      } else {
        // The IP length field now exceeds the buffer.
        EXPECT_EQ(st, DecodeStatus::kBadTotalLength) << "length " << n;
      }
    }
  }
}

TEST(Decode, MalformedHeaders) {
  PacketView v;
  auto p = Hex(kV4);
  auto bad = p;
  bad[0] = 0x44;  // IHL 4
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kBadHeaderLength);
  bad = p;
  bad[0] = 0x4f;  // IHL 15: 40 bytes of "options" eat into TCP; what is left is read as TCP
  if (DecodePacket(bad.data(), bad.size(), &v) == DecodeStatus::kOk) {
    EXPECT_EQ(v.tcp_offset, 60u);
    EXPECT_EQ(v.payload_offset + v.payload_len, bad.size());
  }
  bad = p;
  bad[0] = 0x55;
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kBadVersion);
  bad = p;
  bad[2] = 0xff;  // total length past the buffer
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kBadTotalLength);
  bad = p;
  bad[3] = 10;  // total length shorter than the header
  bad[2] = 0;
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kBadTotalLength);
  bad = p;
  bad[20 + 12] = 0x40;  // TCP data offset 4
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kBadHeaderLength);
  bad = p;
  bad[20 + 12] = 0xf0;  // data offset 60: past the segment
  bad[2] = 0;
  bad[3] = 20 + 40;
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kTruncated);
  bad = p;
  bad[6] = 0x20;  // more fragments
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kFragment);
  bad = p;
  bad[7] = 0x10;  // fragment offset
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kFragment);
  bad = p;
  bad[9] = 17;  // UDP
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kNotTcp);
  EXPECT_EQ(DecodePacket(nullptr, 0, &v), DecodeStatus::kTruncated);

  auto p6 = Hex(kV6);
  bad = p6;
  bad[41] = 200;  // hop-by-hop header claims 1608 bytes
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kTruncated);
  bad = p6;
  bad[6] = 44;  // fragment header
  EXPECT_EQ(DecodePacket(bad.data(), bad.size(), &v), DecodeStatus::kFragment);
}

TEST(Decode, LongExtensionHeaderChainIsRefused) {
  std::vector<uint8_t> p(40 + 8 * 12 + 20, 0);
  p[0] = 0x60;
  const size_t plen = p.size() - 40;
  p[4] = static_cast<uint8_t>(plen >> 8);
  p[5] = static_cast<uint8_t>(plen);
  p[6] = 60;
  for (size_t i = 0; i < 12; ++i) p[40 + 8 * i] = i == 11 ? 6 : 60;
  p[40 + 96 + 12] = 0x50;
  PacketView v;
  EXPECT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kTooManyExtHeaders);
}

// RFC 793's checksum word by word, as written: the reference the fast sum
// (four bytes at a time, in the machine's byte order) must agree with.
uint16_t ReferenceTcpChecksum(const uint8_t* packet, const PacketView& v) {
  auto add = [](const uint8_t* p, size_t n, uint32_t sum) {
    for (; n >= 2; p += 2, n -= 2) sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
    if (n == 1) sum += static_cast<uint32_t>(p[0] << 8);
    return sum;
  };
  const size_t tcp_len = v.ip_len - v.tcp_offset;
  const size_t alen = v.ip_version == 6 ? 16 : 4;
  uint32_t sum = add(v.src.data(), alen, 0);
  sum = add(v.dst.data(), alen, sum) + 6 + static_cast<uint32_t>(tcp_len);
  sum = add(packet + v.tcp_offset, 16, sum);
  sum = add(packet + v.tcp_offset + 18, tcp_len - 18, sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

TEST(Checksum, TheFastSumAgreesWithRfc793WordByWord) {
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    const bool v6 = i % 2 == 1;
    const size_t ip_len = v6 ? 40 : 20;
    const size_t payload = i < 100 ? static_cast<size_t>(i) : rng() % 65000;
    std::vector<uint8_t> p(ip_len + 20 + payload);
    for (auto& b : p) b = static_cast<uint8_t>(rng());
    p[0] = v6 ? 0x60 : 0x45;
    if (v6) {
      p[4] = static_cast<uint8_t>((20 + payload) >> 8);
      p[5] = static_cast<uint8_t>((20 + payload) & 0xff);
      p[6] = 6;
    } else {
      p[2] = static_cast<uint8_t>(p.size() >> 8);
      p[3] = static_cast<uint8_t>(p.size() & 0xff);
      p[6] = p[7] = 0;
      p[9] = 6;
    }
    p[ip_len + 12] = 0x50;
    PacketView v;
    ASSERT_EQ(DecodePacket(p.data(), p.size(), &v), DecodeStatus::kOk) << i;
    ASSERT_EQ(ComputeTcpChecksum(p.data(), v), ReferenceTcpChecksum(p.data(), v)) << i;
    UpdateTcpChecksum(p.data(), v);
    ASSERT_TRUE(TcpChecksumValid(p.data(), v));
  }
}

TEST(Pipeline, MasksAndFixesChecksumExactlyAsScapyWould) {
  auto pipeline = MakePipeline(FailMode::kClosed);
  for (auto [in, want] : {std::pair{kV4, kV4Masked}, std::pair{kV6, kV6Masked}}) {
    auto p = Hex(in);
    PacketResult r = pipeline.Process(p.data(), p.size());
    EXPECT_EQ(r.verdict, Verdict::kAccept);
    EXPECT_TRUE(r.modified);
    EXPECT_EQ(p, Hex(want));
  }
  EXPECT_EQ(pipeline.counters().masked_packets.load(), 2u);
  EXPECT_EQ(pipeline.counters().findings.load(), 2u);
}

TEST(Pipeline, CleanPacketIsUntouched) {
  auto pipeline = MakePipeline(FailMode::kClosed);
  auto p = Hex(kV4Masked);
  auto copy = p;
  PacketResult r = pipeline.Process(p.data(), p.size());
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_FALSE(r.modified);
  EXPECT_EQ(p, copy);
}

TEST(Pipeline, ChecksumIsRecomputedEvenIfItWasNeverFilledIn) {
  // With checksum offload the kernel may queue a packet whose checksum
  // field holds only the pseudo-header sum; the masked packet must still
  // leave with a correct checksum.
  auto pipeline = MakePipeline(FailMode::kClosed);
  auto p = Hex(kV4);
  p[20 + 16] = 0x12;
  p[20 + 17] = 0x34;
  ASSERT_TRUE(pipeline.Process(p.data(), p.size(), ChecksumState::kPending).modified);
  EXPECT_EQ(p, Hex(kV4Masked));
  // The same checksum on a packet as its receiver gets it is wrong: the
  // receiver drops it, and so does dlpd.
  p = Hex(kV4);
  p[20 + 16] = 0x12;
  p[20 + 17] = 0x34;
  EXPECT_EQ(pipeline.Process(p.data(), p.size()).verdict, Verdict::kDrop);
  EXPECT_EQ(pipeline.counters().bad_checksums.load(), 1u);
}

TEST(Pipeline, FailModeDecidesForUninspectablePackets) {
  auto closed = MakePipeline(FailMode::kClosed);
  auto open = MakePipeline(FailMode::kOpen);
  auto p = Hex(kV4);
  p[6] = 0x20;  // a fragment: no whole TCP segment to inspect
  auto copy = p;
  EXPECT_EQ(closed.Process(p.data(), p.size()).verdict, Verdict::kDrop);
  EXPECT_EQ(open.Process(p.data(), p.size()).verdict, Verdict::kAccept);
  EXPECT_EQ(p, copy);
  EXPECT_EQ(closed.counters().dropped_uninspected.load(), 1u);
  EXPECT_EQ(open.counters().passed_uninspected.load(), 1u);
  EXPECT_EQ(closed.counters().decode_errors.load(), 1u);
  EXPECT_EQ(closed.Process(nullptr, 0).verdict, Verdict::kDrop);
}

TEST(Pipeline, RandomBytesNeverCrashAndAreCounted) {
  auto pipeline = MakePipelinePtr(FailMode::kOpen);
  RecordingSink sink;
  std::mt19937 rng(1);
  auto base = Hex(kV4);
  uint64_t handled = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> p = base;
    p.resize(std::uniform_int_distribution<size_t>(0, base.size())(rng));
    for (int k = 0; k < 4 && !p.empty(); ++k) {
      p[std::uniform_int_distribution<size_t>(0, p.size() - 1)(rng)] = static_cast<uint8_t>(rng());
    }
    // Checksums not checked, so that the corrupted packets reach the stream.
    pipeline->Process(handled++, p.data(), p.size(), i * 1000, sink, ChecksumState::kPending);
    pipeline->Tick(i * 1000, sink);
  }
  pipeline->Flush(sink);
  // Every packet comes out exactly once, accepted (fail open) unless its
  // receiver would drop it too (counted).
  ASSERT_EQ(sink.out.size(), handled);
  std::vector<bool> seen(handled);
  const auto& k = pipeline->counters();
  uint64_t dropped = 0;
  for (const auto& e : sink.out) {
    dropped += e.verdict == Verdict::kDrop ? 1 : 0;
    ASSERT_LT(e.handle, handled);
    EXPECT_FALSE(seen[e.handle]);
    seen[e.handle] = true;
  }
  EXPECT_LE(dropped, k.out_of_window.load() + k.beyond_fin.load() + k.copies_unchecked.load() +
                         k.syns_ignored.load() + k.retransmissions.load() +
                         k.hold_overflows.load());
  const auto& c = pipeline->counters();
  EXPECT_EQ(c.packets.load(), handled);
  EXPECT_GT(c.passed_uninspected.load(), 0u);
  EXPECT_GT(c.inspected.load(), 0u);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// The request framing's record of a head, read from one feed.
const RequestFraming& Frame(RequestFraming& r, const std::string& text) {
  std::vector<FramedRun> runs;
  r.Feed(reinterpret_cast<const uint8_t*>(text.data()), text.size(), 0, &runs);
  return r;
}

TEST(HttpRequestHead, MethodHostPath) {
  RequestFraming r;
  Frame(r, "POST /pay?x=1 HTTP/1.1\r\nAccept: */*\r\nhOsT:  shop.example \r\n\r\n");
  ASSERT_NE(r.current(), nullptr);
  EXPECT_EQ(r.current()->info.method, "POST");
  EXPECT_EQ(r.current()->info.path, "/pay?x=1");
  EXPECT_EQ(r.current()->info.host, "shop.example");
  for (const char* no_request :
       {"HTTP/1.1 200 OK\r\n\r\n", "\x16\x03\x01\x02\x00", "ssn=536-22-1457"}) {
    RequestFraming n;
    Frame(n, no_request);
    EXPECT_EQ(n.mode(), RequestFraming::Mode::kPlain) << no_request;
    EXPECT_EQ(n.current(), nullptr) << no_request;
  }
  // A request line http-parser refuses, which a server taking any method
  // or version may read: uninspectable, not plain text.
  for (const std::string& refused :
       {std::string("QUERY /x HTTP/1.1\r\n"), std::string("GET /x SMTP/1.0\r\n"),
        std::string("GET /\x01\xff HTTP/1.0\r\n\r\n", 20)}) {
    RequestFraming n;
    Frame(n, refused);
    EXPECT_TRUE(n.uninspectable()) << refused;
  }
}

TEST(HttpRequestHead, BodyFraming) {
  const std::string head = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length:  14 \r\n\r\n";
  RequestFraming r;
  Frame(r, head + "x=1&amount=10");
  ASSERT_NE(r.current(), nullptr);
  EXPECT_EQ(r.current()->info.head_len, head.size());
  EXPECT_EQ(r.current()->info.body_length.value_or(0), 14u);
  EXPECT_EQ(r.body_end(), head.size() + 14);
  EXPECT_TRUE(r.BodyGoesOnAfter(head.size() + 13));
  RequestFraming g;
  Frame(g, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(g.current()->info.body_length.value_or(99), 0u);  // neither header: no body
  // Lengths a server cannot trust are framing it cannot follow: in a
  // later request, framing lost; in the first, a head dlpd cannot read
  // (uninspectable).
  for (const char* bad : {"Content-Length: 5\r\nContent-Length: 6", "Content-Length: -5",
                          "Content-Length: 5x", "Content-Length: 99999999999999999999999",
                          "Transfer-Encoding: chunked\r\nContent-Length: 5"}) {
    RequestFraming b;
    Frame(b, std::string("GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\n") + bad + "\r\n\r\n");
    EXPECT_EQ(b.mode(), RequestFraming::Mode::kLost) << bad;
    EXPECT_FALSE(b.error_in_body()) << bad;
    RequestFraming first;
    Frame(first, std::string("POST / HTTP/1.1\r\n") + bad + "\r\n\r\n");
    EXPECT_TRUE(first.uninspectable()) << bad;
  }
}

}  // namespace
}  // namespace dlp
