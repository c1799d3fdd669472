// One REQMOD request's inspection (dlpd/icap/icap_exchange.h) on any head
// and body, with an oracle: the body fed whole and in pieces (cut where the
// input's first bytes say) comes back the same, with the head's and the
// body's lengths; a request in which nothing was found comes back byte for
// byte. Input: N (cuts), N cut sizes, the head up to its blank line, then
// the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dlpd/icap/icap_exchange.h"
#include "dlpd/inspect/scan_context.h"
#include "rules/compiled_ruleset.h"
#include "rules/rule_loader.h"

namespace {

dlp::ScanContext& Context() {
  static auto rules = dlp::CompiledRuleset::Compile(dlp::BuildRuleSet(dlp::DefaultRuleSources()));
  static auto ctx = std::move(dlp::ScanContext::Create(rules)).value();
  return *ctx;
}

struct Outcome {
  std::string head, body;
  size_t findings = 0;
  bool changed = false, blocked = false;
};

Outcome Run(std::string_view head, std::string_view body, std::string_view cuts) {
  auto x = dlp::IcapExchange::Open(Context(), nullptr, head, !body.empty(), {});
  if (!x) std::abort();  // only a scanner that cannot open fails
  Outcome o;
  size_t at = 0, k = 0;
  while (at < body.size()) {
    const size_t piece =
        cuts.empty() ? body.size() : 1 + static_cast<uint8_t>(cuts[k++ % cuts.size()]) % 200;
    if (!(*x)->Body(body.substr(at, piece))) std::abort();
    at += piece;
    o.body += (*x)->TakeBody();
  }
  if (!(*x)->Finish()) std::abort();
  o.body += (*x)->TakeBody();
  if (!(*x)->head_ready()) std::abort();
  o.head = (*x)->head();
  o.findings = (*x)->values();
  o.changed = (*x)->changed();
  o.blocked = (*x)->blocked();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t ncuts = data[0] % 8;
  if (size < 1 + ncuts) return 0;
  const std::string_view cuts(reinterpret_cast<const char*>(data) + 1, ncuts);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1 + ncuts, size - 1 - ncuts);
  const size_t blank = text.find("\r\n\r\n");
  if (blank == std::string_view::npos) return 0;
  const std::string_view head = text.substr(0, blank + 4);
  const std::string_view body = text.substr(blank + 4);
  const Outcome whole = Run(head, body, {});
  const Outcome cut = Run(head, body, cuts);
  if (whole.head.size() != head.size() || whole.body.size() != body.size()) std::abort();
  if (whole.head != cut.head || whole.body != cut.body || whole.changed != cut.changed ||
      whole.blocked != cut.blocked) {
    std::abort();
  }
  if (!whole.changed && (whole.head != head || whole.body != body)) std::abort();
  return 0;
}
