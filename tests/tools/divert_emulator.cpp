// A divert socket on Linux, for tests: gives the packets of an NFQUEUE the
// semantics of FreeBSD's ipfw `divert` and OpenBSD's pf `divert-packet`,
// so that dlpd's divert back end (dlpd --divert PORT --divert-emulated)
// runs its loop, holds, timers and resets on every change.
//
//   divert_emulator --queue N --port P
//
// Each packet the kernel queues on N is taken out of the stack (NF_DROP:
// the divert socket owns it now) and sent as one UDP datagram to
// 127.0.0.1:P, from one socket per address family, as OpenBSD has one
// divert socket per family: the datagram's source address is the address
// the packet comes with. A datagram dlpd writes back is re-injected into
// the gateway's stack (a raw socket: it leaves by the output path and is
// routed to its destination, as a written-back packet resumes after the
// diverting rule). A packet never written back is dropped. A packet written
// back to the other family's address is refused, loudly: the emulator
// exits 3, so that every later exchange of the test fails.
//
// As the BSDs do before they divert, the kernel fills in delayed checksums
// (the queue is bound without NFQA_CFG_F_GSO: segments, checksums complete).
// The last line on stderr, at SIGTERM, counts what passed.
//
// Written by hand: no library emulates divert sockets.
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dlpd/capture/raw_sender.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}

struct Emulator {
  int sock4 = -1;  // the address IPv4 packets come with
  int sock6 = -1;  // and IPv6 packets
  sockaddr_in dlpd{};
  dlp::RawSender raw;
  unsigned long diverted = 0, written_back = 0, reinject_errors = 0, send_errors = 0;
};

int OpenSocket() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int size = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0 ? fd : -1;
}

int OnPacket(nfq_q_handle* qh, nfgenmsg*, nfq_data* nfa, void* self) {
  auto* e = static_cast<Emulator*>(self);
  const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == nullptr) return 0;
  unsigned char* data = nullptr;
  const int len = nfq_get_payload(nfa, &data);
  if (len > 0) {
    const int fd = (data[0] >> 4) == 6 ? e->sock6 : e->sock4;
    ++e->diverted;
    if (sendto(fd, data, static_cast<size_t>(len), 0, reinterpret_cast<sockaddr*>(&e->dlpd),
               sizeof e->dlpd) != len) {
      ++e->send_errors;  // nobody bound: dropped, as divert drops
    }
  }
  return nfq_set_verdict(qh, ntohl(ph->packet_id), NF_DROP, 0, nullptr);
}

// Re-injects what dlpd wrote back to `fd`, which must be its family's.
bool ReadBack(Emulator* e, int fd, std::vector<uint8_t>* buf) {
  for (;;) {
    const ssize_t n = recv(fd, buf->data(), buf->size(), MSG_DONTWAIT);
    if (n <= 0) return true;
    const bool v6 = ((*buf)[0] >> 4) == 6;
    if ((fd == e->sock6) != v6) {
      std::fprintf(stderr, "divert_emulator: an IPv%d packet written back to the IPv%d address\n",
                   v6 ? 6 : 4, v6 ? 4 : 6);
      return false;
    }
    ++e->written_back;
    if (!e->raw.Send(buf->data(), static_cast<size_t>(n))) ++e->reinject_errors;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int queue = -1, port = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--queue") queue = std::atoi(argv[i + 1]);
    if (a == "--port") port = std::atoi(argv[i + 1]);
  }
  if (queue < 0 || queue > 65535 || port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: divert_emulator --queue N --port P\n");
    return 2;
  }
  Emulator e;
  e.dlpd.sin_family = AF_INET;
  e.dlpd.sin_port = htons(static_cast<uint16_t>(port));
  e.dlpd.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  e.sock4 = OpenSocket();
  e.sock6 = OpenSocket();
  if (e.sock4 < 0 || e.sock6 < 0) return std::perror("divert_emulator: socket"), 1;
  if (std::string problem = e.raw.Open(); !problem.empty()) {
    std::fprintf(stderr, "divert_emulator: %s\n", problem.c_str());
    return 1;
  }
  nfq_handle* h = nfq_open();
  nfq_q_handle* qh =
      h != nullptr ? nfq_create_queue(h, static_cast<uint16_t>(queue), &OnPacket, &e) : nullptr;
  if (qh == nullptr || nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
    std::fprintf(stderr, "divert_emulator: cannot bind NFQUEUE %d: %s\n", queue,
                 std::strerror(errno));
    return 1;
  }
  nfq_set_queue_maxlen(qh, 4096);
  // The queue's socket takes bursts as dlpd's own NFQUEUE socket does: with
  // the default buffer a 300 KB upload overflowed it while dlpd scanned, and
  // the test's clean uploads met loss (and its fail-closed stops) that no
  // real divert socket of this size would cause. Drops the kernel still
  // makes are in /proc/net/netfilter/nfnetlink_queue (divert_stop reads it).
  int size = 8 << 20;
  setsockopt(nfq_fd(h), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::fprintf(stderr, "divert_emulator: NFQUEUE %d <-> udp 127.0.0.1:%d\n", queue, port);
  std::vector<char> nlbuf(256 * 1024);
  std::vector<uint8_t> back(65536);
  pollfd fds[3] = {{nfq_fd(h), POLLIN, 0}, {e.sock4, POLLIN, 0}, {e.sock6, POLLIN, 0}};
  int rc = 0;
  while (g_stop == 0 && rc == 0) {
    if (poll(fds, 3, 200) <= 0) continue;
    if ((fds[0].revents & POLLIN) != 0) {
      for (;;) {
        const ssize_t n = recv(fds[0].fd, nlbuf.data(), nlbuf.size(), MSG_DONTWAIT);
        if (n <= 0) break;  // ENOBUFS: the kernel dropped some, as a full socket does
        nfq_handle_packet(h, nlbuf.data(), static_cast<int>(n));
      }
    }
    for (int i = 1; i < 3; ++i) {
      if ((fds[i].revents & POLLIN) != 0 && !ReadBack(&e, fds[i].fd, &back)) rc = 3;
    }
  }
  std::fprintf(stderr,
               "divert_emulator: diverted=%lu written_back=%lu send_errors=%lu "
               "reinject_errors=%lu\n",
               e.diverted, e.written_back, e.send_errors, e.reinject_errors);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return rc;
}
