// The divert back end's loop on an emulated divert socket (UDP on
// loopback): each packet is written back to the address it came with,
// a dropped one is not, a held one when it is decided, a changed one as
// changed, and a packet dlpd makes goes to the last address of its IP
// family. (End to end through the kernel: e2e_divert_*.)
#include "dlpd/capture/divert_capture.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace dlp {
namespace {

// Decides by the byte after a 20-byte "header": A accept, D drop,
// M accept changed (the next byte becomes X), H hold until Flush,
// R accept and make a 40-byte packet of the same family marked 'r'.
class MarkerHandler : public PacketHandler {
 public:
  void Process(uint64_t handle, uint8_t* data, size_t len, int64_t, VerdictSink& sink,
               ChecksumState) override {
    switch (data[20]) {
      case 'D':
        return sink.Emit(handle, Verdict::kDrop, data, len, false);
      case 'M':
        data[21] = 'X';
        return sink.Emit(handle, Verdict::kAccept, data, len, true);
      case 'H':
        held_.push_back({handle, std::vector<uint8_t>(data, data + len)});
        return;
      case 'R': {
        sink.Emit(handle, Verdict::kAccept, data, len, false);
        std::vector<uint8_t> made(40, 0);
        made[0] = data[0];
        made[20] = 'r';
        injected_ok_ = sink.Inject(made.data(), made.size());
        return;
      }
      default:
        return sink.Emit(handle, Verdict::kAccept, data, len, false);
    }
  }
  void Tick(int64_t, VerdictSink&) override {}
  void Flush(VerdictSink& sink) override {
    for (auto& [h, bytes] : held_)
      sink.Emit(h, Verdict::kAccept, bytes.data(), bytes.size(), false);
    held_.clear();
  }
  void Shutdown(VerdictSink& sink) override { Flush(sink); }
  int64_t next_deadline() const override { return INT64_MAX; }
  size_t held_packets() const override { return held_.size(); }
  FailMode fail_mode() const override { return FailMode::kClosed; }
  std::atomic<bool> injected_ok_{false};

 private:
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> held_;
};

// A "firewall" end: one UDP socket, as the emulator has one per family.
struct End {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ~End() { close(fd); }
  void Send(uint16_t port, uint8_t version, char marker, char tag) {
    std::vector<uint8_t> p(40, 0);
    p[0] = static_cast<uint8_t>(version << 4);
    p[20] = static_cast<uint8_t>(marker);
    p[21] = static_cast<uint8_t>(tag);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 40);
  }
  // What came back within `ms`, as "marker+tag" strings.
  std::vector<std::string> Received(int ms) {
    std::vector<std::string> got;
    pollfd pfd{fd, POLLIN, 0};
    uint8_t buf[100];
    while (poll(&pfd, 1, ms) > 0) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n >= 22)
        got.push_back(std::string{static_cast<char>(buf[20]), static_cast<char>(buf[21])});
    }
    return got;
  }
};

TEST(DivertCapture, WritesEachPacketBackToItsAddressAndMadePacketsToTheirFamilys) {
  MarkerHandler handler;
  DivertCapture capture(0, &handler, SystemClock::Instance(), /*emulated=*/true);
  ASSERT_TRUE(capture.Open());
  const uint16_t port = capture.port();
  ASSERT_NE(port, 0);
  std::atomic<bool> stop{false};
  std::thread loop([&] { ASSERT_TRUE(capture.Run(stop)); });

  End v4, v6;
  v4.Send(port, 4, 'A', '1');
  v6.Send(port, 6, 'A', '2');
  v4.Send(port, 4, 'D', '3');
  v4.Send(port, 4, 'M', '4');
  v6.Send(port, 6, 'H', '5');
  EXPECT_EQ(v4.Received(300), (std::vector<std::string>{"A1", "MX"}));
  EXPECT_EQ(v6.Received(100), (std::vector<std::string>{"A2"}));  // H5 is held
  // A made packet follows its family's last packet, after it.
  v6.Send(port, 6, 'R', '6');
  EXPECT_EQ(v6.Received(300), (std::vector<std::string>{"R6", std::string{'r', '\0'}}));
  EXPECT_TRUE(handler.injected_ok_.load());
  EXPECT_TRUE(v4.Received(50).empty());
  // At stop, the held packet is decided and written back where it came from.
  stop = true;
  loop.join();
  EXPECT_EQ(v6.Received(100), (std::vector<std::string>{"H5"}));
  EXPECT_EQ(capture.capture_counters().verdicts.load(), 6u);
  EXPECT_EQ(capture.capture_counters().send_errors.load(), 0u);
}

TEST(DivertCapture, OffTheBsdsTheKernelSocketIsAClearError) {
  MarkerHandler handler;
  DivertCapture capture(700, &handler);
#if defined(__FreeBSD__) || defined(__OpenBSD__)
  GTEST_SKIP() << "a BSD: the kernel socket exists";
#else
  const Status st = capture.Open();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("--nfqueue"), std::string::npos);
#endif
}

}  // namespace
}  // namespace dlp
