// The control socket: a unix stream socket on which dlpctl sends one command
// line ("status", "reload") and reads one JSON answer. Served by its own
// thread, one client at a time, each bounded in size and time, so a stuck
// or hostile client cannot hold up the daemon. The socket file is mode 0660
// (the operators' group); a stale file from a dead daemon is replaced, a
// live daemon's is not.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "dlpd/common/result.h"

namespace dlp {

class ControlServer {
 public:
  using Handler = std::function<std::string(const std::string& command)>;
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& path, Handler handler);
  ~ControlServer();  // stops, removes the socket file
  const std::string& path() const { return path_; }

 private:
  ControlServer(std::string path, int fd, Handler handler);
  void Serve();
  void Answer(int client);

  std::string path_;
  int fd_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// dlpctl's side: sends `command`, returns the answer (one JSON document).
Result<std::string> ControlRequest(const std::string& path, const std::string& command,
                                   int timeout_ms = 30000);

}  // namespace dlp
