#include "dlpd/decode/clear_urgent.h"

#include "dlpd/decode/checksum.h"

namespace dlp {

bool ClearUrgent(uint8_t* packet, PacketView* view) {
  if ((view->tcp_flags & TcpFlags::kUrg) == 0) return false;
  packet[view->tcp_offset + 13] &= static_cast<uint8_t>(~TcpFlags::kUrg);
  packet[view->tcp_offset + 18] = 0;
  packet[view->tcp_offset + 19] = 0;
  view->tcp_flags &= static_cast<uint8_t>(~TcpFlags::kUrg);
  UpdateTcpChecksum(packet, *view);
  return true;
}

}  // namespace dlp
