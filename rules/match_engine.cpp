#include "rules/match_engine.h"

#include <string_view>

namespace dlp {

std::string MatchEngineName() {
#if defined(DLP_ENGINE_RE2)
  return "re2";
#else
  // hs_version(): "5.4.0 2023-01-30" (the version, then the build date).
  const std::string_view v = hs_version();
  return "hyperscan " + std::string(v.substr(0, v.find(' ')));
#endif
}

}  // namespace dlp
