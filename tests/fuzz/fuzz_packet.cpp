// libFuzzer: one packet, as the network hands it over, through the whole
// pipeline (decode, flow, stream inspection, mask, checksum, verdict).
// Every packet must be emitted exactly once and never grow; it shrinks only
// when a block cuts it (the bytes before the blocked value go, marked
// modified), and then its IP length field still says what it holds.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "rules/compiled_ruleset.h"

namespace {
struct CheckingSink : dlp::VerdictSink {
  size_t emitted = 0;
  size_t expect_len = 0;
  void Emit(uint64_t, dlp::Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override {
    ++emitted;
    if (len > expect_len) std::abort();
    if (len == expect_len) return;
    if (verdict != dlp::Verdict::kAccept || !modified || len < 20) std::abort();
    const size_t ip_len = (data[0] >> 4) == 6 ? 40U + ((size_t{data[4]} << 8) | data[5])
                                              : (size_t{data[2]} << 8) | data[3];
    if (ip_len != len) std::abort();
  }
};

dlp::PacketPipeline& Pipeline() {
  static auto rules = dlp::LoadCompiledRules("");
  // The clock never moves here: a limit on new flows per source would
  // refuse every new flow of a source after its burst, and the rest of the
  // run would not reach the flow path.
  dlp::PipelineConfig config;
  config.max_new_flows_per_source = 0;
  static dlp::PacketPipeline p(std::move(dlp::ScanContext::Create(rules)).value(), config, nullptr,
                               nullptr);
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> packet(data, data + size);  // exact size: ASan sees any over-read
  CheckingSink sink;
  sink.expect_len = size;
  // Half the inputs as if their checksum were left to the NIC: a wrong
  // checksum is dropped at once, and the rest of the path would go unfuzzed.
  Pipeline().Process(0, packet.data(), packet.size(), 0, sink,
                     size % 2 == 1 ? dlp::ChecksumState::kPending : dlp::ChecksumState::kComplete);
  Pipeline().Flush(sink);  // held or not, it must come out
  if (sink.emitted != 1) std::abort();
  return 0;
}
