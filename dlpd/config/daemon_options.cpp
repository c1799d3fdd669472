#include "dlpd/config/daemon_options.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include "dlpd/common/paths.h"
#include "dlpd/common/syslog_facility.h"
#include "dlpd/config/yaml_config.h"

namespace dlp {
namespace {
// CLI::Range lets NaN through (every comparison with it is false), and
// "inf" is no duration either.
const CLI::Validator kFinite(
    [](std::string& s) -> std::string {
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      return std::isfinite(v) ? "" : "not a finite number: " + s;
    },
    "FINITE");
const CLI::Validator kFacility(
    [](std::string& s) -> std::string {
      return SyslogFacilityCode(s) >= 0 ? "" : "not one of " + SyslogFacilityNames();
    },
    "FACILITY");
}  // namespace

void AddDaemonOptions(CLI::App& app, DaemonOptions* o) {
  app.add_flag("-t,--check", o->check,
               "check what a start would use: the settings, rules and policy (their "
               "examples run), and every file, user and group it would open or look up "
               "(nothing is changed); exit 0 or 1");
  app.add_flag("-v,--verbose", o->verbose, "with --check: also print the effective settings");
  auto* nfq = app.add_option("--nfqueue", o->nfqueue, "NFQUEUE number N, or N-M (one worker each)");
  auto* div = app.add_option("--divert", o->divert_port, "divert socket port (FreeBSD/OpenBSD)");
  app.add_flag("--divert-emulated", o->divert_emulated,
               "tests: --divert reads UDP 127.0.0.1:PORT, fed by tests/tools/divert_emulator")
      ->needs(div);
  auto* pin = app.add_option("--pcap-in", o->pcap_in, "read packets from this capture file");
  auto* pout = app.add_option("--pcap-out", o->pcap_out, "write forwarded packets here");
  pin->needs(pout);
  pout->needs(pin);
  nfq->excludes(div)->excludes(pin);
  div->excludes(pin);
  auto* icap = app.add_option(
      "--icap", o->icap,
      "also serve ICAP REQMOD here (ADDR:PORT, [ADDR6]:PORT; ICAP's port is 1344) for a "
      "TLS-intercepting proxy such as Squid with ssl-bump: the same rules, policy and incidents "
      "for the HTTPS requests it decrypts; alone or beside a packet capture");
  icap->excludes(pin);
  app.add_option("--icap-threads", o->icap_threads,
                 "ICAP event loops, each a thread with its own scanner (default 2)")
      ->check(CLI::Range(size_t{1}, size_t{64}))
      ->needs(icap);
  app.add_option("--icap-max-connections", o->icap_max_connections,
                 "ICAP connections served at once; one more is answered 503 (default 256)")
      ->check(CLI::Range(size_t{1}, size_t{65536}))
      ->needs(icap);
  app.add_option("--icap-max-body-mb", o->icap_max_body_mb,
                 "the largest request body ICAP takes, MiB; a larger one is answered 400 and the "
                 "proxy refuses the request (default 256)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->needs(icap);
  app.add_option("--icap-max-head-kb", o->icap_max_head_kb,
                 "the largest ICAP head, and encapsulated HTTP head, KiB (default 64)")
      ->check(CLI::Range(size_t{1}, size_t{1024}))
      ->needs(icap);
  app.add_option("--icap-timeout-s", o->icap_timeout_s,
                 "an ICAP client that sends or reads nothing for this long inside a request is "
                 "answered 408 and closed (default 30)")
      ->check(kFinite & CLI::Range(0.1, 3600.0))
      ->needs(icap);
  app.add_option("--icap-max-request-s", o->icap_max_request_s,
                 "the longest one ICAP request may take (a body dripped in), seconds "
                 "(default 600)")
      ->check(kFinite & CLI::Range(1.0, 86400.0))
      ->needs(icap);
  app.add_option("--icap-idle-s", o->icap_idle_s,
                 "a kept-alive ICAP connection idle this long between requests is closed "
                 "(default 120)")
      ->check(kFinite & CLI::Range(0.1, 86400.0))
      ->needs(icap);
  app.add_option("--icap-stream-kb", o->icap_stream_kb,
                 "a request body's masked bytes held for its end (to answer 204), KiB; past it "
                 "the answer starts while the body still comes (default 1024)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->needs(icap);
  app.add_option("--icap-preview", o->icap_preview,
                 "bytes of preview OPTIONS asks for (default -1: none; each body comes whole, "
                 "with no 100 Continue round trip)")
      ->check(CLI::Range(-1, 1 << 20))
      ->needs(icap);
  app.add_option("--icap-block-page", o->icap_block_page,
                 "an HTML file: the page a blocked request gets (default: a short built-in one)")
      ->needs(icap);
  app.add_option("--icap-block-status", o->icap_block_status,
                 "the HTTP status a blocked request gets (default 403)")
      ->check(CLI::Range(400, 599))
      ->needs(icap);
  app.add_option("--rules", o->rules_path, "rule file or directory (default: built in)");
  app.add_option("--policy", o->policy_path, "policy file (default: built in, mask everything)");
  auto* db = app.add_option(
      "--db", o->db_path, "incident database (SQLite); when not given, incidents are only counted");
  app.add_option("--key-file", o->key_path, "fingerprint key (default: DB path + .key)");
  app.add_option("--retain-days", o->retain_days,
                 "delete incidents last seen longer ago than this (default 90; 0: keep)")
      ->check(CLI::Range(0, 36500));
  app.add_option("--max-db-mb", o->max_db_mb,
                 "size guard: past it the oldest incidents go (default 1024; 0: none)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 24));
  app.add_option("--min-retain-days", o->min_retain_days,
                 "the size guard never deletes incidents last seen more recently than this "
                 "(default 7; 0: any)")
      ->check(CLI::Range(0, 36500));
  app.add_option("--aggregate-after", o->aggregate_after,
                 "flows a minute from one source for one rule stored one row each; beyond, "
                 "one row per source, rule and minute (default 60; 0: never)")
      ->check(CLI::Range(uint32_t{0}, uint32_t{1000000}));
  app.add_option("--db-retry-s", o->db_retry_s,
                 "how long a failing incident write (a full disk, a read-only or corrupt "
                 "file) is retried before its incidents are lost, counted (default 30)")
      ->check(kFinite & CLI::Range(0.1, 3600.0));
  app.add_option("--eve-log", o->eve_log,
                 "also append each stored incident to this EVE JSON-lines file (for a SIEM)")
      ->needs(db);
  app.add_option("--eve-max-mb", o->eve_max_mb,
                 "past this the EVE log moves to FILE.1 (replacing it) and starts again "
                 "(default 256; 0: no bound)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  app.add_option("--sensor-name", o->sensor_name,
                 "the name EVE lines (host) and syslog messages give this sensor (default: "
                 "the host name)");
  auto* syslog = app.add_option("--syslog", o->syslog,
                                "also send each stored incident as RFC 5424 syslog: "
                                "tcp://HOST:PORT (RFC 6587 framing), udp://HOST:PORT (or "
                                "HOST:PORT), or unix:PATH (a local datagram socket)");
  syslog->needs(db);
  app.add_option("--syslog-facility", o->syslog_facility,
                 "the facility of incident messages: local0 (default) ... local7, user, daemon")
      ->check(kFacility)
      ->needs(syslog);
  app.add_option("--syslog-enterprise", o->syslog_enterprise,
                 "the private enterprise number of the structured data's id dlp@N (default "
                 "32473, RFC 5612's number for examples: use your own)")
      ->check(CLI::Range(uint32_t{1}, uint32_t{2147483647}))
      ->needs(syslog);
  app.add_option("--syslog-framing", o->syslog_framing,
                 "over TCP: octet-counting (default, RFC 6587 3.4.1) or lf (a line each, "
                 "for collectors that only split on newlines)")
      ->check(CLI::IsMember({"octet-counting", "lf"}))
      ->needs(syslog);
  app.add_option("--syslog-queue-mb", o->syslog_queue_mb,
                 "messages held while the collector is unreachable, in MiB; past it new "
                 "ones are dropped, counted (default 8)")
      ->check(CLI::Range(size_t{1}, size_t{1024}))
      ->needs(syslog);
  app.add_option("--fail-mode", o->fail_mode, "closed (default) or open")
      ->check(CLI::IsMember({"closed", "open"}));
  app.add_option("--hold-ms", o->hold_ms,
                 "longest hold of a segment that may end inside a value (default 20)")
      ->check(kFinite & CLI::Range(1.0, 10000.0));
  app.add_option("--gap-ms", o->gap_ms,
                 "how long segments after a lost one wait for it (default 10000: past "
                 "the sender's retransmission timer)")
      ->check(kFinite & CLI::Range(1.0, 600000.0));
  app.add_option("--max-flows", o->max_flows, "flow table size per worker (default 65536)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 26));
  app.add_option("--max-new-flows-per-source", o->max_new_flows_per_source,
                 "new flows a second per source address and worker, burst twice that; "
                 "more are dropped (default 1000: room for a NAT'd office; 0: no limit)")
      ->check(CLI::Range(uint32_t{0}, uint32_t{1000000}));
  app.add_option("--reload-max-s", o->reload_max_s,
                 "a reloaded rule set is compiled first in a child process: refused past this "
                 "many seconds (default 300)")
      ->check(kFinite & CLI::Range(1.0, 86400.0));
  app.add_option("--reload-max-mb", o->reload_max_mb,
                 "and past this much memory, MiB (default 2048)")
      ->check(CLI::Range(size_t{64}, size_t{1} << 22));
  app.add_option("--max-memory-mb", o->max_memory_mb,
                 "memory per worker, MiB (default 1024): a quarter for first-copy windows, "
                 "--max-held-mb for held segments, the rest for the flows' inspection state; "
                 "past that, flows are ended, those that lose least first")
      ->check(CLI::Range(size_t{64}, size_t{1} << 22));
  app.add_option("--max-held-mb", o->max_held_mb,
                 "memory for held and reordered segments per worker, MiB (default 64; at most "
                 "a quarter of --max-memory-mb)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  // Checked once every setting is read (from the file or the command line).
  app.final_callback([o] {
    if (o->max_held_mb > o->max_memory_mb / 4) {
      throw CLI::ValidationError("--max-held-mb",
                                 std::to_string(o->max_held_mb) +
                                     " is more than a quarter of --max-memory-mb (" +
                                     std::to_string(o->max_memory_mb) + ")");
    }
  });
  app.add_option("--window-kb", o->window_kb,
                 "bytes per flow direction kept to normalize retransmitted and overlapping "
                 "copies to the first copy, KiB (default 64; 0: none, later copies are then "
                 "checked segment by segment against a digest only)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 14));
  app.add_option("--max-ahead-kb", o->max_ahead_kb,
                 "how far ahead of a stream a receive window may reach, KiB: bytes further "
                 "ahead are dropped, as their receiver drops them (default 0: 64 KiB shifted by "
                 "the largest window scale seen in a SYN, at least 8 MiB)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  app.add_flag("--trust-checksums", o->trust_checksums,
               "do not drop packets whose TCP checksum is wrong (for a capture taken on a "
               "sending host whose NIC computes checksums; live, the receiver drops them)");
  app.add_option("--queue-maxlen", o->queue_maxlen,
                 "NFQUEUE: packets the kernel keeps waiting per queue; past it, fail closed "
                 "drops (counted by the kernel), fail open lets them by (default 4096)")
      ->check(CLI::Range(uint32_t{1}, uint32_t{1} << 20));
  app.add_option("--control-socket", o->control_socket,
                 std::string("unix socket for dlpctl status/reload (default ") + kRunDir +
                     "/dlpd.sock; live capture only)");
  app.add_option("--user", o->user,
                 "after opening the capture, run as this user (keeping only CAP_NET_ADMIN)");
  app.add_option("--db-group", o->db_group,
                 "create the incident database readable by this group (mode 0640)")
      ->needs(db);
  app.add_option("--log-level", o->log_level,
                 "trace, debug, info (default), warn, error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--log", o->log,
                 "dlpd's own log: stderr (default; with priorities for journald under "
                 "systemd), syslog, or a file (UTC times; SIGUSR1 reopens it)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string { return s.empty() ? "stderr, syslog or a file" : ""; },
          "TARGET"));
  app.add_option("--log-facility", o->log_facility,
                 "with --log syslog: daemon (default), user, local0 ... local7")
      ->check(kFacility);

  // Every option but the ones that only make sense on a command line.
  std::vector<std::string> settable;
  for (const CLI::Option* opt : app.get_options()) {
    const std::string name = opt->get_single_name();
    if (name.empty() || name == "help" || name == "version" || name == "check" ||
        name == "verbose") {
      continue;
    }
    settable.push_back(name);
  }
  app.config_formatter(std::make_shared<YamlConfig>(settable));
  // Without -c, the default file is read when it exists (nginx, suricata
  // and pfctl read theirs likewise); a file named by $DLPD_CONFIG must exist.
  const std::string default_config = DefaultConfigPath();
  const char* named = std::getenv("DLPD_CONFIG");
  // Present unless it is certainly absent: a file that cannot be looked at
  // (a directory only root may enter, a dangling link) is read, and its
  // error reported, rather than silently passed over for the defaults.
  struct stat sb {};
  const bool read_default =
      !default_config.empty() && ((named != nullptr && *named != '\0') ||
                                  ::lstat(default_config.c_str(), &sb) == 0 || errno != ENOENT);
  app.set_config("-c,--config", read_default ? default_config : "",
                 "settings file (YAML: fail_mode: open, ...); default " + std::string(kConfDir) +
                     "/dlpd.conf when it exists ($DLPD_CONFIG names another; empty: none)",
                 read_default);
  app.allow_config_extras(CLI::config_extras_mode::error);
}

std::string ConfigFileRead(const CLI::App& app) {
  const CLI::Option* cfg = app.get_config_ptr();
  return cfg != nullptr && cfg->count() > 0 ? cfg->as<std::string>() : "";
}

std::string EffectiveSettings(CLI::App& app) {
  // Each option's value as parsed (from the command line, the file, or its
  // default): captured now, so that to_config prints it for every option.
  for (CLI::Option* opt : app.get_options()) {
    if (opt != app.get_config_ptr()) opt->capture_default_str();
  }
  return app.config_to_str(true, false);
}

std::string GivenSettings(const CLI::App& app) {
  std::string out;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->count() == 0 || opt == app.get_config_ptr()) continue;
    const std::string name = opt->get_single_name();
    if (name.empty() || name == "help" || name == "version") continue;
    out += (out.empty() ? "" : ", ") + name + "=" + opt->as<std::string>();
  }
  return out.empty() ? "none" : out;
}

Result<DaemonOptions> ReadDaemonSettings(const std::string& config_path, std::string* read) {
  DaemonOptions o;
  CLI::App app;
  AddDaemonOptions(app, &o);
  std::vector<std::string> args;  // CLI11 takes them last first
  if (!config_path.empty()) args = {config_path, "--config"};
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const CLI::Option* cfg = app.get_config_ptr();
    const std::string file =
        config_path.empty() && cfg != nullptr ? cfg->get_default_str() : config_path;
    return Error{"config " + file + ": " + e.what()};
  }
  *read = ConfigFileRead(app);
  return o;
}

bool ParseQueueRange(const std::string& s, uint16_t* lo, uint16_t* hi) {
  try {
    const size_t dash = s.find('-');
    size_t used = 0;
    const unsigned long a = std::stoul(s.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? s.size() : dash)) return false;
    unsigned long b = a;
    if (dash != std::string::npos) {
      b = std::stoul(s.substr(dash + 1), &used);
      if (used != s.size() - dash - 1) return false;
    }
    if (a > 65535 || b > 65535 || b < a) return false;
    *lo = static_cast<uint16_t>(a);
    *hi = static_cast<uint16_t>(b);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace dlp
