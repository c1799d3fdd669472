#include "dlpd/daemon/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "dlpd/capture/divert_capture.h"
#include "dlpd/common/machine_name.h"
#include "rules/match_engine.h"
#ifdef __linux__
#include "dlpd/capture/nfqueue_capture.h"
#endif
#include "dlpd/capture/pcap_capture.h"
#include "dlpd/common/last_catch.h"
#include "dlpd/common/paths.h"
#include "dlpd/common/syslog_facility.h"
#include "dlpd/common/version.h"
#include "dlpd/common/yaml_reader.h"
#include "dlpd/daemon/logging.h"
#include "dlpd/daemon/privileges.h"
#include "dlpd/daemon/sandbox.h"
#include "dlpd/daemon/service_manager.h"
#include "dlpd/inspect/scan_context.h"
#include "policy/policy.h"
#include "policy/policy_error.h"
#include "policy/policy_loader.h"
#include "rules/rule_error.h"
#include "storage/eve_json.h"
#include "storage/syslog_sink.h"

namespace dlp {
namespace {

// The longest a shutdown may take, whatever hangs.
constexpr int kStopWatchdogSeconds = 30;

sigset_t ControlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Takes one of `set`'s signals if one is pending, else waits `tick` and
// returns 0. The signals are blocked in every thread, so a signal sent to
// the process stays pending until taken here. sigtimedwait would do this in
// one call, but OpenBSD has none: sigpending + sigwait (which then returns
// at once) is POSIX on all three systems.
int TakeSignal(const sigset_t& set, std::chrono::milliseconds tick) {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0) {
    for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
      if (sigismember(&pending, sig) == 1 && sigismember(&set, sig) == 1) {
        int got = 0;
        if (sigwait(&set, &got) == 0) return got;
      }
    }
  }
  std::this_thread::sleep_for(tick);
  return 0;
}

// The ICAP service's tag: a proxy that sees it change drops what it cached
// of the service (its OPTIONS answer).
std::string IsTagOf(const Engine& e) {
  return IcapIsTag(e.rules->rule_set().version, e.policy->version);
}

std::string EngineLine(const Engine& e) {
  return "ruleset " + e.rules->rule_set().version + " (" +
         std::to_string(e.rules->rule_set().rules.size()) + " rules), policy " + e.policy->version +
         " (" + std::to_string(e.policy->statements.size()) + " statements)";
}

// The incident writer's counters, for status and the exit log.
struct WriterCounter {
  const char* name;
  uint64_t (*get)(IncidentWriter& w);
};
constexpr WriterCounter kWriterCounters[] = {
    {"written", [](IncidentWriter& w) { return w.written(); }},
    {"coalesced", [](IncidentWriter& w) { return w.coalesced(); }},
    {"dropped", [](IncidentWriter& w) { return w.dropped(); }},
    {"backlog", [](IncidentWriter& w) { return static_cast<uint64_t>(w.backlog()); }},
    {"pruned", [](IncidentWriter& w) { return w.pruned(); }},
    {"write_errors", [](IncidentWriter& w) { return w.write_errors(); }},
    {"lost", [](IncidentWriter& w) { return w.lost(); }},
    {"aggregated", [](IncidentWriter& w) { return w.aggregated(); }},
    {"sink_dropped", [](IncidentWriter& w) { return w.sink_dropped(); }},
};

// Calls fn(name, help, value) for every counter of a worker: its pipeline's
// and its back end's declared lists, and what the kernel counts for it.
template <class Worker, class Fn>
void ForEachCounter(const Worker& w, Fn&& fn) {
  const auto pipeline = w.pipeline->counters().Values();
  for (size_t i = 0; i < PipelineCounters::kCount; ++i) {
    fn(PipelineCounters::kInfo[i].name, PipelineCounters::kInfo[i].help, pipeline[i]);
  }
  const auto capture = w.capture->capture_counters().Values();
  for (size_t i = 0; i < CaptureCounters::kCount; ++i) {
    fn(CaptureCounters::kInfo[i].name, CaptureCounters::kInfo[i].help, capture[i]);
  }
  for (const auto& [k, v] : w.capture->KernelCounters()) {
    fn(k, CaptureBackend::KernelCounterHelp(k), v);
  }
}

}  // namespace

