#include "dlpd/http/stream_normalizer.h"

#include <algorithm>

namespace dlp {
namespace {
// The byte the scanner reads where a request ends: no value goes on across
// it, whatever bytes follow (the next request's method).
constexpr uint8_t kBoundaryByte = '\n';
// Framing runs are recorded in pieces a WireUnit can hold.
constexpr uint64_t kMaxUnitLen = 0xFFFF;
}  // namespace

StreamNormalizer::StreamNormalizer(bool http)
    : framing_(http ? std::make_unique<RequestFraming>() : nullptr) {}

void StreamNormalizer::Feed(const uint8_t* data, size_t len, uint64_t off,
                            std::vector<uint8_t>* out) {
  wire_end_ = off + len;
  if (framing_ == nullptr) return Text(data, len, off, out);
  runs_.clear();
  framing_->Feed(data, len, off, &runs_);
  for (const FramedRun& r : runs_) {
    switch (r.kind) {
      case FramedRun::Kind::kText:
        Text(data + (r.off - off), static_cast<size_t>(r.len), r.off, out);
        break;
      case FramedRun::Kind::kFraming:
        Framing(r.off, r.len);
        break;
      case FramedRun::Kind::kEnd:
        Boundary(r.off, out);
        break;
    }
  }
}

void StreamNormalizer::Finish(std::vector<uint8_t>* out) {
  Resolve(/*final=*/true, out);
}

void StreamNormalizer::Text(const uint8_t* p, size_t n, uint64_t off, std::vector<uint8_t>* out) {
  size_t i = 0;
  while (i < n) {
    if (pending_len_ > 0) {
      Push(p[i], off + i, out);
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && !MayBeginEncoded(p[j])) ++j;
    if (j > i) {
      Plain(p + i, j - i, off + i, out);
      i = j;
      continue;
    }
    DecodedChar c;
    switch (DecodeChar(p + i, n - i, /*final=*/false, &c)) {
      case Decode::kPlain:
        Plain(p + i, 1, off + i, out);
        ++i;
        break;
      case Decode::kDecoded: {
        uint64_t offs[kMaxEncodedChar];
        for (size_t k = 0; k < c.wire_len; ++k) offs[k] = off + i + k;
        Decoded(c, offs, out);
        i += c.wire_len;
        break;
      }
      case Decode::kNeedMore:
        // Fewer than kMaxEncodedChar bytes: the rest of the run.
        for (; i < n; ++i) Push(p[i], off + i, out);
        break;
    }
  }
}

void StreamNormalizer::Plain(const uint8_t* p, size_t n, uint64_t off, std::vector<uint8_t>* out) {
  map_.AddPlain(norm_, off, static_cast<uint32_t>(n));
  out->insert(out->end(), p, p + n);
  norm_ += n;
}

void StreamNormalizer::Decoded(const DecodedChar& c, const uint64_t* offs,
                               std::vector<uint8_t>* out) {
  ++decoded_;
  map_.AddDecoded(norm_, c.text_len, offs[0], offs[c.wire_len - 1] + 1);
  // Its wire bytes in contiguous pieces (framing may cut it).
  for (size_t k = 0; k < c.wire_len;) {
    size_t e = k + 1;
    while (e < c.wire_len && offs[e] == offs[e - 1] + 1) ++e;
    WireUnit u;
    u.off = offs[k];
    u.len = static_cast<uint16_t>(e - k);
    u.unit_pos = static_cast<uint8_t>(k);
    u.unit_len = c.wire_len;
    u.encoding = c.encoding;
    u.digit = c.digit;
    u.fullwidth = c.fullwidth;
    u.semicolon = c.semicolon;
    map_.AddUnit(u);
    k = e;
  }
  out->insert(out->end(), c.text, c.text + c.text_len);
  norm_ += c.text_len;
}

void StreamNormalizer::Push(uint8_t b, uint64_t off, std::vector<uint8_t>* out) {
  pending_[pending_len_] = b;
  pending_off_[pending_len_] = off;
  ++pending_len_;
  Resolve(/*final=*/pending_len_ == kMaxEncodedChar, out);
}

void StreamNormalizer::Resolve(bool final, std::vector<uint8_t>* out) {
  while (pending_len_ > 0) {
    DecodedChar c;
    const Decode d = DecodeChar(pending_, pending_len_, final, &c);
    if (d == Decode::kNeedMore) return;
    size_t used = 1;
    if (d == Decode::kDecoded) {
      Decoded(c, pending_off_, out);
      used = c.wire_len;
    } else {
      map_.AddPlain(norm_, pending_off_[0], 1);
      out->push_back(pending_[0]);
      ++norm_;
    }
    // What is left may begin another character: read again.
    std::copy(pending_ + used, pending_ + pending_len_, pending_);
    std::copy(pending_off_ + used, pending_off_ + pending_len_, pending_off_);
    pending_len_ -= used;
  }
}

void StreamNormalizer::Framing(uint64_t off, uint64_t len) {
  for (uint64_t at = off; at < off + len; at += kMaxUnitLen) {
    WireUnit u;
    u.off = at;
    u.len = static_cast<uint16_t>(std::min(kMaxUnitLen, off + len - at));
    u.framing = true;
    map_.AddUnit(u);
  }
}

void StreamNormalizer::Boundary(uint64_t off, std::vector<uint8_t>* out) {
  Resolve(/*final=*/true, out);  // an escape does not go on into the next request
  map_.AddBoundary(norm_, 1, off);
  out->push_back(kBoundaryByte);
  ++norm_;
}

}  // namespace dlp
