// A worker's memory stays within its budget (--max-memory-mb) under 65,536
// flows that each send one coalesced 64 KB packet (as NFQUEUE hands them
// over with GRO): a quarter are the head of an upload that stays open and
// ends inside a possible card number (busy: dlpd must not lose them), the
// rest a whole form post (quiet: between requests). Checked after every packet: the flows'
// state, the first-copy windows and the held bytes each within their
// share; at the end: the process's peak RSS grew by less than the budget
// (not under sanitizers, whose allocator keeps freed memory on purpose),
// flows were ended for the budget, and the busy ones never while quiet
// ones were left.
// Usage: memory_budget_test SANITIZED(0|1) [FLOWS]  (budget: 4 KiB a flow)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dlpd/decode/checksum.h"
#include "dlpd/decode/packet.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "rules/compiled_ruleset.h"
#include "tests/support/tcp_packet.h"

namespace {

constexpr size_t kPacket = 64000;

struct NullSink : dlp::VerdictSink {
  void Emit(uint64_t, dlp::Verdict, const uint8_t*, size_t, bool) override {}
  bool Inject(const uint8_t*, size_t) override { return true; }
};

long StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0)
      return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return -1;
}

int failures = 0;
void Expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++failures;
  }
}

// Form and JSON text, `size` bytes, with one card number in the middle;
// ending in the first digits of another when `busy`, else between fields.
std::string Body(std::mt19937& rng, size_t size, bool busy) {
  static const char* kParts[] = {
      "name=Jane+Doe&city=Springfield&amount=129.99&currency=USD&",
      "{\"order\":{\"id\":1234567,\"items\":[{\"sku\":\"A-12\",\"qty\":2}]}}&",
      "csrf=ab12cd34ef56&session=QmFzZTY0U2Vzc2lvbg&ts=1732262400123&",
  };
  std::string s;
  while (s.size() < size) {
    if (s.size() < size / 2 && s.size() + 80 >= size / 2) s += "card=4111 1111 1111 1111&";
    s += kParts[std::uniform_int_distribution<int>(0, 2)(rng)];
  }
  s.resize(size);
  s.replace(size - 15, 15, busy ? "&card=4111 1111" : "&note=thank+you");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const bool sanitized = argc > 1 && std::string(argv[1]) == "1";
  const size_t flows = argc > 2 ? std::stoul(argv[2]) : 65536;
  // 4 KiB a flow (256 MiB for 65,536): less than the flows take, so the
  // budget has to end some.
  const size_t budget = flows * 4096;
  auto rules = dlp::LoadCompiledRules("");
  dlp::PipelineConfig config;
  config.max_flows = 65536;
  config.max_new_flows_per_source = 0;  // one source opens them all at once
  config.max_held_bytes = budget / 4;
  config.SetMemoryBudget(budget);
  NullSink sink;
  std::mt19937 rng(11);
  // Busy: the head of a large upload, ending inside a card number. Quiet: a
  // whole request (a fresh flow picked up after it reads on as it would).
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: example\r\nContent-Length: 10000000\r\n\r\n";
  const std::string busy = head + Body(rng, kPacket - head.size(), true);
  const std::string quiet_head = "POST /form HTTP/1.1\r\nHost: example\r\nContent-Length: " +
                                 std::to_string(kPacket - head.size()) + "\r\n\r\n";
  const std::string quiet = quiet_head + Body(rng, kPacket - head.size(), false);
  const long rss_before = StatusKiB("VmRSS:");
  {
    dlp::PacketPipeline pipeline(std::move(dlp::ScanContext::Create(rules)).value(), config,
                                 nullptr, nullptr);
    const auto& c = pipeline.counters();
    uint64_t busy_evicted_early = 0;
    for (size_t f = 0; f < flows; ++f) {
      dlp::test::Tcp4Spec spec;
      spec.src = 0x0a000000 + static_cast<uint32_t>(f / 60000);
      spec.sport = static_cast<uint16_t>(1024 + f % 60000);
      spec.seq = 1000;
      const std::string& payload = f % 4 == 0 ? busy : quiet;
      std::vector<uint8_t> p = dlp::test::BuildTcp4(spec, payload.data(), payload.size());
      const uint64_t busy_before = c.busy_evictions.load();
      const uint64_t evicted_before = c.memory_evictions.load();
      pipeline.Process(f, p.data(), p.size(), static_cast<int64_t>(f), sink);
      if (c.flow_state_bytes.load() > config.max_state_bytes) {
        Expect(false, "flow state " + std::to_string(c.flow_state_bytes.load()) + " over " +
                          std::to_string(config.max_state_bytes) + " after flow " +
                          std::to_string(f));
        break;
      }
      Expect(c.window_bytes.load() <= config.max_window_total,
             "first-copy windows over their share");
      Expect(c.held_bytes.load() <= config.max_held_bytes, "held bytes over their share");
      // Busy flows are ended only when no quiet one is left to end.
      if (c.memory_evictions.load() > evicted_before && c.busy_evictions.load() > busy_before) {
        ++busy_evicted_early;
      }
    }
    const long peak = StatusKiB("VmHWM:");
    std::printf(
        "%zu flows of one %zu-byte packet, budget %zu MiB: flow state %llu B (of %zu), windows "
        "%llu B (of %zu), held %llu B (of %zu); %llu flows ended for the budget, %llu of them "
        "busy; peak RSS %+ld MiB\n",
        flows, kPacket, budget >> 20, static_cast<unsigned long long>(c.flow_state_bytes.load()),
        config.max_state_bytes, static_cast<unsigned long long>(c.window_bytes.load()),
        config.max_window_total, static_cast<unsigned long long>(c.held_bytes.load()),
        config.max_held_bytes, static_cast<unsigned long long>(c.memory_evictions.load()),
        static_cast<unsigned long long>(c.busy_evictions.load()), (peak - rss_before) / 1024);
    Expect(c.memory_evictions.load() > 0,
           "the budget never ended a flow: the test did not reach it");
    Expect(busy_evicted_early == 0, "busy flows ended while quiet ones were left");
    if (sanitized) {
      std::printf("peak RSS not checked: a sanitizer's allocator keeps freed memory\n");
    } else {
      // Beyond the flows' budget: the worker's own scratch (one packet's
      // text, the scanner's buffers), the rules, the test's packets.
      constexpr long kFixedKiB = 24 << 10;
      Expect(peak - rss_before < static_cast<long>(budget >> 10) + kFixedKiB,
             "peak RSS grew by " + std::to_string((peak - rss_before) / 1024) +
                 " MiB, more than the budget and 24 MiB");
    }
    pipeline.Flush(sink);
    Expect(c.flow_state_bytes.load() == 0, "flow state left counted after every flow ended");
  }
  if (failures != 0) return 1;
  std::printf("ok\n");
  return 0;
}