Daemon::Daemon(const DaemonOptions& o, std::unique_ptr<CompileGuard> guard,
               std::unique_ptr<SyslogForwarder> syslog)
    : options_(o),
      clock_(o.pcap_in.empty() ? static_cast<const Clock&>(SystemClock::Instance())
                               : replay_clock_),
      guard_(std::move(guard)),
      syslog_(std::move(syslog)) {
  engine_ = LoadEngine(o.rules_path, o.policy_path);  // throws RuleError/PolicyError
  for (const std::string& w : PolicyWarnings(*engine_.policy)) spdlog::warn("{}", w);
  pipeline_config_.fail_mode = o.fail_mode == "open" ? FailMode::kOpen : FailMode::kClosed;
  pipeline_config_.hold_timeout_us = static_cast<int64_t>(o.hold_ms * 1000);
  pipeline_config_.gap_timeout_us = static_cast<int64_t>(o.gap_ms * 1000);
  pipeline_config_.max_flows = o.max_flows;
  pipeline_config_.max_new_flows_per_source = o.max_new_flows_per_source;
  pipeline_config_.max_held_bytes = o.max_held_mb << 20;
  pipeline_config_.window_bytes = o.window_kb << 10;
  pipeline_config_.SetMemoryBudget(o.max_memory_mb << 20);
  pipeline_config_.max_ahead_bytes = static_cast<uint64_t>(o.max_ahead_kb) << 10;
  pipeline_config_.verify_checksums = !o.trust_checksums;
  if (!o.nfqueue.empty()) {
    // Held packets stay in the kernel queue until their verdict: keep half
    // of it free for what arrives meanwhile (retransmissions among them).
    pipeline_config_.max_held_packets = std::max<size_t>(1, o.queue_maxlen / 2);
  }
  // Root is needed for the capture sockets only: open them, then drop.
  OpenWorkers();
  if (!o.icap.empty()) OpenIcap();
  const std::string socket_path =
      o.control_socket.empty() ? DefaultControlSocket() : o.control_socket;
  if (!o.user.empty()) {
    auto ids = LookUpUser(o.user);
    if (!ids) throw std::runtime_error(ids.error().message);
    for (const std::string& file : {o.db_path, o.pcap_in.empty() ? socket_path : std::string()}) {
      if (file.empty()) continue;
      const std::string dir = std::filesystem::path(file).parent_path().string();
      // 0751 for a shared database: its group reaches it, nobody lists the rest.
      const unsigned mode = file == o.db_path && !o.db_group.empty() ? 0751 : 0750;
      if (Status st = PrepareDirectory(dir, ids.value(), mode); !st) {
        throw std::runtime_error(st.error().message);
      }
    }
    // The log file was opened as root: the user reopens it (SIGUSR1).
    if (Status st = HandLogFileTo(ids->uid, ids->gid); !st) {
      spdlog::warn("{}: cannot hand it to {}", st.error().message, ids->name);
    }
    if (Status st = DropPrivileges(ids.value()); !st) throw std::runtime_error(st.error().message);
    spdlog::info("running as {} (uid {}), keeping CAP_NET_ADMIN only", ids->name, ids->uid);
  } else if (geteuid() != 0 && o.pcap_in.empty()) {
    if (Status st = TrimCapabilities(); !st) spdlog::warn("{}", st.error().message);
  }
  if (!o.db_path.empty()) {
    WriterOptions wo;
    wo.capacity = o.incident_queue;
    wo.wait_when_full = !o.pcap_in.empty();
    wo.retention.retain_days = o.retain_days;
    wo.retention.max_bytes = static_cast<uint64_t>(o.max_db_mb) << 20;
    wo.give_up_after_us = static_cast<int64_t>(o.db_retry_s * 1e6);
    wo.retention.min_retain_days = o.min_retain_days;
    wo.aggregate_after = o.aggregate_after;
    if (!o.pcap_in.empty()) wo.retention_clock = &replay_clock_;  // the capture's time
    std::vector<std::unique_ptr<IncidentSink>> sinks;
    const std::string sensor = o.sensor_name.empty() ? MachineName() : o.sensor_name;
    if (!o.eve_log.empty()) {
      auto opened = EveLog::Open(o.eve_log, static_cast<uint64_t>(o.eve_max_mb) << 20, sensor);
      if (!opened) throw std::runtime_error(opened.error().message);
      sinks.push_back(std::move(opened).value());
    }
    if (syslog_) {
      SyslogFormat format;
      format.hostname = sensor;
      format.facility = SyslogFacilityCode(o.syslog_facility);
      format.enterprise = o.syslog_enterprise;
      sinks.push_back(std::make_unique<SyslogSink>(syslog_->TakeInput(), std::move(format),
                                                   &syslog_->stats(), !o.pcap_in.empty()));
    } else if (!o.syslog.empty()) {
      throw std::runtime_error("--syslog: no forwarder was started");
    }
    auto store = std::make_unique<IncidentStore>(o.db_path, o.db_group);
    fingerprinter_ = std::make_unique<Fingerprinter>(
        Fingerprinter::FromKeyFile(o.key_path.empty() ? o.db_path + ".key" : o.key_path));
    writer_ = std::make_unique<IncidentWriter>(std::move(store), wo, std::move(sinks));
  }
  for (auto& w : workers_) w.pipeline->SetIncidentOutput(writer_.get(), fingerprinter_.get());
  if (icap_) icap_->SetOutput(writer_.get(), fingerprinter_.get());
  // The control socket, for live captures: replaying a file needs none.
  if (o.pcap_in.empty()) {
    auto server = ControlServer::Start(
        socket_path, [this](const std::string& c, const ControlServer::ClientGone& gone) {
          return HandleControl(c, gone);
        });
    if (server) {
      control_ = std::move(server).value();
    } else if (o.control_socket.empty()) {
      spdlog::warn("{}; dlpctl status/reload unavailable (SIGHUP still reloads)",
                   server.error().message);
    } else {
      throw std::runtime_error(server.error().message);
    }
  }
  // The control socket answers from here on: a failure below must stop it
  // (a client waiting on a reload would otherwise hold its destructor).
  try {
    LockDown(socket_path);
  } catch (...) {
    stop_.store(true);
    control_.reset();
    throw;
  }
}

