#include "dlpd/common/action.h"

namespace dlp {

const char* ToString(PolicyAction a) {
  switch (a) {
    case PolicyAction::kMask:
      return "mask";
    case PolicyAction::kAlert:
      return "alert";
    case PolicyAction::kBlock:
      return "block";
    case PolicyAction::kPass:
      return "pass";
  }
  return "mask";
}

std::optional<PolicyAction> ParsePolicyAction(const std::string& s) {
  if (s == "mask") return PolicyAction::kMask;
  if (s == "alert") return PolicyAction::kAlert;
  if (s == "block") return PolicyAction::kBlock;
  if (s == "pass") return PolicyAction::kPass;
  return std::nullopt;
}

}  // namespace dlp
