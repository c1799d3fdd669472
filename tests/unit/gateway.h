// A gateway in a unit test: a real pipeline whose verdicts and injected
// packets are collected, and a short way to build its input packets.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "tests/support/tcp_packet.h"
#include "tests/unit/test_support.h"

namespace dlp::test {

inline std::vector<uint8_t> Tcp4(uint32_t seq, const std::string& payload, uint8_t flags = 0x18,
                                 uint16_t sport = 40000, uint32_t ack = 0) {
  Tcp4Spec spec;
  spec.seq = seq;
  spec.ack = ack;
  spec.flags = flags;
  spec.sport = sport;
  return BuildTcp4(spec, payload.data(), payload.size());
}

// A packet from `src` (an IPv4 address) to 198.51.100.20:80, from port
// `sport`: flows of many clients.
inline std::vector<uint8_t> From(uint32_t src, uint16_t sport, uint32_t seq,
                                 const std::string& payload, uint8_t flags = 0x18,
                                 uint32_t ack = 7000) {
  Tcp4Spec spec;
  spec.src = src;
  spec.sport = sport;
  spec.dst = 0xc6336414;
  spec.seq = seq;
  spec.ack = ack;
  spec.flags = flags;
  return BuildTcp4(spec, payload.data(), payload.size());
}

// The SYN of Tcp4's flow with an MSS option of `mss` (no timestamps: the
// sender's segment size is `mss`), checksum set.
inline std::vector<uint8_t> SynWithMss(uint16_t mss) {
  std::vector<uint8_t> syn = Tcp4(0, "", 0x02);
  const uint8_t opt[] = {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)};
  syn.insert(syn.begin() + 40, std::begin(opt), std::end(opt));
  syn[3] = static_cast<uint8_t>(syn.size());
  syn[32] = 0x60;
  PacketView v;
  EXPECT_EQ(DecodePacket(syn.data(), syn.size(), &v), DecodeStatus::kOk);
  UpdateTcpChecksum(syn.data(), v);
  return syn;
}

struct Out {
  uint64_t handle;
  std::string payload;
  bool checksum_ok;
  uint8_t tcp_flags;
  uint32_t seq = 0;
};

class Gateway : public VerdictSink {
 public:
  explicit Gateway(int64_t hold_us = 20000, size_t max_flows = 65536,
                   size_t max_held_bytes = 64U << 20)
      : Gateway([&] {
          PipelineConfig c;
          c.hold_timeout_us = hold_us;
          c.max_flows = max_flows;
          c.max_held_bytes = max_held_bytes;
          return c;
        }()) {}
  explicit Gateway(const PipelineConfig& c, IncidentWriter* writer = nullptr,
                   const Fingerprinter* fingerprinter = nullptr,
                   const Clock& clock = SystemClock::Instance()) {
    pipeline_ = std::make_unique<PacketPipeline>(
        std::move(ScanContext::Create(DefaultRules())).value(), c, writer, fingerprinter, clock);
  }
  void Send(std::vector<uint8_t> p, int64_t now_us = 0) {
    pipeline_->Process(next_++, p.data(), p.size(), now_us, *this);
  }
  bool Inject(const uint8_t* data, size_t len) override {
    injected.emplace_back(data, data + len);
    return true;
  }
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len, bool) override {
    if (verdict == Verdict::kDrop) {
      ++dropped;
      return;
    }
    PacketView v;
    ASSERT_EQ(DecodePacket(data, len, &v), DecodeStatus::kOk);
    out.push_back(
        {handle, std::string(reinterpret_cast<const char*>(data) + v.payload_offset, v.payload_len),
         TcpChecksumValid(data, v), v.tcp_flags, v.seq});
  }
  std::string Delivered() const {
    std::string s;
    for (const auto& o : out) s += o.payload;
    return s;
  }
  PacketPipeline& pipeline() { return *pipeline_; }
  std::vector<Out> out;
  size_t dropped = 0;
  std::vector<std::vector<uint8_t>> injected;  // resets the gateway sent

 private:
  std::unique_ptr<PacketPipeline> pipeline_;
  uint64_t next_ = 0;
};

// Every payload that left since out[from], each followed by '|'.
inline std::string LeftSince(const Gateway& gw, size_t from) {
  std::string s;
  for (size_t i = from; i < gw.out.size(); ++i) s += gw.out[i].payload + "|";
  return s;
}

// Sends `n` segments of one SSN each from `*seq` on (each ends in ';', so
// none is held): n findings, each released at once.
inline void SendValues(Gateway& gw, uint32_t* seq, int n, uint16_t sport = 40000) {
  for (int i = 0; i < n; ++i) {
    const std::string v = "ssn=536-22-1457;";
    gw.Send(Tcp4(*seq, v, 0x18, sport));
    *seq += static_cast<uint32_t>(v.size());
  }
}

}  // namespace dlp::test
