// One worker's packet path: decode -> inspect -> mask -> checksum -> verdict,
// with findings handed to the incident writer. Every capture back end
// (NFQUEUE, divert, pcap) drives the same pipeline, one per worker; nothing
// here blocks or touches the disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dlpd/decode/packet.h"
#include "dlpd/inspect/scan_context.h"
#include "storage/fingerprint.h"
#include "storage/incident_writer.h"

namespace dlp {

enum class FailMode {
  kClosed,  // what cannot be inspected does not pass (default)
  kOpen,    // it passes, and is counted
};

enum class Verdict { kAccept, kDrop };

struct PacketResult {
  Verdict verdict = Verdict::kAccept;
  bool modified = false;  // the buffer was changed (masked + checksum)
};

struct PipelineCounters {
  std::atomic<uint64_t> packets{0}, bytes{0}, inspected{0}, masked_packets{0}, findings{0},
      passed_uninspected{0}, dropped_uninspected{0}, decode_errors{0}, not_tcp{0},
      incidents_dropped{0};
};

class PacketPipeline {
 public:
  // `writer` and `fingerprinter` may be null (no incident recording).
  PacketPipeline(std::unique_ptr<ScanContext> ctx, FailMode fail_mode, IncidentWriter* writer,
                 const Fingerprinter* fingerprinter);

  // Inspects and, if needed, masks the IP packet in place. `len` is the
  // buffer's length; the packet never grows or shrinks.
  PacketResult Process(uint8_t* packet, size_t len);

  const PipelineCounters& counters() const { return counters_; }
  FailMode fail_mode() const { return fail_mode_; }

 private:
  PacketResult Uninspectable();
  void Record(const uint8_t* packet, const PacketView& view, const Findings& findings,
              const uint8_t* original_payload);

  std::unique_ptr<ScanContext> ctx_;
  FailMode fail_mode_;
  IncidentWriter* writer_;
  const Fingerprinter* fingerprinter_;
  PipelineCounters counters_;
  Findings findings_;     // reused
  std::string original_;  // payload before masking, for fingerprints; reused
};

}  // namespace dlp
