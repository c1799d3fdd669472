// The control socket under slow and hostile clients: each holds only
// itself (status answers meanwhile), a client that sends nothing is cut at
// its deadline, more than kMaxClients are told the server is busy, a
// handler that waits long (a reload) holds only its own client, and the
// server stops promptly with clients connected.
#include "dlpd/control/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

namespace dlp {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
}

// A client that connects and then sends nothing (slowloris).
int Connect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  return fd;
}

// What the server sent before closing (within 5 s).
std::string ReadAll(int fd) {
  const timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

struct Server {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("dlpd-ctl-" + std::to_string(getpid()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock"))
                         .string();
  std::atomic<bool> release{false};
  std::atomic<int> gave_up{0};  // slow commands whose client hung up
  std::unique_ptr<ControlServer> server;
  Server() {
    auto s = ControlServer::Start(
        path,
        [this](const std::string& command, const ControlServer::ClientGone& gone) -> std::string {
          if (command == "slow") {  // a reload: waits until released, or its client hangs up
            while (!release.load()) {
              if (gone()) {
                ++gave_up;
                return "{}";
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            return "{\"ok\":true,\"message\":\"slow done\"}";
          }
          return "{\"ok\":true}";
        });
    EXPECT_TRUE(s) << s.error().message;
    server = std::move(s).value();
  }
};

TEST(ControlServer, SlowClientsDoNotHoldStatus) {
  Server s;
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(Connect(s.path));
  const auto t0 = Clock::now();
  auto answer = ControlRequest(s.path, "status", 5000);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer.value(), "{\"ok\":true}\n");
  EXPECT_LT(MsSince(t0), 500);
  for (int fd : idle) close(fd);
}

TEST(ControlServer, AClientThatSendsNothingIsCutAtItsDeadline) {
  Server s;
  const int fd = Connect(s.path);
  send(fd, "sta", 3, MSG_NOSIGNAL);  // never a whole line
  const auto t0 = Clock::now();
  EXPECT_EQ(ReadAll(fd), "{\"ok\":false,\"error\":\"send one command line\"}\n");
  const int64_t ms = MsSince(t0);
  EXPECT_GE(ms, ControlServer::kClientDeadlineMs - 200);
  EXPECT_LT(ms, ControlServer::kClientDeadlineMs + 1000);
  close(fd);
}

TEST(ControlServer, OneUserCannotTakeEverySlot) {
  Server s;
  std::vector<int> idle;
  for (size_t i = 0; i < ControlServer::kMaxClientsPerUser; ++i) idle.push_back(Connect(s.path));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted
  const int mine = Connect(s.path);
  EXPECT_EQ(ReadAll(mine), "{\"ok\":false,\"error\":\"busy: too many clients\"}\n");
  close(mine);
  if (geteuid() == 0) {  // another user's client (CI runs as root): still served
    chmod(s.path.c_str(), 0666);
    std::fflush(nullptr);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
      auto a = ControlRequest(s.path, "status", 5000);
      _exit(a && a.value() == "{\"ok\":true}\n" ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  for (int fd : idle) close(fd);
}

TEST(ControlServer, MoreClientsThanItServesAreToldItIsBusy) {
  Server s;
  std::vector<int> idle;
  for (size_t i = 0; i < ControlServer::kMaxClients; ++i) idle.push_back(Connect(s.path));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all accepted
  const int extra = Connect(s.path);
  const auto t0 = Clock::now();
  EXPECT_EQ(ReadAll(extra), "{\"ok\":false,\"error\":\"busy: too many clients\"}\n");
  EXPECT_LT(MsSince(t0), 1000);
  close(extra);
  for (int fd : idle) close(fd);
  // Once they are gone (each cut or closed), it serves again.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto answer = ControlRequest(s.path, "status", 5000);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer.value(), "{\"ok\":true}\n");
}

TEST(ControlServer, AHandlerThatWaitsHoldsOnlyItsClient) {
  Server s;
  std::string slow_answer;
  std::thread slow([&] {
    auto a = ControlRequest(s.path, "slow", 10000);
    slow_answer = a ? a.value() : a.error().message;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = Clock::now();
  auto answer = ControlRequest(s.path, "status", 5000);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_LT(MsSince(t0), 500);
  // It answers past the client deadline: that bounds reading the command.
  std::this_thread::sleep_for(std::chrono::milliseconds(ControlServer::kClientDeadlineMs + 500));
  s.release.store(true);
  slow.join();
  EXPECT_EQ(slow_answer, "{\"ok\":true,\"message\":\"slow done\"}\n");
}

// A client that asks for a reload and hangs up does not keep its slot for
// the reload's length: one user's four would otherwise hold the control
// socket for minutes (a reload of many rules).
TEST(ControlServer, AClientThatHangsUpWhileItsHandlerWaitsFreesItsSlot) {
  Server s;
  // Released however the test ends: a handler still waiting would hold the
  // server's destructor.
  struct Release {
    Server& s;
    ~Release() { s.release.store(true); }
  } release{s};
  for (int i = 0; i < static_cast<int>(ControlServer::kMaxClientsPerUser); ++i) {
    const int fd = Connect(s.path);
    ASSERT_EQ(send(fd, "slow\n", 5, MSG_NOSIGNAL), 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    close(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(s.gave_up.load(), static_cast<int>(ControlServer::kMaxClientsPerUser));
  auto answer = ControlRequest(s.path, "status", 5000);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer.value(), "{\"ok\":true}\n");
}

TEST(ControlServer, StopsPromptlyWithClientsConnected) {
  auto s = std::make_unique<Server>();
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(Connect(s->path));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string path = s->path;
  const auto t0 = Clock::now();
  s.reset();
  EXPECT_LT(MsSince(t0), 700);
  EXPECT_FALSE(std::filesystem::exists(path));  // no new client gets in
  for (int fd : idle) close(fd);
}

}  // namespace
}  // namespace dlp
