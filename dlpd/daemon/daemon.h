// The running daemon: one worker per capture queue (each its own pipeline
// and thread), the incident writer, the control socket, and the engine
// (rules + policy) they share. Reload compiles a new engine off the packet
// path and hands it to every worker; a bad set is rejected and the old one
// keeps running. Signals are taken by Run on the main thread: SIGTERM/INT
// finish in-flight packets and flush incidents, SIGHUP reloads and reopens
// the EVE log.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dlpd/capture/capture.h"
#include "dlpd/common/clock.h"
#include "dlpd/config/daemon_options.h"
#include "dlpd/config/engine.h"
#include "dlpd/control/control_server.h"
#include "dlpd/inspect/fingerprint.h"
#include "dlpd/pipeline/packet_pipeline.h"
#include "storage/incident_writer.h"

namespace dlp {

class Daemon {
 public:
  // Loads the engine and opens everything (as root: capture sockets, the
  // database). Throws on a configuration error; the message says what.
  explicit Daemon(const DaemonOptions& options);
  ~Daemon();

  // Runs until every worker has ended (capture file done) or a stop signal;
  // returns the exit code.
  int Run();

  // Compiles the rules and policy from their files again and swaps them in.
  // The answer describes the new engine, or the error and the old one.
  Result<std::string> Reload();
  // dlpctl status: version, engine, uptime, counters (JSON).
  std::string StatusJson() const;

 private:
  struct Worker {
    std::string name;
    std::unique_ptr<PacketPipeline> pipeline;
    std::unique_ptr<CaptureBackend> capture;
  };
  std::string HandleControl(const std::string& command);
  void OpenWorkers();
  void LogTotals() const;

  DaemonOptions options_;
  // The time every back end and pipeline reads: the system's, or a capture
  // file's packet timestamps when one is replayed.
  ReplayClock replay_clock_;
  const Clock& clock_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable std::mutex engine_mu_;  // engine_, reloads_, last_reload_
  Engine engine_;
  uint64_t reloads_ = 0, reload_failures_ = 0;
  std::string last_reload_;
  std::unique_ptr<Fingerprinter> fingerprinter_;
  std::unique_ptr<IncidentWriter> writer_;
  PipelineConfig pipeline_config_;
  std::vector<Worker> workers_;
  std::unique_ptr<ControlServer> control_;
  std::atomic<bool> stop_{false};
};

}  // namespace dlp
