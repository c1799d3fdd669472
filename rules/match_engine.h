// The multi-pattern engine dlpd is built with (-DDLP_ENGINE, CMakeLists.txt):
// Hyperscan (or Vectorscan, the same API and library name), or, where
// neither exists, the same calls on RE2 (rules/re2_engine.h). Include this,
// never <hs/hs.h>: the code that compiles and runs the databases is one
// for both.
#pragma once

#include <string>

#if defined(DLP_ENGINE_RE2)
#include "rules/re2_engine.h"
#else
#include <hs/hs.h>
#endif

namespace dlp {

// What status and the rule check name: "hyperscan 5.4.0" (the library's
// own version), or "re2".
std::string MatchEngineName();

}  // namespace dlp
