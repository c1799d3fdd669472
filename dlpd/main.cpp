// dlpd: the inline DLP daemon (see DESIGN.md). Runs in the foreground and
// logs to stderr; rc.d/systemd supervise it.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstring>
#include <iostream>
#include <thread>

#include "dlpd/capture/divert_capture.h"
#ifdef __linux__
#include "dlpd/capture/nfqueue_capture.h"
#endif
#include "dlpd/capture/pcap_capture.h"
#include "dlpd/common/version.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_check.h"
#include "rules/rule_error.h"
#include "storage/eve_json.h"
#include "storage/syslog_sink.h"

namespace {

std::atomic<bool> g_stop{false};

// SIGHUP, SIGTERM and SIGINT are blocked in every thread and taken by the
// main thread with sigtimedwait, so no handler runs inside the packet path.
sigset_t ControlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

struct Options {
  std::string rules_path;
  std::string db_path;
  std::string key_path;
  std::string nfqueue;  // "N" or "N-M"
  uint16_t divert_port = 0;
  std::string pcap_in, pcap_out;
  std::string fail_mode = "closed";
  std::string log_level = "info";
  size_t incident_queue = 65536;
  int retain_days = 90;
  size_t max_db_mb = 1024;
  std::string eve_log;
  std::string syslog;
  double hold_ms = 20;
  size_t max_flows = 65536;
  size_t max_held_mb = 64;
  size_t window_kb = 64;
  bool check = false;
};

bool ParseQueueRange(const std::string& s, uint16_t* lo, uint16_t* hi) {
  try {
    size_t dash = s.find('-');
    size_t used = 0;
    unsigned long a = std::stoul(s.substr(0, dash), &used);
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

void LogCounters(const dlp::PipelineCounters& c, const std::string& who) {
  spdlog::info(
      "{}: packets={} bytes={} inspected={} masked_packets={} findings={} held={} "
      "hold_timeouts={} hold_overflows={} partial={} retransmissions={} out_of_order={} "
      "gaps_skipped={} flows_evicted={} overlaps_normalized={} overlaps_unchecked={} "
      "windows_freed={} "
      "passed_uninspected={} dropped_uninspected={} decode_errors={} incidents_dropped={}",
      who, c.packets.load(), c.bytes.load(), c.inspected.load(), c.masked_packets.load(),
      c.findings.load(), c.held.load(), c.hold_timeouts.load(), c.hold_overflows.load(),
      c.partial.load(), c.retransmissions.load(), c.out_of_order.load(), c.gaps_skipped.load(),
      c.flows_evicted.load(), c.overlaps_normalized.load(), c.overlaps_unchecked.load(),
      c.windows_freed.load(), c.passed_uninspected.load(), c.dropped_uninspected.load(),
      c.decode_errors.load(), c.incidents_dropped.load());
}

int Check(const std::shared_ptr<const dlp::CompiledRuleset>& rules) {
  dlp::ExampleReport report = dlp::RunRuleExamples(rules);
  for (const auto& f : report.failures) std::cerr << f << '\n';
  if (!report.failures.empty()) return 1;
  std::cout << "dlpd: configuration ok: " << rules->rule_set().rules.size() << " rules, "
            << report.examples_run << " examples passed, ruleset " << rules->rule_set().version
            << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that all of them inherit the mask.
  const sigset_t control_signals = ControlSignals();
  pthread_sigmask(SIG_BLOCK, &control_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Options o;
  CLI::App app{"dlpd: inline data leakage prevention for outbound HTTP"};
  app.set_version_flag("--version", std::string("dlpd ") + dlp::kVersion);
  app.add_flag("-t,--check", o.check, "load and compile rules, run their examples, exit 0 or 1");
  auto* nfq = app.add_option("--nfqueue", o.nfqueue, "NFQUEUE number N, or N-M (one worker each)");
  auto* div = app.add_option("--divert", o.divert_port, "divert socket port (FreeBSD/OpenBSD)");
  auto* pin = app.add_option("--pcap-in", o.pcap_in, "read packets from this capture file");
  auto* pout = app.add_option("--pcap-out", o.pcap_out, "write forwarded packets here");
  pin->needs(pout);
  pout->needs(pin);
  nfq->excludes(div)->excludes(pin);
  div->excludes(pin);
  app.add_option("--rules", o.rules_path, "rule file or directory (default: built in)");
  auto* db =
      app.add_option("--db", o.db_path, "incident database (SQLite); none: incidents only counted");
  app.add_option("--retain-days", o.retain_days,
                 "delete incidents last seen longer ago than this (default 90; 0: keep)")
      ->check(CLI::Range(0, 36500));
  app.add_option("--max-db-mb", o.max_db_mb,
                 "size guard: past it the oldest incidents go (default 1024; 0: none)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 24));
  app.add_option("--eve-log", o.eve_log,
                 "also append each stored incident to this EVE JSON-lines file (for a SIEM)")
      ->needs(db);
  app.add_option("--syslog", o.syslog,
                 "also send each stored incident as RFC 5424 syslog: HOST:PORT (UDP) or unix:PATH")
      ->needs(db);
  app.add_option("--key-file", o.key_path, "fingerprint key (default: DB path + .key)");
  app.add_option("--fail-mode", o.fail_mode, "closed (default) or open")
      ->check(CLI::IsMember({"closed", "open"}));
  app.add_option("--hold-ms", o.hold_ms,
                 "longest hold of a segment that may end inside a value (default 20)")
      ->check(CLI::Range(0.0, 10000.0));
  app.add_option("--max-flows", o.max_flows, "flow table size per worker (default 65536)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 26));
  app.add_option("--max-held-mb", o.max_held_mb,
                 "memory for held and reordered segments per worker, MiB (default 64)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--window-kb", o.window_kb,
                 "bytes per flow direction kept to normalize retransmitted and overlapping "
                 "copies to the first copy, KiB (default 64; 0: off)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 14));
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto logger = spdlog::stderr_color_mt("dlpd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(o.log_level));

  std::shared_ptr<const dlp::CompiledRuleset> rules;
  try {
    rules = dlp::LoadCompiledRules(o.rules_path);
  } catch (const dlp::RuleError& e) {
    std::cerr << "dlpd: " << e.what() << '\n';
    return 1;
  }
  if (o.check) return Check(rules);
  if (o.nfqueue.empty() && o.divert_port == 0 && o.pcap_in.empty()) {
    std::cerr << "dlpd: choose a capture: --nfqueue N, --divert PORT or --pcap-in/--pcap-out\n";
    return 2;
  }

  std::unique_ptr<dlp::IncidentWriter> writer;
  std::unique_ptr<dlp::Fingerprinter> fingerprinter;
  try {
    if (!o.db_path.empty()) {
      dlp::WriterOptions wo;
      wo.capacity = o.incident_queue;
      wo.wait_when_full = !o.pcap_in.empty();
      wo.retention.retain_days = o.retain_days;
      wo.retention.max_bytes = static_cast<uint64_t>(o.max_db_mb) << 20;
      std::vector<std::unique_ptr<dlp::IncidentSink>> sinks;
      if (!o.eve_log.empty()) {
        auto opened = dlp::EveLog::Open(o.eve_log);
        if (!opened) throw std::runtime_error(opened.error().message);
        sinks.push_back(std::move(opened).value());
      }
      if (!o.syslog.empty()) {
        auto opened = dlp::SyslogSink::Open(o.syslog);
        if (!opened) throw std::runtime_error(opened.error().message);
        sinks.push_back(std::move(opened).value());
      }
      writer = std::make_unique<dlp::IncidentWriter>(
          std::make_unique<dlp::IncidentStore>(o.db_path), wo, std::move(sinks));
      fingerprinter = std::make_unique<dlp::Fingerprinter>(
          dlp::Fingerprinter::FromKeyFile(o.key_path.empty() ? o.db_path + ".key" : o.key_path));
    }
  } catch (const std::exception& e) {
    std::cerr << "dlpd: " << e.what() << '\n';
    return 1;
  }
  dlp::PipelineConfig pipeline_config;
  pipeline_config.fail_mode = o.fail_mode == "open" ? dlp::FailMode::kOpen : dlp::FailMode::kClosed;
  pipeline_config.hold_timeout_us = static_cast<int64_t>(o.hold_ms * 1000);
  pipeline_config.max_flows = o.max_flows;
  pipeline_config.max_held_bytes = o.max_held_mb << 20;
  pipeline_config.window_bytes = o.window_kb << 10;

  struct Worker {
    std::string name;
    std::unique_ptr<dlp::PacketPipeline> pipeline;
    std::unique_ptr<dlp::CaptureBackend> capture;
  };
  std::vector<Worker> workers;
  auto make_pipeline = [&]() -> std::unique_ptr<dlp::PacketPipeline> {
    auto ctx = dlp::ScanContext::Create(rules);
    if (!ctx) {
      spdlog::critical("{}", ctx.error().message);
      return nullptr;
    }
    return std::make_unique<dlp::PacketPipeline>(std::move(ctx).value(), pipeline_config,
                                                 writer.get(), fingerprinter.get());
  };

  if (!o.nfqueue.empty()) {
#ifndef __linux__
    std::cerr << "dlpd: NFQUEUE exists only on Linux; use --divert PORT\n";
    return 2;
#else
    uint16_t lo, hi;
    if (!ParseQueueRange(o.nfqueue, &lo, &hi)) {
      std::cerr << "dlpd: --nfqueue takes N or N-M (0-65535), not '" << o.nfqueue << "'\n";
      return 2;
    }
    for (uint32_t q = lo; q <= hi; ++q) {
      Worker w{"nfqueue " + std::to_string(q), make_pipeline(), nullptr};
      if (!w.pipeline) return 1;
      auto cap = std::make_unique<dlp::NfqueueCapture>(static_cast<uint16_t>(q), w.pipeline.get());
      if (dlp::Status st = cap->Open(); !st) {
        std::cerr << "dlpd: " << st.error().message << '\n';
        return 1;
      }
      w.capture = std::move(cap);
      workers.push_back(std::move(w));
    }
#endif
  } else if (o.divert_port != 0) {
    Worker w{"divert " + std::to_string(o.divert_port), make_pipeline(), nullptr};
    if (!w.pipeline) return 1;
    auto cap = std::make_unique<dlp::DivertCapture>(o.divert_port, w.pipeline.get());
    if (dlp::Status st = cap->Open(); !st) {
      std::cerr << "dlpd: " << st.error().message << '\n';
      return 1;
    }
    w.capture = std::move(cap);
    workers.push_back(std::move(w));
  } else {
    Worker w{"pcap " + o.pcap_in, make_pipeline(), nullptr};
    if (!w.pipeline) return 1;
    w.capture = std::make_unique<dlp::PcapCapture>(o.pcap_in, o.pcap_out, w.pipeline.get());
    workers.push_back(std::move(w));
  }

  spdlog::info("dlpd {} started: {} worker(s), ruleset {} ({} rules), fail mode {}, db {}",
               dlp::kVersion, workers.size(), rules->rule_set().version,
               rules->rule_set().rules.size(), o.fail_mode, o.db_path.empty() ? "none" : o.db_path);
  std::atomic<int> failed{0};
  std::atomic<size_t> running{workers.size()};
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    threads.emplace_back([&w, &failed, &running] {
      dlp::Status st = w.capture->Run(g_stop);
      if (!st) {
        spdlog::critical("{}: {}", w.name, st.error().message);
        failed.fetch_add(1);
      }
      running.fetch_sub(1);
    });
  }
  // The main thread takes the signals until every worker has ended (a
  // capture file at its end, or a stop).
  while (running.load() > 0) {
    const struct timespec tick { 0, 100 * 1000 * 1000 };
    const int sig = sigtimedwait(&control_signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("{}: finishing in-flight packets, flushing incidents", strsignal(sig));
      g_stop.store(true);
    } else if (sig == SIGHUP) {
      if (writer) {
        if (dlp::Status st = writer->ReopenSinks(); !st) {
          spdlog::error("SIGHUP: {}", st.error().message);
        } else if (!o.eve_log.empty()) {
          spdlog::info("SIGHUP: EVE log {} reopened", o.eve_log);
        }
      }
    }
  }
  for (auto& t : threads) t.join();
  if (writer) writer->Stop();
  for (auto& w : workers) {
    LogCounters(w.pipeline->counters(), w.name);
    const auto& cc = w.capture->capture_counters();
    spdlog::info("{}: recv_errors={} send_errors={}", w.name, cc.recv_errors.load(),
                 cc.send_errors.load());
  }
  if (writer) {
    spdlog::info("incidents: written={} coalesced={} dropped={} pruned={} write_errors={}",
                 writer->written(), writer->coalesced(), writer->dropped(), writer->pruned(),
                 writer->write_errors());
  }
  return failed.load() == 0 ? 0 : 1;
}
