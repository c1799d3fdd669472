// libFuzzer: the control protocol from both ends.
//  - dlpd's side: the input is what a local client writes to a live
//    control socket (ControlServer, the daemon's code); the answer must be
//    one line of JSON whatever was sent.
//  - dlpctl's side: the input is what the socket answers (a daemon of
//    another version, or whatever listens on the path); `status`, `status
//    --json` and `reload` must print it escaped or refuse it, never throw,
//    and print no control byte but a line break and no byte above ASCII
//    (JSON may keep a DEL: terminals ignore it).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "dlpd/control/control_server.h"
#include "dlpd/ctl/control_command.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_control: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckPrintable(const std::string& text, bool json) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c >= 0x80 || (c == 0x7f && !json)) {
      Fail("a control byte was printed", text);
    }
  }
}

dlp::ControlServer& Server() {
  static std::unique_ptr<dlp::ControlServer> server = [] {
    char dir[] = "/tmp/fuzz_control.XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp", dir);
    auto s =
        dlp::ControlServer::Start(std::string(dir) + "/dlpd.sock",
                                  [](const std::string& c, const dlp::ControlServer::ClientGone&) {
                                    if (c == "status")
                                      return std::string(R"({"ok":true,"version":"fuzz"})");
                                    return std::string(R"({"ok":false,"error":"unknown command"})");
                                  });
    if (!s) Fail("cannot start the control socket", s.error().message);
    return std::move(s.value());
  }();
  return *server;
}

void AsClient(const uint8_t* data, size_t size) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", Server().path().c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Fail("socket", "");
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Fail("connect", sa.sun_path);
  const timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // The server reads one line of at most 256 bytes: more would only wait in
  // the socket's buffer.
  (void)send(fd, data, std::min<size_t>(size, 4096), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    answer.append(buf, static_cast<size_t>(n));
  close(fd);
  if (answer.empty() || answer.back() != '\n' || answer.find('\n') != answer.size() - 1) {
    Fail("the answer is not one line", answer);
  }
  if (!nlohmann::json::accept(answer)) Fail("the answer is not JSON", answer);
}

void AsDlpctl(const uint8_t* data, size_t size) {
  auto j = dlp::ParseControlAnswer(std::string(reinterpret_cast<const char*>(data), size));
  if (!j) return;  // refused with a message
  for (int mode = 0; mode < 4; ++mode) {
    std::ostringstream out, err;
    const int rc = mode == 2   ? dlp::PrintReload(j.value(), out, err)
                   : mode == 3 ? dlp::PrintStatusPrometheus(j.value(), out, err)
                               : dlp::PrintStatus(j.value(), mode == 1, out, err);
    if (rc < 0 || rc > 2) Fail("exit code", std::to_string(rc));
    CheckPrintable(out.str(), mode == 1);
    CheckPrintable(err.str(), false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  AsDlpctl(data, size);
  AsClient(data, size);
  return 0;
}