void Daemon::LockDown(const std::string& socket_path) {
  const DaemonOptions& o = options_;
  // OpenBSD: from here on, only these paths exist for dlpd.
  std::vector<std::string> write_dirs;
  const std::string log_file = o.log == "stderr" || o.log == "syslog" ? "" : o.log;
  for (const std::string& f : {o.db_path, o.eve_log, socket_path, log_file}) {
    if (!f.empty()) write_dirs.push_back(std::filesystem::path(f).parent_path().string());
  }
  if (Status st = RestrictFilesystem({o.rules_path, o.policy_path}, write_dirs); !st) {
    throw std::runtime_error(st.error().message);
  }
  // Ready: systemd's start returns now (its notification needs a socket,
  // so before the sandbox).
  NotifyReady(fmt::format("{} worker(s), {}", workers_.size(), EngineLine(engine_)));
  // Everything is open: what runs in this process from here on cannot
  // exec, open sockets, fork or leave a core (dlpd/daemon/sandbox.h).
  if (Status st = EnterSandbox(); !st) throw std::runtime_error(st.error().message);
}

Daemon::~Daemon() {
  if (reload_thread_.joinable()) StopReloads();  // Run left by an exception
}

void Daemon::OpenIcap() {
  const DaemonOptions& o = options_;
  IcapConfig c;
  c.listen = o.icap;
  c.threads = o.icap_threads;
  c.max_connections = o.icap_max_connections;
  c.limits.max_body = o.icap_max_body_mb << 20;
  c.limits.max_head = c.limits.max_http_head = o.icap_max_head_kb << 10;
  c.request_timeout_ms = static_cast<int>(o.icap_timeout_s * 1000);
  c.max_request_ms = static_cast<int64_t>(o.icap_max_request_s * 1000);
  c.idle_timeout_ms = static_cast<int>(o.icap_idle_s * 1000);
  c.stream_after = o.icap_stream_kb << 10;
  c.preview = o.icap_preview;
  c.block_status = o.icap_block_status;
  c.fail_closed = o.fail_mode != "open";
  if (!o.icap_block_page.empty()) {
    std::optional<std::string> page = ReadTextFile(o.icap_block_page);
    if (!page)
      throw std::runtime_error("--icap-block-page " + o.icap_block_page + ": cannot read it");
    c.block_page = std::move(*page);
  }
  std::vector<std::unique_ptr<ScanContext>> contexts;
  for (size_t i = 0; i < c.threads; ++i) {
    auto ctx = ScanContext::Create(engine_.rules);
    if (!ctx) throw std::runtime_error(ctx.error().message);
    contexts.push_back(std::move(ctx).value());
  }
  auto server = IcapServer::Open(c, std::move(contexts), engine_.policy, IsTagOf(engine_));
  if (!server) throw std::runtime_error(server.error().message);
  icap_ = std::move(server).value();
}

