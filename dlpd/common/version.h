#pragma once

namespace dlp {
inline constexpr const char* kVersion = "0.1.0";
}  // namespace dlp
