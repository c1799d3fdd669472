// dlpd's settings: the command line (dlpd(8), doc/operator.md) and the same settings from
// a YAML file (dlpd/config/yaml_config.h): -c FILE, else the default file
// when it exists (dlpd/common/paths.h). The command line wins over the file.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

struct DaemonOptions {
  std::string config_path;
  bool check = false;
  bool verbose = false;  // with check: print the effective settings
  // capture
  std::string nfqueue;  // "N" or "N-M"
  uint16_t divert_port = 0;
  bool divert_emulated = false;  // tests: UDP 127.0.0.1:PORT fed by divert_emulator
  std::string pcap_in, pcap_out;
  // ICAP REQMOD service for a TLS-intercepting proxy (dlpd/icap/icap_server.h)
  std::string icap;  // ADDR:PORT; empty: none
  size_t icap_threads = 2;
  size_t icap_max_connections = 256;
  size_t icap_max_body_mb = 256;
  size_t icap_max_head_kb = 64;
  double icap_timeout_s = 30;
  double icap_max_request_s = 600;
  double icap_idle_s = 120;
  size_t icap_stream_kb = 1024;
  int icap_preview = -1;
  std::string icap_block_page;  // an HTML file; empty: built in
  int icap_block_status = 403;
  // what decides
  std::string rules_path, policy_path;  // empty: built in
  // incidents
  std::string db_path, key_path, eve_log, syslog;
  int retain_days = 90;
  size_t max_db_mb = 1024;
  double db_retry_s = 30;
  int min_retain_days = 7;
  uint32_t aggregate_after = 60;
  size_t eve_max_mb = 256;
  std::string sensor_name;  // empty: the host name
  std::string syslog_facility = "local0";
  uint32_t syslog_enterprise = 32473;
  std::string syslog_framing = "octet-counting";
  size_t syslog_queue_mb = 8;
  size_t incident_queue = 65536;
  // packet path
  std::string fail_mode = "closed";
  double hold_ms = 20;
  double gap_ms = 10000;
  size_t max_flows = 65536;
  uint32_t max_new_flows_per_source = 1000;  // per worker; 0: no limit
  double reload_max_s = 300;                 // a reload's trial compile: time limit
  size_t reload_max_mb = 2048;               // and memory limit
  size_t max_memory_mb = 1024;  // per worker: flows' state, first-copy windows, held packets
  size_t max_held_mb = 64;
  size_t window_kb = 64;
  size_t max_ahead_kb = 0;  // 0: from the window scales seen
  bool trust_checksums = false;
  uint32_t queue_maxlen = 4096;  // NFQUEUE: packets the kernel queues for a worker
  // operation
  std::string control_socket;  // empty: the default path (live capture only)
  std::string user;            // become this user after opening the capture
  std::string db_group;        // the database readable by this group
  std::string log_level = "info";
  std::string log = "stderr";           // stderr, syslog, or a file (dlpd/daemon/logging.h)
  std::string log_facility = "daemon";  // with log: syslog
};

// Adds every option (and -c/--config) to `app`, bound to `o`.
void AddDaemonOptions(CLI::App& app, DaemonOptions* o);
// After app.parse: the settings file that was read (-c's or the default
// one), or empty if none was.
std::string ConfigFileRead(const CLI::App& app);
// After app.parse: every setting's effective value, as a settings file.
std::string EffectiveSettings(CLI::App& app);
// After app.parse: the settings given (file or command line), on one line
// ("key=value, ..."), for the debug log.
std::string GivenSettings(const CLI::App& app);

// dlpd's settings as a start would read them from `config_path`, or from
// the default file when empty (none: the defaults); `*read` is the file
// read. For dlpctl, which checks what dlpd would use.
Result<DaemonOptions> ReadDaemonSettings(const std::string& config_path, std::string* read);

// "N" or "N-M" (0-65535, N <= M).
bool ParseQueueRange(const std::string& s, uint16_t* lo, uint16_t* hi);

}  // namespace dlp
