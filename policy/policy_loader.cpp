#include "policy/policy_loader.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "dlpd/common/hex.h"
#include "dlpd/common/yaml_reader.h"
#include "policy/policy_error.h"

namespace dlp {
namespace {

std::string VersionOf(const std::string& text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  return ToHex(md, 6);
}

class PolicyParser {
 public:
  PolicyParser(const PolicySource& src, const std::vector<std::string>& known_rules)
      : src_(src), known_(known_rules), in_(YamlReader::Throwing<PolicyError>(src.name)) {}

  Policy Parse() {
    return in_.Guard([&] { return ReadPolicy(); });
  }

 private:
  Policy ReadPolicy() {
    const YAML::Node root = in_.Parse(src_.text);
    Policy p;
    p.source = src_.name;
    p.version = VersionOf(src_.text);
    if (!root || root.IsNull()) return p;  // an empty file: mask everything
    if (!root.IsMap()) in_.Fail(root, "", "a policy file is a map (default, statements, examples)");
    in_.CheckKeys(root, {"default", "compressed", "statements", "examples"}, "");
    if (root["default"]) p.default_action = Action(root["default"], "");
    if (const YAML::Node c = root["compressed"]) {
      p.compressed_action = Action(c, "");
      if (p.compressed_action != PolicyAction::kBlock &&
          p.compressed_action != PolicyAction::kAlert) {
        in_.Fail(c, "",
                 "'compressed' is block or alert: a value in a compressed body cannot be masked "
                 "in place, and pass would leave it unrecorded");
      }
    }
    std::set<std::string> names;
    if (const YAML::Node list = root["statements"]) {
      if (!list.IsSequence()) in_.Fail(list, "", "'statements' must be a list");
      for (const auto& node : list) {
        PolicyStatement st = ParseStatement(node);
        if (!names.insert(st.name).second) in_.Fail(node, st.name, "duplicate statement name");
        p.statements.push_back(std::move(st));
      }
    }
    if (const YAML::Node list = root["examples"]) {
      if (!list.IsSequence()) in_.Fail(list, "", "'examples' must be a list");
      for (const auto& node : list) p.examples.push_back(ParseExample(node));
    }
    return p;
  }

  PolicyAction Action(const YAML::Node& n, const std::string& name) {
    const std::string s = in_.Text(n, name, "an action");
    auto a = ParsePolicyAction(s);
    if (!a) in_.Fail(n, name, "unknown action '" + s + "' (expected mask, alert, block or pass)");
    return *a;
  }

  Severity SeverityOf(const YAML::Node& n, const std::string& name) {
    const std::string s = in_.Text(n, name, "a severity");
    auto v = ParseSeverity(s);
    if (!v)
      in_.Fail(n, name, "unknown severity '" + s + "' (expected low, medium, high, critical)");
    return *v;
  }

  uint32_t Count(const YAML::Node& n, const std::string& name, const char* what, uint32_t min,
                 uint32_t max) {
    const std::string s = in_.Text(n, name, what);
    if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(s) < min || std::stoull(s) > max) {
      in_.Fail(n, name,
               std::string(what) + " must be a number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", not '" + s + "'");
    }
    return static_cast<uint32_t>(std::stoul(s));
  }

  std::string RuleId(const YAML::Node& n, const std::string& name) {
    const std::string id = in_.Text(n, name, "a rule id");
    if (std::find(known_.begin(), known_.end(), id) == known_.end()) {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      in_.Fail(n, name, "no rule '" + id + "' in the rule set (rules: " + list + ")");
    }
    return id;
  }

