#include "dlpd/pipeline/engine_handoff.h"

#include "dlpd/inspect/scan_context.h"
#include "policy/policy.h"

namespace dlp {

EngineHandoff::EngineHandoff() = default;
EngineHandoff::~EngineHandoff() = default;

void EngineHandoff::Offer(std::unique_ptr<Engine> next) {
  std::lock_guard<std::mutex> lock(mu_);
  next_ = std::move(next);
  pending_.store(true, std::memory_order_release);
}

std::unique_ptr<EngineHandoff::Engine> EngineHandoff::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.store(false, std::memory_order_release);
  return std::move(next_);
}

}  // namespace dlp