void Daemon::OpenWorkers() {
  auto make_pipeline = [&]() {
    auto ctx = ScanContext::Create(engine_.rules);
    if (!ctx) throw std::runtime_error(ctx.error().message);
    auto p = std::make_unique<PacketPipeline>(std::move(ctx).value(), pipeline_config_, nullptr,
                                              nullptr, clock_);
    p->Reload(nullptr, engine_.policy);
    return p;
  };
  if (!options_.nfqueue.empty()) {
#ifndef __linux__
    throw std::runtime_error("NFQUEUE exists only on Linux; use --divert PORT");
#else
    uint16_t lo, hi;
    if (!ParseQueueRange(options_.nfqueue, &lo, &hi)) {
      throw std::runtime_error("--nfqueue takes N or N-M (0-65535), not '" + options_.nfqueue +
                               "'");
    }
    for (uint32_t q = lo; q <= hi; ++q) {
      Worker w{"nfqueue " + std::to_string(q), make_pipeline(), nullptr};
      auto cap = std::make_unique<NfqueueCapture>(static_cast<uint16_t>(q), w.pipeline.get(),
                                                  options_.queue_maxlen, clock_);
      if (Status st = cap->Open(); !st) throw std::runtime_error(st.error().message);
      w.capture = std::move(cap);
      workers_.push_back(std::move(w));
    }
#endif
  } else if (options_.divert_port != 0) {
    Worker w{"divert " + std::to_string(options_.divert_port), make_pipeline(), nullptr};
    auto cap = std::make_unique<DivertCapture>(options_.divert_port, w.pipeline.get(), clock_,
                                               options_.divert_emulated);
    if (Status st = cap->Open(); !st) throw std::runtime_error(st.error().message);
    w.capture = std::move(cap);
    workers_.push_back(std::move(w));
  } else if (!options_.pcap_in.empty()) {
    Worker w{"pcap " + options_.pcap_in, make_pipeline(), nullptr};
    w.capture = std::make_unique<PcapCapture>(options_.pcap_in, options_.pcap_out, w.pipeline.get(),
                                              replay_clock_);
    workers_.push_back(std::move(w));
  } else if (options_.icap.empty()) {
    throw std::runtime_error(
        "choose a capture: --nfqueue N, --divert PORT or --pcap-in/--pcap-out (or serve "
        "ICAP alone: --icap ADDR:PORT)");
  }
}

