#include "dlpd/decode/truncate_payload.h"

#include <algorithm>
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

std::vector<uint8_t> SliceTcpSegment(const uint8_t* packet, const PacketView& view, size_t at,
                                     size_t len) {
  assert(at + len <= view.payload_len);
  std::vector<uint8_t> out(view.payload_offset + len);
  std::copy(packet, packet + view.payload_offset, out.begin());
  std::copy(packet + view.payload_offset + at, packet + view.payload_offset + at + len,
            out.begin() + static_cast<std::ptrdiff_t>(view.payload_offset));
  PacketView v = view;
  v.payload_len = len;
  v.ip_len = view.payload_offset + len;
  v.seq = view.seq + static_cast<uint32_t>(at);
  uint8_t* tcp = out.data() + v.tcp_offset;
  for (int i = 0; i < 4; ++i) tcp[4 + i] = static_cast<uint8_t>(v.seq >> (24 - 8 * i));
  tcp[13] &= static_cast<uint8_t>(~(TcpFlags::kFin | TcpFlags::kPsh));
  if (v.ip_version == 4) {
    Put16(out.data() + 2, v.ip_len);
    UpdateIpv4HeaderChecksum(out.data());
  } else {
    Put16(out.data() + 4, v.ip_len - 40);
  }
  UpdateTcpChecksum(out.data(), v);
  return out;
}

}  // namespace dlp
