// Scan-engine benchmark (issue #8): throughput on one core over realistic
// outbound HTTP bodies (form posts, JSON, HTML) at three densities of
// sensitive values (none, one per 64 KiB, one per 1 KiB), for
//   - memcpy over the same bytes: the ceiling;
//   - dlpd's engine in block mode (Hyperscan + RE2 confirmation + validators);
//   - dlpd's engine in stream mode, fed 1448-byte segments as on the wire;
//   - the portable alternative with the same rules: an RE2::Set to learn which
//     patterns occur, then RE2 to find and validate each match.
// Every figure is the best of several timed rounds within one run; the
// ratios compare figures of the same run. The findings of dlpd and of the
// RE2 engine are counted, and must agree.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "rules/compiled_ruleset.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Corpus(const std::string& kind, size_t size, size_t value_every, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  static const char* kForm[] = {"name=Jane+Doe&", "city=Springfield&", "amount=129.99&",
                                "currency=USD&", "csrf=ab12cd34ef56&", "ts=1732262400123&",
                                "phone=555-123-4567&", "zip=62704-1234&", "q=red+shoes+size+9&"};
  static const char* kJson[] = {"{\"order\":{\"id\":1234567,", "\"items\":[{\"sku\":\"A-12\",",
                                "\"qty\":2,\"price\":19.99}],", "\"note\":\"leave at door\",",
                                "\"created\":\"2026-11-22T10:00:00Z\",", "\"uuid\":\"550e8400-e29b-41d4-a716-446655440000\"},"};
  static const char* kHtml[] = {"<div class=\"row\"><span>Order placed on 2026-11-22</span>",
                                "<a href=\"/o/99?ref=home\">view</a></div>\n",
                                "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n",
                                "<td>Total</td><td>$1,299.00</td>\n", "<li id=\"item-4471\">Shoes</li>\n"};
  const char** parts = kind == "form" ? kForm : kind == "json" ? kJson : kHtml;
  const int n = kind == "form" ? 9 : kind == "json" ? 6 : 5;
  static const char* kValues[] = {"card=4111 1111 1111 1111&", "ssn=536-22-1457&",
                                  "\"pan\":\"5555555555554444\",", "ssn 078-05-1120 "};
  std::string s;
  size_t next_value = value_every;
  while (s.size() < size) {
    if (value_every != 0 && s.size() >= next_value) {
      s += kValues[pick(4)];
      next_value += value_every;
    }
    s += parts[pick(n)];
  }
  s.resize(size);
  return s;
}

template <typename F>
double MBps(size_t bytes, F&& run) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = Clock::now();
    int reps = 0;
    do {
      run();
      ++reps;
    } while (Clock::now() - t0 < std::chrono::milliseconds(150));
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count() / reps;
    best = std::min(best, secs);
  }
  return static_cast<double>(bytes) / best / 1e6;
}

// The portable engine: RE2::Set says which patterns occur; each of those is
// then searched with RE2 and its value validated, as dlpd's rules say.
class Re2SetEngine {
 public:
  explicit Re2SetEngine(const dlp::CompiledRuleset& rules) : rules_(rules) {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_max_mem(256 << 20);
    o.set_log_errors(false);
    set_ = std::make_unique<RE2::Set>(o, RE2::UNANCHORED);
    for (const auto& p : rules.patterns()) {
      std::string err;
      if (set_->Add(p.expression, &err) < 0) std::fprintf(stderr, "RE2::Set: %s\n", err.c_str());
    }
    if (!set_->Compile()) std::fprintf(stderr, "RE2::Set did not compile\n");
  }
  size_t Scan(const std::string& text) {
    std::vector<int> hits;
    if (!set_->Match(text, &hits)) return 0;
    size_t found = 0;
    for (int i : hits) {
      const dlp::CompiledPattern& p = rules_.patterns()[static_cast<size_t>(i)];
      re2::StringPiece in(text), value;
      std::vector<re2::StringPiece> groups(static_cast<size_t>(p.confirm->NumberOfCapturingGroups()) + 1);
      size_t pos = 0;
      while (pos < text.size() &&
             p.confirm->Match(in, pos, text.size(), RE2::UNANCHORED, groups.data(),
                              static_cast<int>(groups.size()))) {
        const re2::StringPiece& v = groups[static_cast<size_t>(p.value_group)];
        if (!v.empty() && rules_.validator(p.rule_index)({v.data(), v.size()}).valid) ++found;
        const size_t end = static_cast<size_t>(groups[0].data() - text.data()) + groups[0].size();
        pos = std::max(end, static_cast<size_t>(groups[0].data() - text.data()) + 1);
      }
    }
    return found;
  }

 private:
  const dlp::CompiledRuleset& rules_;
  std::unique_ptr<RE2::Set> set_;
};

}  // namespace

int main() {
  auto rules = dlp::LoadCompiledRules("");
  auto ctx = std::move(dlp::ScanContext::Create(rules)).value();
  Re2SetEngine re2set(*rules);
  const size_t size = 4 << 20;
  std::vector<uint8_t> sink(size);
  std::printf("%-5s %-9s %10s %12s %8s %13s %8s %10s %8s %9s\n", "body", "values", "memcpy MB/s",
              "dlpd block", "%memcpy", "dlpd stream", "%memcpy", "RE2::Set", "dlpd/RE2",
              "findings");
  for (const char* kind : {"form", "json", "html"}) {
    for (size_t every : {size_t{0}, size_t{64} << 10, size_t{1} << 10}) {
      const std::string text = Corpus(kind, size, every, 7);
      const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
      const double mem = MBps(size, [&] {
        std::memcpy(sink.data(), bytes, size);
        asm volatile("" ::: "memory");
      });
      dlp::Findings found;
      const double block = MBps(size, [&] {
        found.clear();
        (void)dlp::ScanBlock(*ctx, bytes, size, &found);
      });
      const size_t block_found = found.size();
      size_t stream_found = 0;
      const double stream = MBps(size, [&] {
        auto s = std::move(dlp::StreamScanner::Open(*ctx)).value();
        stream_found = 0;
        for (size_t off = 0; off < size; off += 1448) {
          found.clear();
          (void)s.Feed(*ctx, bytes + off, std::min<size_t>(1448, size - off), &found);
          stream_found += found.size();
        }
        found.clear();
        (void)s.Finish(*ctx, &found);
        stream_found += found.size();
      });
      size_t re2_found = 0;
      const double re2 = MBps(size, [&] { re2_found = re2set.Scan(text); });
      const char* density = every == 0 ? "none" : every == 1024 ? "1/1KiB" : "1/64KiB";
      std::printf("%-5s %-9s %10.0f %12.0f %7.1f%% %13.0f %7.1f%% %10.1f %7.1fx %4zu/%zu/%zu\n", kind,
                  density, mem, block, 100 * block / mem, stream, 100 * stream / mem, re2,
                  block / re2, block_found, stream_found, re2_found);
    }
  }
  return 0;
}
