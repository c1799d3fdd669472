#include "dlpd/mask/stream_redactor.h"

#include "dlpd/mask/mask.h"

namespace dlp {

Result<StreamRedactor> StreamRedactor::Open(ScanContext& ctx) {
  auto s = StreamScanner::Open(ctx);
  if (!s) return s.error();
  return StreamRedactor(std::move(s).value());
}

void StreamRedactor::MaskAndRelease(ScanContext& ctx, size_t first_new, Findings* found,
                                    uint64_t keep, std::string* ready) {
  if (decide_) {
    for (size_t i = first_new; i < found->size(); ++i) decide_((*found)[i]);
  }
  MaskFindings(ctx.rules(), found->data() + first_new, found->size() - first_new,
               reinterpret_cast<uint8_t*>(pending_.data()), pending_.size(), pending_base_);
  if (pending_.size() > keep) {
    size_t n = pending_.size() - keep;
    ready->append(pending_, 0, n);
    pending_.erase(0, n);
    pending_base_ += n;
  }
}

Status StreamRedactor::Feed(ScanContext& ctx, const uint8_t* data, size_t len, std::string* ready,
                            Findings* found) {
  size_t first_new = found->size();
  pending_.append(reinterpret_cast<const char*>(data), len);
  if (Status st = scanner_.Feed(ctx, data, len, found); !st) return st;
  MaskAndRelease(ctx, first_new, found, ctx.rules().max_width(), ready);
  return {};
}

Status StreamRedactor::Finish(ScanContext& ctx, std::string* ready, Findings* found) {
  size_t first_new = found->size();
  if (Status st = scanner_.Finish(ctx, found); !st) return st;
  MaskAndRelease(ctx, first_new, found, 0, ready);
  return {};
}

}  // namespace dlp
