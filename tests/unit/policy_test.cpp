// Policy: the file format and its errors, scopes (host names among them)
// and thresholds, the warnings --check shows, and what each action does to
// packets on the real pipeline (alert and pass leave the bytes alone, block
// drops and resets both ends), and reloads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "dlpd/config/engine.h"
#include "policy/policy_error.h"
#include "policy/policy_loader.h"
#include "rules/rule_loader.h"
#include "tests/unit/gateway.h"

namespace dlp {
namespace {

using test::Gateway;
using test::Tcp4;

const std::vector<std::string> kRules = {"us-ssn", "pan"};

Policy Parse(const std::string& text) {
  return ParsePolicy({"p.yaml", text}, kRules);
}

std::string ErrorOf(const std::string& text) {
  try {
    Parse(text);
  } catch (const PolicyError& e) {
    return e.what();
  }
  return "no error";
}

FindingScope Scope(const char* rule, const char* dst = nullptr, uint16_t port = 80,
                   const char* host = "", Severity sev = Severity::kHigh) {
  static std::array<uint8_t, 16> addr;
  FindingScope s;
  s.rule_id = rule;
  s.severity = sev;
  if (dst != nullptr) {
    s.family = std::string(dst).find(':') != std::string::npos ? AF_INET6 : AF_INET;
    inet_pton(s.family, dst, addr.data());
    s.dst = addr.data();
  }
  s.dst_port = port;
  s.host = host;
  return s;
}

PolicyAction ActionOf(const Policy& p, const FindingScope& s, uint32_t count = 1) {
  return p.Decide(p.Match(s), count);
}

const char* kPolicy = R"(
default: mask
statements:
  - name: processor
    when: {rule: pan, dst: [203.0.113.0/24, '2001:db8:5::/48'], port: [80, 443], host: [pay.example, '*.pay.example']}
    action: pass
  - name: low-severity
    when: {severity: [low, medium]}
    action: alert
  - name: bulk
    when: {rule: pan}
    action: alert
    thresholds:
      - {from: 3, action: mask}
      - {from: 5, action: block}
examples:
  - {rule: pan, dst: 203.0.113.9, port: 443, host: api.pay.example, expect: pass}
  - {rule: pan, dst: 203.0.113.9, port: 443, host: evil.example, expect: alert}
  - {rule: pan, count: 5, expect: block}
  - {rule: us-ssn, expect: mask}
)";

TEST(Policy, ScopesDecideFirstMatchWins) {
  const Policy p = Parse(kPolicy);
  ASSERT_EQ(p.statements.size(), 3u);
  EXPECT_EQ(ActionOf(p, Scope("pan", "203.0.113.9", 443, "API.Pay.Example")), PolicyAction::kPass);
  EXPECT_EQ(ActionOf(p, Scope("pan", "2001:db8:5::1", 80, "pay.example")), PolicyAction::kPass);
  // Any part of the scope missing: the next statement decides.
  EXPECT_EQ(ActionOf(p, Scope("pan", "203.0.114.9", 443, "pay.example")), PolicyAction::kAlert);
  EXPECT_EQ(ActionOf(p, Scope("pan", "203.0.113.9", 8080, "pay.example")), PolicyAction::kAlert);
  EXPECT_EQ(ActionOf(p, Scope("pan", "203.0.113.9", 443, "pay.example.evil")),
            PolicyAction::kAlert);
  EXPECT_EQ(ActionOf(p, Scope("pan", "203.0.113.9", 443, "")), PolicyAction::kAlert);  // no Host
  EXPECT_EQ(ActionOf(p, Scope("pan")), PolicyAction::kAlert);  // no address (dlpctl scan)
  EXPECT_EQ(ActionOf(p, Scope("us-ssn", nullptr, 80, "", Severity::kMedium)), PolicyAction::kAlert);
  EXPECT_EQ(ActionOf(p, Scope("us-ssn")), PolicyAction::kMask);  // the default
}

TEST(Policy, ThresholdsCountValuesOfTheStatement) {
  const Policy p = Parse(kPolicy);
  const int bulk = p.Match(Scope("pan"));
  EXPECT_EQ(p.Decide(bulk, 1), PolicyAction::kAlert);
  EXPECT_EQ(p.Decide(bulk, 2), PolicyAction::kAlert);
  EXPECT_EQ(p.Decide(bulk, 3), PolicyAction::kMask);
  EXPECT_EQ(p.Decide(bulk, 4), PolicyAction::kMask);
  EXPECT_EQ(p.Decide(bulk, 5), PolicyAction::kBlock);
  EXPECT_EQ(p.Decide(bulk, 500), PolicyAction::kBlock);
}

TEST(Policy, ExamplesRunAndAFailingOneSaysWhere) {
  EXPECT_TRUE(RunPolicyExamples(Parse(kPolicy)).empty());
  const Policy p = Parse(
      "statements:\n  - {name: x, when: {rule: pan}, action: alert}\n"
      "examples:\n  - {rule: pan, dst: 198.51.100.7, port: 80, expect: mask}\n");
  const auto failures = RunPolicyExamples(p);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0],
            "p.yaml:4: example: rule pan to 198.51.100.7:80 gave alert, expected mask");
}

