// Packet-path benchmark for stream inspection (issue #4). Prints figures, and
// ratios measured in the same run, since the machine is noisy:
//   - per-packet time of the full pipeline for packets that are not held,
//     p50/p99, against a null forwarder (decode + emit) on the same packets;
//   - the fraction of packets held on ordinary traffic, and hold timeouts;
//   - memory per tracked flow (RSS growth) with 100k and 1M flows.
// Usage: flow_bench [--flows-memory N,N,...] [--coalesced BYTES] [--traffic-flows N]
//                   [--bytes-per-flow N] [--only KIND]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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

using Clock = std::chrono::steady_clock;

std::vector<uint8_t> Tcp4(uint32_t src, uint16_t sport, uint32_t seq, const std::string& payload,
                          uint8_t flags = 0x18) {
  dlp::test::Tcp4Spec spec;
  spec.src = src;
  spec.dst = 0xc6336414;  // 198.51.100.20
  spec.sport = sport;
  spec.seq = seq;
  spec.flags = flags;
  return dlp::test::BuildTcp4(spec, payload.data(), payload.size());
}

// Ordinary outbound HTTP: form posts, JSON and HTML-ish text, with about one
// sensitive value per 64 KiB.
std::string Body(std::mt19937& rng, size_t size) {
  static const char* kParts[] = {
      "name=Jane+Doe&city=Springfield&amount=129.99&currency=USD&",
      "{\"order\":{\"id\":1234567,\"items\":[{\"sku\":\"A-12\",\"qty\":2}],\"note\":\"leave at "
      "door\"}}",
      "<div class=\"row\"><span>Order placed on 2026-11-22</span><a "
      "href=\"/o/99\">view</a></div>\n",
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ",
      "csrf=ab12cd34ef56&session=QmFzZTY0U2Vzc2lvbg&ts=1732262400123&",
  };
  std::string s;
  while (s.size() < size) {
    if (std::uniform_int_distribution<int>(0, 700)(rng) == 0) s += "card=4111 1111 1111 1111&";
    s += kParts[std::uniform_int_distribution<int>(0, 4)(rng)];
  }
  s.resize(size);
  return s;
}

// The same body as one chunked HTTP request, in chunks of 4 KiB (as a
// streaming client sends it): the chunk framing cuts values.
std::string Chunked(const std::string& body) {
  std::string s =
      "POST /upload HTTP/1.1\r\nHost: files.example\r\nTransfer-Encoding: chunked\r\n\r\n";
  constexpr size_t kChunk = 4096;
  for (size_t at = 0; at < body.size(); at += kChunk) {
    const std::string piece = body.substr(at, kChunk);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    s += size + piece + "\r\n";
  }
  return s + "0\r\n\r\n";
}

// Escape-dense: a URL-encoded form of JSON (every quote, brace, colon and
// comma an escape), JSON \u escapes and HTML references, the same density
// of values, some written with escaped digits.
std::string EscapeDense(std::mt19937& rng, size_t size) {
  static const char* kParts[] = {
      ("payload=%7B%22order%22%3A%7B%22id%22%3A1234567%2C%22note%22%3A%22leave%20at%20door%22"
       "%7D%7D&"),
      "{\"name\":\"Jos\\u00e9 \\u00c1lvarez\",\"city\":\"S\\u00e3o Paulo\",\"qty\":2}",
      "<p>Caf&eacute; &amp; cr&egrave;me &#8211; order&nbsp;#99 on 2026&#8209;11&#8209;22</p>\n",
      "q=red%20shoes%20size%2042&ref=%2Fhome%3Fa%3D1%26b%3D2&ts=1732262400123&",
  };
  std::string s;
  while (s.size() < size) {
    if (std::uniform_int_distribution<int>(0, 700)(rng) == 0) {
      s += "card=%34111%201111%201111%201111&";
    }
    s += kParts[std::uniform_int_distribution<int>(0, 3)(rng)];
  }
  s.resize(size);
  return s;
}

// A MIME part in base64 (Content-Transfer-Encoding: base64, lines of 76,
// as mail APIs and some upload clients send a document): the same text,
// which the base64 layer decodes and scans beside the part's characters.
std::string Base64Part(const std::string& text) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s =
      "POST /upload HTTP/1.1\r\nHost: files.example\r\nContent-Type: multipart/form-data; "
      "boundary=XyZ\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
      "filename=\"a.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  size_t line = 0;
  for (size_t i = 0; i + 3 <= text.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(text[i]) << 16 |
                       static_cast<uint8_t>(text[i + 1]) << 8 | static_cast<uint8_t>(text[i + 2]);
    for (int k = 3; k >= 0; --k) s += kAlphabet[(v >> (6 * k)) & 63];
    if ((line += 4) == 76) {
      s += "\r\n";
      line = 0;
    }
  }
  return s;
}

enum class Kind { kPlain, kChunked, kEscapes, kBase64 };

