// Offline back end: reads a capture file (libpcap), runs every packet through
// the same pipeline as live traffic, and writes what would have been
// forwarded (masked packets masked, dropped packets left out) to a new file
// with the same link type and timestamps. Understands Ethernet (with 802.1Q
// tags), Linux cooked (SLL), raw IP and BSD loopback captures; packets that
// are not IP are copied through unchanged.
#pragma once

#include <string>

#include "dlpd/capture/capture.h"

namespace dlp {

class PcapCapture : public CaptureBackend {
 public:
  PcapCapture(std::string in_path, std::string out_path, PacketPipeline* pipeline);
  Status Run(const std::atomic<bool>& stop) override;

  uint64_t packets_read() const { return read_; }
  uint64_t packets_written() const { return written_; }

 private:
  std::string in_path_, out_path_;
  PacketPipeline* pipeline_;
  uint64_t read_ = 0, written_ = 0;
};

}  // namespace dlp
