// dlpd: the inline DLP daemon (doc/operator.md, dlpd(8)). Runs in the
// foreground, logging to stderr, syslog or a file (dlpd/daemon/logging.h);
// rc.d/systemd supervise it.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "dlpd/common/version.h"
#include "dlpd/config/daemon_options.h"
#include "dlpd/config/engine.h"
#include "dlpd/daemon/daemon.h"
#include "dlpd/daemon/logging.h"
#include "dlpd/daemon/privileges.h"
#include "dlpd/daemon/start_check.h"
#include "dlpd/daemon/syslog_forwarder.h"
#include "policy/policy_error.h"
#include "rules/match_engine.h"
#include "rules/rule_error.h"

namespace {

// --check: the settings (already parsed), rules and policy compiled and
// their examples run, then every file, user and group the start would use.
int Check(const dlp::DaemonOptions& o, const std::string& settings) {
  dlp::Engine engine;
  try {
    engine = dlp::LoadEngine(o.rules_path, o.policy_path);
  } catch (const std::exception& e) {
    std::cerr << "dlpd: " << e.what() << '\n';
    return 1;
  }
  uint16_t lo, hi;
  if (!o.nfqueue.empty() && !dlp::ParseQueueRange(o.nfqueue, &lo, &hi)) {
    std::cerr << "dlpd: --nfqueue takes N or N-M (0-65535), not '" << o.nfqueue << "'\n";
    return 1;
  }
  const dlp::EngineCheck check = dlp::CheckEngine(engine);
  for (const auto& w : check.warnings) std::cerr << w << '\n';
  for (const auto& f : check.failures) std::cerr << f << '\n';
  dlp::StartCheck start = dlp::CheckStart(o);
  if (o.nfqueue.empty() && o.divert_port == 0 && o.pcap_in.empty() && o.icap.empty()) {
    // A start would stop at once (dlpctl rules check checks rules alone).
    start.problems.push_back(
        "choose a capture: --nfqueue N, --divert PORT or --pcap-in/--pcap-out (or serve ICAP "
        "alone: --icap ADDR:PORT)");
  }
  for (const auto& w : start.warnings) std::cerr << "dlpd: warning: " << w << '\n';
  for (const auto& p : start.problems) std::cerr << "dlpd: " << p << '\n';
  if (!check.failures.empty() || !start.problems.empty()) return 1;
  if (o.verbose) std::cout << "# effective settings\n" << settings;
  std::cout << "dlpd: configuration ok" << (o.config_path.empty() ? "" : " (" + o.config_path + ")")
            << ": " << dlp::DescribeEngine(engine, check) << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that every thread inherits the mask and
  // the daemon's main loop alone takes these signals (sigtimedwait).
  sigset_t control_signals;
  sigemptyset(&control_signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGUSR1}) sigaddset(&control_signals, s);
  pthread_sigmask(SIG_BLOCK, &control_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  dlp::DaemonOptions o;
  CLI::App app{"dlpd: inline data leakage prevention for outbound HTTP"};
  app.set_version_flag("--version",
                       std::string("dlpd ") + dlp::kVersion + " (" + dlp::MatchEngineName() + ")");
  dlp::AddDaemonOptions(app, &o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --check promises 0 or 1: a bad config is a failed check.
    bool checking = false;
    for (int i = 1; i < argc; ++i) {
      checking |= std::string(argv[i]) == "-t" || std::string(argv[i]) == "--check";
    }
    if (const auto* cfg = app.get_config_ptr(); cfg != nullptr) {
      o.config_path = cfg->count() > 0 ? cfg->as<std::string>() : cfg->get_default_str();
    }
    if (dynamic_cast<const CLI::ConfigError*>(&e) != nullptr ||
        dynamic_cast<const CLI::FileError*>(&e) != nullptr) {
      std::cerr << "dlpd: config " << o.config_path << ": " << e.what() << '\n';
      return checking ? 1 : 2;
    }
    const int rc = app.exit(e);
    return rc == 0 ? 0 : (checking ? 1 : 2);
  }
  o.config_path = dlp::ConfigFileRead(app);
  if (o.check) {
    // What --check finds goes to the terminal (or the unit's journal)
    // whatever the log setting.
    if (dlp::Status st = dlp::SetUpLogging({"stderr", o.log_facility, o.log_level}); !st) {
      std::cerr << "dlpd: " << st.error().message << '\n';
      return 1;
    }
    return Check(o, o.verbose ? dlp::EffectiveSettings(app) : "");
  }
  if (dlp::Status st = dlp::SetUpLogging({o.log, o.log_facility, o.log_level}); !st) {
    std::cerr << "dlpd: " << st.error().message << '\n';
    return 1;
  }
  spdlog::debug("settings ({}): {}", o.config_path.empty() ? "no file" : o.config_path,
                dlp::GivenSettings(app));
  // The helper processes are forked now, while this is the only thread
  // (fork copies only its caller), and before any privilege is dropped or
  // the sandbox refuses fork: the syslog forwarder first, so that neither
  // holds the other's socket.
  std::optional<dlp::UserIds> user;
  if (!o.user.empty()) {
    if (auto u = dlp::LookUpUser(o.user)) user = u.value();  // else the daemon says why
  }
  std::unique_ptr<dlp::SyslogForwarder> syslog;
  if (!o.syslog.empty()) {
    auto target = dlp::ParseSyslogTarget(o.syslog);
    if (!target) {
      std::cerr << "dlpd: " << target.error().message << '\n';
      return 1;
    }
    dlp::ForwarderOptions fo;
    fo.lf_framing = o.syslog_framing == "lf";
    fo.queue_bytes = o.syslog_queue_mb << 20;
    auto f = dlp::SyslogForwarder::Start(target.value(), fo, user ? &*user : nullptr);
    if (!f) {
      std::cerr << "dlpd: " << f.error().message << '\n';
      return 1;
    }
    syslog = std::move(f).value();
  }
  // Reloads compile first in a helper process under limits.
  std::unique_ptr<dlp::CompileGuard> guard;
  {
    auto g = dlp::CompileGuard::Start(
        {static_cast<int64_t>(o.reload_max_s * 1000), o.reload_max_mb << 20},
        user ? &*user : nullptr);
    if (!g) {
      std::cerr << "dlpd: " << g.error().message << '\n';
      return 1;
    }
    guard = std::move(g).value();
  }
  // Start-up (compiling the rules, checking the database) may take long,
  // and the daemon's loop takes signals only once it runs: until then a
  // stop ends the process here (nothing is written yet that could be cut).
  std::atomic<bool> started{false};
  std::thread startup_stop([&started] {
    while (!started.load()) {
      sigset_t pending;
      sigemptyset(&pending);
      if (sigpending(&pending) == 0 &&
          (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1)) {
        std::fputs("dlpd: stopped during start-up\n", stderr);
        std::_Exit(0);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::unique_ptr<dlp::Daemon> daemon;
  try {
    daemon = std::make_unique<dlp::Daemon>(o, std::move(guard), std::move(syslog));
  } catch (const std::exception& e) {
    started.store(true);
    startup_stop.join();
    std::cerr << "dlpd: " << e.what() << '\n';
    return 1;
  }
  started.store(true);
  startup_stop.join();
  const int rc = daemon->Run();
  if (daemon->abandoned_reload()) {
    // The compile's thread still reads the daemon: exit without
    // destroying it (everything that must be written has been).
    // (Flushed, not shut down: that thread may still log.)
    spdlog::default_logger()->flush();
    std::_Exit(rc);
  }
  return rc;
}
