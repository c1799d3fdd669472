// dlpd's ICAP/1.0 REQMOD service (RFC 3507), for a TLS-intercepting proxy
// (Squid with ssl-bump) that hands it decrypted requests: OPTIONS, and
// REQMOD answered 204 (nothing to change, when the proxy allows it), 200
// with the request masked in place (same head and body lengths), or 200
// with the block page as the HTTP response.
//
// A few event loops, each a thread of its own with its ScanContext, take
// connections from one listening socket; each loop serves its connections
// with poll(2), never blocking on one: a slow or stalled client holds only
// its own connection, which its deadlines close. Connections are bounded
// (one more is answered 503 and closed), and so is what a connection
// holds: a body's masked bytes wait for the request's end (to answer 204)
// only up to `stream_after`; past it the answer starts while the body
// still comes, so memory stays bounded however long the upload.
//
// A body that cannot be read (a Content-Encoding dlpd does not decode, a
// compressed body past its ratio or broken) is stopped as a block when
// fail closed, and passed when fail open; counted either way.
//
// A value that decides "block" once the answer has begun (a streamed body)
// cannot get the block page: the connection is cut, the proxy sees the
// ICAP exchange fail, and the request does not complete (as a flow the
// packet path blocks is reset).
//
// Thread-safety: Offer, SetIsTag and counters() from any thread; the rest
// from the owner (the daemon).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dlpd/common/counters.h"
#include "dlpd/common/result.h"
#include "dlpd/icap/icap_parser.h"

namespace dlp {

class Fingerprinter;
class IncidentWriter;
class ScanContext;
struct Policy;

// clang-format off
#define DLP_ICAP_COUNTERS(X)                                                                        \
  X(connections, "ICAP connections accepted")                                                    \
  X(connections_open, "ICAP connections open now")                                               \
  X(connections_refused, "ICAP connections refused over max_connections (503)")                  \
  X(requests, "ICAP requests read (OPTIONS and REQMOD)")                                         \
  X(options, "OPTIONS requests answered")                                                        \
  X(reqmod, "REQMOD requests answered")                                                          \
  X(no_change, "REQMOD answered 204: nothing to change")                                          \
  X(unchanged, "REQMOD answered with the request as it came (no Allow: 204, or streamed)")        \
  X(modified, "REQMOD answered with values masked")                                               \
  X(blocked, "REQMOD answered with the block page, or cut once its answer had begun")            \
  X(streamed, "REQMOD answers begun while the body still came (over stream_after)")              \
  X(preview_hits, "REQMOD whose whole body came in the preview (ieof)")                          \
  X(uninspectable, "REQMOD whose body dlpd could not read (a coding it does not decode, a broken or "\
                   "over-ratio compressed body): blocked fail closed, passed fail open")          \
  X(errors, "ICAP errors answered (4xx, 5xx)")                                                   \
  X(timeouts, "ICAP connections closed for a client too slow")                                   \
  X(body_bytes, "request body bytes inspected through ICAP")                                     \
  X(held_bytes, "masked body bytes held for answers now")                                        \
  X(unsent_bytes, "answer bytes waiting for their clients to read them now")                    \
  X(findings, "values confirmed in ICAP requests")                                               \
  X(incidents_dropped, "ICAP incidents the writer's queue refused")
// clang-format on
DLP_DECLARE_COUNTERS(IcapCounters, DLP_ICAP_COUNTERS)

struct IcapConfig {
  std::string listen = "127.0.0.1:1344";  // ADDR:PORT, [ADDR6]:PORT or PORT
  size_t threads = 2;                     // event loops
  size_t max_connections = 256;
  IcapLimits limits;
  // A connection must keep moving: no byte read or sent for this long
  // inside a request, or with an answer unsent, closes it (408); nor may
  // one request take longer than max_request_ms (a client that drips its
  // body). A kept-alive connection idle between requests is closed after
  // idle_timeout_ms.
  int request_timeout_ms = 30000;
  int64_t max_request_ms = 600000;
  int idle_timeout_ms = 120000;
  // Masked body bytes a request holds while its answer waits for its end.
  size_t stream_after = 1 << 20;
  int preview = -1;  // IcapService::preview
  // What a request whose body cannot be read gets: the block page (closed)
  // or "no change" (open), counted either way (--fail-mode).
  bool fail_closed = true;
  // The HTTP response a blocked request gets.
  int block_status = 403;
  std::string block_page;  // empty: a short built-in page
};

class IcapServer {
 public:
  // Opens the listening socket (before the sandbox: it refuses socket()).
  // `rules`' contexts are made for each loop; `policy` null masks all.
  static Result<std::unique_ptr<IcapServer>> Open(
      const IcapConfig& config, std::vector<std::unique_ptr<ScanContext>> contexts,
      std::shared_ptr<const Policy> policy, std::string istag);
  // Stops accepting, gives requests under way a moment to end (their
  // incidents go to the writer), closes their connections and ends the
  // loops. The counters stay readable. Idempotent.
  void Stop();
  ~IcapServer();

  // Where incidents go and the key for fingerprints (either may be null);
  // before Start.
  void SetOutput(IncidentWriter* writer, const Fingerprinter* fingerprinter);
  void Start();

  // One context per loop (loops() of them, or none: keep the rules), and
  // the policy; each loop takes them before its next request. Requests
  // under way finish on what they began with.
  size_t loops() const { return loops_.size(); }
  void Offer(std::vector<std::unique_ptr<ScanContext>> contexts,
             std::shared_ptr<const Policy> policy);
  void SetIsTag(std::string istag);

  const IcapCounters& counters() const { return counters_; }
  // The address it listens on, as bound (the port chosen for port 0).
  const std::string& address() const { return address_; }

 private:
  class Loop;
  IcapServer(const IcapConfig& config, int fd, std::string address);

  IcapConfig config_;
  int fd_;
  std::string address_;
  IcapCounters counters_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
};

// Whether `spec` (IcapConfig::listen) is an address dlpd can listen on:
// binds it and lets it go (dlpd --check). The error says why not ("... in
// use" when another socket holds it).
Status ProbeIcapListen(const std::string& spec);

// The ISTag for a rule set and policy versions: changes with either.
std::string IcapIsTag(std::string_view rules_version, std::string_view policy_version);

}  // namespace dlp