TEST(Policy, EmptyAndDefaultPoliciesMaskEverything) {
  EXPECT_EQ(ActionOf(Parse(""), Scope("pan")), PolicyAction::kMask);
  const Policy builtin = LoadPolicy("", {"anything"});
  EXPECT_TRUE(builtin.statements.empty());
  EXPECT_EQ(builtin.default_action, PolicyAction::kMask);
  EXPECT_EQ(builtin.source, "<default>/policy.yaml");
}

TEST(Policy, ErrorsNameFileLineAndStatement) {
  EXPECT_EQ(ErrorOf("default: erase\n"),
            "p.yaml:1: unknown action 'erase' (expected mask, alert, block or pass)");
  EXPECT_EQ(ErrorOf("statements:\n  - name: a\n    action: mask\n    wen: {rule: pan}\n"),
            "p.yaml:4: statement 'a': unknown key 'wen' (expected one of: name, when, action, "
            "thresholds)");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, when: {rule: pann}, action: pass}\n"),
            "p.yaml:2: statement 'a': no rule 'pann' in the rule set (rules: us-ssn, pan)");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, when: {dst: 10.0.0.0/33}, action: pass}\n"),
            "p.yaml:2: statement 'a': '10.0.0.0/33': the prefix length must be 0-32");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, when: {port: 70000}, action: pass}\n"),
            "p.yaml:2: statement 'a': a port must be a number from 1 to 65535, not '70000'");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, when: {severity: urgent}, action: pass}\n"),
            "p.yaml:2: statement 'a': unknown severity 'urgent' (expected low, medium, high, "
            "critical)");
  EXPECT_EQ(ErrorOf("statements:\n  - name: a\n    action: mask\n    thresholds:\n"
                    "      - {from: 5, action: block}\n      - {from: 3, action: alert}\n"),
            "p.yaml:6: statement 'a': thresholds must be in increasing order of 'from'");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, action: mask}\n  - {name: a, action: pass}\n"),
            "p.yaml:3: statement 'a': duplicate statement name");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a}\n"),
            "p.yaml:2: statement 'a': missing required key 'action'");
  EXPECT_NE(ErrorOf("statements: [unclosed\n").find("p.yaml:2: YAML syntax error"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("- just a list\n"),
            "p.yaml:1: a policy file is a map (default, statements, examples)");
  EXPECT_EQ(ErrorOf("statements:\n  - {name: a, when: {rule: [[pan]]}, action: pass}\n"),
            "p.yaml:2: statement 'a': each rule must be a string");
}

// Host scopes: whole names, any case, the Host's port and trailing dot aside.

// Whether a statement `when: {host: <scope>}` matches a request with this Host.
bool HostMatches(const std::string& scope, const char* host) {
  const Policy p = Parse("statements:\n  - {name: h, when: {host: " + scope + "}, action: pass}\n");
  return p.Match(Scope("pan", "203.0.113.9", 443, host)) == 0;
}

std::string HostError(const std::string& scope) {
  return ErrorOf("statements:\n  - {name: h, when: {host: " + scope + "}, action: pass}\n");
}

TEST(PolicyHost, ANameMatchesThatWholeNameInAnyCase) {
  EXPECT_TRUE(HostMatches("payments.example", "payments.example"));
  EXPECT_TRUE(HostMatches("payments.example", "PAYMENTS.Example"));
  EXPECT_TRUE(HostMatches("Payments.EXAMPLE", "payments.example"));
  for (const char* lookalike :
       {"payments.example.evil.com", "xpayments.example", "evilpayments.example",
        "payments.examplex", "api.payments.example", "xpayments-example.org", "paymentsXexample"}) {
    EXPECT_FALSE(HostMatches("payments.example", lookalike)) << lookalike;
  }
  EXPECT_FALSE(HostMatches("payments.example", ""));  // no Host known: no match
}