  PolicyStatement ParseStatement(const YAML::Node& node) {
    if (!node.IsMap()) in_.Fail(node, "", "a statement is a map (name, when, action, thresholds)");
    PolicyStatement st;
    st.line = LineOf(node);
    st.name = in_.Scalar(node, "name", "", true);
    if (st.name.empty()) in_.Fail(node["name"], "", "'name' must not be empty");
    in_.CheckKeys(node, {"name", "when", "action", "thresholds"}, st.name);
    st.action = Action(in_.Required(node, "action", st.name), st.name);
    if (const YAML::Node when = node["when"]) {
      if (!when.IsMap())
        in_.Fail(when, st.name,
                 "'when' must be a map (rule, severity, dst, port, host, src, path)");
      in_.CheckKeys(when, {"rule", "severity", "dst", "port", "host", "src", "path"}, st.name);
      if (when["rule"]) {
        for (const auto& n : in_.Items(when["rule"], st.name, "rule"))
          st.rules.push_back(RuleId(n, st.name));
      }
      if (when["severity"]) {
        for (const auto& n : in_.Items(when["severity"], st.name, "severity")) {
          st.severities.push_back(SeverityOf(n, st.name));
        }
      }
      if (when["dst"]) {
        for (const auto& n : in_.Items(when["dst"], st.name, "dst")) {
          auto c = Cidr::Parse(in_.Text(n, st.name, "dst"));
          if (!c) in_.Fail(n, st.name, c.error().message);
          st.dst.push_back(c.value());
        }
      }
      if (when["src"]) {
        for (const auto& n : in_.Items(when["src"], st.name, "src")) {
          auto c = Cidr::Parse(in_.Text(n, st.name, "src"));
          if (!c) in_.Fail(n, st.name, c.error().message);
          st.src.push_back(c.value());
        }
      }
      if (when["path"]) {
        for (const auto& n : in_.Items(when["path"], st.name, "path")) {
          std::string p = in_.Text(n, st.name, "path");
          if (p.empty() || p.front() != '/' || p.find_first_of("?#%\\ ") != std::string::npos) {
            in_.Fail(n, st.name,
                     "a path is a URL path that begins with '/', without '?', '#', '%', '\\' "
                     "or spaces, not '" +
                         p + "'");
          }
          st.paths.push_back(std::move(p));
        }
        if (st.paths.empty()) {
          in_.Fail(when["path"], st.name, "'path' lists no path; to match any, leave it out");
        }
      }
      if (when["port"]) {
        for (const auto& n : in_.Items(when["port"], st.name, "port")) {
          st.ports.push_back(static_cast<uint16_t>(Count(n, st.name, "a port", 1, 65535)));
        }
      }
      if (when["host"]) {
        for (const auto& n : in_.Items(when["host"], st.name, "host")) {
          auto h = HostName::Parse(in_.Text(n, st.name, "host"));
          if (!h) in_.Fail(n, st.name, h.error().message);
          st.hosts.push_back(std::move(h).value());
        }
        if (st.hosts.empty()) {
          in_.Fail(when["host"], st.name, "'host' lists no name; to match any Host, leave it out");
        }
      }
    }
    if (const YAML::Node list = node["thresholds"]) {
      if (!list.IsSequence())
        in_.Fail(list, st.name, "'thresholds' must be a list of {from, action}");
      for (const auto& t : list) {
        if (!t.IsMap()) in_.Fail(t, st.name, "a threshold is a map {from: N, action: A}");
        in_.CheckKeys(t, {"from", "action"}, st.name);
        if (!t["from"] || !t["action"])
          in_.Fail(t, st.name, "a threshold needs 'from' and 'action'");
        Threshold th{Count(t["from"], st.name, "'from'", 2, 1000000000),
                     Action(t["action"], st.name)};
        if (!st.thresholds.empty() && th.from <= st.thresholds.back().from) {
          in_.Fail(t, st.name, "thresholds must be in increasing order of 'from'");
        }
        st.thresholds.push_back(th);
      }
    }
    return st;
  }

  PolicyExample ParseExample(const YAML::Node& node) {
    if (!node.IsMap())
      in_.Fail(node, "", "an example is a map (rule, dst, port, host, src, path, count, expect)");
    in_.CheckKeys(
        node, {"rule", "severity", "dst", "port", "host", "src", "path", "count", "expect"}, "");
    PolicyExample ex;
    ex.line = LineOf(node);
    if (!node["rule"] || !node["expect"])
      in_.Fail(node, "", "an example needs 'rule' and 'expect'");
    ex.rule_id = RuleId(node["rule"], "");
    if (node["severity"]) ex.severity = SeverityOf(node["severity"], "");
    if (node["dst"]) {
      ex.dst = in_.Text(node["dst"], "", "dst");
      auto c = Cidr::Parse(ex.dst);
      if (!c || ex.dst.find('/') != std::string::npos) {
        in_.Fail(node["dst"], "", "example dst must be one address, not '" + ex.dst + "'");
      }
    }
    if (node["port"]) ex.port = static_cast<uint16_t>(Count(node["port"], "", "a port", 1, 65535));
    if (node["host"]) ex.host = in_.Text(node["host"], "", "host");
    if (node["src"]) {
      ex.src = in_.Text(node["src"], "", "src");
      auto c = Cidr::Parse(ex.src);
      if (!c || ex.src.find('/') != std::string::npos) {
        in_.Fail(node["src"], "", "example src must be one address, not '" + ex.src + "'");
      }
    }
    if (node["path"]) ex.path = in_.Text(node["path"], "", "path");
    if (node["count"]) ex.count = Count(node["count"], "", "'count'", 1, 1000000000);
    ex.want = Action(node["expect"], "");
    return ex;
  }

