// libFuzzer: a sequence of TCP segments of one connection (IPv4), with
// fuzzer-chosen sequence numbers, flags, payloads and clock, through one
// pipeline, with a first-copy window of 64 KiB, 64 bytes or none. Checks:
// every packet is emitted exactly once, and the bytes held are accounted
// back to zero at the end.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "rules/compiled_ruleset.h"
#include "tests/support/tcp_packet.h"

namespace {
struct CountingSink : dlp::VerdictSink {
  std::set<uint64_t> seen;
  void Emit(uint64_t h, dlp::Verdict, const uint8_t*, size_t, bool) override {
    if (!seen.insert(h).second) std::abort();  // emitted twice
  }
};

std::vector<uint8_t> Segment(uint32_t seq, uint8_t flags, const uint8_t* payload, size_t n) {
  dlp::test::Tcp4Spec spec;
  spec.seq = seq;
  spec.flags = flags;
  return dlp::test::BuildTcp4(spec, payload, n);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto rules = dlp::LoadCompiledRules("");
  dlp::PipelineConfig config;
  config.hold_timeout_us = 1000;
  config.max_held_bytes = 4096;
  // The first-copy window: as deployed, smaller than a segment, or none
  // (every later copy checked against the digest alone), by the input's size.
  constexpr size_t kWindows[] = {size_t{64} << 10, 64, 0};
  config.window_bytes = kWindows[size % 3];
  dlp::PacketPipeline pipeline(std::move(dlp::ScanContext::Create(rules)).value(), config, nullptr,
                               nullptr);
  CountingSink sink;
  uint64_t handle = 0;
  int64_t now = 0;
  // Records: [seq delta: 2 bytes][flags][time step][length][payload...]
  uint32_t seq = 1000;
  size_t pos = 0;
  while (pos + 5 <= size) {
    const int16_t delta = static_cast<int16_t>(data[pos] << 8 | data[pos + 1]);
    const uint8_t flags = data[pos + 2] & 0x3f;
    now += data[pos + 3] * 10;
    size_t n = data[pos + 4];
    pos += 5;
    if (n > size - pos) n = size - pos;
    auto p = Segment(seq + static_cast<uint32_t>(delta), flags, data + pos, n);
    seq += static_cast<uint32_t>(delta);
    pos += n;
    pipeline.Tick(now, sink);
    pipeline.Process(handle++, p.data(), p.size(), now, sink);
  }
  pipeline.Flush(sink);
  if (sink.seen.size() != handle || pipeline.held_packets() != 0 || pipeline.held_bytes() != 0) {
    std::abort();
  }
  return 0;
}
