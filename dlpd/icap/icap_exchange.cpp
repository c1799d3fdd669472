#include "dlpd/icap/icap_exchange.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "dlpd/common/ascii.h"
#include "dlpd/inspect/scan_context.h"
#include "policy/policy.h"

namespace dlp {
namespace {

// How the head frames its body, read off its fields (the normalizer reads
// the head too, but only once it has it; the framing of what it is given
// must be chosen before).
struct HeadFraming {
  bool chunked = false;         // a Transfer-Encoding that names chunked
  bool content_length = false;  // a Content-Length field
  // Where a Content-Length field repeats the first one's value: read as
  // one (RFC 9110 8.6 allows it, and Squid forwards it so), where
  // http-parser would refuse the head.
  std::vector<size_t> repeated_lengths;
};

HeadFraming ReadHeadFraming(std::string_view head) {
  HeadFraming h;
  std::optional<std::string_view> length;
  size_t at = head.find('\n');  // past the request line
  while (at != std::string_view::npos && at + 1 < head.size()) {
    const size_t next = head.find('\n', at + 1);
    std::string_view line = head.substr(
        at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
    at = next;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (IEquals(name, "transfer-encoding")) {
      if (AsciiLower(line.substr(colon + 1)).find("chunked") != std::string::npos) {
        h.chunked = true;
      }
    } else if (IEquals(name, "content-length")) {
      h.content_length = true;
      const std::string_view value = TrimOws(line.substr(colon + 1));
      if (!length) {
        length = value;
      } else if (*length == value) {
        h.repeated_lengths.push_back(static_cast<size_t>(line.data() - head.data()));
      }
    }
  }
  return h;
}

}  // namespace

uint16_t IcapPortOf(const HttpRequestInfo& r) {
  std::string_view url = r.path;
  std::string_view authority = r.host;
  uint16_t fallback = 0;
  const size_t scheme = url.find("://");
  if (scheme != std::string_view::npos && scheme < 8) {
    const std::string s = AsciiLower(url.substr(0, scheme));
    fallback = s == "https" ? 443 : s == "http" ? 80 : 0;
    authority = url.substr(scheme + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
  }
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && bracket > colon)) {
    return fallback;
  }
  unsigned port = 0;
  for (char c : authority.substr(colon + 1)) {
    if (c < '0' || c > '9' || (port = port * 10 + static_cast<unsigned>(c - '0')) > 65535) {
      return fallback;
    }
  }
  return static_cast<uint16_t>(port);
}

Result<std::unique_ptr<IcapExchange>> IcapExchange::Open(ScanContext& ctx,
                                                         std::shared_ptr<const Policy> policy,
                                                         std::string_view http_head, bool has_body,
                                                         IcapOrigin origin) {
  auto red = StreamRedactor::Open(ctx);
  if (!red) return red.error();
  std::unique_ptr<IcapExchange> x(
      new IcapExchange(ctx, std::move(policy), std::move(red).value(), std::move(origin)));
  x->red_.set_decider([p = x.get()](Finding& f) { p->Decide(f); });
  const HeadFraming framing = ReadHeadFraming(http_head);
  x->chunked_ = has_body && (framing.chunked || !framing.content_length);
  x->head_len_ = http_head.size();
  // A repeated Content-Length goes to the normalizer renamed (one letter),
  // and comes back as it was.
  std::string fed(http_head);
  for (size_t at : framing.repeated_lengths) {
    x->restore_.push_back({at, fed[at]});
    fed[at] = 'X';
  }
  http_head = fed;
  // A body the head does not frame (no Content-Length, no chunking: the
  // proxy forwards it chunked) is read as the chunked body it becomes.
  const bool add_chunked = x->chunked_ && !framing.chunked;
  const size_t blank =
      http_head.size() >= 4 && http_head.substr(http_head.size() - 4) == "\r\n\r\n" ? 2
      : http_head.size() >= 2 && http_head.substr(http_head.size() - 2) == "\n\n"   ? 1
                                                                                    : 0;
  if (add_chunked && blank != 0) {
    if (Status st = x->Feed(http_head.substr(0, http_head.size() - blank), false); !st) {
      return st.error();
    }
    if (Status st = x->Feed(
            blank == 2 ? "Transfer-Encoding: chunked\r\n" : "Transfer-Encoding: chunked\n", true);
        !st) {
      return st.error();
    }
    if (Status st = x->Feed(http_head.substr(http_head.size() - blank), false); !st) {
      return st.error();
    }
  } else if (Status st = x->Feed(http_head, false); !st) {
    return st.error();
  }
  // A head the normalizer could not read as HTTP/1 leaves it reading plain
  // text: chunks of our making would be text inside the body, splitting
  // its values. The body goes as it is.
  if (x->red_.framing().mode() != RequestFraming::Mode::kHttp) x->chunked_ = false;
  x->feeding_ = Run::kBody;
  return x;
}

IcapExchange::IcapExchange(ScanContext& ctx, std::shared_ptr<const Policy> policy,
                           StreamRedactor red, IcapOrigin origin)
    : ctx_(ctx), policy_(std::move(policy)), red_(std::move(red)), origin_(std::move(origin)) {}

const HttpRequestInfo* IcapExchange::request() const {
  const RequestRecord* r = red_.framing().RequestAt(0);
  return r != nullptr ? &r->info : nullptr;
}

void IcapExchange::Decide(Finding& x) {
  x.action = PolicyAction::kMask;  // without a policy: mask everything
  if (policy_ != nullptr) {
    const Rule& rule = ctx_.rules().rule(x.rule_index);
    FindingScope scope;
    scope.rule_id = rule.id;
    scope.severity = rule.severity;
    // The server's address is the proxy's to know: a `dst` scope does not
    // match here; the port is the URL's.
    if (origin_.family != 0) {
      scope.src_family = origin_.family;
      scope.src = origin_.client.data();
    }
    if (const HttpRequestInfo* r = request(); r != nullptr) {
      scope.host = r->host;
      scope.path = r->path;
      scope.dst_port = IcapPortOf(*r);
    }
    x.action = thresholds_.Decide(*policy_, scope);
  }
  if (x.compressed && x.action == PolicyAction::kMask) {
    static const Policy kBuiltIn;
    x.action = (policy_ != nullptr ? *policy_ : kBuiltIn).InCompressedBody(x.action);
  }
  if (fail_open_ && red_.framing().uninspectable() && x.action == PolicyAction::kMask) {
    x.action = PolicyAction::kAlert;
  }
  if (x.action == PolicyAction::kMask) changed_ = true;
  if (x.action == PolicyAction::kBlock) blocked_ = true;
}

Status IcapExchange::Feed(std::string_view bytes, bool synthetic) {
  if (bytes.empty()) return {};
  const Run::Part part = synthetic ? Run::kSynthetic : feeding_;
  if (!runs_.empty() && runs_.back().part == part) {
    runs_.back().len += bytes.size();
  } else {
    runs_.push_back({bytes.size(), part});
  }
  ready_.clear();
  if (Status st = red_.Feed(ctx_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                            &ready_, &found_);
      !st) {
    return st;
  }
  Take(ready_);
  Fold();
  return {};
}

void IcapExchange::Fold() {
  for (const Finding& f : found_) {
    ++values_;
    auto t = std::find_if(tallies_.begin(), tallies_.end(), [&](const IcapTally& x) {
      return x.rule_index == f.rule_index && x.action == f.action;
    });
    if (t == tallies_.end()) {
      tallies_.push_back({});
      t = tallies_.end() - 1;
      t->rule_index = f.rule_index;
      t->action = f.action;
    }
    ++t->count;
    if (t->kept.size() < IcapTally::kKept) t->kept.push_back(f);
  }
  found_.clear();
}

const char* IcapExchange::uninspectable() const {
  return red_.framing().uninspectable() ? red_.framing().error() : nullptr;
}

bool IcapExchange::beyond_length() const {
  if (chunked_) return false;
  const HttpRequestInfo* r = request();
  return r != nullptr && r->body_length && body_bytes_ > *r->body_length;
}

void IcapExchange::Take(const std::string& ready) {
  std::string_view rest = ready;
  while (!rest.empty()) {
    Run& r = runs_.front();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(r.len, rest.size()));
    if (r.part == Run::kHead) {
      head_.append(rest.substr(0, n));
      head_released_ += n;
      for (const auto& [at, byte] : restore_) {
        if (at < head_.size()) head_[at] = byte;
      }
    } else if (r.part == Run::kBody) {
      body_.append(rest.substr(0, n));
    }
    rest.remove_prefix(n);
    r.len -= n;
    if (r.len == 0) runs_.pop_front();
  }
}

Status IcapExchange::Body(std::string_view piece) {
  if (piece.empty()) return {};
  body_bytes_ += piece.size();
  if (!chunked_) return Feed(piece, false);
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  if (Status st = Feed(size, true); !st) return st;
  if (Status st = Feed(piece, false); !st) return st;
  return Feed("\r\n", true);
}

Status IcapExchange::Finish() {
  if (chunked_) {
    if (Status st = Feed("0\r\n\r\n", true); !st) return st;
  }
  ready_.clear();
  if (Status st = red_.Finish(ctx_, &ready_, &found_); !st) return st;
  Take(ready_);
  Fold();
  return {};
}

}  // namespace dlp
