#include "dlpd/capture/cut_short.h"

namespace dlp {

bool CaptureCutShort(const uint8_t* data, size_t len) {
  if (data == nullptr || len < 1) return false;
  auto be16 = [&](size_t at) { return static_cast<size_t>(data[at] << 8 | data[at + 1]); };
  if (data[0] >> 4 == 4 && len >= 20) {
    const size_t total = be16(2);
    return total == 0 || total > len;
  }
  if (data[0] >> 4 == 6 && len >= 40) {
    const size_t payload = be16(4);
    return payload == 0 || 40 + payload > len;
  }
  return false;
}

}  // namespace dlp
