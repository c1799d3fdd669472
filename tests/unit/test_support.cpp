#include "tests/unit/test_support.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "dlpd/http/stream_normalizer.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/stream_scanner.h"
#include "dlpd/inspect/wire_findings.h"
#include "dlpd/mask/mask.h"

namespace dlp::test {

std::shared_ptr<const CompiledRuleset> DefaultRules() {
  static auto rules = LoadCompiledRules("");
  return rules;
}

ScanContext& DefaultContext() {
  static std::unique_ptr<ScanContext> ctx = [] {
    auto c = ScanContext::Create(DefaultRules());
    if (!c) throw std::runtime_error(c.error().message);
    return std::move(c).value();
  }();
  return *ctx;
}

Findings Scan(const std::string& text) {
  Findings out;
  Status st =
      ScanBlock(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()), text.size(), &out);
  if (!st) throw std::runtime_error(st.error().message);
  return out;
}

Findings DecodedScan(const std::string& text) {
  Findings out;
  WireUnits units;
  Status st = ScanDecodedBlock(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()),
                               text.size(), &out, &units);
  if (!st) throw std::runtime_error(st.error().message);
  return out;
}

std::vector<std::string> RuleIds(const std::string& text) {
  std::vector<std::string> ids;
  for (const auto& f : DecodedScan(text)) ids.push_back(DefaultRules()->rule(f.rule_index).id);
  return ids;
}

std::vector<std::string> Values(const std::string& text) {
  std::vector<std::string> v;
  for (const auto& f : DecodedScan(text)) v.push_back(text.substr(f.start, f.end - f.start));
  return v;
}

std::string Mask(const std::string& text) {
  // As the wire path masks: on the text the application reads (characters
  // decoded), each digit in its own encoding.
  Findings f;
  WireUnits units;
  Status st = ScanDecodedBlock(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()),
                               text.size(), &f, &units);
  if (!st) throw std::runtime_error(st.error().message);
  std::string out = text;
  MaskFindings(*DefaultRules(), f.data(), f.size(), units, reinterpret_cast<uint8_t*>(out.data()),
               out.size(), 0);
  return out;
}

Findings StreamScan(ScanContext& ctx, const std::string& text, const std::vector<size_t>& cuts) {
  auto s = StreamScanner::Open(ctx);
  if (!s) throw std::runtime_error(s.error().message);
  Findings out;
  size_t pos = 0;
  auto feed = [&](size_t n) {
    Status st = s->Feed(ctx, reinterpret_cast<const uint8_t*>(text.data()) + pos, n, &out);
    if (!st) throw std::runtime_error(st.error().message);
    pos += n;
  };
  for (size_t c : cuts) feed(std::min(c, text.size() - pos));
  feed(text.size() - pos);
  if (Status st = s->Finish(ctx, &out); !st) throw std::runtime_error(st.error().message);
  std::sort(out.begin(), out.end());
  return out;
}

Findings DecodedStreamScan(const std::string& text, const std::vector<size_t>& cuts) {
  StreamNormalizer normalizer(/*http=*/false);
  Findings out;
  Status st = ScanDecodedPieces(DefaultContext(), reinterpret_cast<const uint8_t*>(text.data()),
                                text.size(), cuts, &normalizer, &out);
  if (!st) throw std::runtime_error(st.error().message);
  WireUnits units;
  PlaceOnWire(normalizer.map(), &out, &units);
  std::sort(out.begin(), out.end());
  return out;
}

std::string WithLuhnDigit(const std::string& body) {
  for (char d = '0'; d <= '9'; ++d) {
    std::string s = body + d;
    int sum = 0;
    bool dbl = false;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
      int v = *it - '0';
      if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
      dbl = !dbl;
    }
    if (sum % 10 == 0) return s;
  }
  return body;
}

TempDb::TempDb() {
  char tmpl[] = "/tmp/dlp-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  path = dir_ + "/incidents.db";
}

TempDb::~TempDb() {
  std::filesystem::remove_all(dir_);
}

}  // namespace dlp::test
