// What a confirmed finding does. A policy is an ordered list of statements;
// the first whose scope matches the finding decides, and a finding no
// statement matches gets the default action (mask). A statement may switch
// action by how many values it has matched in the flow so far (thresholds:
// alert below N, block from M - bulk exfiltration).
//
// Actions: mask (the value's bytes are masked, same length), alert (passes
// unchanged, recorded), block (the flow is torn down: the packet carrying
// the value is dropped, both ends get a reset, nothing more of the flow
// passes), pass (an exemption: unchanged, not recorded, counted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlpd/common/action.h"
#include "dlpd/common/cidr.h"
#include "policy/host_name.h"
#include "rules/rule.h"

namespace dlp {

// What the policy sees of a finding.
struct FindingScope {
  std::string_view rule_id;
  Severity severity = Severity::kHigh;
  int family = 0;                // AF_INET / AF_INET6; 0: no address (dlpctl scan)
  const uint8_t* dst = nullptr;  // 4 or 16 bytes, network order
  uint16_t dst_port = 0;         // 0: unknown
  std::string_view host;         // HTTP Host header of the flow's request; empty: unknown
  // The client: the flow's source, or the proxy's X-Client-IP (ICAP).
  int src_family = 0;            // AF_INET / AF_INET6; 0: unknown
  const uint8_t* src = nullptr;  // 4 or 16 bytes, network order
  // The request's target as sent (origin form "/a?b" or a proxy's absolute
  // "https://host/a?b"); empty: unknown.
  std::string_view path;
};

// A `path` scope's entry: a URL path prefix that matches whole segments
// ("/upload" matches "/upload", "/upload/x" and "/upload?x", not
// "/uploads"). A target with percent escapes, backslashes or "." / ".."
// segments matches none: the server may read it as another path, and a
// scope that does not match leaves the default (mask) in force.
bool PathInScope(std::string_view prefix, std::string_view target);

struct Threshold {
  uint32_t from = 0;  // from this many values (this one included)
  PolicyAction action = PolicyAction::kMask;
};

struct PolicyStatement {
  std::string name;
  int line = 0;
  // Empty list: any. A scope on something unknown (no Host seen) does not match.
  std::vector<std::string> rules;
  std::vector<Severity> severities;
  std::vector<Cidr> dst;
  std::vector<uint16_t> ports;
  std::vector<HostName> hosts;  // the whole Host name, port aside (host_name.h)
  std::vector<Cidr> src;        // the client's address
  std::vector<std::string> paths;  // PathInScope prefixes
  PolicyAction action = PolicyAction::kMask;
  std::vector<Threshold> thresholds;  // ascending `from`

  bool Matches(const FindingScope& s) const;
  // The action for the `count`-th value this statement matched in a flow.
  PolicyAction ActionFor(uint32_t count) const;
};

// A worked example in the policy file, run by --check.
struct PolicyExample {
  int line = 0;
  std::string rule_id;
  Severity severity = Severity::kHigh;
  std::string dst;  // address text, may be empty
  uint16_t port = 0;
  std::string host;
  std::string src;   // address text, may be empty
  std::string path;  // a request target, may be empty
  uint32_t count = 1;
  PolicyAction want = PolicyAction::kMask;
};

struct Policy {
  std::string source;   // path or "<default>/policy.yaml"
  std::string version;  // first 12 hex of SHA-256 over the text
  PolicyAction default_action = PolicyAction::kMask;
  // What a value the policy would mask does when it lies in a compressed
  // body, where it cannot be masked in place: block (the request goes no
  // further) or alert (it passes, recorded). Key `compressed`.
  PolicyAction compressed_action = PolicyAction::kBlock;
  std::vector<PolicyStatement> statements;
  std::vector<PolicyExample> examples;

  // What `decided` becomes for a value in a compressed body, which cannot
  // be masked in place: a mask takes compressed_action.
  PolicyAction InCompressedBody(PolicyAction decided) const {
    return decided == PolicyAction::kMask ? compressed_action : decided;
  }

  // Index of the deciding statement, or -1 for the default.
  int Match(const FindingScope& s) const;
  // The action for a finding that is the `count`-th value its statement
  // (or the default) matched in the flow.
  PolicyAction Decide(int statement, uint32_t count) const;
};

}  // namespace dlp
