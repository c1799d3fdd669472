// Scan-engine benchmark (issue #8): throughput on one core over realistic
// outbound HTTP bodies (form posts, JSON, HTML) at three densities of
// sensitive values (none, one per 64 KiB, one per 1 KiB), for
//   - memcpy over the same bytes: the ceiling;
//   - dlpd's engine in block mode (Hyperscan + RE2 confirmation + validators);
//   - dlpd's engine in stream mode, fed 1448-byte segments as on the wire;
//   - dlpd's engine in block mode without the digit gate (the rules' min_digits
//     cleared): what the gate gains;
//   - the portable alternative with the same rules: an RE2::Set to learn which
//     patterns occur, then RE2 to find and validate each match.
// Every figure is the best of several timed rounds within one run; the
// ratios compare figures of the same run. The findings of dlpd and of the
// RE2 engine are counted, and must agree.
//   scan_bench [body...]                          the table, for the bodies named
//   scan_bench --profile block|stream|nogate BODY none|1/64KiB|1/1KiB
//                                                 one engine, one body, 5 s
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/stream_scanner.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_loader.h"

namespace {

using Clock = std::chrono::steady_clock;

const char* const kValues[] = {"card=4111 1111 1111 1111&", "ssn=536-22-1457&",
                               "\"pan\":\"5555555555554444\",", "ssn 078-05-1120 "};

// Real documents from this machine, as a web server would send them: every
// file under `dir` whose name ends in `ext`, in path order, repeated up to
// `size` bytes, with a sensitive value put in every `value_every` bytes.
std::string Documents(const char* dir, const char* ext, size_t size, size_t value_every,
                      uint32_t seed) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& p = it->path();
    if (it->is_regular_file(ec) && p.extension() == ext) files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (all.size() >= size) break;
  }
  if (all.empty()) return {};
  std::mt19937 rng(seed);
  std::string s;
  size_t next_value = value_every;
  for (size_t at = 0; s.size() < size;) {
    if (value_every != 0 && s.size() >= next_value) {
      s += kValues[std::uniform_int_distribution<int>(0, 3)(rng)];
      next_value += value_every;
    }
    size_t piece = std::min<size_t>(4096, all.size() - at);
    if (value_every != 0) piece = std::min(piece, next_value - s.size());
    s.append(all, at, piece);
    at = (at + piece) % all.size();
  }
  s.resize(size);
  return s;
}

