// A token bucket on the caller's clock: `rate_per_s` tokens a second, at
// most `burst` saved up (and as many at the start). Integer arithmetic on
// microseconds of credit: a token costs 1e6 / rate_per_s of them.
//
// Thread-safety: none; one owner.
#pragma once

#include <algorithm>
#include <cstdint>

namespace dlp {

class TokenBucket {
 public:
  // REQUIRES: 0 < rate_per_s <= 1,000,000 and burst > 0.
  TokenBucket(uint32_t rate_per_s, uint32_t burst)
      : cost_us_(1000000 / std::max<uint32_t>(rate_per_s, 1)),
        max_credit_us_(cost_us_ * std::max<uint32_t>(burst, 1)),
        credit_us_(max_credit_us_) {}

  // Takes a token at `now_us` (a clock that does not step back; a reading
  // earlier than the last adds nothing); false when none is left.
  bool Take(int64_t now_us) {
    if (!started_) {
      started_ = true;
      last_us_ = now_us;
    } else if (now_us > last_us_) {
      credit_us_ = std::min(max_credit_us_, credit_us_ + (now_us - last_us_));
      last_us_ = now_us;
    }
    if (credit_us_ < cost_us_) return false;
    credit_us_ -= cost_us_;
    return true;
  }

 private:
  int64_t cost_us_;
  int64_t max_credit_us_;
  int64_t credit_us_;
  int64_t last_us_ = 0;
  bool started_ = false;
};

}  // namespace dlp