TEST(PolicyHost, ThePortAndATrailingDotAreNoPartOfTheName) {
  for (const char* host : {"payments.example:8080", "payments.example:", "payments.example.",
                           "Payments.Example.:443"}) {
    EXPECT_TRUE(HostMatches("payments.example", host)) << host;
  }
  EXPECT_TRUE(HostMatches("'payments.example.'", "payments.example"));
  for (const char* host : {"payments.example..", "payments.example:80x", "payments.example:80:1",
                           "payments.example :80"}) {
    EXPECT_FALSE(HostMatches("payments.example", host)) << host;
  }
  EXPECT_TRUE(HostMatches("203.0.113.9", "203.0.113.9:80"));
  // An IPv6 literal: without its brackets, compared as written.
  for (const char* host :
       {"[2001:db8::1]:8080", "[2001:db8::1]", "[2001:DB8::1]:", "2001:db8::1"}) {
    EXPECT_TRUE(HostMatches("'2001:db8::1'", host)) << host;
  }
  for (const char* host : {"[2001:db8:0::1]", "[2001:db8::1]x", "[2001:db8::1", "[2001:db8::10]"}) {
    EXPECT_FALSE(HostMatches("'2001:db8::1'", host)) << host;
  }
}

TEST(PolicyHost, StarDotMatchesEverySubdomainButNotTheNameItself) {
  for (const char* host : {"api.payments.example", "a.b.payments.example",
                           "API.Payments.Example:443", "api.payments.example."}) {
    EXPECT_TRUE(HostMatches("'*.payments.example'", host)) << host;
  }
  for (const char* host :
       {"payments.example", ".payments.example", "xpayments.example", "apipayments.example",
        "api.payments.example.evil.com", "evilpayments.example", "payments.examplex"}) {
    EXPECT_FALSE(HostMatches("'*.payments.example'", host)) << host;
  }
}

TEST(PolicyHost, AListMatchesAnyOfItsNames) {
  const std::string list = "[payments.example, '*.payments.example', pay.example]";
  for (const char* host : {"payments.example", "api.payments.example", "pay.example:80"}) {
    EXPECT_TRUE(HostMatches(list, host)) << host;
  }
  for (const char* host : {"api.pay.example", "other.example", ""}) {
    EXPECT_FALSE(HostMatches(list, host)) << host;
  }
}

TEST(PolicyHost, LoadErrorsSayWhatFormIsExpected) {
  const std::string at = "p.yaml:2: statement 'h': ";
  const std::string expected =
      "expected a whole host name ('payments.example'), '*.' and a name for any subdomain of it "
      "('*.payments.example'), or a list of them";
  EXPECT_EQ(HostError("''"), at + "host: an empty name; " + expected);
  EXPECT_EQ(HostError("'*.'"), at + "host '*.': an empty name; " + expected);
  EXPECT_EQ(HostError("[]"), at + "'host' lists no name; to match any Host, leave it out");
  EXPECT_EQ(HostError("'*'"), at + "host '*': to match any Host, leave 'host' out");
  for (const char* star : {"pay*.example", "*payments.example", "*.*.example", "api.*.example"}) {
    EXPECT_EQ(HostError(std::string("'") + star + "'"),
              at + "host '" + star +
                  "': '*' stands only as the first label, for any subdomain of the name after it "
                  "('*.payments.example'); " +
                  expected);
  }
  EXPECT_EQ(HostError("pay..example"),
            at + "host 'pay..example' has an empty label ('..'); " + expected);
  EXPECT_EQ(HostError("'*.pay.example..'"),
            at + "host '*.pay.example..' has an empty label ('..'); " + expected);
  EXPECT_EQ(HostError(".payments.example"),
            at + "host '.payments.example' begins with '.'; write '*.payments.example' for its "
                 "subdomains (and list payments.example too if it is meant)");
  for (const char* colon : {"payments.example:443", "*.2001:db8::1", "2001:db8::g"}) {
    EXPECT_EQ(HostError(std::string("'") + colon + "'"),
              at + "host '" + colon +
                  "' is neither a host name nor an IPv6 address; a name has no port (the Host's "
                  "port is ignored: scope ports with 'port')");
  }
  EXPECT_EQ(HostError("'[2001:db8::1]'"),
            at + "host '[2001:db8::1]': write an IPv6 address without brackets ('2001:db8::1'); "
                 "the Host's brackets and port are ignored");
  EXPECT_EQ(HostError("'pay example'"),
            at + "host 'pay example' is not a host name (letters, digits, '-', '_' and '.'); " +
                expected);
  // Unquoted, '*.' begins a YAML alias: the syntax error says to quote it.
  EXPECT_NE(HostError("*.payments.example")
                .find("p.yaml:2: YAML syntax error: the referenced anchor is not defined (a value "
                      "that begins with '*' must be quoted: '*.example')"),
            std::string::npos);
  // Each name of a list is checked, and an error points at its own line.
  EXPECT_EQ(ErrorOf("statements:\n  - name: h\n    action: pass\n    when:\n      host:\n"
                    "        - pay.example\n        - 'pay..example'\n"),
            "p.yaml:7: statement 'h': host 'pay..example' has an empty label ('..'); " + expected);
}

