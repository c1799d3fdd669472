// dlpctl: the operator's and security team's command (dlpctl(8), doc/security-team.md).
#include <CLI/CLI.hpp>
#include <iostream>

#include "dlpd/common/version.h"
#include "dlpd/config/daemon_options.h"
#include "dlpd/ctl/control_command.h"
#include "dlpd/ctl/incidents_command.h"
#include "dlpd/ctl/rules_command.h"
#include "dlpd/ctl/scan_command.h"

int main(int argc, char** argv) {
  CLI::App app{"dlpctl: scan data, check rules, query dlpd incidents"};
  app.set_version_flag("--version", std::string("dlpctl ") + dlp::kVersion);
  app.require_subcommand(1);

  dlp::ScanOptions scan;
  auto* scan_cmd = app.add_subcommand("scan", "mask sensitive values in stdin or files");
  scan_cmd->add_option("--rules", scan.rules_path, "rule file or directory (default: built in)");
  scan_cmd->add_option("--policy", scan.policy_path,
                       "policy file: alert/pass findings are left as they are (default: mask all)");
  scan_cmd->add_flag("--json", scan.json, "print findings as JSON lines instead of masked data");
  scan_cmd->add_flag("--http", scan.http,
                     "each input is an HTTP/1 request stream (read as one whenever it begins "
                     "with a request: framing removed, each request's end a boundary); "
                     "anything else is an error");
  scan_cmd->add_option("files", scan.files, "input files ('-' for stdin)");

  std::string rules_path;
  auto* rules_cmd = app.add_subcommand("rules", "work with rule files");
  rules_cmd->require_subcommand(1);
  auto* check_cmd = rules_cmd->add_subcommand(
      "check",
      "compile rules and run their examples; without PATH, the rules and policy dlpd's settings "
      "file names (the installed one when present)");
  auto* path_opt = check_cmd->add_option(
      "path", rules_path, "rule file or directory (default: the settings' rules, else built in)");
  std::string policy_path;
  auto* policy_opt = check_cmd->add_option(
      "--policy", policy_path,
      "policy file to check with them (default: the settings', else built in)");
  std::string config_path;
  check_cmd
      ->add_option("-c,--config", config_path,
                   "dlpd settings file whose rules and policy to check (default: dlpd's own)")
      ->excludes(path_opt)
      ->excludes(policy_opt);

  dlp::IncidentsOptions incidents;
  const dlp::IncidentsCommands incidents_cmds = dlp::AddIncidentsCommands(app, &incidents);

  std::string socket;
  bool status_json = false;
  std::string status_format = "text";
  auto* status_cmd =
      app.add_subcommand("status", "ask the running dlpd for its state and counters");
  status_cmd->add_option("--socket", socket,
                         "control socket (default: $DLPD_SOCKET or /run/dlpd/dlpd.sock)");
  auto* json_flag = status_cmd->add_flag("--json", status_json, "print the raw JSON answer");
  status_cmd
      ->add_option("--format", status_format,
                   "text (default), json, or prometheus (text exposition format, for "
                   "node_exporter's textfile collector)")
      ->check(CLI::IsMember({"text", "json", "prometheus"}))
      ->excludes(json_flag);
  auto* reload_cmd =
      app.add_subcommand("reload", "make the running dlpd reload its rules and policy");
  reload_cmd->add_option("--socket", socket,
                         "control socket (default: $DLPD_SOCKET or /run/dlpd/dlpd.sock)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*scan_cmd) return dlp::RunScanCommand(scan);
  if (*check_cmd) {
    if (path_opt->count() == 0 && policy_opt->count() == 0) {
      // What dlpd would load: its settings file's rules and policy.
      std::string read;
      auto settings = dlp::ReadDaemonSettings(config_path, &read);
      if (!settings) {
        std::cerr << "dlpctl: " << settings.error().message << '\n';
        return 1;
      }
      if (!read.empty()) {
        std::cout << "dlpctl: checking the rules and policy of " << read << '\n';
        return dlp::RunRulesCheck(settings->rules_path, settings->policy_path);
      }
    }
    return dlp::RunRulesCheck(rules_path, policy_path);
  }
  if (*status_cmd) {
    const dlp::StatusFormat format =
        status_json || status_format == "json" ? dlp::StatusFormat::kJson
        : status_format == "prometheus"        ? dlp::StatusFormat::kPrometheus
                                               : dlp::StatusFormat::kText;
    return dlp::RunStatusCommand(socket, format);
  }
  if (*reload_cmd) return dlp::RunReloadCommand(socket);
  for (CLI::App* c : {incidents_cmds.list, incidents_cmds.show, incidents_cmds.stats,
                      incidents_cmds.exporter, incidents_cmds.report}) {
    if (*c) return dlp::RunIncidentsCommand(incidents_cmds, incidents);
  }
  return 2;
}
