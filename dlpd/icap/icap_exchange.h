// The inspection of one REQMOD request: its encapsulated HTTP head and
// de-chunked body read as the packet path reads a flow (StreamRedactor:
// request framing, decoders, scanner, base64), each value decided by the
// policy for the request's client (X-Client-IP), Host and path, and masked
// in place. What comes out has the head's and the body's lengths: the
// proxy forwards the request with the same Content-Length.
//
// The proxy hands the body de-chunked (ICAP's own chunks), while the head
// still says how the client framed it. The normalizer follows the head:
// for a head that says chunked (or, with a body, says nothing), the body is
// given to it in chunks of its own making, which this class takes out of
// what comes back; a head with Content-Length takes the body as it is.
//
// Thread-safety: none; one exchange per request, on its connection's
// thread, with that thread's ScanContext.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dlpd/common/result.h"
#include "dlpd/http/http_request.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/mask/stream_redactor.h"
#include "policy/flow_thresholds.h"

namespace dlp {

class ScanContext;
struct Policy;

// Who and what the request is, as the proxy says (ICAP headers) and the
// head names it.
struct IcapOrigin {
  // X-Client-IP: the client's address (family 0 when absent or not one).
  int family = 0;
  std::array<uint8_t, 16> client{};
  std::string client_text;  // as parsed back to text; empty when unknown
  std::string user;         // X-Authenticated-User, printable, masked
};

// The values of one rule and action in a request: counted, and the first
// kKept kept whole (their display forms and fingerprints, for the
// incident), so that a body of nothing but values holds bounded memory.
struct IcapTally {
  static constexpr size_t kKept = 512;  // storage/incident.h's kMaxValuesHeld
  uint32_t rule_index = 0;
  PolicyAction action = PolicyAction::kMask;
  uint64_t count = 0;
  std::vector<Finding> kept;
};

// The port of the request's URL: absolute form ("https://host:port/...",
// as a proxy sends it) or the Host's; 443 or 80 by the scheme, 0 unknown.
uint16_t IcapPortOf(const HttpRequestInfo& r);

class IcapExchange {
 public:
  // Reads `http_head` (CRLF CRLF included) now. `has_body`: a body
  // follows (ICAP req-body). `policy` null: every value is masked.
  // REQUIRES: `ctx` outlives the exchange.
  static Result<std::unique_ptr<IcapExchange>> Open(ScanContext& ctx,
                                                    std::shared_ptr<const Policy> policy,
                                                    std::string_view http_head, bool has_body,
                                                    IcapOrigin origin);

  // Fail open: values found once the normalizer has said it cannot read
  // the stream (uninspectable()) are left as they are (alert): it reads
  // the rest as plain text, and masking bytes of a body it could not
  // decode would corrupt what the server decodes. Fail closed (the
  // default) the request is stopped anyway.
  void set_fail_open(bool open) { fail_open_ = open; }

  // The next bytes of the de-chunked body.
  Status Body(std::string_view piece);
  // The body ended: every byte is released.
  Status Finish();

  // The head as it leaves (masked), once all of it is final (always after
  // Finish).
  bool head_ready() const { return head_released_ == head_len_; }
  const std::string& head() const { return head_; }
  // Takes the body bytes final so far (masked), in order.
  std::string TakeBody() { return std::exchange(body_, std::string()); }
  size_t body_ready() const { return body_.size(); }

  // A value was masked (the bytes differ from what came), or one decided
  // "block" (the request must not go on).
  bool changed() const { return changed_; }
  bool blocked() const { return blocked_; }
  // The values found so far, decided, by rule and action, and how many.
  const std::vector<IcapTally>& tallies() const { return tallies_; }
  uint64_t values() const { return values_; }
  // What the normalizer could not read (a Content-Encoding it does not
  // decode, a compressed body past its ratio or broken, a head it cannot
  // read): its values are unseen. Why, when so; nullptr else.
  const char* uninspectable() const;
  // The body went on past its head's Content-Length (which a proxy never
  // sends: what lies past it would be read here as another request).
  bool beyond_length() const;
  // The request as its head says it (method, Host, path, User-Agent,
  // Content-Length); null when the head did not parse as HTTP/1.
  const HttpRequestInfo* request() const;
  const IcapOrigin& origin() const { return origin_; }
  ScanContext& ctx() const { return ctx_; }

 private:
  IcapExchange(ScanContext& ctx, std::shared_ptr<const Policy> policy, StreamRedactor red,
               IcapOrigin origin);
  void Decide(Finding& x);
  // Moves what the redactor found into tallies_ (found_ is left empty).
  void Fold();
  // Feeds bytes to the redactor; `synthetic`: framing of our making, taken
  // out again.
  Status Feed(std::string_view bytes, bool synthetic);
  // Sorts what the redactor released into head_ and body_.
  void Take(const std::string& ready);

  struct Run {
    uint64_t len;
    enum Part : uint8_t { kHead, kBody, kSynthetic } part;
  };
  ScanContext& ctx_;
  std::shared_ptr<const Policy> policy_;
  StreamRedactor red_;
  IcapOrigin origin_;
  FlowThresholds thresholds_;
  bool chunked_ = false;  // the body goes to the normalizer in our own chunks
  size_t head_len_ = 0, head_released_ = 0;
  Run::Part feeding_ = Run::kHead;
  std::deque<Run> runs_;  // fed, not yet released, in order
  // Head bytes fed otherwise than they came, and what they were.
  std::vector<std::pair<size_t, char>> restore_;
  std::string head_, body_;
  std::string ready_;  // reused
  Findings found_;     // the redactor's latest
  std::vector<IcapTally> tallies_;
  uint64_t values_ = 0;
  uint64_t body_bytes_ = 0;
  bool changed_ = false, blocked_ = false;
  bool fail_open_ = false;
};

}  // namespace dlp