// A scope written in the old form (an RE2 pattern searched in the Host) is
// an error that says how the new form writes it.
TEST(PolicyHost, AnOldPatternIsAnErrorThatGivesItsNewForm) {
  const std::string regex =
      "' looks like a regular expression; host takes whole host names now, matched "
      "case-insensitively, the Host's port ignored: ";
  const std::pair<const char*, const char*> kOldToNew[] = {
      {R"((^|\.)payments\.example$)", "write [payments.example, '*.payments.example']"},
      {R"(^(.*\.)?payments\.example$)", "write [payments.example, '*.payments.example']"},
      {R"(payments\.example)", "write [payments.example, '*.payments.example']"},
      {R"(payments.example$)", "write [payments.example, '*.payments.example']"},
      {R"(^payments\.example$)", "write payments.example"},
      {R"(^payments\.example)", "write payments.example"},
      {R"(\.payments\.example$)", "write '*.payments.example'"},
      {R"(.*\.payments\.example$)", "write '*.payments.example'"},
      {R"(^.+\.pay-ments\.example$)", "write '*.pay-ments.example'"},
      {R"(^(api|www)\.payments\.example$)",
       "expected a whole host name ('payments.example'), '*.' and a name for any subdomain of it "
       "('*.payments.example'), or a list of them"},
      {R"(pay+\.example)",
       "expected a whole host name ('payments.example'), '*.' and a name for "
       "any subdomain of it ('*.payments.example'), or a list of them"},
      {R"(pay?\.example)",
       "expected a whole host name ('payments.example'), '*.' and a name for "
       "any subdomain of it ('*.payments.example'), or a list of them"},
      {R"([ab]\.example)",
       "expected a whole host name ('payments.example'), '*.' and a name for "
       "any subdomain of it ('*.payments.example'), or a list of them"},
  };
  for (const auto& [old_form, new_form] : kOldToNew) {
    EXPECT_EQ(HostError(std::string("'") + old_form + "'"),
              "p.yaml:2: statement 'h': host '" + std::string(old_form) + regex + new_form)
        << old_form;
  }
}

// A Host scope alone cannot keep values in: a client chooses its Host.
TEST(PolicyWarnings, AHostScopeThatLetsValuesThroughWithoutDstIsWarned) {
  const Policy p = Parse(
      "statements:\n"
      "  - {name: processor, when: {rule: pan, host: [pay.example, '*.pay.example']}, "
      "action: pass}\n"
      "  - {name: watch, when: {host: '*.cdn.example'}, action: alert}\n"
      "  - name: uploads\n"
      "    when: {host: upload.example}\n"
      "    action: mask\n"
      "    thresholds: [{from: 3, action: alert}, {from: 10, action: block}]\n");
  const std::vector<std::string> w = PolicyWarnings(p);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0],
            "p.yaml:2: statement 'processor': warning: lets values through (pass) on the Host "
            "alone, with no 'dst': a client chooses its Host header, so a request with 'Host: "
            "pay.example' sent to any address would carry its values out in clear; add 'dst:' "
            "with the service's addresses");
  EXPECT_NE(w[1].find("p.yaml:3: statement 'watch': warning: lets values through (alert) on the "
                      "Host alone, with no 'dst': a client chooses its Host header, so a request "
                      "with 'Host: x.cdn.example' sent to any address"),
            std::string::npos)
      << w[1];
  EXPECT_NE(w[2].find("p.yaml:4: statement 'uploads': warning: lets values through (alert from "
                      "value 3) on the Host alone"),
            std::string::npos)
      << w[2];
}

TEST(PolicyWarnings, NoneWithADstOrForMaskAndBlock) {
  const Policy p = Parse(
      "statements:\n"
      "  - {name: processor, when: {host: pay.example, dst: 203.0.113.0/24}, action: pass}\n"
      "  - {name: m, when: {host: pay.example}, action: mask}\n"
      "  - name: b\n"
      "    when: {host: pay.example}\n"
      "    action: mask\n"
      "    thresholds: [{from: 2, action: block}]\n"
      "  - {name: by-rule, when: {rule: pan}, action: pass}\n");
  EXPECT_TRUE(PolicyWarnings(p).empty());
}

