// Writes a large capture for the flood and crash tests, much faster than
// scapy: N client->server flows to port 80, each a SYN, one HTTP POST whose
// body holds sensitive values, and a FIN.
//   flood_pcap OUT.pcap FLOWS [--values K] [--open]
// --values K: the body is K card numbers (default 1 SSN and 1 card number).
// --open: every flow's SYN and data first, FINs only at the end, so that
//         all flows are open at once (flow-table floods).
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/tcp_packet.h"

namespace {

void Dump(pcap_dumper_t* d, const std::vector<uint8_t>& p, uint64_t* clock_us) {
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(1700000000 + *clock_us / 1000000);
  h.ts.tv_usec = static_cast<suseconds_t>(*clock_us % 1000000);
  h.caplen = h.len = static_cast<bpf_u_int32>(p.size());
  pcap_dump(reinterpret_cast<u_char*>(d), &h, p.data());
  *clock_us += 1;
}

dlp::test::Tcp4Spec FlowSpec(uint64_t i) {
  dlp::test::Tcp4Spec s;
  s.src = 0x0a000000u | static_cast<uint32_t>((i / 60000) & 0xffffff);  // 10.x.y.z
  s.sport = static_cast<uint16_t>(1024 + i % 60000);
  s.dst = 0xc6336414u;  // 198.51.100.20
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: flood_pcap OUT.pcap FLOWS [--values K] [--open]\n");
    return 2;
  }
  const uint64_t flows = std::strtoull(argv[2], nullptr, 10);
  long values = 0;
  bool open_all = false;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--values") == 0 && i + 1 < argc) {
      values = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--open") == 0) {
      open_all = true;
    } else {
      std::fprintf(stderr, "flood_pcap: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  std::string body;
  if (values > 0) {
    for (long v = 0; v < values; ++v) body += "4111 1111 1111 1111,";
  } else {
    body = "name=Jane+Doe&ssn=536-22-1457&card=4111+1111+1111+1111&card2=4111 1111 1111 1111";
  }
  const std::string request = "POST /submit HTTP/1.1\r\nHost: upload.example\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, argv[1]);
  if (d == nullptr) {
    std::fprintf(stderr, "flood_pcap: %s\n", pcap_geterr(dead));
    return 1;
  }
  uint64_t clock_us = 0;
  auto syn_and_data = [&](uint64_t i) {
    dlp::test::Tcp4Spec s = FlowSpec(i);
    s.seq = 1000;
    s.flags = 0x02;
    Dump(d, dlp::test::BuildTcp4(s, nullptr, 0), &clock_us);
    s.seq = 1001;
    s.flags = 0x18;
    // One segment per 1400 bytes of request.
    for (size_t off = 0; off < request.size(); off += 1400) {
      const size_t n = std::min<size_t>(1400, request.size() - off);
      s.seq = static_cast<uint32_t>(1001 + off);
      Dump(d, dlp::test::BuildTcp4(s, request.data() + off, n), &clock_us);
    }
  };
  auto fin = [&](uint64_t i) {
    dlp::test::Tcp4Spec s = FlowSpec(i);
    s.seq = static_cast<uint32_t>(1001 + request.size());
    s.flags = 0x11;
    Dump(d, dlp::test::BuildTcp4(s, nullptr, 0), &clock_us);
  };
  for (uint64_t i = 0; i < flows; ++i) {
    syn_and_data(i);
    if (!open_all) fin(i);
  }
  if (open_all) {
    for (uint64_t i = 0; i < flows; ++i) fin(i);
  }
  pcap_dump_close(d);
  pcap_close(dead);
  return 0;
}
