// The running daemon: one worker per capture queue (each its own pipeline
// and thread), the incident writer, the control socket, and the engine
// (rules + policy) they share. Reload compiles a new engine off the packet
// path and hands it to every worker; a bad set is rejected and the old one
// keeps running. Reloads compile on a thread of their own, one at a time,
// so neither signals nor status wait on a compile. Signals are taken by Run
// on the main thread: SIGTERM/INT finish in-flight packets, unbind the
// captures, and flush incidents within the writer's bound; SIGHUP asks for
// a reload and reopens the EVE log.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dlpd/capture/capture.h"
#include "dlpd/common/clock.h"
#include "dlpd/config/daemon_options.h"
#include "dlpd/config/engine.h"
#include "dlpd/control/control_server.h"
#include "dlpd/daemon/compile_guard.h"
#include "dlpd/daemon/syslog_forwarder.h"
#include "dlpd/icap/icap_server.h"
#include "dlpd/inspect/fingerprint.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "storage/incident_writer.h"

namespace dlp {

class Daemon {
 public:
  // Loads the engine and opens everything (as root: capture sockets, the
  // database). Throws on a configuration error; the message says what.
  // `guard`: where reloads are compiled first, under limits (null: no
  // trial; compiled here at once). `syslog`: the forwarder for --syslog
  // (required when options.syslog is set).
  explicit Daemon(const DaemonOptions& options, std::unique_ptr<CompileGuard> guard = nullptr,
                  std::unique_ptr<SyslogForwarder> syslog = nullptr);
  ~Daemon();

  // Runs until every worker has ended (capture file done) or a stop signal;
  // returns the exit code.
  int Run();

  // Compiles the rules and policy from their files again and swaps them in,
  // one reload at a time (a second waits for the first). The answer
  // describes the new engine, or the error and the old one. Any thread;
  // status answers while it compiles.
  Result<std::string> Reload();
  // Asks the reload thread for a reload (one asked for while another is
  // under way runs after it; requests made before it begins share it) and
  // returns its outcome to come. Any thread, never waits.
  std::shared_future<Result<std::string>> RequestReload();
  // True when Run ended while a reload was still compiling: its thread was
  // left running, and this object must not be destroyed (main exits
  // without).
  bool abandoned_reload() const { return abandoned_reload_; }
  // dlpctl status: version, engine, uptime, counters (JSON).
  std::string StatusJson() const;

 private:
  struct Worker {
    std::string name;
    std::unique_ptr<PacketPipeline> pipeline;
    std::unique_ptr<CaptureBackend> capture;
  };
  std::string HandleControl(const std::string& command, const ControlServer::ClientGone& gone);
  // The reload thread's loop.
  void RunReloads();
  // Ends the reload thread: false (and the thread detached) when a compile
  // under way did not end within 2 s.
  bool StopReloads();
  void OpenWorkers();
  // The ICAP service (--icap), its socket bound and its loops ready.
  void OpenIcap();
  void LogIcapTotals() const;
  // The end of start-up: RestrictFilesystem, then the sandbox.
  void LockDown(const std::string& socket_path);
  void LogTotals() const;

  DaemonOptions options_;
  // The time every back end and pipeline reads: the system's, or a capture
  // file's packet timestamps when one is replayed.
  ReplayClock replay_clock_;
  const Clock& clock_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::unique_ptr<CompileGuard> guard_;  // reloads' trial compiles, or null
  std::mutex reload_mu_;                 // one reload at a time; engine_ changes under it
  mutable std::mutex engine_mu_;         // engine_, reloads_, last_reload_
  Engine engine_;
  uint64_t reloads_ = 0, reload_failures_ = 0;
  std::string last_reload_;
  std::unique_ptr<Fingerprinter> fingerprinter_;
  // Before the writer: its sink reads the forwarder's counters, and the
  // forwarder ends only once the sink has closed its input.
  std::unique_ptr<SyslogForwarder> syslog_;
  std::unique_ptr<IncidentWriter> writer_;
  PipelineConfig pipeline_config_;
  std::vector<Worker> workers_;
  // After the writer: destroyed first (Run resets it before the writer
  // stops), so the incidents of requests under way reach it.
  std::unique_ptr<IcapServer> icap_;
  std::atomic<bool> stop_{false};
  // The reload thread, and the reload asked for that it has not begun.
  std::mutex requests_mu_;
  std::condition_variable requests_cv_;
  std::shared_ptr<std::promise<Result<std::string>>> queued_;  // guarded by requests_mu_
  std::shared_future<Result<std::string>> queued_future_;      // guarded by requests_mu_
  bool reloads_stop_ = false;                                  // guarded by requests_mu_
  std::atomic<bool> reloading_{false};
  bool abandoned_reload_ = false;
  std::thread reload_thread_;
  // Last: destroyed first, while what its clients' handler reads (stop_,
  // the reload requests) still exists.
  std::unique_ptr<ControlServer> control_;
};

}  // namespace dlp