  const PolicySource& src_;
  const std::vector<std::string>& known_;
  const YamlReader in_;
};

}  // namespace

Policy ParsePolicy(const PolicySource& source, const std::vector<std::string>& known_rules) {
  return PolicyParser(source, known_rules).Parse();
}

Policy LoadPolicy(const std::string& path, const std::vector<std::string>& known_rules) {
  if (path.empty()) {
    const auto sources = EmbeddedPolicySources();
    return ParsePolicy(sources.at(0), known_rules);
  }
  std::optional<std::string> text = ReadTextFile(path);
  if (!text) throw PolicyError(path, 0, "", "cannot read the policy file");
  return ParsePolicy({path, std::move(*text)}, known_rules);
}

std::vector<std::string> RunPolicyExamples(const Policy& policy) {
  std::vector<std::string> failures;
  for (const PolicyExample& ex : policy.examples) {
    FindingScope s;
    s.rule_id = ex.rule_id;
    s.severity = ex.severity;
    std::array<uint8_t, 16> addr{};
    if (!ex.dst.empty()) {
      s.family = ex.dst.find(':') != std::string::npos ? AF_INET6 : AF_INET;
      inet_pton(s.family, ex.dst.c_str(), addr.data());
      s.dst = addr.data();
    }
    s.dst_port = ex.port;
    s.host = ex.host;
    std::array<uint8_t, 16> src{};
    if (!ex.src.empty()) {
      s.src_family = ex.src.find(':') != std::string::npos ? AF_INET6 : AF_INET;
      inet_pton(s.src_family, ex.src.c_str(), src.data());
      s.src = src.data();
    }
    s.path = ex.path;
    const PolicyAction got = policy.Decide(policy.Match(s), ex.count);
    if (got != ex.want) {
      std::string what = "rule " + ex.rule_id;
      if (!ex.dst.empty()) what += " to " + ex.dst + (ex.port ? ":" + std::to_string(ex.port) : "");
      if (!ex.host.empty()) what += " (Host " + ex.host + ")";
      if (!ex.src.empty()) what += " from " + ex.src;
      if (!ex.path.empty()) what += " at " + ex.path;
      if (ex.count > 1) what += ", value " + std::to_string(ex.count) + " of the flow";
      failures.push_back(policy.source + ":" + std::to_string(ex.line) + ": example: " + what +
                         " gave " + ToString(got) + ", expected " + ToString(ex.want));
    }
  }
  return failures;
}

std::vector<std::string> PolicyWarnings(const Policy& policy) {
  std::vector<std::string> warnings;
  for (const PolicyStatement& st : policy.statements) {
    if (st.hosts.empty() || !st.dst.empty()) continue;
    // The actions of the statement that let a value through.
    const auto through = [](PolicyAction a) {
      return a == PolicyAction::kPass || a == PolicyAction::kAlert;
    };
    std::string lets;
    if (through(st.action)) lets = ToString(st.action);
    for (const Threshold& t : st.thresholds) {
      if (!through(t.action)) continue;
      lets += std::string(lets.empty() ? "" : ", ") + ToString(t.action) + " from value " +
              std::to_string(t.from);
    }
    if (lets.empty()) continue;
    std::string host = st.hosts.front().ToString();
    if (host[0] == '*') host[0] = 'x';  // "*.pay.example": a request to x.pay.example
    warnings.push_back(PolicyWhere(policy.source, st.line, st.name) +
                       "warning: lets values through (" + lets +
                       ") on the Host alone, with no 'dst': a client chooses its Host header, so "
                       "a request with 'Host: " +
                       host +
                       "' sent to any address would carry its values out in clear; add 'dst:' "
                       "with the service's addresses");
  }
  return warnings;
}

}  // namespace dlp
