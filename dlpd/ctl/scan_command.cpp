#include "dlpd/ctl/scan_command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dlpd/config/engine.h"
#include "dlpd/mask/stream_redactor.h"
#include "policy/flow_thresholds.h"
#include "policy/policy_error.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_error.h"

namespace dlp {
namespace {

constexpr size_t kChunk = 64 * 1024;

bool WriteAll(const std::string& bytes) {
  return bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size();
}

void PrintFindings(const CompiledRuleset& rules, const std::string& name, const Findings& found) {
  for (const Finding& f : found) {
    const Rule& r = rules.rule(f.rule_index);
    nlohmann::json j = {
        {"file", name},
        {"rule", r.id},
        {"name", r.name},
        {"severity", ToString(r.severity)},
        {"offset", f.start},
        {"length", f.end - f.start},
        {"display", std::string(f.display_form())},
        {"ruleset", rules.rule_set().version},
        {"action", ToString(f.action)},
    };
    if (f.detail[0] != '\0') j["detail"] = f.detail;
    if (f.reason[0] != '\0') j["reason"] = f.reason;
    std::cout << j.dump() << '\n';
  }
}

// Scans one input; returns false (after printing why) on an I/O error.
bool ScanOne(ScanContext& ctx, const Policy* policy, const std::string& name, std::FILE* in,
             bool json, bool http) {
  auto red = StreamRedactor::Open(ctx);
  if (!red) {
    std::cerr << "dlpctl scan: " << red.error().message << '\n';
    return false;
  }
  // The policy as for one flow with no address or Host known: statements
  // scoped by destination or Host do not match; thresholds count per input.
  FlowThresholds thresholds;
  if (policy != nullptr) {
    red->set_decider([&](Finding& f) {
      const Rule& r = ctx.rules().rule(f.rule_index);
      FindingScope scope;
      scope.rule_id = r.id;
      scope.severity = r.severity;
      f.action = thresholds.Decide(*policy, scope);
      if (f.compressed) f.action = policy->InCompressedBody(f.action);
    });
  }
  std::vector<uint8_t> buf(kChunk);
  std::string ready;
  Findings found;
  for (;;) {
    size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n > 0) {
      ready.clear();
      if (Status st = red->Feed(ctx, buf.data(), n, &ready, &found); !st) {
        std::cerr << "dlpctl scan: " << name << ": " << st.error().message << '\n';
        return false;
      }
      if (!json && !WriteAll(ready)) return false;
    }
    if (n < buf.size()) {
      if (std::ferror(in)) {
        std::cerr << "dlpctl scan: " << name << ": read error: " << std::strerror(errno) << '\n';
        return false;
      }
      break;
    }
  }
  ready.clear();
  if (Status st = red->Finish(ctx, &ready, &found); !st) {
    std::cerr << "dlpctl scan: " << name << ": " << st.error().message << '\n';
    return false;
  }
  if (http && red->framing().mode() == RequestFraming::Mode::kPlain) {
    std::cerr << "dlpctl scan: " << name << ": not an HTTP/1 request stream (--http)\n";
    return false;
  }
  if (red->framing().mode() == RequestFraming::Mode::kLost) {
    std::cerr << "dlpctl scan: " << name << ": HTTP framing lost at byte "
              << red->framing().error_at() << " (" << red->framing().error()
              << "); the rest was read as plain text\n";
  }
  if (json) {
    PrintFindings(ctx.rules(), name, found);
  } else if (!WriteAll(ready)) {
    return false;
  }
  return true;
}

}  // namespace

int RunScanCommand(const ScanOptions& opts) {
  std::shared_ptr<const CompiledRuleset> rules;
  std::shared_ptr<const Policy> policy;
  try {
    if (opts.policy_path.empty()) {
      rules = LoadCompiledRules(opts.rules_path);
    } else {
      Engine engine = LoadEngine(opts.rules_path, opts.policy_path);
      rules = engine.rules;
      policy = engine.policy;
    }
  } catch (const RuleError& e) {
    std::cerr << "dlpctl scan: " << e.what() << '\n';
    return 2;
  } catch (const PolicyError& e) {
    std::cerr << "dlpctl scan: " << e.what() << '\n';
    return 2;
  }
  auto ctx = ScanContext::Create(rules);
  if (!ctx) {
    std::cerr << "dlpctl scan: " << ctx.error().message << '\n';
    return 2;
  }
  std::vector<std::string> files = opts.files;
  if (files.empty()) files.emplace_back("-");
  int rc = 0;
  for (const auto& f : files) {
    bool ok;
    if (f == "-") {
      ok = ScanOne(**ctx, policy.get(), "-", stdin, opts.json, opts.http);
    } else {
      std::FILE* in = std::fopen(f.c_str(), "rb");
      if (in == nullptr) {
        std::cerr << "dlpctl scan: " << f << ": " << std::strerror(errno) << '\n';
        rc = 2;
        continue;
      }
      ok = ScanOne(**ctx, policy.get(), f, in, opts.json, opts.http);
      std::fclose(in);
    }
    if (!ok) rc = 2;
  }
  if (std::fflush(stdout) != 0) {
    std::cerr << "dlpctl scan: write error: " << std::strerror(errno) << '\n';
    rc = 2;
  }
  return rc;
}

}  // namespace dlp