// --check and `dlpctl rules check` (CheckEngine) show the warnings and pass.
TEST(PolicyWarnings, TheCheckShowsThemAndStillPasses) {
  Engine e;
  e.rules = CompiledRuleset::Compile(BuildRuleSet(DefaultRuleSources()));
  e.policy = std::make_shared<const Policy>(
      Parse("statements:\n  - {name: processor, when: {host: pay.example}, action: pass}\n"
            "examples:\n  - {rule: pan, host: pay.example, expect: pass}\n"));
  const EngineCheck check = CheckEngine(e);
  EXPECT_TRUE(check.failures.empty());
  ASSERT_EQ(check.warnings.size(), 1u);
  EXPECT_EQ(check.warnings[0].rfind("p.yaml:2: statement 'processor': warning: ", 0), 0u);
  const std::string line = DescribeEngine(e, check);
  EXPECT_EQ(line.substr(line.size() - 18), ", 1 policy warning") << line;
}

// The pipeline with a policy: what leaves the gateway.
class PolicyGateway : public Gateway {
 public:
  explicit PolicyGateway(const std::string& policy_text) : Gateway(PipelineConfig{}) {
    pipeline().Reload(nullptr, std::make_shared<const Policy>(Parse(policy_text)));
  }
};

TEST(PolicyOnThePath, AlertAndPassLeaveTheBytesAlone) {
  PolicyGateway gw(
      "statements:\n"
      "  - {name: ssn-alert, when: {rule: us-ssn}, action: alert}\n"
      "  - {name: cards-to-10.0.0.2, when: {rule: pan, dst: 10.0.0.2}, action: pass}\n");
  gw.Send(Tcp4(1, "ssn=536-22-1457&card=4111 1111 1111 1111&x;"));
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "ssn=536-22-1457&card=4111 1111 1111 1111&x;");
  EXPECT_TRUE(gw.out[0].checksum_ok);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.findings.load(), 2u);
  EXPECT_EQ(c.findings_alerted.load(), 1u);
  EXPECT_EQ(c.findings_passed.load(), 1u);
  EXPECT_EQ(c.masked_packets.load(), 0u);
}

// A value the policy would mask, in a compressed body: `compressed` decides
// (block by default; alert lets the body go as sent, recorded).
// A POST whose body is `text` in zlib's format (Content-Encoding: deflate).
std::string DeflatePost(const std::string& text) {
  uLongf n = compressBound(text.size());
  std::string body(n, '\0');
  compress(reinterpret_cast<Bytef*>(body.data()), &n, reinterpret_cast<const Bytef*>(text.data()),
           text.size());
  body.resize(n);
  return "POST /up HTTP/1.1\r\nHost: a\r\nContent-Encoding: deflate\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(PolicyOnThePath, CompressedSaysWhatAValueInACompressedBodyDoes) {
  EXPECT_EQ(Parse("").compressed_action, PolicyAction::kBlock);
  EXPECT_EQ(Parse("compressed: alert\n").compressed_action, PolicyAction::kAlert);
  for (const char* bad : {"mask", "pass"}) {
    EXPECT_EQ(ErrorOf(std::string("compressed: ") + bad + "\n"),
              "p.yaml:1: 'compressed' is block or alert: a value in a compressed body cannot be "
              "masked in place, and pass would leave it unrecorded");
  }
  const std::string req = DeflatePost("pan=4111111111111111;");
  for (const char* action : {"block", "alert"}) {
    PolicyGateway gw(std::string("compressed: ") + action + "\n");
    gw.Send(Tcp4(1, req));
    gw.pipeline().Flush(gw);
    const auto& c = gw.pipeline().counters();
    const bool block = std::string(action) == "block";
    EXPECT_EQ(c.compressed_blocks.load(), block ? 1u : 0u) << action;
    EXPECT_EQ(c.flows_blocked.load(), block ? 1u : 0u) << action;
    EXPECT_EQ(c.findings_alerted.load(), block ? 0u : 1u) << action;
    EXPECT_EQ(gw.Delivered() == req, !block) << action;
  }
}

// Every value of a compressed body has the body's wire span (inflated text
// has no bytes of its own): each still counts, repeats included, as it does
// in a plain body.
TEST(PolicyOnThePath, EachValueOfACompressedBodyCounts) {
  const std::string req = DeflatePost(
      "a=4111111111111111;b=5555555555554444;c=6011111111111117;d=4111111111111111;");
  PolicyGateway gw("compressed: alert\n");
  gw.Send(Tcp4(1, req));
  gw.pipeline().Flush(gw);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.findings.load(), 4u);
  EXPECT_EQ(c.findings_alerted.load(), 4u);
  EXPECT_EQ(gw.Delivered(), req);
}