std::string Corpus(const std::string& kind, size_t size, size_t value_every, uint32_t seed) {
  if (kind == "doc-html") return Documents("/usr/share/doc", ".html", size, value_every, seed);
  if (kind == "doc-json") return Documents("/usr/share", ".json", size, value_every, seed);
  std::mt19937 rng(seed);
  if (kind == "binary") {
    // Compressed or encrypted uploads (images, archives, TLS-wrapped
    // payloads) look like this; so does what iperf3 sends in the NFQUEUE
    // bench.
    std::string s;
    size_t next_value = value_every;
    while (s.size() < size) {
      if (value_every != 0 && s.size() >= next_value) {
        s += kValues[std::uniform_int_distribution<int>(0, 3)(rng)];
        next_value += value_every;
      }
      s += static_cast<char>(rng());
    }
    s.resize(size);
    return s;
  }
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  static const char* kForm[] = {"name=Jane+Doe&",      "city=Springfield&",  "amount=129.99&",
                                "currency=USD&",       "csrf=ab12cd34ef56&", "ts=1732262400123&",
                                "phone=555-123-4567&", "zip=62704-1234&",    "q=red+shoes+size+9&"};
  static const char* kJson[] = {"{\"order\":{\"id\":1234567,",
                                "\"items\":[{\"sku\":\"A-12\",",
                                "\"qty\":2,\"price\":19.99}],",
                                "\"note\":\"leave at door\",",
                                "\"created\":\"2026-11-22T10:00:00Z\",",
                                "\"uuid\":\"550e8400-e29b-41d4-a716-446655440000\"},"};
  static const char* kHtml[] = {"<div class=\"row\"><span>Order placed on 2026-11-22</span>",
                                "<a href=\"/o/99?ref=home\">view</a></div>\n",
                                "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n",
                                "<td>Total</td><td>$1,299.00</td>\n",
                                "<li id=\"item-4471\">Shoes</li>\n"};
  const char** parts = kind == "form" ? kForm : kind == "json" ? kJson : kHtml;
  const int n = kind == "form" ? 9 : kind == "json" ? 6 : 5;
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
      std::vector<re2::StringPiece> groups(
          static_cast<size_t>(p.confirm->NumberOfCapturingGroups()) + 1);
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

int main(int argc, char** argv) {
  auto rules = dlp::LoadCompiledRules("");
  auto ctx = std::move(dlp::ScanContext::Create(rules)).value();
  dlp::RuleSet plain_set = dlp::LoadDefaultRuleSet();
  for (dlp::Rule& r : plain_set.rules) r.min_digits = 0;
  auto plain_ctx =
      std::move(dlp::ScanContext::Create(dlp::CompiledRuleset::Compile(std::move(plain_set))))
          .value();
  Re2SetEngine re2set(*rules);
  const size_t size = 4 << 20;
  std::vector<uint8_t> sink(size);
  if (argc == 5 && std::strcmp(argv[1], "--profile") == 0) {
    // One engine on one body for about five seconds, nothing else: what a
    // profiler (perf record, valgrind --tool=callgrind) should look at.
    const std::string engine = argv[2], kind = argv[3], density = argv[4];
    const size_t every = density == "none" ? 0 : density == "1/1KiB" ? 1024 : size_t{64} << 10;
    const std::string text = Corpus(kind, size, every, 7);
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    dlp::Findings found;
    const auto t0 = Clock::now();
    size_t scanned = 0;
    while (Clock::now() - t0 < std::chrono::seconds(5)) {
      found.clear();
      if (engine == "stream") {
        auto s = std::move(dlp::StreamScanner::Open(*ctx)).value();
        for (size_t off = 0; off < size; off += 1448)
          (void)s.Feed(*ctx, bytes + off, std::min<size_t>(1448, size - off), &found);
        (void)s.Finish(*ctx, &found);
      } else {
        (void)dlp::ScanBlock(engine == "nogate" ? *plain_ctx : *ctx, bytes, size, &found);
      }
      scanned += size;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%s %s %s: %.0f MB/s, %zu findings per pass\n", engine.c_str(), kind.c_str(),
                density.c_str(), static_cast<double>(scanned) / secs / 1e6, found.size());
    return 0;
  }
  std::printf("%-8s %-8s %11s %10s %8s %11s %8s %8s %6s %8s %8s %9s\n", "body", "values",
              "memcpy MB/s", "dlpd block", "%memcpy", "dlpd stream", "%memcpy", "no gate", "gain",
              "RE2::Set", "dlpd/RE2", "findings");
  std::vector<std::string> kinds = {"form", "json", "html", "doc-html", "doc-json", "binary"};
  if (argc > 1) kinds.assign(argv + 1, argv + argc);  // only the bodies named
  for (const std::string& kind : kinds) {
    for (size_t every : {size_t{0}, size_t{64} << 10, size_t{1} << 10}) {
      const std::string text = Corpus(kind, size, every, 7);
      if (text.size() != size) {
        std::printf("%-5s (no such files on this machine)\n", kind.c_str());
        break;
      }
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
      const double plain = MBps(size, [&] {
        found.clear();
        (void)dlp::ScanBlock(*plain_ctx, bytes, size, &found);
      });
      const size_t plain_found = found.size();
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
      std::printf(
          "%-8s %-8s %11.0f %10.0f %7.1f%% %11.0f %7.1f%% %8.0f %5.1fx %8.1f %7.1fx "
          "%zu/%zu/%zu/%zu\n",
          kind.c_str(), density, mem, block, 100 * block / mem, stream, 100 * stream / mem, plain,
          block / plain, re2, block / re2, block_found, stream_found, plain_found, re2_found);
    }
  }
  return 0;
}
