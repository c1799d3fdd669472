#include "dlpd/inspect/stream_scanner.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dlpd/inspect/gated_scan.h"
#include "dlpd/inspect/shape_scan.h"
#include "dlpd/inspect/value_context.h"
#include "rules/boundary.h"

namespace dlp {

Result<StreamScanner> StreamScanner::Open(ScanContext& ctx) {
  StreamScanner s;
  if (ctx.rules().stream_db() != nullptr &&
      hs_open_stream(ctx.rules().stream_db(), 0, &s.stream_) != HS_SUCCESS) {
    return Error{"cannot open a Hyperscan stream"};
  }
  s.rules_ = &ctx.rules();
  s.state_size_ = ctx.rules().stream_state_size();
  // Room for a match's width; the lookback (labels, lines before a value)
  // grows it only in streams that carry that much text.
  s.history_.reserve(ctx.rules().max_width() + 1);
  return s;
}

StreamScanner::StreamScanner(StreamScanner&& o) noexcept
    : rules_(o.rules_),
      stream_(o.stream_),
      finished_(o.finished_),
      history_(std::move(o.history_)),
      pending_(std::move(o.pending_)),
      columns_(std::move(o.columns_)),
      offset_(o.offset_),
      state_size_(o.state_size_) {
  o.stream_ = nullptr;
  o.finished_ = true;
}

StreamScanner& StreamScanner::operator=(StreamScanner&& o) noexcept {
  if (this != &o) {
    if (stream_ != nullptr) hs_close_stream(stream_, nullptr, nullptr, nullptr);
    rules_ = o.rules_;
    stream_ = o.stream_;
    finished_ = o.finished_;
    pending_ = std::move(o.pending_);
    columns_ = std::move(o.columns_);
    o.stream_ = nullptr;
    o.finished_ = true;
    history_ = std::move(o.history_);
    offset_ = o.offset_;
    state_size_ = o.state_size_;
  }
  return *this;
}

StreamScanner::~StreamScanner() {
  if (stream_ != nullptr) hs_close_stream(stream_, nullptr, nullptr, nullptr);
}

size_t StreamScanner::memory_bytes() const {
  return sizeof(*this) + state_size_ + history_.capacity() +
         pending_.capacity() * sizeof(Candidate) + columns_.memory_bytes();
}

void StreamScanner::FeedColumns(ScanContext& ctx, const uint8_t* data, size_t len,
                                const std::vector<uint64_t>* blank_line_ends) {
  if (!ctx.rules().columns()) return;
  const uint64_t kept = std::min<uint64_t>(offset_, ctx.rules().history_width());
  columns_.Prune(offset_ - kept);
  const std::string_view piece(reinterpret_cast<const char*>(data), len);
  if (blank_line_ends != nullptr) {
    columns_.Feed(piece, offset_, *blank_line_ends);
  } else {
    columns_.Feed(piece, offset_);
  }
}

uint64_t StreamScanner::pending_from() const {
  uint64_t from = UINT64_MAX;
  for (const Candidate& c : pending_) from = std::min(from, c.from);
  return from;
}

bool StreamScanner::HasContextAt(const void* self, uint32_t rule, std::string_view text,
                                 size_t at) {
  const auto* s = static_cast<const StreamScanner*>(self);
  // `text` is the history or a part of it that begins where it does.
  const char* h = reinterpret_cast<const char*>(s->history_.data());
  const uint64_t history_base = s->offset_ - s->history_.size();
  const uint64_t text_base = text.data() >= h && text.data() <= h + s->history_.size()
                                 ? history_base + static_cast<uint64_t>(text.data() - h)
                                 : s->offset_ - std::min<uint64_t>(text.size(), s->offset_);
  return HasContext(*s->rules_, rule, text, at, text_base, &s->columns_);
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
  if (finished_) return Error{"stream already finished"};
  if (len == 0) return {};
  auto& cands = ctx.candidates();
  cands.clear();
  // Hyperscan takes an unsigned length; feed larger pieces in parts.
  for (size_t done = 0; stream_ != nullptr && done < len;) {
    size_t part = std::min<size_t>(len - done, 1U << 30);
    hs_error_t rc = hs_scan_stream(stream_, reinterpret_cast<const char*>(data + done),
                                   static_cast<unsigned>(part), 0, ctx.scratch(), CollectCandidate,
                                   ctx.candidate_sink());
    if (rc != HS_SUCCESS) return Error{"hs_scan_stream failed: " + std::to_string(rc)};
    done += part;
  }
  const size_t ungated = cands.size();
  const uint64_t prev_end = offset_;
  const uint64_t end = offset_ + len;
  const uint64_t history_base = offset_ - history_.size();

  // History and piece as one text, copied only when some candidate or
  // region reaches back into the history.
  bool joined = false;
  std::vector<uint8_t>& window = ctx.joined();
  auto join = [&] {
    if (!joined) {
      window.assign(history_.begin(), history_.end());
      window.insert(window.end(), data, data + len);
      joined = true;
    }
  };

  if (ctx.rules().gated() && walk_whole_ && ctx.rules().gated_db() == nullptr) {
    // Dense like the piece before: every byte is in a span, and the gate
    // would cost a fifth of the scan to say so. It notes the columns'
    // blank lines still (from the history's last two bytes: a blank line
    // may end the piece's first); a match may begin in the history.
    if (ctx.rules().columns()) {
      DigitGate& gate = ctx.gate();
      gate.Reset();
      const size_t keep = std::min<size_t>(history_.size(), 2);
      gate.FeedLines(history_.data() + (history_.size() - keep), keep, offset_ - keep);
      gate.FeedLines(data, len, offset_);
      FeedColumns(ctx, data, len, &gate.blank_line_ends());
    }
    const uint8_t* text = data;
    size_t size = len;
    uint64_t base = offset_;
    if (!history_.empty()) {
      join();
      text = window.data();
      size = window.size();
      base = history_base;
    }
    walk_whole_ = CollectShapedCandidates(ctx, nullptr, text, size, base, prev_end).dense;
  } else if (ctx.rules().gated()) {
    DigitGate& gate = ctx.gate();
    gate.Reset();
    // The gate needs the last widest-match bytes of the history (a cluster
    // cut by the piece's edge), not the lookback kept for verdicts.
    const size_t gate_keep = std::min<size_t>(history_.size(), ctx.rules().max_width() + size_t{1});
    gate.Feed(history_.data() + (history_.size() - gate_keep), gate_keep, offset_ - gate_keep);
    gate.Feed(data, len, offset_);
    FeedColumns(ctx, data, len, &gate.blank_line_ends());
    auto regions_join = [&](const Region& r) { return r.from < offset_ && r.to > prev_end; };
    // A shaped match lies in a span; one that reads bytes of both reads the
    // byte before its first digit (the lead context) and ends up to a
    // trailing context after its last.
    auto spans_join = [&](const Region& r) {
      return r.from <= offset_ && r.to + kMaxTrailBytes >= prev_end;
    };
    const bool reaches_back =
        !history_.empty() &&
        (std::any_of(gate.regions().begin(), gate.regions().end(), regions_join) ||
         std::any_of(gate.spans().begin(), gate.spans().end(), spans_join));
    Status st;
    ShapedWalk walk;
    if (reaches_back) {
      join();
      st = CollectGatedCandidates(ctx, gate, window.data(), window.size(), history_base, prev_end,
                                  &walk);
    } else {
      st = CollectGatedCandidates(ctx, gate, data, len, offset_, prev_end, &walk);
    }
    if (!st) return st;
    walk_whole_ = walk.dense;
  } else {
    FeedColumns(ctx, data, len, nullptr);
  }

  // Ungated candidates, and gated ones that end inside the piece, are
  // judged on the bytes at hand. A gated candidate that ends at the piece's
  // last byte waits for the next byte unless no next byte can change it;
  // one that ended at the previous piece's last byte and waited is judged
  // now.
  // The worker's lists, reused: a Feed allocated five before.
  ScanContext::FeedLists& lists = ctx.feed_lists();
  std::vector<Candidate>& now = lists.now;
  std::vector<Candidate>& at_end = lists.at_end;
  std::vector<Candidate>& waited = lists.waited;
  now.assign(cands.begin(), cands.begin() + static_cast<long>(ungated));
  at_end.clear();
  waited.clear();
  for (size_t i = ungated; i < cands.size(); ++i) {
    const Candidate& c = cands[i];
    if (c.to < prev_end) continue;  // judged by an earlier Feed
    if (c.to == prev_end) {
      if (prev_end > 0) waited.push_back(c);
    } else if (c.to == end) {
      at_end.push_back(c);
    } else {
      now.push_back(c);
    }
  }
  Findings& found = lists.found;
  found.clear();
  // Values left undecided by the last piece are judged again with this one.
  std::vector<Candidate>& undecided = lists.undecided;
  undecided.clear();
  if (!now.empty() || !waited.empty() || !pending_.empty()) {
    now.insert(now.end(), waited.begin(), waited.end());
    now.insert(now.end(), pending_.begin(), pending_.end());
    // The piece alone is RE2's text only if '^' cannot be misread at its
    // first byte (at the stream start, or with every candidate after it)
    // and it holds what a verdict reads before each candidate.
    const uint64_t lookback = ctx.rules().lookback();
    const bool inside_piece = std::all_of(now.begin(), now.end(), [&](const Candidate& c) {
      return c.from > offset_ + lookback || offset_ == 0;
    });
    if (inside_piece) {
      ConfirmCandidates(ctx.rules(), now, data, len, offset_, &found, ctx.fingerprinter(),
                        Around(ctx, false), &undecided);
    } else {
      join();
      ConfirmCandidates(ctx.rules(), now, window.data(), window.size(), history_base, &found,
                        ctx.fingerprinter(), Around(ctx, false), &undecided);
    }
    if (!waited.empty()) {
      // Those that held whatever came next were reported last time.
      found = Without(found, DecidedAtEnd(ctx, waited, history_.data(), history_.size(),
                                          history_base, &columns_));
    }
  }
  pending_.clear();
  if (!at_end.empty()) {
    const unsigned need = ctx.rules().history_width();
    Findings decided;
    // Those that wait for more than the next byte are held (pending_from)
    // and judged again with what comes.
    if (len >= need || offset_ == 0) {
      decided = DecidedAtEnd(ctx, at_end, data, len, offset_, &columns_, &undecided);
    } else {
      join();
      decided = DecidedAtEnd(ctx, at_end, window.data(), window.size(), history_base, &columns_,
                             &undecided);
    }
    found.insert(found.end(), decided.begin(), decided.end());
  }
  auto by_start = [](const Candidate& a, const Candidate& b) {
    if (a.from != b.from) return a.from < b.from;
    return a.pattern != b.pattern ? a.pattern < b.pattern : a.to < b.to;
  };
  // Two values may begin at one place and end at two ("4111 1111 1111 1111"
  // and "... 1111 110"), each left undecided.
  auto same = [](const Candidate& a, const Candidate& b) {
    return a.from == b.from && a.pattern == b.pattern && a.to == b.to;
  };
  std::sort(undecided.begin(), undecided.end(), by_start);
  undecided.erase(std::unique(undecided.begin(), undecided.end(), same), undecided.end());
  pending_.swap(undecided);  // pending_ was cleared: the list goes back empty
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  out->insert(out->end(), found.begin(), found.end());
  // One byte more than the widest match and its lookback, so that a window
  // always holds a byte before any candidate and '^' cannot match inside
  // the stream.
  Remember(data, len, ctx.rules().history_width());
  offset_ += len;
  return {};
}

Status StreamScanner::GatedAtEnd(ScanContext& ctx, Findings* found) const {
  if (!ctx.rules().gated() || offset_ == 0) return {};
  const uint64_t history_base = offset_ - history_.size();
  DigitGate& gate = ctx.gate();
  gate.Reset();
  gate.Feed(history_.data(), history_.size(), history_base);
  auto& cands = ctx.candidates();
  cands.clear();
  if (Status st = CollectGatedCandidates(ctx, gate, history_.data(), history_.size(), history_base,
                                         offset_ - 1);
      !st) {
    return st;
  }
  cands.erase(std::remove_if(cands.begin(), cands.end(),
                             [&](const Candidate& c) { return c.to != offset_; }),
              cands.end());
  if (cands.empty()) return {};
  Findings at_end;
  ConfirmCandidates(ctx.rules(), cands, history_.data(), history_.size(), history_base, &at_end,
                    ctx.fingerprinter(), Around(ctx, true));
  // Those that held whatever came next were reported by the last Feed.
  at_end = Without(
      at_end, DecidedAtEnd(ctx, cands, history_.data(), history_.size(), history_base, &columns_));
  found->insert(found->end(), at_end.begin(), at_end.end());
  return {};
}

Status StreamScanner::JudgeEnd(ScanContext& ctx, hs_stream_t* closing, Findings* out) const {
  Findings found;
  if (closing != nullptr) {
    auto& cands = ctx.candidates();
    cands.clear();
    hs_error_t rc = hs_close_stream(closing, ctx.scratch(), CollectCandidate, ctx.candidate_sink());
    if (rc != HS_SUCCESS) return Error{"hs_close_stream failed: " + std::to_string(rc)};
    ConfirmCandidates(ctx.rules(), cands, history_.data(), history_.size(),
                      offset_ - history_.size(), &found, ctx.fingerprinter(), Around(ctx, true));
  }
  if (Status st = GatedAtEnd(ctx, &found); !st) return st;
  // What waited for more bytes is judged by what came.
  if (!pending_.empty()) {
    ConfirmCandidates(ctx.rules(), pending_, history_.data(), history_.size(),
                      offset_ - history_.size(), &found, ctx.fingerprinter(), Around(ctx, true));
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  out->insert(out->end(), found.begin(), found.end());
  return {};
}

Status StreamScanner::ProbeEnd(ScanContext& ctx, Findings* out) const {
  if (finished_) return Error{"stream already finished"};
  hs_stream_t* copy = nullptr;
  if (stream_ != nullptr && hs_copy_stream(&copy, stream_) != HS_SUCCESS) {
    return Error{"hs_copy_stream failed"};
  }
  return JudgeEnd(ctx, copy, out);
}

Status StreamScanner::Finish(ScanContext& ctx, Findings* out) {
  if (finished_) return Error{"stream already finished"};
  finished_ = true;
  hs_stream_t* closing = stream_;
  stream_ = nullptr;
  Status st = JudgeEnd(ctx, closing, out);
  pending_.clear();
  return st;
}

}  // namespace dlp
