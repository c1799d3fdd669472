// The host names of a statement's `when: host:` scope, and the name a
// request's Host header gives, compared.
//
// A name matches the whole Host name, case-insensitively: "payments.example"
// matches that name only; "*.payments.example" matches any name below it, at
// any depth ("api.payments.example", "a.b.payments.example"), but not
// "payments.example" itself. The Host's port ("api.example:8080") and one
// trailing dot are no part of the name; an IPv6 literal ("[2001:db8::1]:8080")
// is compared as written, without its brackets.
//
// A plain comparison, not a regular expression (the scope was once an RE2
// pattern searched in the Host): a name means one thing, so nothing is left
// unanchored by accident ("payments.example" searched in the Host also
// matched "payments.example.evil.com"), and on the packet path a match costs
// a compare of a few bytes.
//
// Thread-safety: a HostName is immutable after Parse; any thread may call
// Matches.
#pragma once

#include <string>
#include <string_view>

#include "dlpd/common/host_of.h"  // HostOf: what a Host header names
#include "dlpd/common/result.h"

namespace dlp {

class HostName {
 public:
  // `text` as a policy writes it. The error says what is wrong and what form
  // is expected; for an old-style pattern ('(^|\.)payments\.example$') it
  // says how to write it now ([payments.example, '*.payments.example']).
  static Result<HostName> Parse(std::string_view text);

  // `host`: a name as HostOf returns it.
  bool Matches(std::string_view host) const;

  // As a policy writes it: "payments.example", "*.payments.example".
  std::string ToString() const { return subdomains_ ? "*." + name_ : name_; }

 private:
  std::string name_;         // without "*." and a trailing dot
  bool subdomains_ = false;  // written "*.name"
};

}  // namespace dlp
