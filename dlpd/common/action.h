// The four things a policy can do with a finding (see policy/policy.h).
// A vocabulary type: findings carry their decided action through the data
// path (inspect -> policy -> mask), so it lives below all three and a finding
// need not include the policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dlp {

enum class PolicyAction : uint8_t { kMask = 0, kAlert, kBlock, kPass };

const char* ToString(PolicyAction a);
std::optional<PolicyAction> ParsePolicyAction(const std::string& s);

}  // namespace dlp
