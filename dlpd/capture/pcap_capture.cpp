#include "dlpd/capture/pcap_capture.h"

#include <pcap/pcap.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace dlp {
namespace {

// A packet's time in microseconds since the epoch. The pcap format's
// seconds are unsigned 32 bits; libpcap reads them into a signed 32-bit
// field, so from 2038-01-19 on they come back negative (1901 onwards).
int64_t PacketMicros(const timeval& ts) {
  int64_t sec = ts.tv_sec;
  if (sec < 0) sec += int64_t{1} << 32;
  return sec * 1000000 + ts.tv_usec;
}

// Bytes before the IP header for a link type, or -1 when the packet is not
// IP (or the link type is not one we read).
long IpOffset(int linktype, const uint8_t* p, size_t caplen) {
  switch (linktype) {
    case DLT_RAW:
#ifdef DLT_IPV4
    case DLT_IPV4:
    case DLT_IPV6:
#endif
      return 0;
    case DLT_NULL:
    case DLT_LOOP:
      return caplen >= 4 ? 4 : -1;
    case DLT_LINUX_SLL: {
      if (caplen < 16) return -1;
      uint16_t proto = static_cast<uint16_t>(p[14] << 8 | p[15]);
      return (proto == 0x0800 || proto == 0x86dd) ? 16 : -1;
    }
    case DLT_EN10MB: {
      size_t off = 12;
      for (int tags = 0; tags < 2; ++tags) {  // up to two VLAN tags (QinQ)
        if (caplen < off + 2) return -1;
        uint16_t type = static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
        if (type == 0x8100 || type == 0x88a8) {
          off += 4;
          continue;
        }
        return (type == 0x0800 || type == 0x86dd) ? static_cast<long>(off + 2) : -1;
      }
      return -1;
    }
    default:
      return -1;
  }
}

}  // namespace

PcapCapture::PcapCapture(std::string in_path, std::string out_path, PacketHandler* pipeline,
                         ReplayClock& clock)
    : in_path_(std::move(in_path)),
      out_path_(std::move(out_path)),
      pipeline_(pipeline),
      clock_(clock) {}

void PcapCapture::Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
                       bool /*modified*/) {
  auto it = pending_.find(handle);
  if (it == pending_.end()) return;
  if (verdict == Verdict::kAccept) {
    frame_.assign(it->second.link.begin(), it->second.link.end());
    frame_.insert(frame_.end(), data, data + len);
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = it->second.ts_sec;
    hdr.ts.tv_usec = it->second.ts_usec;
    hdr.caplen = hdr.len = static_cast<bpf_u_int32>(frame_.size());
    pcap_dump(static_cast<u_char*>(dumper_), &hdr, frame_.data());
    ++written_;
  }
  pending_.erase(it);
}

bool PcapCapture::Inject(const uint8_t* data, size_t len) {
  if (dumper_ == nullptr || len == 0) return false;
  frame_.assign(current_.link.begin(), current_.link.end());
  if (linktype_ == DLT_EN10MB && frame_.size() >= 14) {
    const bool v6 = (data[0] >> 4) == 6;  // the EtherType must say what follows
    frame_[frame_.size() - 2] = v6 ? 0x86 : 0x08;
    frame_[frame_.size() - 1] = v6 ? 0xdd : 0x00;
  }
  frame_.insert(frame_.end(), data, data + len);
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = current_.ts_sec;
  hdr.ts.tv_usec = current_.ts_usec;
  hdr.caplen = hdr.len = static_cast<bpf_u_int32>(frame_.size());
  pcap_dump(static_cast<u_char*>(dumper_), &hdr, frame_.data());
  ++written_;
  return true;
}

Status PcapCapture::Run(const std::atomic<bool>& stop) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> in(pcap_open_offline(in_path_.c_str(), err),
                                                    &pcap_close);
  if (!in) return Error{"cannot read pcap " + in_path_ + ": " + err};
  const int linktype = pcap_datalink(in.get());
  linktype_ = linktype;
  std::unique_ptr<pcap_dumper_t, decltype(&pcap_dump_close)> out(
      pcap_dump_open(in.get(), out_path_.c_str()), &pcap_dump_close);
  if (!out) return Error{"cannot write pcap " + out_path_ + ": " + pcap_geterr(in.get())};
  dumper_ = out.get();

  std::vector<uint8_t> buf;
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = 0;
  while (!stop.load(std::memory_order_relaxed) && (rc = pcap_next_ex(in.get(), &hdr, &data)) == 1) {
    const uint64_t handle = read_++;
    // The capture's own clock drives hold timeouts, so a replay behaves the
    // same however fast it runs.
    clock_.AdvanceTo(PacketMicros(hdr->ts));
    const int64_t now_us = clock_.NowMicros();
    pipeline_->Tick(now_us, *this);
    buf.assign(data, data + hdr->caplen);
    long off = IpOffset(linktype, buf.data(), buf.size());
    pending_[handle] = Pending{hdr->ts.tv_sec, hdr->ts.tv_usec,
                               std::vector<uint8_t>(buf.begin(), buf.begin() + std::max(off, 0L))};
    current_ = pending_[handle];
    if (off < 0) {
      Emit(handle, Verdict::kAccept, buf.data(), buf.size(), false);  // not IP: copied through
      continue;
    }
    // A packet cut short by the capture's snaplen is seen as truncated by
    // the decoder and handled per the fail mode.
    pipeline_->Process(handle, buf.data() + off, buf.size() - static_cast<size_t>(off), now_us,
                       *this, ChecksumState::kComplete);
  }
  pipeline_->Flush(*this);
  dumper_ = nullptr;
  if (rc == -1) {
    return Error{"error reading pcap " + in_path_ + " after " + std::to_string(read_) +
                 " packets: " + pcap_geterr(in.get())};
  }
  if (pcap_dump_flush(out.get()) != 0) return Error{"cannot write pcap " + out_path_};
  spdlog::info("pcap {}: {} packets read, {} written to {}", in_path_, read_, written_, out_path_);
  return {};
}

}  // namespace dlp
