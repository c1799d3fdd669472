// `dlpctl scan [--rules PATH] [--json] [FILE...]`: masks stdin or files to
// stdout with exactly the daemon's engine, same length; with --json prints
// one JSON object per finding instead (display form only, never the value).
#pragma once

#include <string>
#include <vector>

namespace dlp {

struct ScanOptions {
  std::string rules_path;   // empty: embedded defaults
  std::string policy_path;  // empty: mask every finding
  bool json = false;
  // Each input must be an HTTP/1 request stream (it is read as one whenever
  // it begins with a request; this makes anything else an error).
  bool http = false;
  std::vector<std::string> files;  // empty or "-": stdin
};

// Returns the process exit code: 0 done, 2 on an error (message on stderr).
int RunScanCommand(const ScanOptions& opts);

}  // namespace dlp
