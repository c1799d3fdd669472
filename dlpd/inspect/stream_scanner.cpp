#include "dlpd/inspect/stream_scanner.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace dlp {

Result<StreamScanner> StreamScanner::Open(ScanContext& ctx) {
  StreamScanner s;
  if (hs_open_stream(ctx.rules().stream_db(), 0, &s.stream_) != HS_SUCCESS) {
    return Error{"cannot open a Hyperscan stream"};
  }
  s.state_size_ = ctx.rules().stream_state_size();
  s.history_.reserve(ctx.rules().max_width() + 1);
  return s;
}

StreamScanner::StreamScanner(StreamScanner&& o) noexcept
    : stream_(o.stream_),
      history_(std::move(o.history_)),
      window_(std::move(o.window_)),
      offset_(o.offset_),
      state_size_(o.state_size_) {
  o.stream_ = nullptr;
}

StreamScanner& StreamScanner::operator=(StreamScanner&& o) noexcept {
  if (this != &o) {
    if (stream_ != nullptr) hs_close_stream(stream_, nullptr, nullptr, nullptr);
    stream_ = o.stream_;
    o.stream_ = nullptr;
    history_ = std::move(o.history_);
    window_ = std::move(o.window_);
    offset_ = o.offset_;
    state_size_ = o.state_size_;
  }
  return *this;
}

StreamScanner::~StreamScanner() {
  if (stream_ != nullptr) hs_close_stream(stream_, nullptr, nullptr, nullptr);
}

size_t StreamScanner::memory_bytes() const {
  return sizeof(*this) + state_size_ + history_.capacity() + window_.capacity();
}

void StreamScanner::Remember(const uint8_t* data, size_t len, unsigned width) {
  if (len >= width) {
    history_.assign(data + (len - width), data + len);
    return;
  }
  history_.insert(history_.end(), data, data + len);
  if (history_.size() > width) {
    history_.erase(history_.begin(), history_.begin() + static_cast<long>(history_.size() - width));
  }
}

Status StreamScanner::Feed(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out) {
  if (stream_ == nullptr) return Error{"stream already finished"};
  auto& cands = ctx.candidates();
  cands.clear();
  // Hyperscan takes an unsigned length; feed larger pieces in parts.
  size_t done = 0;
  while (done < len) {
    size_t part = std::min<size_t>(len - done, 1U << 30);
    hs_error_t rc =
        hs_scan_stream(stream_, reinterpret_cast<const char*>(data + done),
                       static_cast<unsigned>(part), 0, ctx.scratch(), CollectCandidate,
                          ctx.candidate_sink());
    if (rc != HS_SUCCESS) return Error{"hs_scan_stream failed: " + std::to_string(rc)};
    done += part;
  }
  // One byte more than the widest match, so that a window always holds a
  // byte before any candidate and '^' cannot match inside the stream.
  const unsigned width = ctx.rules().max_width() + 1;
  if (!cands.empty()) {
    // The piece alone is RE2's text only if '^' cannot be misread at its
    // first byte: at the stream start, or with every candidate after it.
    bool inside_piece = std::all_of(cands.begin(), cands.end(), [&](const Candidate& c) {
      return c.from > offset_ || offset_ == 0;
    });
    if (inside_piece) {
      ConfirmCandidates(ctx.rules(), cands, data, len, offset_, out, ctx.fingerprinter());
    } else {
      // Only when a candidate reaches back into earlier pieces is the
      // history copied in front of this one.
      window_.assign(history_.begin(), history_.end());
      window_.insert(window_.end(), data, data + len);
      ConfirmCandidates(ctx.rules(), cands, window_.data(), window_.size(),
                        offset_ - history_.size(), out, ctx.fingerprinter());
    }
  }
  Remember(data, len, width);
  offset_ += len;
  return {};
}

Status StreamScanner::ProbeEnd(ScanContext& ctx, Findings* out) const {
  if (stream_ == nullptr) return Error{"stream already finished"};
  hs_stream_t* copy = nullptr;
  if (hs_copy_stream(&copy, stream_) != HS_SUCCESS) return Error{"hs_copy_stream failed"};
  auto& cands = ctx.candidates();
  cands.clear();
  hs_error_t rc = hs_close_stream(copy, ctx.scratch(), CollectCandidate,
                          ctx.candidate_sink());
  if (rc != HS_SUCCESS) return Error{"hs_close_stream failed: " + std::to_string(rc)};
  ConfirmCandidates(ctx.rules(), cands, history_.data(), history_.size(), offset_ - history_.size(),
                    out, ctx.fingerprinter());
  return {};
}

Status StreamScanner::Finish(ScanContext& ctx, Findings* out) {
  if (stream_ == nullptr) return Error{"stream already finished"};
  auto& cands = ctx.candidates();
  cands.clear();
  hs_error_t rc = hs_close_stream(stream_, ctx.scratch(), CollectCandidate,
                          ctx.candidate_sink());
  stream_ = nullptr;
  if (rc != HS_SUCCESS) return Error{"hs_close_stream failed: " + std::to_string(rc)};
  ConfirmCandidates(ctx.rules(), cands, history_.data(), history_.size(), offset_ - history_.size(),
                    out, ctx.fingerprinter());
  return {};
}

}  // namespace dlp
