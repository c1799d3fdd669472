#include "dlpd/pipeline/tcp_reset.h"

#include <utility>

#include "dlpd/decode/checksum.h"
#include "dlpd/decode/packet.h"

namespace dlp {
namespace {

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

uint16_t Ipv4HeaderChecksum(const uint8_t* h) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) {
    if (i != 10) sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

}  // namespace

std::vector<uint8_t> BuildTcpReset(const ResetSpec& s) {
  const size_t ip_len = s.ip_version == 6 ? 40 : 20;
  std::vector<uint8_t> p(ip_len + 20, 0);
  if (s.ip_version == 6) {
    p[0] = 0x60;
    Put16(&p[4], 20);  // payload length
    p[6] = 6;          // next header: TCP
    p[7] = 64;         // hop limit
    std::copy(s.src.begin(), s.src.end(), &p[8]);
    std::copy(s.dst.begin(), s.dst.end(), &p[24]);
  } else {
    p[0] = 0x45;
    Put16(&p[2], static_cast<uint16_t>(p.size()));
    p[6] = 0x40;  // don't fragment
    p[8] = 64;
    p[9] = 6;
    std::copy(s.src.begin(), s.src.begin() + 4, &p[12]);
    std::copy(s.dst.begin(), s.dst.begin() + 4, &p[16]);
    Put16(&p[10], Ipv4HeaderChecksum(p.data()));
  }
  uint8_t* t = &p[ip_len];
  Put16(t, s.src_port);
  Put16(t + 2, s.dst_port);
  Put32(t + 4, s.seq);
  t[12] = 0x50;
  t[13] = TcpFlags::kRst;
  PacketView v;
  if (DecodePacket(p.data(), p.size(), &v) == DecodeStatus::kOk) UpdateTcpChecksum(p.data(), v);
  return p;
}

std::vector<ResetSpec> ResetsForFlow(const FlowKey& key, uint32_t to_server_seq,
                                     std::optional<uint32_t> to_client_seq) {
  std::vector<ResetSpec> out(1);
  ResetSpec& to_server = out[0];
  to_server.ip_version = key.ip_version;
  to_server.src = key.src;
  to_server.dst = key.dst;
  to_server.src_port = key.src_port;
  to_server.dst_port = key.dst_port;
  to_server.seq = to_server_seq;
  if (to_client_seq) {
    ResetSpec to_client = to_server;
    std::swap(to_client.src, to_client.dst);
    std::swap(to_client.src_port, to_client.dst_port);
    to_client.seq = *to_client_seq;
    out.push_back(to_client);
  }
  return out;
}

}  // namespace dlp
