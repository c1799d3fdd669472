// Offline back end: reads a capture file (libpcap), runs every packet through
// the same pipeline as live traffic, and writes what would have been
// forwarded (masked packets masked, dropped packets left out) to a new file
// with the same link type and timestamps. Understands Ethernet (with 802.1Q
// tags), Linux cooked (SLL), raw IP and BSD loopback captures; packets that
// are not IP are copied through unchanged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dlpd/capture/capture.h"
#include "dlpd/capture/verdict_sink.h"
#include "dlpd/common/clock.h"

namespace dlp {

class PcapCapture : public CaptureBackend, private VerdictSink {
 public:
  // `clock` is set to each packet's timestamp before the pipeline sees it:
  // the pipeline should read time from it too (REQUIRES: it outlives this).
  PcapCapture(std::string in_path, std::string out_path, PacketHandler* pipeline,
              ReplayClock& clock);
  Status Run(const std::atomic<bool>& stop) override;

 private:
  // What a packet needs to be written once the pipeline lets it go: its
  // record header and the link-layer bytes in front of the IP packet.
  struct Pending {
    int64_t ts_sec, ts_usec;
    std::vector<uint8_t> link;
  };
  void Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
            bool modified) override;
  // Written after the packet being processed, with its link header.
  bool Inject(const uint8_t* packet, size_t len) override;

  void* dumper_ = nullptr;  // pcap_dumper_t*
  std::map<uint64_t, Pending> pending_;
  std::vector<uint8_t> frame_;
  std::string in_path_, out_path_;
  PacketHandler* pipeline_;
  ReplayClock& clock_;
  uint64_t read_ = 0, written_ = 0;
  int linktype_ = 0;
  Pending current_{};  // of the packet being processed
};

}  // namespace dlp
