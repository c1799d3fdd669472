// Scan-engine benchmark: throughput on one core over realistic outbound
// HTTP at three densities of sensitive values (none, one per 64 KiB, one
// per 1 KiB): web-API request traffic (bench/api_corpus.py: ids, prices,
// epoch milliseconds, GTINs, IBANs, tracking numbers; --api FILE), form
// posts, JSON, HTML, documents from this machine and random bytes, for
//   - memcpy over the same bytes: the ceiling;
//   - dlpd's engine in block mode (the digit gate, shaped patterns walked
//     over its spans, validators, context);
//   - dlpd's engine in stream mode, fed 1448-byte segments as on the wire;
//   - dlpd's engine in block mode without the digit gate (the rules'
//     min_digits cleared: Hyperscan over every byte, then RE2);
//   - Hyperscan alone with the six plain patterns a user writes first for
//     SSNs and cards (no validation, no context), block and stream;
//   - the portable alternative with dlpd's rules: an RE2::Set to learn
//     which patterns occur, then RE2 to find and validate each match (no
//     context: it finds more).
// Every figure is the best of several timed rounds within one run; the
// ratios compare figures of the same run. ns/val: what a confirmed value
// costs over the clean body's figure at one value per KiB, the two
// measured by turns. Findings: dlpd block/stream/no gate, which must
// agree, and RE2's.
// The API body has a fourth row, "1/1KiB-f": one value per KiB put where a
// field may begin, as applications write them, rather than at any byte.
//   scan_bench [--api FILE] [body...]             the table, for the bodies named
//   scan_bench [--api FILE] --profile block|stream|nogate|hs|re2 BODY DENSITY
//              (DENSITY: none, 1/64KiB, 1/1KiB or 1/1KiB-fields)
//                                                 one engine, one body, 5 s (or
//                                                 DLP_PROFILE_PASSES passes)
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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

// Where a value is put into a body: at whatever byte the count reaches
// (inside a label or a number: "X-Request-Idcard=4111 ..."), or where a
// field may begin (after the next ',', '&', '{', '[', ' ' or line break),
// as an application writes it ("...,card=4111 ...").
enum class Placement { kAnyByte, kFieldStart };

// `all` repeated up to `size` bytes, with a sensitive value put in every
// `value_every` bytes (none when 0, or when `all` is empty).
std::string WithValues(const std::string& all, size_t size, size_t value_every, uint32_t seed,
                       Placement placement = Placement::kAnyByte) {
  if (all.empty()) return {};
  std::mt19937 rng(seed);
  std::string s;
  size_t next_value = value_every;
  for (size_t at = 0; s.size() < size;) {
    if (value_every != 0 && s.size() >= next_value) {
      // Up to 256 bytes more to the start of a field.
      for (int k = 0; placement == Placement::kFieldStart && k < 256; ++k) {
        const char c = all[at];
        s += c;
        at = (at + 1) % all.size();
        if (c == ',' || c == '&' || c == '{' || c == '[' || c == ' ' || c == '\n') break;
      }
      s += kValues[std::uniform_int_distribution<int>(0, 3)(rng)];
      next_value += value_every;
    }
    size_t piece = std::min<size_t>(4096, all.size() - at);
    if (value_every != 0) {
      piece = std::min(piece, next_value > s.size() ? next_value - s.size() : 0);
    }
    s.append(all, at, piece);
    at = (at + piece) % all.size();
  }
  s.resize(size);
  return s;
}

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
  return WithValues(all, size, value_every, seed);
}