TEST(PolicyOnThePath, ExemptionIsPerDestinationAndValue) {
  // Cards may go to 10.0.0.2 (the test's destination); the SSN is still masked.
  PolicyGateway gw(
      "statements:\n  - {name: processor, when: {rule: pan, dst: 10.0.0.0/24}, action: pass}\n");
  gw.Send(Tcp4(1, "ssn=536-22-1457&card=4111 1111 1111 1111&x;"));
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, "ssn=XXX-XX-XXXX&card=4111 1111 1111 1111&x;");
}

TEST(PolicyOnThePath, BlockDropsTheValueAndResetsBothEnds) {
  PolicyGateway gw("statements:\n  - {name: no-ssn, when: {rule: us-ssn}, action: block}\n");
  gw.Send(Tcp4(0, "", 0x02));                                    // SYN, client ISN 0
  gw.Send(Tcp4(1, "GET / HTTP/1.1\r\n\r\n", 0x18, 40000, 777));  // 18 bytes, passes
  gw.Send(Tcp4(19, "ssn=536-22-", 0x18, 40000, 777));            // held: may be a value
  gw.Send(Tcp4(30, "1457&more", 0x18, 40000, 777));              // confirms it: block
  gw.Send(Tcp4(39, "after", 0x18, 40000, 777));                  // nothing more passes
  gw.Send(Tcp4(44, "", 0x11, 40000, 777));                       // not even the FIN
  // The SYN, the request line, and the held segment up to the value.
  ASSERT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.out[1].payload, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(gw.out[2].payload, "ssn=");
  EXPECT_TRUE(gw.out[2].checksum_ok);
  EXPECT_EQ(gw.dropped, 3u);
  const auto& c = gw.pipeline().counters();
  EXPECT_EQ(c.flows_blocked.load(), 1u);
  EXPECT_EQ(c.blocked_packets.load(), 4u);
  ASSERT_EQ(gw.injected.size(), 2u);
  // To the server: from the client, at the first byte it has not had: the
  // value's (seq 23).
  PacketView a;
  ASSERT_EQ(DecodePacket(gw.injected[0].data(), gw.injected[0].size(), &a), DecodeStatus::kOk);
  EXPECT_EQ(a.tcp_flags, TcpFlags::kRst);
  EXPECT_EQ(a.seq, 23u);
  EXPECT_EQ(a.src_port, 40000);
  EXPECT_EQ(a.dst_port, 80);
  EXPECT_EQ(a.payload_len, 0u);
  EXPECT_TRUE(TcpChecksumValid(gw.injected[0].data(), a));
  // To the client: from the server, at what the client acknowledges next.
  PacketView b;
  ASSERT_EQ(DecodePacket(gw.injected[1].data(), gw.injected[1].size(), &b), DecodeStatus::kOk);
  EXPECT_EQ(b.tcp_flags, TcpFlags::kRst);
  EXPECT_EQ(b.seq, 777u);
  EXPECT_EQ(b.src_port, 80);
  EXPECT_EQ(b.dst_port, 40000);
  EXPECT_EQ(b.src, a.dst);
  EXPECT_TRUE(TcpChecksumValid(gw.injected[1].data(), b));
}

TEST(PolicyOnThePath, BlockInACoalescedPacketLetsWhatCameBeforeTheValueGo) {
  // One packet as the kernel hands over a GSO/GRO packet: the request, a
  // masked card, then the blocked SSN and more.
  PolicyGateway gw("statements:\n  - {name: no-ssn, when: {rule: us-ssn}, action: block}\n");
  gw.Send(Tcp4(0, "", 0x02));
  const std::string head = "POST / HTTP/1.1\r\n\r\ncard=4111 1111 1111 1111&ssn=";
  gw.Send(Tcp4(1, head + "536-22-1457&after=" + std::string(3000, 'a'), 0x18, 40000, 777));
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.out[1].payload, "POST / HTTP/1.1\r\n\r\ncard=XXXX XXXX XXXX XXXX&ssn=");
  EXPECT_TRUE(gw.out[1].checksum_ok);
  ASSERT_EQ(gw.injected.size(), 2u);
  PacketView a;
  ASSERT_EQ(DecodePacket(gw.injected[0].data(), gw.injected[0].size(), &a), DecodeStatus::kOk);
  EXPECT_EQ(a.seq, 1 + head.size());
  // The client sends it all again: nothing of it passes now.
  gw.Send(Tcp4(1, head + "536-22-1457&after=", 0x18, 40000, 777));
  EXPECT_EQ(gw.out.size(), 2u);
  EXPECT_EQ(gw.dropped, 1u);
  EXPECT_EQ(gw.pipeline().counters().blocked_packets.load(), 2u);
}

