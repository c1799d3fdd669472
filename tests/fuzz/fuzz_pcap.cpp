// libFuzzer: a capture file as `dlpd --pcap-in` reads it (a truncated
// download, a hand-edited file, a capture of hostile traffic): libpcap's
// reader, the link-layer offsets (Ethernet with VLAN tags, Linux cooked,
// raw IP, BSD loopback) and the pipeline behind them. A file must be read
// or refused with an error, never crash, and what dlpd writes must be a
// capture libpcap reads back, with no more packets than were read plus
// those dlpd sent itself (resets), every one at a time of the input.
#include <pcap/pcap.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dlpd/capture/pcap_capture.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "rules/compiled_ruleset.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_pcap: %s\n", what.c_str());
  std::abort();
}

const std::string& Dir() {
  static const std::string dir = [] {
    char d[] = "/tmp/fuzz_pcap.XXXXXX";
    if (mkdtemp(d) == nullptr) Fail("mkdtemp");
    return std::string(d);
  }();
  return dir;
}

// Packets in a capture file, -1 when libpcap cannot read it.
long Count(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return -1;
  long n = 0;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) ++n;
  pcap_close(p);
  return rc == -1 ? -1 : n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  static auto rules = dlp::LoadCompiledRules("");
  const std::string in = Dir() + "/in.pcap", out = Dir() + "/out.pcap";
  FILE* f = std::fopen(in.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    Fail("cannot write " + in);
  }
  const long readable = Count(in);
  dlp::ReplayClock clock;
  dlp::PipelineConfig config;
  config.hold_timeout_us = 1000;
  config.max_held_bytes = 8192;
  dlp::PacketPipeline pipeline(std::move(dlp::ScanContext::Create(rules)).value(), config, nullptr,
                               nullptr, clock);
  dlp::PcapCapture capture(in, out, &pipeline, clock);
  std::atomic<bool> stop{false};
  const dlp::Status st = capture.Run(stop);
  if (readable < 0) return 0;  // refused, or read up to the error: either is fine
  if (!st) {
    // libpcap reads some link types it cannot write: refused with that reason.
    if (st.error().message.rfind("cannot write pcap", 0) == 0) return 0;
    Fail("a file libpcap reads whole was refused: " + st.error().message);
  }
  const long written = Count(out);
  if (written < 0) Fail("dlpd wrote a capture libpcap cannot read back");
  // Each packet is written at most once, plus at most one reset each way per
  // packet (block or fail-closed stops send them).
  if (written > 3 * readable) {
    Fail(std::to_string(written) + " packets written for " + std::to_string(readable) + " read");
  }
  return 0;
}
