// libFuzzer, differential: the engine as deployed (the digit gate, shaped
// walks, Hyperscan or the RE2 engine, validators, context) against the
// RE2-only reference scanner, and the stream scanner, fed the same text in
// fuzzer-chosen pieces, against the block scan. Any finding one has and the
// other lacks aborts with both lists.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/reference_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "rules/compiled_ruleset.h"

namespace {

std::string Describe(const dlp::CompiledRuleset& rules, const dlp::Findings& f) {
  std::string s;
  for (const auto& x : f) {
    s += "  " + rules.rule(x.rule_index).id + " [" + std::to_string(x.start) + ", " +
         std::to_string(x.end) + ")\n";
  }
  return s;
}

[[noreturn]] void Disagree(const char* a, const dlp::Findings& fa, const char* b,
                           const dlp::Findings& fb, const dlp::CompiledRuleset& rules) {
  std::fprintf(stderr, "fuzz_differential: %s and %s disagree\n%s:\n%s%s:\n%s", a, b, a,
               Describe(rules, fa).c_str(), b, Describe(rules, fb).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 8192) return 0;
  static auto rules = dlp::LoadCompiledRules("");
  static auto ctx = std::move(dlp::ScanContext::Create(rules)).value();
  // The first two bytes choose the pieces: a first piece, then pieces of a
  // second size (1 to 256 bytes each).
  const size_t first = data[0];
  const size_t piece = size_t{data[1]} + 1;
  const auto* text = data + 2;
  const size_t n = size - 2;

  dlp::Findings block;
  if (!dlp::ScanBlock(*ctx, text, n, &block)) std::abort();
  const dlp::Findings ref =
      dlp::ReferenceScan(*rules, std::string_view(reinterpret_cast<const char*>(text), n));
  if (block != ref) Disagree("engine", block, "reference", ref, *rules);

  auto s = dlp::StreamScanner::Open(*ctx);
  if (!s) std::abort();
  dlp::Findings stream, part;
  for (size_t at = 0; at < n;) {
    const size_t len = std::min(n - at, at == 0 && first > 0 ? first : piece);
    part.clear();
    if (!s.value().Feed(*ctx, text + at, len, &part)) std::abort();
    stream.insert(stream.end(), part.begin(), part.end());
    at += len;
  }
  part.clear();
  if (!s.value().Finish(*ctx, &part)) std::abort();
  stream.insert(stream.end(), part.begin(), part.end());
  std::sort(stream.begin(), stream.end());
  if (stream != block) Disagree("stream", stream, "block", block, *rules);
  return 0;
}