TEST(PolicyOnThePath, ThresholdSwitchesFromAlertToBlock) {
  PolicyGateway gw(
      "statements:\n  - name: bulk\n    when: {rule: pan}\n    action: alert\n"
      "    thresholds: [{from: 3, action: block}]\n");
  gw.Send(Tcp4(1, "c=4111111111111111;", 0x18, 40000, 5));
  gw.Send(Tcp4(20, "c=5555555555554444;", 0x18, 40000, 5));
  ASSERT_EQ(gw.out.size(), 2u);  // two values: alert, both pass unchanged
  EXPECT_EQ(gw.out[1].payload, "c=5555555555554444;");
  gw.Send(Tcp4(39, "c=378282246310005;", 0x18, 40000, 5));  // the third: block
  ASSERT_EQ(gw.out.size(), 3u);                             // what came before it goes
  EXPECT_EQ(gw.out[2].payload, "c=");
  gw.Send(Tcp4(57, "more", 0x18, 40000, 5));
  EXPECT_EQ(gw.out.size(), 3u);
  EXPECT_EQ(gw.dropped, 1u);
  EXPECT_EQ(gw.injected.size(), 2u);
  // Another flow starts its own count.
  gw.Send(Tcp4(1, "c=4111111111111111;", 0x18, 40001, 5));
  EXPECT_EQ(gw.out.size(), 4u);
}

