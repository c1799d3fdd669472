// The ICAP request parser on any bytes, with an oracle: the same bytes fed
// whole and in pieces (cut where the input's first bytes say) leave the same
// request, state and error status, take the same bytes when they succeed,
// and nothing grows past its limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dlpd/icap/icap_parser.h"

namespace {

struct Outcome {
  dlp::IcapParser::State state;
  std::string service, http_head, body;
  bool ieof, has_body;
  int status;
  size_t used;
};

// Feeds `text` in pieces of the given sizes (cycled), answering a preview's
// end with Continue; what the parser made of it.
Outcome Run(std::string_view text, std::string_view cuts, const dlp::IcapLimits& limits) {
  dlp::IcapParser p(limits);
  size_t at = 0, used = 0, k = 0;
  while (at < text.size()) {
    const size_t piece =
        cuts.empty() ? text.size() : 1 + static_cast<uint8_t>(cuts[k++ % cuts.size()]) % 64;
    const std::string_view part = text.substr(at, piece);
    const size_t took = p.Feed(part);
    if (took > part.size()) std::abort();
    used += took;
    at += took;
    if (p.state() == dlp::IcapParser::State::kPreviewEnd) {
      p.Continue();
      continue;
    }
    if (took < part.size()) break;  // done or failed: the rest is not its
  }
  const dlp::IcapRequest& r = p.request();
  if (r.body.size() > limits.max_body || r.http_head.size() > limits.max_http_head) std::abort();
  return {p.state(), r.service, r.http_head, r.body, r.ieof, r.has_body, p.error().status, used};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t ncuts = data[0] % 8;
  if (size < 1 + ncuts) return 0;
  const std::string_view cuts(reinterpret_cast<const char*>(data) + 1, ncuts);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1 + ncuts, size - 1 - ncuts);
  dlp::IcapLimits limits;
  limits.max_head = 4096;
  limits.max_http_head = 2048;
  limits.max_body = 1 << 16;
  const Outcome whole = Run(text, {}, limits);
  const Outcome cut = Run(text, cuts, limits);
  // (How much a failed request took does not matter: the connection closes.)
  const bool failed = whole.state == dlp::IcapParser::State::kError;
  if (whole.state != cut.state || whole.status != cut.status ||
      (!failed && whole.used != cut.used) || whole.service != cut.service ||
      whole.http_head != cut.http_head || whole.body != cut.body || whole.ieof != cut.ieof ||
      whole.has_body != cut.has_body) {
    std::abort();
  }
  return 0;
}
