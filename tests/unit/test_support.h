// Helpers shared by the unit tests: the default rules compiled once, and
// short ways to scan and mask text through the real engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dlpd/flow/flow_key.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"
#include "rules/compiled_ruleset.h"

namespace dlp::test {

std::shared_ptr<const CompiledRuleset> DefaultRules();
ScanContext& DefaultContext();

// Block scan with the default rules, of `text` as the scanner reads it.
Findings Scan(const std::string& text);
// Block scan of `text` as the application reads it (characters decoded,
// dlpd/http/stream_normalizer.h), findings on the bytes of `text`.
Findings DecodedScan(const std::string& text);
// Rule ids of the findings of DecodedScan, in order.
std::vector<std::string> RuleIds(const std::string& text);
// The values DecodedScan finds (their bytes in `text`), in order.
std::vector<std::string> Values(const std::string& text);
// Block scan + mask.
std::string Mask(const std::string& text);
// Stream scan of `text` cut into the given piece sizes (the rest in one piece).
Findings StreamScan(ScanContext& ctx, const std::string& text, const std::vector<size_t>& cuts);
// The same through a normalizer, as the daemon reads a stream: findings on
// the bytes of `text`, as DecodedScan gives them.
Findings DecodedStreamScan(const std::string& text, const std::vector<size_t>& cuts);

// The tuple 10.0.0.0:`port` -> 0.0.0.0:80, for flow-table tests.
inline FlowKey KeyOf(uint16_t port) {
  FlowKey k;
  k.ip_version = 4;
  k.src[0] = 10;
  k.src_port = port;
  k.dst_port = 80;
  return k;
}

// Appends a Luhn check digit to `body`.
std::string WithLuhnDigit(const std::string& body);

// A directory of its own under /tmp for a test's incident database
// (`path`), removed with everything in it (WAL, SHM, key) at the end.
class TempDb {
 public:
  TempDb();
  ~TempDb();
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;
  std::string path;

 private:
  std::string dir_;
};

}  // namespace dlp::test
