// What happens to a packet that cannot be inspected (see README, fail mode).
#pragma once

namespace dlp {

enum class FailMode {
  kClosed,  // what cannot be inspected does not pass (default)
  kOpen,    // it passes, and is counted
};

}  // namespace dlp