// Web-API request traffic (bench/api_corpus.py's output, read from `path`):
// headers with cookies and trace ids, JSON with ids, prices, timestamps,
// GTINs, tracking numbers and IBANs, forms, HTML. Repeated up to `size`
// bytes, a sensitive value put in every `value_every` bytes.
std::string ApiTraffic(const std::string& path, size_t size, size_t value_every, uint32_t seed,
                       Placement placement) {
  std::ifstream in(path, std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return WithValues(all, size, value_every, seed, placement);
}

std::string g_api_file;  // --api FILE

std::string Corpus(const std::string& kind, size_t size, size_t value_every, uint32_t seed,
                   Placement placement = Placement::kAnyByte) {
  if (kind == "api") return ApiTraffic(g_api_file, size, value_every, seed, placement);
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

// Seconds per call of `run` over one round of calls lasting `round`.
template <typename F>
double SecondsPerRun(F&& run, std::chrono::milliseconds round) {
  const auto t0 = Clock::now();
  int reps = 0;
  do {
    run();
    ++reps;
  } while (Clock::now() - t0 < round);
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

template <typename F>
double MBps(size_t bytes, F&& run) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    best = std::min(best, SecondsPerRun(run, std::chrono::milliseconds(150)));
  }
  return static_cast<double>(bytes) / best / 1e6;
}

// Seconds per run of `a` and of `b`, the best of rounds that take turns
// (100 ms each, 12 of each): a difference of two figures measured apart
// carries the noise of both, and the clean body's figure alone moved the
// cost of a value by 20 ns from run to run.
template <typename A, typename B>
std::pair<double, double> PairedSeconds(A&& a, B&& b) {
  double best[2] = {1e30, 1e30};
  for (int round = 0; round < 12; ++round) {
    best[0] = std::min(best[0], SecondsPerRun(a, std::chrono::milliseconds(100)));
    best[1] = std::min(best[1], SecondsPerRun(b, std::chrono::milliseconds(100)));
  }
  return {best[0], best[1]};
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

// Hyperscan alone, with the plain patterns a user writes first for SSNs and
// cards (no validation, no context): what the regex engine reads per second
// on these bytes when it is asked the simplest question.
class PlainHyperscan {
 public:
  PlainHyperscan() {
    static const char* const kPatterns[] = {
        R"(\b\d{3}-\d{2}-\d{4}\b)",    R"(\b4\d{12}(?:\d{3})?\b)",
        R"(\b5[1-5]\d{14}\b)",         R"(\b3[47]\d{13}\b)",
        R"(\b6(?:011|5\d\d)\d{12}\b)", R"(\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}\b)"};
    const unsigned n = std::size(kPatterns);
    std::vector<unsigned> flags(n, HS_FLAG_DOTALL);
    std::vector<unsigned> ids(n);
    for (unsigned i = 0; i < n; ++i) ids[i] = i;
    hs_compile_error_t* err = nullptr;
    for (const unsigned mode : {unsigned{HS_MODE_BLOCK}, unsigned{HS_MODE_STREAM}}) {
      hs_database_t** db = mode == HS_MODE_BLOCK ? &block_ : &stream_;
      if (hs_compile_multi(kPatterns, flags.data(), ids.data(), n, mode, nullptr, db, &err) !=
              HS_SUCCESS ||
          hs_alloc_scratch(*db, &scratch_) != HS_SUCCESS) {
        std::fprintf(stderr, "plain Hyperscan: %s\n", err != nullptr ? err->message : "scratch");
        std::exit(1);
      }
    }
  }
  ~PlainHyperscan() {
    hs_free_scratch(scratch_);
    hs_free_database(block_);
    hs_free_database(stream_);
  }
  size_t Block(const uint8_t* text, size_t size) {
    size_t n = 0;
    hs_scan(block_, reinterpret_cast<const char*>(text), static_cast<unsigned>(size), 0, scratch_,
            Count, &n);
    return n;
  }
  size_t Stream(const uint8_t* text, size_t size, size_t segment) {
    size_t n = 0;
    hs_stream_t* s = nullptr;
    hs_open_stream(stream_, 0, &s);
    for (size_t off = 0; off < size; off += segment) {
      hs_scan_stream(s, reinterpret_cast<const char*>(text + off),
                     static_cast<unsigned>(std::min(segment, size - off)), 0, scratch_, Count, &n);
    }
    hs_close_stream(s, scratch_, Count, &n);
    return n;
  }

 private:
  static int Count(unsigned, unsigned long long, unsigned long long, unsigned, void* n) {
    ++*static_cast<size_t*>(n);
    return 0;
  }
  hs_database_t* block_ = nullptr;
  hs_database_t* stream_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "--api") {
    g_api_file = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  auto rules = dlp::LoadCompiledRules("");
  auto ctx = std::move(dlp::ScanContext::Create(rules)).value();
  dlp::RuleSet plain_set = dlp::LoadDefaultRuleSet();
  for (dlp::Rule& r : plain_set.rules) r.min_digits = 0;
  auto plain_ctx =
      std::move(dlp::ScanContext::Create(dlp::CompiledRuleset::Compile(std::move(plain_set))))
          .value();
  Re2SetEngine re2set(*rules);
  PlainHyperscan hs_plain;
  const size_t size = 4 << 20;
  const size_t segment = 1448;
  std::vector<uint8_t> sink(size);
  auto stream_scan = [&](const uint8_t* bytes, dlp::Findings* found) {
    auto s = std::move(dlp::StreamScanner::Open(*ctx)).value();
    size_t n = 0;
    for (size_t off = 0; off < size; off += segment) {
      found->clear();
      (void)s.Feed(*ctx, bytes + off, std::min(segment, size - off), found);
      n += found->size();
    }
    found->clear();
    (void)s.Finish(*ctx, found);
    return n + found->size();
  };
  if (args.size() == 4 && args[0] == "--profile") {
    // One engine on one body for about five seconds, nothing else: what a
    // profiler (perf record, valgrind --tool=callgrind) should look at.
    const std::string engine = args[1], kind = args[2], density = args[3];
    const size_t every = density == "none"                                   ? 0
                         : density == "1/1KiB" || density == "1/1KiB-fields" ? 1024
                                                                             : size_t{64} << 10;
    const std::string text =
        Corpus(kind, size, every, 7,
               density == "1/1KiB-fields" ? Placement::kFieldStart : Placement::kAnyByte);
    if (text.size() != size) {
      std::fprintf(stderr, "no body '%s' (api: --api FILE first)\n", kind.c_str());
      return 2;
    }
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    dlp::Findings found;
    const auto t0 = Clock::now();
    size_t scanned = 0;
    size_t n = 0;
    // DLP_PROFILE_PASSES=N: exactly N passes instead (instruction counts
    // under valgrind --tool=callgrind, which are the same on every run).
    const char* passes_env = std::getenv("DLP_PROFILE_PASSES");
    const long passes = passes_env != nullptr ? std::strtol(passes_env, nullptr, 10) : 0;
    for (long pass = 0; passes > 0 ? pass < passes : Clock::now() - t0 < std::chrono::seconds(5);
         ++pass) {
      found.clear();
      if (engine == "stream") {
        n = stream_scan(bytes, &found);
      } else if (engine == "hs") {
        n = hs_plain.Block(bytes, size);
      } else if (engine == "re2") {
        n = re2set.Scan(text);
      } else {
        (void)dlp::ScanBlock(engine == "nogate" ? *plain_ctx : *ctx, bytes, size, &found);
        n = found.size();
      }
      scanned += size;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%s %s %s: %.0f MB/s, %zu findings per pass\n", engine.c_str(), kind.c_str(),
                density.c_str(), static_cast<double>(scanned) / secs / 1e6, n);
    return 0;
  }
  std::printf("%-8s %-8s %8s %8s %8s %8s %8s %8s %8s %6s %6s %7s %s\n", "body", "values", "memcpy",
              "dlpd", "stream", "no gate", "HS", "HS strm", "RE2::Set", "/RE2", "/HS", "ns/val",
              "findings");
  std::printf("%-8s %-8s %8s %8s %8s %8s %8s %8s %8s %6s %6s %7s %s\n", "", "", "MB/s", "block",
              "1448 B", "(block)", "6 plain", "1448 B", "+RE2", "", "", "",
              "block/stream/nogate/RE2");
  std::vector<std::string> kinds = {"api",      "form",     "json",  "html",
                                    "doc-html", "doc-json", "binary"};
  if (!args.empty()) kinds = args;  // only the bodies named
  for (const std::string& kind : kinds) {
    std::string clean;  // the body with no values
    // The API body once more with its values where fields begin.
    std::vector<std::pair<size_t, Placement>> rows = {{0, Placement::kAnyByte},
                                                      {size_t{64} << 10, Placement::kAnyByte},
                                                      {1024, Placement::kAnyByte}};
    if (kind == "api") rows.emplace_back(1024, Placement::kFieldStart);
    for (const auto& [every, placement] : rows) {
      const std::string text = Corpus(kind, size, every, 7, placement);
      if (text.size() != size) {
        std::printf("%-8s (no such files on this machine%s)\n", kind.c_str(),
                    kind == "api" ? "; api needs --api FILE" : "");
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
      const double stream = MBps(size, [&] { stream_found = stream_scan(bytes, &found); });
      size_t hs_found = 0;
      const double hs = MBps(size, [&] { hs_found = hs_plain.Block(bytes, size); });
      const double hs_stream =
          MBps(size, [&] { hs_found = hs_plain.Stream(bytes, size, segment); });
      size_t re2_found = 0;
      const double re2 = MBps(size, [&] { re2_found = re2set.Scan(text); });
      const char* density = every == 0                            ? "none"
                            : placement == Placement::kFieldStart ? "1/1KiB-f"
                            : every == 1024                       ? "1/1KiB"
                                                                  : "1/64KiB";
      // What each confirmed value costs over the clean body's figure,
      // the two measured by turns.
      if (every == 0) clean = text;
      char per_value[16] = "-";
      // One value in 64 KiB is too few for a figure: 64 values.
      if (every == 1024 && block_found != 0 && !clean.empty()) {
        dlp::Findings none;
        const auto [clean_secs, secs] = PairedSeconds(
            [&] {
              none.clear();
              (void)dlp::ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(clean.data()), size,
                                   &none);
            },
            [&] {
              found.clear();
              (void)dlp::ScanBlock(*ctx, bytes, size, &found);
            });
        std::snprintf(per_value, sizeof per_value, "%.0f",
                      (secs - clean_secs) * 1e9 / static_cast<double>(block_found));
      }
      std::printf(
          "%-8s %-8s %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %5.1fx %5.2fx %7s %zu/%zu/%zu/%zu\n",
          kind.c_str(), density, mem, block, stream, plain, hs, hs_stream, re2, block / re2,
          block / hs, per_value, block_found, stream_found, plain_found, re2_found);
      (void)hs_found;
    }
  }
  return 0;
}