Result<std::string> Daemon::Reload() {
  // engine_ changes only under reload_mu_ (and engine_mu_, which status
  // takes): read here without engine_mu_, which the compile does not hold,
  // so status answers while it runs.
  std::lock_guard<std::mutex> one(reload_mu_);
  const std::string running = EngineLine(engine_);
  auto rejected = [&](const std::string& why, const std::string& message) -> Error {
    std::lock_guard<std::mutex> lock(engine_mu_);
    ++reload_failures_;
    last_reload_ = "rejected: " + why;
    return Error{message + "; still running " + running};
  };
  Engine next;
  try {
    if (guard_ != nullptr) {
      // First in the helper's trial process, under the limits: a rule set
      // that would not compile within them is refused before dlpd spends
      // the time and memory on it.
      const CompileGuard::Outcome tried = guard_->Trial(ReadRuleSources(options_.rules_path));
      if (tried.kind == CompileGuard::Outcome::Kind::kRuleError) {
        return rejected(tried.message, tried.message);
      }
      if (tried.kind == CompileGuard::Outcome::Kind::kLimit) {
        const std::string why =
            "the rules do not compile within the reload limits "
            "(--reload-max-s, --reload-max-mb): " +
            tried.message;
        return rejected(why, why);
      }
    }
    next = LoadEngine(options_.rules_path, options_.policy_path);
  } catch (const RuleError& e) {
    return rejected(e.what(), e.what());
  } catch (const PolicyError& e) {
    return rejected(e.what(), e.what());
  } catch (const std::exception& e) {
    // The last catch of a reload (SIGHUP or the control socket): whatever
    // loading threw (a rule directory that cannot be listed, bad_alloc),
    // the old engine keeps running.
    UnexpectedErrors().fetch_add(1, std::memory_order_relaxed);
    return rejected(e.what(), e.what());
  }
  const EngineCheck check = CheckEngine(next);
  if (!check.failures.empty()) {
    return rejected(check.failures.front(), check.failures.front() + " (" +
                                                std::to_string(check.failures.size()) +
                                                " example(s) failed)");
  }
  for (const std::string& w : check.warnings) spdlog::warn("{}", w);
  // Scratch space for each worker is allocated here, not on the packet path.
  std::vector<std::unique_ptr<ScanContext>> contexts;
  for (size_t i = 0; i < workers_.size(); ++i) {
    auto ctx = ScanContext::Create(next.rules);
    if (!ctx) return rejected(ctx.error().message, ctx.error().message);
    contexts.push_back(std::move(ctx).value());
  }
  std::vector<std::unique_ptr<ScanContext>> icap_contexts;
  for (size_t i = 0; icap_ && i < icap_->loops(); ++i) {
    auto ctx = ScanContext::Create(next.rules);
    if (!ctx) return rejected(ctx.error().message, ctx.error().message);
    icap_contexts.push_back(std::move(ctx).value());
  }
  // A compile that outlived the daemon's stop changes nothing.
  if (stop_.load()) return Error{"dlpd is stopping; still running " + running};
  std::lock_guard<std::mutex> lock(engine_mu_);
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].pipeline->Reload(std::move(contexts[i]), next.policy);
  }
  if (icap_) {
    icap_->Offer(std::move(icap_contexts), next.policy);
    icap_->SetIsTag(IsTagOf(next));
  }
  engine_ = next;
  ++reloads_;
  last_reload_ = "ok: " + EngineLine(engine_);
  return "reloaded: " + EngineLine(engine_);
}

std::shared_future<Result<std::string>> Daemon::RequestReload() {
  std::lock_guard<std::mutex> lock(requests_mu_);
  if (queued_ == nullptr) {
    queued_ = std::make_shared<std::promise<Result<std::string>>>();
    queued_future_ = queued_->get_future().share();
  }
  requests_cv_.notify_one();
  return queued_future_;
}

void Daemon::RunReloads() {
  for (;;) {
    std::shared_ptr<std::promise<Result<std::string>>> job;
    {
      std::unique_lock<std::mutex> lock(requests_mu_);
      requests_cv_.wait(lock, [&] { return reloads_stop_ || queued_ != nullptr; });
      if (reloads_stop_) return;
      job = std::move(queued_);
      queued_ = nullptr;
      reloading_.store(true);
    }
    Result<std::string> r = Error{"reload failed"};
    const auto began = std::chrono::steady_clock::now();
    spdlog::debug("reload: compiling {} and {}",
                  options_.rules_path.empty() ? "the built-in rules" : options_.rules_path,
                  options_.policy_path.empty() ? "the built-in policy" : options_.policy_path);
    RunGuarded("reload", [&] { r = Reload(); });
    spdlog::debug("reload: done in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - began)
                                               .count());
    if (r) spdlog::info("reload: {}", r.value());
    if (!r) spdlog::error("reload rejected: {}", r.error().message);
    reloading_.store(false);
    job->set_value(std::move(r));
  }
}

