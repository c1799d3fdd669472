// The null forwarder for the NFQUEUE benchmark: binds a queue like dlpd and
// accepts every packet unread, batching verdicts the way dlpd does when
// nothing is held (one NF_ACCEPT batch verdict per receive burst), and
// taking coalesced (GSO) packets whole as dlpd does. What the kernel round
// trip costs by itself; dlpd's figure is compared to it.
// Usage: nfq_null QUEUE (runs until SIGTERM/SIGINT)
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {
volatile sig_atomic_t g_stop = 0;
uint32_t g_last_id = 0;
bool g_have = false;

int OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void*) {
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph != nullptr) {
    g_last_id = ntohl(ph->packet_id);
    g_have = true;
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const int q = argc > 1 ? std::atoi(argv[1]) : 0;
  signal(SIGTERM, [](int) { g_stop = 1; });
  signal(SIGINT, [](int) { g_stop = 1; });
  nfq_handle* h = nfq_open();
  nfq_q_handle* qh =
      h ? nfq_create_queue(h, static_cast<uint16_t>(q), &OnPacket, nullptr) : nullptr;
  if (qh == nullptr || nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
    std::perror("nfq_null: cannot bind the queue");
    return 1;
  }
  nfq_set_queue_maxlen(qh, 4096);
  if (nfq_set_queue_flags(qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) {
    std::fprintf(stderr, "nfq_null: the kernel segments coalesced packets (no NFQA_CFG_F_GSO)\n");
  }
  const int fd = nfq_fd(h);
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  std::vector<char> buf(0xffff + 4096);
  std::fprintf(stderr, "nfq_null: started on queue %d\n", q);
  uint64_t packets = 0;
  while (!g_stop) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    for (;;) {
      const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n <= 0) break;
      nfq_handle_packet(h, buf.data(), static_cast<int>(n));
      ++packets;
    }
    if (g_have) {
      nfq_set_verdict_batch(qh, g_last_id, NF_ACCEPT);
      g_have = false;
    }
  }
  std::fprintf(stderr, "nfq_null: packets=%llu\n", static_cast<unsigned long long>(packets));
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
