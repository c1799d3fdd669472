#include "dlpd/decode/truncate_payload.h"

#include <cassert>

#include "dlpd/decode/checksum.h"

namespace dlp {
namespace {

void Put16(uint8_t* p, size_t v) {
  p[0] = static_cast<uint8_t>((v >> 8) & 0xff);
  p[1] = static_cast<uint8_t>(v & 0xff);
}

void UpdateIpv4HeaderChecksum(uint8_t* ip) {
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
  ip[10] = 0;
  ip[11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < ihl; i += 2) sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  Put16(ip + 10, ~sum & 0xffff);
}

}  // namespace

size_t TruncateTcpPayload(uint8_t* packet, PacketView* view, size_t keep) {
  assert(keep < view->payload_len);
  const size_t cut = view->payload_len - keep;
  view->payload_len = keep;
  view->ip_len -= cut;
  if (view->ip_version == 4) {
    Put16(packet + 2, view->ip_len);
    UpdateIpv4HeaderChecksum(packet);
  } else {
    Put16(packet + 4, view->ip_len - 40);  // extension headers count as payload
  }
  // A FIN ends the stream after the segment's last byte; the bytes cut
  // are still to come, so the segment no longer ends it.
  packet[view->tcp_offset + 13] &= static_cast<uint8_t>(~TcpFlags::kFin);
  view->tcp_flags &= static_cast<uint8_t>(~TcpFlags::kFin);
  UpdateTcpChecksum(packet, *view);
  return view->ip_len;
}

}  // namespace dlp
