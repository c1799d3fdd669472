#include "dlpd/mask/stream_redactor.h"

#include <algorithm>

#include "dlpd/inspect/wire_findings.h"
#include "dlpd/mask/base64_mask.h"
#include "dlpd/mask/mask.h"

namespace dlp {

Result<StreamRedactor> StreamRedactor::Open(ScanContext& ctx) {
  auto s = StreamScanner::Open(ctx);
  if (!s) return s.error();
  return StreamRedactor(std::move(s).value());
}

Status StreamRedactor::ScanText(ScanContext& ctx, Findings* found) {
  const size_t first_new = found->size();
  if (Status st = Base64Scan::FeedStream(ctx, scanner_.history(), text_.data(), text_.size(),
                                         scanner_.offset(), &base64_, &base64_found_);
      !st) {
    return st;
  }
  if (Status st = scanner_.Feed(ctx, text_.data(), text_.size(), found); !st) return st;
  Findings fresh(found->begin() + static_cast<std::ptrdiff_t>(first_new), found->end());
  PlaceOnWire(normalizer_->map(), &fresh, &units_, &xors_);
  std::copy(fresh.begin(), fresh.end(), found->begin() + static_cast<std::ptrdiff_t>(first_new));
  return {};
}

void StreamRedactor::MaskAndRelease(ScanContext& ctx, size_t first_new, Findings* found, bool all,
                                    std::string* ready) {
  for (size_t i = first_new; i < found->size(); ++i) {
    Finding& x = (*found)[i];
    if (decide_) decide_(x);
    // In a compressed body a value cannot be masked in place: without a
    // decider (or one that says mask) it is reported blocked, the bytes
    // left as they are.
    if (x.compressed && x.action == PolicyAction::kMask) x.action = PolicyAction::kBlock;
  }
  MaskFindings(ctx.rules(), found->data() + first_new, found->size() - first_new, units_, xors_,
               reinterpret_cast<uint8_t*>(pending_.data()), pending_.size(), pending_base_);
  // Values in base64, one at a time (a second value in a group re-encodes
  // it as the first left it), masked by re-encoding their groups.
  const WireMap& map = normalizer_->map();
  std::vector<WireEdit> edits;
  for (Finding& x : base64_found_) {
    const Finding decoded = x;
    x.compressed = !Base64Maskable(ctx.rules(), decoded, base64_->text(), map, &x.reason);
    base64_->PlaceOnWire(map, &x);
    if (decide_) decide_(x);
    if (x.compressed && x.action == PolicyAction::kMask) x.action = PolicyAction::kBlock;
    if (x.action == PolicyAction::kMask) {
      edits.clear();
      Base64Edits(ctx.rules(), decoded, base64_->text(), map, &edits);
      for (const WireEdit& e : edits) {
        if (e.off >= pending_base_ && e.off < pending_base_ + pending_.size()) {
          pending_[e.off - pending_base_] = static_cast<char>(e.byte);
        }
      }
    }
    found->push_back(x);
  }
  base64_found_.clear();
  // What a value not complete yet may still take: the wire bytes of the
  // last max_width characters, and bytes kept for one not decided yet.
  uint64_t keep_from = pending_base_ + pending_.size();
  if (!all) {
    const uint64_t width = ctx.rules().max_width();
    const uint64_t norm = scanner_.offset();
    keep_from = std::min(normalizer_->map().WireStart(norm > width ? norm - width : 0),
                         normalizer_->pending_from());
    // And a value whose verdict waits for what comes (a table's row?).
    const uint64_t waiting = scanner_.pending_from();
    if (waiting < norm) keep_from = std::min(keep_from, normalizer_->map().WireStart(waiting));
    // And the characters of the base64 groups a value may still take.
    const uint64_t keep = base64_ != nullptr ? base64_->KeepFrom() : UINT64_MAX;
    if (keep < norm) keep_from = std::min(keep_from, normalizer_->map().WireStart(keep));
  }
  if (keep_from > pending_base_) {
    const size_t n = static_cast<size_t>(keep_from - pending_base_);
    ready->append(pending_, 0, n);
    pending_.erase(0, n);
    pending_base_ += n;
    units_.erase(units_.begin(),
                 std::find_if(units_.begin(), units_.end(),
                              [this](const WireUnit& u) { return u.off + u.len > pending_base_; }));
  }
  uint64_t kept = scanner_.offset() - scanner_.history().size();
  if (base64_ != nullptr) kept = std::min(kept, base64_->KeepFrom());
  normalizer_->map().PruneBefore(kept);
}

Status StreamRedactor::Feed(ScanContext& ctx, const uint8_t* data, size_t len, std::string* ready,
                            Findings* found) {
  const size_t first_new = found->size();
  const uint64_t off = pending_base_ + pending_.size();
  pending_.append(reinterpret_cast<const char*>(data), len);
  text_.clear();
  normalizer_->Feed(data, len, off, &text_);
  if (Status st = ScanText(ctx, found); !st) return st;
  MaskAndRelease(ctx, first_new, found, /*all=*/false, ready);
  return {};
}

Status StreamRedactor::Finish(ScanContext& ctx, std::string* ready, Findings* found) {
  const size_t first_new = found->size();
  text_.clear();
  normalizer_->Finish(&text_);
  if (Status st = ScanText(ctx, found); !st) return st;
  const size_t before_end = found->size();
  if (Status st = scanner_.Finish(ctx, found); !st) return st;
  if (base64_ != nullptr) {
    if (Status st = base64_->Finish(ctx, &base64_found_); !st) return st;
  }
  Findings fresh(found->begin() + static_cast<std::ptrdiff_t>(before_end), found->end());
  PlaceOnWire(normalizer_->map(), &fresh, &units_, &xors_);
  std::copy(fresh.begin(), fresh.end(), found->begin() + static_cast<std::ptrdiff_t>(before_end));
  MaskAndRelease(ctx, first_new, found, /*all=*/true, ready);
  return {};
}

}  // namespace dlp
