// The control socket: a unix stream socket on which dlpctl sends one command
// line ("status", "reload") and reads one JSON answer. Each client is
// served on a thread of its own, up to kMaxClients at once (one more is
// told the server is busy), each with a deadline for its command line and
// one for its answer, so a slow or hostile client holds only itself: status
// answers while another client stalls or a reload compiles. The socket file
// is mode 0660 (the operators' group); a stale file from a dead daemon is
// replaced, a live daemon's is not.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dlpd/common/result.h"

namespace dlp {

class ControlServer {
 public:
  // Clients served at once, and of them from one user (the peer's uid):
  // one operator's stuck or hostile clients leave room for another's.
  static constexpr size_t kMaxClients = 8;
  static constexpr size_t kMaxClientsPerUser = 4;
  // A client has this long to send its command line, and to read the answer.
  static constexpr int kClientDeadlineMs = 2000;

  // Whether the client has hung up (closed its socket): a handler that
  // waits (for a reload) returns then, and frees its slot for another
  // client. Cheap: one non-blocking peek.
  using ClientGone = std::function<bool()>;
  // Called from several client threads at once. REQUIRES: a handler that
  // waits (for a reload) returns promptly once its daemon stops or its
  // client is gone.
  using Handler = std::function<std::string(const std::string& command, const ClientGone& gone)>;
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& path, Handler handler);
  // Closes the listening socket and removes its file first (no client gets
  // in after), then waits for the clients being served (each within its
  // deadlines, or its handler's prompt return).
  ~ControlServer();
  const std::string& path() const { return path_; }

 private:
  ControlServer(std::string path, int fd, Handler handler);
  void Serve();
  void Answer(int client);
  // Joins the client threads that have finished.
  void Reap();

  struct Client {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
    long uid;  // the peer's, -1 when unknown
  };
  std::string path_;
  int fd_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::vector<Client> clients_;  // the accepting thread's
  std::thread thread_;
};

// dlpctl's side: sends `command`, returns the answer (one JSON document).
Result<std::string> ControlRequest(const std::string& path, const std::string& command,
                                   int timeout_ms = 30000);

}  // namespace dlp
