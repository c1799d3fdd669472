#include "dlpd/capture/nfqueue_capture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <vector>

#include "dlpd/capture/cut_short.h"

namespace dlp {
namespace {
// Messages handled per wake-up before verdicts go out and timers run: small
// enough that the first packet of a burst is not kept long (64 clean
// segments take tens of microseconds).
constexpr int kMaxBurst = 64;
}  // namespace

NfqueueCapture::NfqueueCapture(uint16_t queue_num, PacketHandler* pipeline, uint32_t max_queue_len,
                               const Clock& clock)
    : queue_num_(queue_num), pipeline_(pipeline), max_queue_len_(max_queue_len), clock_(clock) {}

NfqueueCapture::~NfqueueCapture() {
  Close();
}

void NfqueueCapture::Close() {
  if (qh_ != nullptr) {
    // The kernel forgets an unbound queue's counts: kept for the exit log.
    auto last = KernelCounters();
    std::lock_guard<std::mutex> lock(closed_mu_);
    closed_counters_ = std::move(last);
    nfq_destroy_queue(qh_);
  }
  if (h_ != nullptr) nfq_close(h_);
  qh_ = nullptr;
  h_ = nullptr;
  if (proc_fd_ >= 0) ::close(proc_fd_);
  proc_fd_ = -1;
}

Status NfqueueCapture::Open() {
  h_ = nfq_open();
  if (h_ == nullptr) return Error{std::string("nfq_open: ") + std::strerror(errno)};
  qh_ = nfq_create_queue(h_, queue_num_, &NfqueueCapture::OnPacket, this);
  if (qh_ == nullptr) {
    return Error{"cannot bind NFQUEUE " + std::to_string(queue_num_) + ": " + std::strerror(errno) +
                 " (is another process bound to it? are you root?)"};
  }
  if (nfq_set_mode(qh_, NFQNL_COPY_PACKET, 0xffff) < 0) {
    return Error{std::string("nfq_set_mode: ") + std::strerror(errno)};
  }
  nfq_set_queue_maxlen(qh_, max_queue_len_);
  if (nfq_set_queue_flags(qh_, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) {
    spdlog::info("nfqueue {}: kernel does not hand over coalesced packets: it segments them",
                 queue_num_);
  }
  if (pipeline_->fail_mode() == FailMode::kOpen) {
    if (nfq_set_queue_flags(qh_, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
      spdlog::warn("nfqueue {}: kernel does not support fail-open", queue_num_);
    }
  }
  // A larger socket buffer absorbs bursts; the kernel caps it at rmem_max
  // unless we are privileged (SO_RCVBUFFORCE).
  int fd = nfq_fd(h_);
  int size = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  // The kernel's counts of this queue, readable by root (or with
  // CAP_DAC_READ_SEARCH) only: opened now, before privileges go, and read
  // again through this descriptor whenever asked.
  proc_fd_ = ::open("/proc/net/netfilter/nfnetlink_queue", O_RDONLY | O_CLOEXEC);
  if (proc_fd_ < 0) {
    spdlog::warn(
        "nfqueue {}: /proc/net/netfilter/nfnetlink_queue: {}: the kernel's queue drops "
        "will not be shown (start dlpd as root, or with CAP_DAC_READ_SEARCH)",
        queue_num_, std::strerror(errno));
  }
  // Raw sockets for the resets of `block` (CAP_NET_RAW, kept after the
  // privilege drop). Without them a block still drops the flow; the ends
  // then time out instead of seeing a reset (counted: reset_errors).
  if (std::string problem = raw_.Open(); !problem.empty()) {
    spdlog::warn("nfqueue {}: {}: block drops without resets", queue_num_, problem);
  }
  return {};
}

std::map<std::string, uint64_t> NfqueueCapture::KernelCounters() const {
  // One line per bound queue: queue_num peer_portid queue_total copy_mode
  // copy_range queue_dropped user_dropped id_sequence 1
  std::map<std::string, uint64_t> out;
  {
    std::lock_guard<std::mutex> lock(closed_mu_);
    if (closed_counters_) return *closed_counters_;
  }
  if (proc_fd_ < 0) return out;
  // Read again from the start through the descriptor opened by Open: the
  // file is root's (mode 0440), and the permission is checked at open only.
  std::string text;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(proc_fd_, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    at += n;
  }
  for (size_t line = 0; line < text.size();) {
    const size_t end = std::min(text.find('\n', line), text.size());
    unsigned q = 0, total = 0, mode = 0, range = 0, qdrop = 0, udrop = 0, seq = 0, one = 0;
    unsigned long portid = 0;
    const std::string row = text.substr(line, end - line);
    if (std::sscanf(row.c_str(), "%u %lu %u %u %u %u %u %u %u", &q, &portid, &total, &mode, &range,
                    &qdrop, &udrop, &seq, &one) == 9 &&
        q == queue_num_) {
      out["kernel_queue_total"] = total;
      out["kernel_queue_dropped"] = qdrop;
      out["kernel_user_dropped"] = udrop;
    }
    line = end + 1;
  }
  return out;
}

bool NfqueueCapture::Inject(const uint8_t* p, size_t len) {
  // Packets accepted before this one must be on their way first: a reset
  // for the server carries the next sequence number it expects once they
  // have arrived, and would be out of window before.
  FlushAccepts();
  return raw_.Send(p, len);
}

int NfqueueCapture::OnPacket(nfq_q_handle* /*qh*/, nfgenmsg* /*msg*/, nfq_data* nfa, void* self) {
  return static_cast<NfqueueCapture*>(self)->Handle(nfa);
}

void NfqueueCapture::QueueVerdict(uint16_t type, uint32_t id, uint32_t verdict) {
  if (sizeof verdict_buf_ - verdict_used_ < kMaxVerdictMessage) SendVerdicts();
  nlmsghdr* nlh =
      nfq_nlmsg_put(reinterpret_cast<char*>(verdict_buf_) + verdict_used_, type, queue_num_);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), static_cast<int>(verdict));
  verdict_used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  ++verdicts_queued_;
  counters_.verdicts.fetch_add(1, std::memory_order_relaxed);
}

void NfqueueCapture::SendVerdicts() {
  if (verdict_used_ == 0) return;
  // The kernel takes the messages one after the other, as if each had come
  // alone: one system call instead of one per packet while a packet is held.
  if (send(nfq_fd(h_), verdict_buf_, verdict_used_, 0) < 0) {
    counters_.send_errors.fetch_add(verdicts_queued_, std::memory_order_relaxed);
  }
  verdict_used_ = 0;
  verdicts_queued_ = 0;
}

void NfqueueCapture::QueuePendingAccepts() {
  if (!have_pending_) return;
  QueueVerdict(NFQNL_MSG_VERDICT_BATCH, pending_accept_id_, NF_ACCEPT);
  have_pending_ = false;
}

void NfqueueCapture::FlushAccepts() {
  QueuePendingAccepts();
  SendVerdicts();
}

int NfqueueCapture::Handle(nfq_data* nfa) {
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) return 0;
  const uint32_t id = ntohl(ph->packet_id);
  unsigned char* data = nullptr;
  int len = nfq_get_payload(nfa, &data);
  const uint32_t skbinfo = static_cast<uint32_t>(nfq_get_skbinfo(nfa));
  if ((skbinfo & NFQA_SKB_GSO) != 0) {
    counters_.coalesced.fetch_add(1, std::memory_order_relaxed);
    if (len > 0 && CaptureCutShort(data, static_cast<size_t>(len))) {
      // Dropped whatever the fail mode: the bytes past the copy cannot be
      // inspected, and passing them would give a sender that shapes its
      // segments a way past dlpd. The sender's TCP sends them again.
      if (counters_.cut_short.fetch_add(1, std::memory_order_relaxed) == 0) {
        spdlog::warn(
            "nfqueue {}: a coalesced packet longer than NFQUEUE copies was dropped "
            "(counted: cut_short)",
            queue_num_);
      }
      Emit(id, Verdict::kDrop, nullptr, 0, false);
      return 0;
    }
  }
  // The payload points into the receive buffer; the pipeline may change it
  // in place, or copy it if it holds the packet.
  // With NFQA_CFG_F_GSO the kernel leaves a checksum that the sending
  // host's NIC is to compute as it is (CSUMNOTREADY): not a wrong one.
  pipeline_->Process(
      id, len > 0 ? data : nullptr, len > 0 ? static_cast<size_t>(len) : 0, clock_.NowMicros(),
      *this,
      (skbinfo & NFQA_SKB_CSUMNOTREADY) != 0 ? ChecksumState::kPending : ChecksumState::kComplete);
  return 0;
}