TEST(PolicyOnThePath, ReloadAppliesPolicyAtOnceAndRulesToNewFlows) {
  Gateway gw(PipelineConfig{});
  gw.Send(Tcp4(1, "ssn=536-22-1457;", 0x18, 40000));
  EXPECT_EQ(gw.out.back().payload, "ssn=XXX-XX-XXXX;");
  // New rules (an employee id rule) and a policy that alerts on SSNs.
  RuleSource extra{"emp.yaml",
                   "rules:\n  - id: employee-id\n    severity: medium\n    value_chars: '[0-9]'\n"
                   "    patterns: ['EMP\\d{6}']\n"};
  std::vector<RuleSource> sources = DefaultRuleSources();
  sources.push_back(extra);
  auto rules = CompiledRuleset::Compile(BuildRuleSet(sources));
  auto ctx = ScanContext::Create(rules);
  ASSERT_TRUE(ctx.ok());
  gw.pipeline().Reload(
      std::move(ctx).value(),
      std::make_shared<const Policy>(ParsePolicy(
          {"p.yaml", "statements:\n  - {name: a, when: {rule: us-ssn}, action: alert}\n"},
          {"us-ssn", "pan", "employee-id"})));
  gw.Send(Tcp4(17, "ssn=536-22-1457;EMP123456;", 0x18, 40000));  // old flow: old rules, new policy
  EXPECT_EQ(gw.out.back().payload, "ssn=536-22-1457;EMP123456;");
  gw.Send(Tcp4(1, "ssn=536-22-1457;EMP123456;", 0x18, 40001));  // new flow: new rules too
  EXPECT_EQ(gw.out.back().payload, "ssn=536-22-1457;EMPXXXXXX;");
  EXPECT_EQ(gw.pipeline().counters().reloads_applied.load(), 1u);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(PolicyOnThePath, EachPipelinedRequestIsJudgedWithItsOwnHost) {
  // Cards may go to pay.example; the second request, in the same segment,
  // goes elsewhere and must not inherit the first one's exemption.
  PolicyGateway gw(
      "statements:\n  - {name: processor, when: {rule: pan, host: pay.example}, "
      "action: pass}\n");
  const std::string one =
      "POST /a HTTP/1.1\r\nHost: pay.example\r\nContent-Length: 24\r\n\r\ncard=4111 1111 1111 1111";
  const std::string two =
      "POST /b HTTP/1.1\r\nHost: other.example\r\nContent-Length: 24\r\n\r\ncard=4111 1111 1111 "
      "1111";
  gw.Send(Tcp4(1, one + two));
  gw.pipeline().Flush(gw);
  ASSERT_EQ(gw.out.size(), 1u);
  EXPECT_EQ(gw.out[0].payload, one + two.substr(0, two.size() - 19) + "XXXX XXXX XXXX XXXX");
}

TEST(PolicyOnThePath, AHostScopeMatchesTheWholeNameOfTheHostHeader) {
  const std::string policy =
      "statements:\n  - {name: processor, when: {rule: pan, host: pay.example}, action: pass}\n";
  const std::string body = "\r\nContent-Length: 24\r\n\r\ncard=4111 1111 1111 1111";
  {
    PolicyGateway gw(policy);
    const std::string req = "POST /a HTTP/1.1\r\nHost: PAY.Example.:8080" + body;
    gw.Send(Tcp4(1, req));
    gw.pipeline().Flush(gw);
    EXPECT_EQ(gw.Delivered(), req);
  }
  {
    PolicyGateway gw(policy);
    const std::string req = "POST /a HTTP/1.1\r\nHost: pay.example.evil.com" + body;
    gw.Send(Tcp4(1, req));
    gw.pipeline().Flush(gw);
    EXPECT_EQ(gw.Delivered(), req.substr(0, req.size() - 19) + "XXXX XXXX XXXX XXXX");
  }
}

TEST(PolicyOnThePath, AHeadSplitAcrossSegmentsStillHasItsHost) {
  PolicyGateway gw("statements:\n  - {name: exfil, when: {host: exfil.example}, action: block}\n");
  gw.Send(Tcp4(0, "", 0x02));
  gw.Send(Tcp4(1, "POST /x HTTP/1.1\r\nX-Pad: " + std::string(2000, 'p') + "\r\nHo"));
  gw.Send(Tcp4(2030, "st: exfil.example\r\nContent-Length: 15\r\n\r\nssn=536-22-1457"));
  gw.pipeline().Flush(gw);
  EXPECT_EQ(gw.pipeline().counters().flows_blocked.load(), 1u);
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

TEST(PolicyScope, APathMatchesWholeSegmentsOfTheTargetsPath) {
  EXPECT_TRUE(PathInScope("/upload", "/upload"));
  EXPECT_TRUE(PathInScope("/upload", "/upload/a.csv?x=1"));
  EXPECT_TRUE(PathInScope("/upload", "/upload?x"));
  EXPECT_TRUE(PathInScope("/upload", "https://files.example/upload/a"));
  EXPECT_TRUE(PathInScope("/upload/", "/upload/a"));
  EXPECT_TRUE(PathInScope("/", "/anything"));
  EXPECT_FALSE(PathInScope("/upload", "/uploads"));
  EXPECT_FALSE(PathInScope("/upload", "/Upload"));
  EXPECT_FALSE(PathInScope("/upload", "https://files.example/"));
  EXPECT_FALSE(PathInScope("/upload", ""));
  // Forms a server may read as another path match nothing.
  EXPECT_FALSE(PathInScope("/upload", "/upload/../admin"));
  EXPECT_FALSE(PathInScope("/upload", "/upload/./a"));
  EXPECT_FALSE(PathInScope("/upload", "/%75pload"));
  EXPECT_FALSE(PathInScope("/upload", "/upload\\..\\admin"));
  EXPECT_FALSE(PathInScope("/", "*"));
}

TEST(PolicyScope, SrcAndPathLoadAndTheirErrorsSayTheForm) {
  const Policy p = Parse(
      "statements:\n  - {name: hr, when: {rule: us-ssn, src: [10.1.0.0/16, '2001:db8::/32'], "
      "path: [/hr, /payroll/]}, action: pass}\n"
      "examples:\n  - {rule: us-ssn, src: 10.1.9.9, path: /hr/x, expect: pass}\n"
      "  - {rule: us-ssn, src: 10.2.9.9, path: /hr/x, expect: mask}\n"
      "  - {rule: us-ssn, src: '2001:db8::5', path: /payroll/run, expect: pass}\n"
      "  - {rule: us-ssn, path: /hr/x, expect: mask}\n");
  EXPECT_TRUE(RunPolicyExamples(p).empty());
  EXPECT_NE(ErrorOf("statements:\n  - {name: a, when: {path: upload}, action: pass}\n")
                .find("a path is a URL path that begins with '/'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("statements:\n  - {name: a, when: {path: '/a?b'}, action: pass}\n")
                .find("without '?'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("statements:\n  - {name: a, when: {src: 10.0.0.300}, action: pass}\n"), "");
}

TEST(PolicyOnThePath, TheClientAndThePathScopeAFlowsValues) {
  // The test's client is 10.0.0.1: its posts to /hr are exempt, not others.
  PolicyGateway gw(
      "statements:\n  - {name: hr, when: {rule: us-ssn, src: 10.0.0.0/24, path: /hr}, "
      "action: pass}\n");
  gw.Send(
      Tcp4(1, "POST /hr/forms HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\nssn=536-22-1457"));
  gw.Send(Tcp4(1, "POST /shop HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\nssn=536-22-1457",
               0x18, 40001));
  gw.pipeline().Flush(gw);
  ASSERT_EQ(gw.out.size(), 2u);
  EXPECT_NE(gw.out[0].payload.find("ssn=536-22-1457"), std::string::npos);
  EXPECT_NE(gw.out[1].payload.find("ssn=XXX-XX-XXXX"), std::string::npos);
}

}  // namespace
}  // namespace dlp