bool Daemon::StopReloads() {
  {
    std::lock_guard<std::mutex> lock(requests_mu_);
    reloads_stop_ = true;
    if (queued_ != nullptr) {
      queued_->set_value(Error{"dlpd is stopping; the reload was not begun"});
      queued_ = nullptr;
    }
  }
  requests_cv_.notify_one();
  // A compile under way cannot be cut short (the engines have no way to).
  for (int i = 0; i < 20 && reloading_.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (reloading_.load()) {
    reload_thread_.detach();
    return false;
  }
  reload_thread_.join();
  return true;
}

std::string Daemon::HandleControl(const std::string& command,
                                  const ControlServer::ClientGone& gone) {
  spdlog::debug("control: {}", command);
  if (command == "status") return StatusJson();
  if (command == "reload") {
    // The reload runs on its own thread; this client waits for its outcome
    // (dlpctl waits long enough for a large rule set), other clients do not.
    const std::shared_future<Result<std::string>> outcome = RequestReload();
    while (outcome.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (stop_.load()) {
        return nlohmann::json(
                   {{"ok", false}, {"error", "dlpd is stopping; the reload's outcome is unknown"}})
            .dump();
      }
      // Hung up: nobody reads the outcome (status and the log have it), and
      // the slot goes back to other clients while the reload goes on.
      if (gone()) return "{}";
    }
    const Result<std::string>& r = outcome.get();
    nlohmann::json j = {{"ok", r.ok()},
                        {r.ok() ? "message" : "error", r.ok() ? r.value() : r.error().message}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return nlohmann::json({{"ok", false}, {"error", "unknown command (status, reload)"}}).dump();
}

std::string Daemon::StatusJson() const {
  nlohmann::json j;
  j["ok"] = true;
  j["version"] = kVersion;
  j["engine"] = MatchEngineName();
  j["pid"] = static_cast<int64_t>(getpid());
  j["uptime_s"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  {
    std::lock_guard<std::mutex> lock(engine_mu_);
    j["ruleset"] = engine_.rules->rule_set().version;
    j["rules"] = engine_.rules->rule_set().rules.size();
    j["policy"] = engine_.policy->version;
    j["policy_source"] = engine_.policy->source;
    j["policy_statements"] = engine_.policy->statements.size();
    j["reloads"] = reloads_;
    j["reload_failures"] = reload_failures_;
    j["last_reload"] = last_reload_;
  }
  j["reload_in_progress"] = reloading_.load();
  j["fail_mode"] = options_.fail_mode;
  nlohmann::json totals = nlohmann::json::object();
  nlohmann::json help = nlohmann::json::object();
  std::map<std::string, uint64_t> by_rule;
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& w : workers_) {
    const PipelineCounters& c = w.pipeline->counters();
    workers.push_back({{"name", w.name}, {"packets", c.packets.load()}, {"flows", c.flows.load()}});
    ForEachCounter(w, [&](std::string_view name, std::string_view what, uint64_t v) {
      const std::string key(name);
      totals[key] = totals.value(key, uint64_t{0}) + v;
      if (!what.empty()) help[key] = std::string(what);
    });
    for (const auto& [rule, n] : w.pipeline->findings_by_rule()) by_rule[rule] += n;
  }
  j["workers"] = workers;
  totals["unexpected_errors"] = UnexpectedErrors().load(std::memory_order_relaxed);
  help["unexpected_errors"] = "exceptions caught by a thread's last catch, survived";
  j["counters"] = totals;
  j["counter_help"] = help;
  j["findings_by_rule"] = by_rule;
  if (writer_) {
    j["incidents"] = nlohmann::json::object();
    for (const WriterCounter& c : kWriterCounters) j["incidents"][c.name] = c.get(*writer_);
  }
  if (icap_) {
    nlohmann::json icap = {{"address", icap_->address()}};
    nlohmann::json icap_help = nlohmann::json::object();
    const auto values = icap_->counters().Values();
    for (size_t i = 0; i < IcapCounters::kCount; ++i) {
      const std::string key(IcapCounters::kInfo[i].name);
      icap[key] = values[i];
      icap_help[key] = std::string(IcapCounters::kInfo[i].help);
    }
    {
      std::lock_guard<std::mutex> lock(engine_mu_);
      icap["istag"] = IsTagOf(engine_);
    }
    j["icap"] = icap;
    j["icap_help"] = icap_help;
  }
  if (syslog_) {
    const SyslogStats& s = syslog_->stats();
    j["syslog"] = {{"target", syslog_->target().text},
                   {"up", syslog_->ended() ? 0 : 1},
                   {"sent", s.sent.load()},
                   {"resent", s.resent.load()},
                   {"dropped", s.dropped.load()},
                   {"queued", s.queued.load()},
                   {"connected", s.connected.load()},
                   {"connects", s.connects.load()},
                   {"connect_failures", s.connect_failures.load()}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int Daemon::Run() {
  spdlog::info("dlpd {} ({}) started: {} worker(s), {}, fail mode {}, db {}{}, settings {}",
               kVersion, MatchEngineName(), workers_.size(), EngineLine(engine_),
               options_.fail_mode, options_.db_path.empty() ? "none" : options_.db_path,
               control_ ? ", control " + control_->path() : "",
               options_.config_path.empty() ? "none (defaults)" : options_.config_path);
  std::atomic<int> failed{0};
  std::atomic<size_t> running{workers_.size()};
  reload_thread_ = std::thread([this] { RunReloads(); });
  if (icap_) {
    icap_->Start();
    spdlog::info("icap: serving REQMOD on {} ({} event loop(s))", icap_->address(), icap_->loops());
  }
  std::vector<std::thread> threads;
  for (auto& w : workers_) {
    threads.emplace_back([this, &w, &failed, &running] {
      // The last catch: an exception out of the capture loop is logged and
      // counted, and the loop starts again (its socket stays open) until
      // the daemon stops.
      for (bool done = false; !done && !stop_.load();) {
        done = RunGuarded(w.name, [&] {
          if (Status st = w.capture->Run(stop_); !st) {
            spdlog::critical("{}: {}", w.name, st.error().message);
            failed.fetch_add(1);
          }
        });
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      running.fetch_sub(1);
    });
  }
  // The signals are blocked in every thread (main blocks them before any
  // thread starts) and taken here, so no handler runs in the packet path.
  const sigset_t signals = ControlSignals();
  // An ICAP service alone runs until a stop signal.
  while (running.load() > 0 || (icap_ && !stop_.load())) {
    const int sig = TakeSignal(signals, std::chrono::milliseconds(100));
    if (syslog_) syslog_->CheckEnded();  // logs it, once
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("{}: finishing in-flight packets, flushing incidents", strsignal(sig));
      if (!stop_.exchange(true)) {
        // Each part stops within its own bound (the writer 5 s, a reload
        // 2 s); whatever else might hang, the process ends by this one.
        std::thread([] {
          std::this_thread::sleep_for(std::chrono::seconds(kStopWatchdogSeconds));
          spdlog::critical("shutdown took over {} s: exiting now", kStopWatchdogSeconds);
          spdlog::default_logger()->flush();
          std::_Exit(1);
        }).detach();
      }
    } else if (sig == SIGHUP) {
      // The reload runs on its own thread (and logs its outcome): this
      // thread goes on taking signals while it compiles.
      RunGuarded("SIGHUP", [&] { RequestReload(); });
    } else if (sig == SIGUSR1) {
      // Log rotation (logrotate's postrotate, newsyslog): the files are
      // opened again by their paths. Apart from SIGHUP, so that rotating
      // logs never reloads the rules (as Suricata and nginx separate them).
      RunGuarded("SIGUSR1", [&] {
        bool all = true;
        if (Status st = ReopenLogFile(); !st) {
          all = false;
          spdlog::error("SIGUSR1: {}", st.error().message);
        }
        if (writer_) {
          if (Status st = writer_->ReopenSinks(); !st) {
            all = false;
            spdlog::error("SIGUSR1: {}", st.error().message);
          }
        }
        if (syslog_) syslog_->ReopenLog();  // its log lines, too
        if (all) spdlog::info("SIGUSR1: log files reopened");
      });
    }
  }
  for (auto& t : threads) t.join();
  // Unbound first: traffic never waits on what the daemon still finishes.
  for (auto& w : workers_) w.capture->Close();
  if (icap_) {
    icap_->Stop();  // requests under way get a moment to end; their incidents reach the writer
    LogIcapTotals();
    icap_.reset();
  }
  control_.reset();
  if (!StopReloads()) {
    abandoned_reload_ = true;
    spdlog::warn("a reload still compiling was abandoned (dlpd exits without waiting for it)");
  }
  if (writer_) writer_->Stop();
  LogTotals();
  return failed.load() == 0 ? 0 : 1;
}

void Daemon::LogIcapTotals() const {
  std::string line;
  const auto values = icap_->counters().Values();
  for (size_t i = 0; i < IcapCounters::kCount; ++i) {
    line += fmt::format(" {}={}", IcapCounters::kInfo[i].name, values[i]);
  }
  spdlog::info("icap {}:{}", icap_->address(), line);
}

void Daemon::LogTotals() const {
  for (const auto& w : workers_) {
    std::string line;
    ForEachCounter(w, [&](std::string_view name, std::string_view, uint64_t v) {
      line += fmt::format(" {}={}", name, v);
    });
    spdlog::info("{}:{}", w.name, line);
  }
  if (writer_) {
    std::string line;
    for (const WriterCounter& c : kWriterCounters) {
      line += fmt::format(" {}={}", c.name, c.get(*writer_));
    }
    spdlog::info("incidents:{}", line);
  }
  spdlog::info("unexpected_errors={}", UnexpectedErrors().load(std::memory_order_relaxed));
}

}  // namespace dlp
