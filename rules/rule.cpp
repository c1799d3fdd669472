#include "rules/rule.h"

namespace dlp {

const char* ToString(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

const char* ToString(MaskStyle m) {
  switch (m) {
    case MaskStyle::kDigits:
      return "digits";
    case MaskStyle::kAll:
      return "all";
    case MaskStyle::kKeepLast4:
      return "keep-last-4";
  }
  return "?";
}

const char* ToString(Boundary b) {
  switch (b) {
    case Boundary::kNone:
      return "none";
    case Boundary::kToken:
      return "token";
    case Boundary::kNumber:
      return "number";
  }
  return "?";
}

std::optional<Severity> ParseSeverity(const std::string& s) {
  for (auto v : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (s == ToString(v)) return v;
  }
  return std::nullopt;
}

std::optional<MaskStyle> ParseMaskStyle(const std::string& s) {
  for (auto v : {MaskStyle::kDigits, MaskStyle::kAll, MaskStyle::kKeepLast4}) {
    if (s == ToString(v)) return v;
  }
  return std::nullopt;
}

std::optional<Boundary> ParseBoundary(const std::string& s) {
  for (auto v : {Boundary::kNone, Boundary::kToken, Boundary::kNumber}) {
    if (s == ToString(v)) return v;
  }
  return std::nullopt;
}

}  // namespace dlp