struct NullSink : dlp::VerdictSink {
  uint64_t emitted = 0;
  void Emit(uint64_t, dlp::Verdict, const uint8_t*, size_t, bool) override { ++emitted; }
};

long RssKiB() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

std::unique_ptr<dlp::PacketPipeline> MakePipeline(
    const std::shared_ptr<const dlp::CompiledRuleset>& rules, size_t max_flows) {
  dlp::PipelineConfig c;
  c.max_flows = max_flows;
  // Memory() opens 60,000 flows per source at one instant, to measure what
  // a tracked flow costs, not the per-source limit on new flows.
  c.max_new_flows_per_source = 0;
  c.SetMemoryBudget(size_t{1} << 30);  // dlpd's default --max-memory-mb
  return std::make_unique<dlp::PacketPipeline>(std::move(dlp::ScanContext::Create(rules)).value(),
                                               c, nullptr, nullptr);
}

void Traffic(const std::shared_ptr<const dlp::CompiledRuleset>& rules, size_t flows,
             size_t bytes_per_flow, Kind kind) {
  static const char* kNames[] = {"form/JSON/HTML bodies",
                                 "the same, each a chunked request (4 KiB chunks)",
                                 "escape-dense bodies (%XX, \\u, HTML references)",
                                 "the form/JSON/HTML bodies in a base64 MIME part"};
  std::printf("-- %s\n", kNames[static_cast<int>(kind)]);
  constexpr size_t kMss = 1448;
  std::mt19937 rng(42);
  // Packets of `flows` connections, interleaved as on a busy gateway.
  std::vector<std::vector<uint8_t>> packets;
  std::vector<std::string> bodies;
  for (size_t f = 0; f < flows; ++f) {
    switch (kind) {
      case Kind::kPlain:
        bodies.push_back(Body(rng, bytes_per_flow));
        break;
      case Kind::kChunked:
        bodies.push_back(Chunked(Body(rng, bytes_per_flow)).substr(0, bytes_per_flow));
        break;
      case Kind::kEscapes:
        bodies.push_back(EscapeDense(rng, bytes_per_flow));
        break;
      case Kind::kBase64:
        bodies.push_back(Base64Part(Body(rng, bytes_per_flow)).substr(0, bytes_per_flow));
        break;
    }
  }
  for (size_t f = 0; f < flows; ++f) {
    packets.push_back(Tcp4(0x0a000000 + static_cast<uint32_t>(f), 40000, 999, "", 0x02));
  }
  for (size_t off = 0; off < bytes_per_flow; off += kMss) {
    for (size_t f = 0; f < flows; ++f) {
      packets.push_back(Tcp4(0x0a000000 + static_cast<uint32_t>(f), 40000,
                             1000 + static_cast<uint32_t>(off), bodies[f].substr(off, kMss)));
    }
  }
  size_t total_bytes = 0;
  for (const auto& p : packets) total_bytes += p.size();

  // Null forwarder: decode and emit, nothing else (what any inline tool pays).
  std::vector<double> null_ns;
  {
    NullSink sink;
    auto copy = packets;
    auto t0 = Clock::now();
    for (size_t i = 0; i < copy.size(); ++i) {
      auto a = Clock::now();
      dlp::PacketView v;
      dlp::DecodePacket(copy[i].data(), copy[i].size(), &v);
      sink.Emit(i, dlp::Verdict::kAccept, copy[i].data(), copy[i].size(), false);
      null_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - a).count());
    }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("null forwarder     : %8.0f Mbit/s\n", total_bytes * 8 / secs / 1e6);
  }
  // The pipeline: per-packet time for packets emitted during their own Process call.
  std::vector<double> dlp_ns;
  auto pipeline = MakePipeline(rules, flows * 2);
  struct TimingSink : dlp::VerdictSink {
    uint64_t current = UINT64_MAX;
    bool emitted_current = false;
    void Emit(uint64_t h, dlp::Verdict, const uint8_t*, size_t, bool) override {
      if (h == current) emitted_current = true;
    }
  } sink;
  auto copy = packets;
  auto t0 = Clock::now();
  for (size_t i = 0; i < copy.size(); ++i) {
    sink.current = i;
    sink.emitted_current = false;
    auto a = Clock::now();
    pipeline->Process(i, copy[i].data(), copy[i].size(), 0, sink);
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - a).count();
    if (sink.emitted_current) dlp_ns.push_back(ns);
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  pipeline->Flush(sink);
  const auto& c = pipeline->counters();
  std::printf("dlpd pipeline      : %8.0f Mbit/s  (%zu flows, %zu packets, %.1f MB)\n",
              total_bytes * 8 / secs / 1e6, flows, packets.size(), total_bytes / 1e6);
  double np50 = Percentile(null_ns, 0.5), np99 = Percentile(null_ns, 0.99);
  double dp50 = Percentile(dlp_ns, 0.5), dp99 = Percentile(dlp_ns, 0.99);
  std::printf(
      "per packet, not held: p50 %6.0f ns  p99 %6.0f ns   (null forwarder p50 %4.0f ns, "
      "p99 %4.0f ns; added p50 %.0f ns, p99 %.0f ns)\n",
      dp50, dp99, np50, np99, dp50 - np50, dp99 - np99);
  std::printf(
      "held on ordinary traffic: %llu of %llu packets (%.2f%%); findings %llu\n",
      static_cast<unsigned long long>(c.held_total.load()),
      static_cast<unsigned long long>(c.packets.load()),
      100.0 * static_cast<double>(c.held_total.load()) / static_cast<double>(c.packets.load()),
      static_cast<unsigned long long>(c.findings.load()));
}

