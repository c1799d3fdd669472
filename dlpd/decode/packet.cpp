#include "dlpd/decode/packet.h"

#include <arpa/inet.h>
#include <sys/socket.h>  // AF_INET, AF_INET6 (glibc brings it with arpa/inet.h; the BSDs do not)

#include <cstring>

namespace dlp {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr int kMaxExtHeaders = 8;

uint16_t Be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t Be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

DecodeStatus DecodeTcp(const uint8_t* data, PacketView* v) {
  if (v->ip_len < v->tcp_offset + 20) return DecodeStatus::kTruncated;
  const uint8_t* t = data + v->tcp_offset;
  const size_t doff = static_cast<size_t>(t[12] >> 4) * 4;
  if (doff < 20) return DecodeStatus::kBadHeaderLength;
  if (v->ip_len < v->tcp_offset + doff) return DecodeStatus::kTruncated;
  v->src_port = Be16(t);
  v->dst_port = Be16(t + 2);
  v->seq = Be32(t + 4);
  v->ack = Be32(t + 8);
  v->tcp_flags = t[13];
  v->tcp_header_len = doff;
  v->payload_offset = v->tcp_offset + doff;
  v->payload_len = v->ip_len - v->payload_offset;
  return DecodeStatus::kOk;
}

DecodeStatus DecodeIpv4(const uint8_t* data, size_t len, PacketView* v) {
  if (len < 20) return DecodeStatus::kTruncated;
  const size_t ihl = static_cast<size_t>(data[0] & 0x0f) * 4;
  if (ihl < 20) return DecodeStatus::kBadHeaderLength;
  if (len < ihl) return DecodeStatus::kTruncated;
  const size_t total = Be16(data + 2);
  // Trailing bytes past total length (Ethernet padding) are allowed and
  // ignored; a total length past the buffer is not.
  if (total < ihl || total > len) return DecodeStatus::kBadTotalLength;
  v->ip_len = total;
  std::memcpy(v->src.data(), data + 12, 4);
  std::memcpy(v->dst.data(), data + 16, 4);
  const uint16_t frag = Be16(data + 6);
  if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) return DecodeStatus::kFragment;
  if (data[9] != kProtoTcp) return DecodeStatus::kNotTcp;
  v->tcp_offset = ihl;
  return DecodeTcp(data, v);
}

DecodeStatus DecodeIpv6(const uint8_t* data, size_t len, PacketView* v) {
  if (len < 40) return DecodeStatus::kTruncated;
  const size_t total = 40 + static_cast<size_t>(Be16(data + 4));
  if (total > len) return DecodeStatus::kBadTotalLength;  // jumbograms (length 0) are not supported
  v->ip_len = total;
  std::memcpy(v->src.data(), data + 8, 16);
  std::memcpy(v->dst.data(), data + 24, 16);
  uint8_t next = data[6];
  size_t off = 40;
  for (int i = 0;; ++i) {
    switch (next) {
      case kProtoTcp:
        v->tcp_offset = off;
        return DecodeTcp(data, v);
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60: {  // destination options
        if (i == kMaxExtHeaders) return DecodeStatus::kTooManyExtHeaders;
        if (total < off + 8) return DecodeStatus::kTruncated;
        const size_t hlen = (static_cast<size_t>(data[off + 1]) + 1) * 8;
        if (total < off + hlen) return DecodeStatus::kTruncated;
        next = data[off];
        off += hlen;
        break;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (i == kMaxExtHeaders) return DecodeStatus::kTooManyExtHeaders;
        if (total < off + 8) return DecodeStatus::kTruncated;
        const size_t hlen = (static_cast<size_t>(data[off + 1]) + 2) * 4;
        if (total < off + hlen) return DecodeStatus::kTruncated;
        next = data[off];
        off += hlen;
        break;
      }
      case 44:  // fragment
        return DecodeStatus::kFragment;
      default:
        return DecodeStatus::kNotTcp;
    }
  }
}

}  // namespace

const char* ToString(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTruncated:
      return "truncated";
    case DecodeStatus::kBadVersion:
      return "bad IP version";
    case DecodeStatus::kBadHeaderLength:
      return "bad header length";
    case DecodeStatus::kBadTotalLength:
      return "bad total length";
    case DecodeStatus::kFragment:
      return "fragment";
    case DecodeStatus::kNotTcp:
      return "not TCP";
    case DecodeStatus::kTooManyExtHeaders:
      return "too many IPv6 extension headers";
  }
  return "?";
}

DecodeStatus DecodePacket(const uint8_t* data, size_t len, PacketView* view) {
  *view = PacketView{};
  if (data == nullptr || len < 1) return DecodeStatus::kTruncated;
  view->ip_version = data[0] >> 4;
  if (view->ip_version == 4) return DecodeIpv4(data, len, view);
  if (view->ip_version == 6) return DecodeIpv6(data, len, view);
  return DecodeStatus::kBadVersion;
}

std::string AddressToString(uint8_t ip_version, const std::array<uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  return buf;
}

}  // namespace dlp
