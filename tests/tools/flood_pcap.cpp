// Writes a large capture for the flood and crash tests, much faster than
// scapy: N client->server flows to port 80, each a SYN, one HTTP POST whose
// body holds sensitive values, and a FIN; each flow from a source of its
// own (10.x.y.z), as many clients would open them.
//   flood_pcap OUT.pcap FLOWS [--values K] [--open]
//   flood_pcap OUT.pcap SYNS --syn-flood LEGIT
// --values K: the body is K card numbers (default 1 SSN and 1 card number).
// --open: every flow's SYN and data first, FINs only at the end, so that
//         all flows are open at once (flow-table floods).
// --syn-flood LEGIT: one flow (192.0.2.10:50000) sends a body up to
//         "ssn=536-22-" and stops mid-value; then SYNS SYNs to a dead
//         address (198.51.100.99) from many sources (16,384 addresses in
//         100.64/10), every fifth from one host (198.18.0.1); among them,
//         LEGIT complete flows from one NAT'd office (203.0.113.7): SYN,
//         a request "legit=J&ssn=536-22-1457;" 50 packets later, FIN 50
//         after that. Then the held flow sends "1457;&end=1", and again
//         the "536-22-" the gateway withheld (as its sender would when
//         those bytes are not acknowledged), and its FIN.
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

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
  // One flow per source (10.x.y.z), as many clients would open them: the
  // per-source limit on new flows is not what these floods are about.
  s.src = 0x0a000000u | static_cast<uint32_t>(i & 0xffffff);
  s.sport = static_cast<uint16_t>(1024 + (i >> 24) % 60000);
  s.dst = 0xc6336414u;  // 198.51.100.20
  return s;
}

std::string Post(const std::string& path, const std::string& body) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: upload.example\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// See --syn-flood above.
void SynFlood(pcap_dumper_t* d, uint64_t syns, uint64_t legit) {
  uint64_t clock_us = 0;
  auto send = [&](dlp::test::Tcp4Spec s, uint8_t flags, uint32_t seq, const std::string& data) {
    s.flags = flags;
    s.seq = seq;
    s.ack = 7000;
    Dump(d, dlp::test::BuildTcp4(s, data.data(), data.size()), &clock_us);
  };
  dlp::test::Tcp4Spec held;
  held.src = 0xc000020au;  // 192.0.2.10
  held.sport = 50000;
  held.dst = 0xc6336414u;  // 198.51.100.20
  const std::string head = Post("/held", "name=Jane&ssn=536-22-1457;&end=1");
  const size_t cut = head.find("1457;");
  const std::string first = head.substr(0, cut), rest = head.substr(cut);
  const std::string withheld = "536-22-";
  send(held, 0x02, 999, "");
  send(held, 0x18, 1000, first);

  const uint64_t every = legit == 0 ? UINT64_MAX : std::max<uint64_t>(1, syns / legit);
  std::deque<std::pair<uint64_t, uint64_t>> data_at, fin_at;  // (position, legit flow)
  auto office = [](uint64_t j) {
    dlp::test::Tcp4Spec s;
    s.src = 0xcb007107u;  // 203.0.113.7
    s.sport = static_cast<uint16_t>(20000 + j);
    s.dst = 0xc6336414u;
    return s;
  };
  auto body = [](uint64_t j) {
    return Post("/legit", "legit=" + std::to_string(j) + "&ssn=536-22-1457;");
  };
  for (uint64_t i = 0, j = 0; i < syns; ++i) {
    if (i % every == 0 && j < legit) {
      send(office(j), 0x02, 999, "");
      data_at.emplace_back(i + 50, j);
      fin_at.emplace_back(i + 100, j);
      ++j;
    }
    while (!data_at.empty() && data_at.front().first <= i) {
      send(office(data_at.front().second), 0x18, 1000, body(data_at.front().second));
      data_at.pop_front();
    }
    while (!fin_at.empty() && fin_at.front().first <= i) {
      const uint64_t k = fin_at.front().second;
      send(office(k), 0x11, static_cast<uint32_t>(1000 + body(k).size()), "");
      fin_at.pop_front();
    }
    dlp::test::Tcp4Spec s;
    if (i % 5 == 4) {
      s.src = 0xc6120001u;  // 198.18.0.1, one host
      s.sport = static_cast<uint16_t>(1024 + (i / 5) % 60000);
    } else {
      s.src = 0x64400000u | static_cast<uint32_t>(i % 16384);  // 100.64.x.y
      s.sport = static_cast<uint16_t>(1024 + (i / 16384) % 60000);
    }
    s.dst = 0xc6336463u;  // 198.51.100.99, nothing answers
    send(s, 0x02, static_cast<uint32_t>(i * 7919), "");
  }
  for (const auto& [at, k] : data_at) send(office(k), 0x18, 1000, body(k));
  for (const auto& [at, k] : fin_at) {
    send(office(k), 0x11, static_cast<uint32_t>(1000 + body(k).size()), "");
  }
  send(held, 0x18, static_cast<uint32_t>(1000 + cut), rest);
  send(held, 0x18, static_cast<uint32_t>(1000 + cut - withheld.size()), withheld);
  send(held, 0x11, static_cast<uint32_t>(1000 + head.size()), "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: flood_pcap OUT.pcap FLOWS [--values K] [--open | --syn-flood LEGIT]\n");
    return 2;
  }
  const uint64_t flows = std::strtoull(argv[2], nullptr, 10);
  long values = 0;
  bool open_all = false;
  long syn_flood_legit = -1;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--values") == 0 && i + 1 < argc) {
      values = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--syn-flood") == 0 && i + 1 < argc) {
      syn_flood_legit = std::strtol(argv[++i], nullptr, 10);
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
  const std::string request = Post("/submit", body);
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, argv[1]);
  if (d == nullptr) {
    std::fprintf(stderr, "flood_pcap: %s\n", pcap_geterr(dead));
    return 1;
  }
  if (syn_flood_legit >= 0) {
    SynFlood(d, flows, static_cast<uint64_t>(syn_flood_legit));
    pcap_dump_close(d);
    pcap_close(dead);
    return 0;
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