void NfqueueCapture::Emit(uint64_t handle, Verdict verdict, const uint8_t* data, size_t len,
                          bool modified) {
  const uint32_t id = static_cast<uint32_t>(handle);
  if (verdict == Verdict::kAccept && !modified && pipeline_->held_packets() == 0) {
    // A batch verdict covers every id up to this one, so it may only be used
    // while no earlier packet is held.
    pending_accept_id_ = id;
    have_pending_ = true;
    return;
  }
  // In order after the accepts before it: a batch verdict must not reach
  // past a packet given its own.
  QueuePendingAccepts();
  if (!modified) {
    // Sent with the burst's other verdicts (FlushAccepts).
    QueueVerdict(NFQNL_MSG_VERDICT, id, verdict == Verdict::kDrop ? NF_DROP : NF_ACCEPT);
    return;
  }
  SendVerdicts();
  if (nfq_set_verdict(qh_, id, NF_ACCEPT, static_cast<uint32_t>(len), data) < 0) {
    counters_.send_errors.fetch_add(1, std::memory_order_relaxed);
  }
  counters_.verdicts.fetch_add(1, std::memory_order_relaxed);
}

Status NfqueueCapture::Run(const std::atomic<bool>& stop) {
  if (h_ == nullptr) {
    if (Status st = Open(); !st) return st;
  }
  const int fd = nfq_fd(h_);
  std::vector<char> buf(256 * 1024);
  while (!stop.load(std::memory_order_relaxed)) {
    // Wake up for the next hold deadline, or every 200 ms to notice a stop.
    int64_t wait_us = 200 * 1000;
    const int64_t deadline = pipeline_->next_deadline();
    if (deadline != INT64_MAX)
      wait_us = std::clamp<int64_t>(deadline - clock_.NowMicros(), 0, wait_us);
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>((wait_us + 999) / 1000));
    pipeline_->Tick(clock_.NowMicros(), *this);
    if (ready <= 0) {
      FlushAccepts();
      continue;
    }
    // Drain what the kernel has queued (up to a burst) before answering:
    // one batch verdict then covers the burst, instead of a poll, a recv
    // and a verdict message per packet (which cost more than inspecting a
    // clean segment, and capped throughput at a quarter of a null forwarder).
    for (int burst = 0; burst < kMaxBurst; ++burst) {
      ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
        // ENOBUFS: the kernel dropped messages because we were slow. Counted;
        // with fail-open it accepted them, with fail-closed they were dropped.
        counters_.recv_errors.fetch_add(1, std::memory_order_relaxed);
        if (uint64_t skipped = 0; recv_warnings_.Due(&skipped)) {
          spdlog::warn("nfqueue {}: recv: {} (counted: recv_errors; {} more since the last line)",
                       queue_num_, std::strerror(errno), skipped);
        }
        break;
      }
      nfq_handle_packet(h_, buf.data(), static_cast<int>(n));
    }
    FlushAccepts();
  }
  // In-flight packets go as at a hold's end: what may begin a value stays
  // withheld, for its sender to send again to the next dlpd.
  pipeline_->Shutdown(*this);
  FlushAccepts();
  return {};
}

}  // namespace dlp