// `coalesced`: 0, each flow sends one small GET; else one packet of that
// many bytes (what NFQUEUE hands over with GRO: up to 64 KiB), the head of
// a larger upload, so every flow stays open mid-body.
void Memory(const std::shared_ptr<const dlp::CompiledRuleset>& rules, size_t flows,
            size_t coalesced) {
  auto pipeline = MakePipeline(rules, flows);
  NullSink sink;
  std::string payload = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
  if (coalesced > 0) {
    std::mt19937 rng(7);
    payload = "POST /upload HTTP/1.1\r\nHost: example\r\nContent-Length: 10000000\r\n\r\n";
    payload += Body(rng, coalesced - std::min(coalesced, payload.size()));
  }
  std::vector<uint8_t> p = Tcp4(0, 40000, 1000, payload);
  long before = RssKiB();
  for (size_t f = 0; f < flows; ++f) {
    const uint32_t src = 0x0a000000 + static_cast<uint32_t>(f / 60000);
    const uint16_t port = static_cast<uint16_t>(1024 + f % 60000);
    for (int i = 0; i < 4; ++i) p[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
    p[20] = static_cast<uint8_t>(port >> 8);
    p[21] = static_cast<uint8_t>(port);
    dlp::PacketView v;  // the tuple changed: so does the checksum the receiver checks
    if (dlp::DecodePacket(p.data(), p.size(), &v) == dlp::DecodeStatus::kOk) {
      dlp::UpdateTcpChecksum(p.data(), v);
    }
    pipeline->Process(f, p.data(), p.size(), 0, sink);
  }
  long after = RssKiB();
  const auto& c = pipeline->counters();
  // Per flow tracked at the end (the memory budget may have ended some).
  const double tracked = static_cast<double>(std::max<uint64_t>(1, c.flows.load()));
  std::printf(
      "memory: %8zu flows tracked, %zu-byte packets: RSS +%ld MiB, %.0f bytes per flow "
      "(counted: flow state %.0f B, first-copy window %.0f B; Hyperscan stream state %zu B, "
      "history %u B); evicted %llu, %llu of them for the memory budget\n",
      static_cast<size_t>(c.flows.load()), p.size(), (after - before) / 1024,
      1024.0 * static_cast<double>(after - before) / tracked,
      static_cast<double>(c.flow_state_bytes.load()) / tracked,
      static_cast<double>(c.window_bytes.load()) / tracked,
      rules->stream_state_size(), rules->max_width() + 1,
      static_cast<unsigned long long>(c.flows_evicted.load()),
      static_cast<unsigned long long>(c.memory_evictions.load()));
}

}  // namespace

int main(int argc, char** argv) {
  size_t traffic_flows = 200, bytes_per_flow = 256 * 1024;
  std::vector<size_t> memory_flows = {100000, 1000000};
  std::string only;      // --only plain|chunked|escapes|base64: one traffic kind (to profile)
  size_t coalesced = 0;  // --coalesced BYTES: Memory's flows each send one packet this large
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--traffic-flows") traffic_flows = std::stoul(argv[i + 1]);
    if (a == "--bytes-per-flow") bytes_per_flow = std::stoul(argv[i + 1]);
    if (a == "--only") only = argv[i + 1];
    if (a == "--coalesced") coalesced = std::min<size_t>(std::stoul(argv[i + 1]), 65495);
    if (a == "--flows-memory") {
      memory_flows.clear();
      std::string list = argv[i + 1];
      for (size_t pos = 0; pos < list.size();) {
        size_t comma = list.find(',', pos);
        memory_flows.push_back(std::stoul(list.substr(pos, comma - pos)));
        pos = comma == std::string::npos ? list.size() : comma + 1;
      }
    }
  }
  auto rules = dlp::LoadCompiledRules("");
  if (only.empty() || only == "plain") Traffic(rules, traffic_flows, bytes_per_flow, Kind::kPlain);
  if (only.empty() || only == "chunked") {
    Traffic(rules, traffic_flows, bytes_per_flow, Kind::kChunked);
  }
  if (only.empty() || only == "escapes") {
    Traffic(rules, traffic_flows, bytes_per_flow, Kind::kEscapes);
  }
  if (only.empty() || only == "base64") {
    Traffic(rules, traffic_flows, bytes_per_flow, Kind::kBase64);
  }
  for (size_t n : memory_flows) Memory(rules, n, coalesced);
  return 0;
}
