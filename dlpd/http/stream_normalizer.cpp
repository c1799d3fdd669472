#include "dlpd/http/stream_normalizer.h"

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dlp {
namespace {
// The byte the scanner reads where a request ends: no value goes on across
// it, whatever bytes follow (the next request's method). Not a line break:
// a value at a body's end is not waiting for the next line (is it a row of
// a table? dlpd/inspect/scan_context.h), and no keyword's line goes on
// across it either (dlpd/inspect/value_context.h).
constexpr uint8_t kBoundaryByte = '\0';
// Framing runs are recorded in pieces a WireUnit can hold.
constexpr uint64_t kMaxUnitLen = 0xFFFF;

// The first byte at or after i that may begin an encoded character, or n.
// Sixteen bytes at a time where SSE2 is (every x86-64): the normalizer
// reads every byte of every flow, and such bytes are rare in most of them.
#if defined(__x86_64__)
// The same test as NextSpecial's, 32 bytes at a time; returns a hit, or
// where fewer than 33 bytes are left.
__attribute__((target("avx2"))) size_t NextSpecialAvx2(const uint8_t* p, size_t i, size_t n) {
  const __m256i percent = _mm256_set1_epi8('%');
  const __m256i backslash = _mm256_set1_epi8('\\');
  const __m256i amp = _mm256_set1_epi8('&');
  const __m256i a0 = _mm256_set1_epi8('#'), a1 = _mm256_set1_epi8('n'), a2 = _mm256_set1_epi8('e'),
                a3 = _mm256_set1_epi8('t'), a4 = _mm256_set1_epi8('m'), a5 = _mm256_set1_epi8('h'),
                a6 = _mm256_set1_epi8('d');  // MayFollowAmpersand
  for (; i + 33 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    const __m256i amps = _mm256_cmpeq_epi8(v, amp);
    __m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(v, percent), _mm256_cmpeq_epi8(v, backslash));
    if (!_mm256_testz_si256(amps, amps)) {
      const __m256i next = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 1));
      const __m256i after = _mm256_or_si256(
          _mm256_or_si256(
              _mm256_or_si256(_mm256_cmpeq_epi8(next, a0), _mm256_cmpeq_epi8(next, a1)),
              _mm256_or_si256(_mm256_cmpeq_epi8(next, a2), _mm256_cmpeq_epi8(next, a3))),
          _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(next, a4), _mm256_cmpeq_epi8(next, a5)),
                          _mm256_cmpeq_epi8(next, a6)));
      hit = _mm256_or_si256(hit, _mm256_and_si256(amps, after));
    }
    // And the four bytes that may lead a UTF-8 character read as ASCII
    // (MayLeadReadUtf8); other bytes >= 0x80 stand for themselves.
    hit = _mm256_or_si256(
        hit, _mm256_or_si256(
                 _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(0xC2))),
                                 _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(0xE2)))),
                 _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(0xE3))),
                                 _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(0xEF))))));
    const unsigned mask = static_cast<unsigned>(_mm256_movemask_epi8(hit));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  return i;
}

bool HasAvx2() {
  static const bool avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return avx2;
}
#endif

size_t NextSpecial(const uint8_t* p, size_t i, size_t n, const std::array<bool, 256>& special) {
#if defined(__x86_64__)
  if (HasAvx2()) i = NextSpecialAvx2(p, i, n);
#endif
#if defined(__SSE2__)
  // A '&' counts only before what may go on into a reference (most join a
  // form's fields): the byte after each is compared too.
  const __m128i percent = _mm_set1_epi8('%');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i amp = _mm_set1_epi8('&');
  const __m128i a0 = _mm_set1_epi8('#'), a1 = _mm_set1_epi8('n'), a2 = _mm_set1_epi8('e'),
                a3 = _mm_set1_epi8('t'), a4 = _mm_set1_epi8('m'), a5 = _mm_set1_epi8('h'),
                a6 = _mm_set1_epi8('d');  // MayFollowAmpersand
  for (; i + 17 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
    const __m128i after =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(next, a0), _mm_cmpeq_epi8(next, a1)),
                                  _mm_or_si128(_mm_cmpeq_epi8(next, a2), _mm_cmpeq_epi8(next, a3))),
                     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(next, a4), _mm_cmpeq_epi8(next, a5)),
                                  _mm_cmpeq_epi8(next, a6)));
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, percent), _mm_cmpeq_epi8(v, backslash)),
                     _mm_and_si128(_mm_cmpeq_epi8(v, amp), after));
    // And the leads of the UTF-8 characters read as ASCII (MayLeadReadUtf8).
    const __m128i utf8 =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xC2))),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE2)))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE3))),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xEF)))));
    const int mask = _mm_movemask_epi8(_mm_or_si128(hit, utf8));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && !special[p[i]]) ++i;
  return i;
}
}  // namespace

StreamNormalizer::StreamNormalizer(bool http)
    : framing_(http ? std::make_unique<RequestFraming>() : nullptr) {}

void StreamNormalizer::Feed(const uint8_t* data, size_t len, uint64_t off,
                            std::vector<uint8_t>* out) {
  wire_end_ = off + len;
  if (framing_ == nullptr) return Text(data, len, off, out);
  // Per thread, not per stream: flows are many, a feed's runs few.
  thread_local std::vector<FramedRun> runs;
  runs.clear();
  framing_->Feed(data, len, off, &runs);
  for (const FramedRun& r : runs) {
    switch (r.kind) {
      case FramedRun::Kind::kText:
        if (r.coding != 0) {
          Coded(r, data + (r.off - off), out);
        } else if (r.masked) {
          // A WebSocket payload: read unmasked, the map says how to mask it back.
          thread_local std::vector<uint8_t> plain;
          plain.assign(data + (r.off - off), data + (r.off - off) + r.len);
          for (size_t k = 0; k < plain.size(); ++k) plain[k] ^= r.key[(r.phase + k) % 4];
          WireXor x;
          x.off = r.off;
          x.len = r.len;
          std::copy(r.key, r.key + 4, x.key);
          x.phase = r.phase;
          map_.AddXor(x);
          Text(plain.data(), plain.size(), r.off, out);
        } else {
          Text(data + (r.off - off), static_cast<size_t>(r.len), r.off, out);
        }
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
  // The bytes that may begin an encoded character, by table.
  static const auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (int b = 0; b < 256; ++b) t[b] = MayBeginEncoded(static_cast<uint8_t>(b));
    return t;
  }();
  size_t i = 0;
  size_t run = 0;  // plain bytes [run, i) not emitted yet
  while (i < n) {
    if (pending_len_ > 0) {
      Push(p[i], off + i, out);
      run = ++i;
      continue;
    }
    i = NextSpecial(p, i, n, kSpecial);
    if (i == n) break;
    if (p[i] == '&' && i + 1 < n && !MayFollowAmpersand(p[i + 1])) {
      ++i;  // a form's field separator, the most common of these bytes
      continue;
    }
    DecodedChar c;
    switch (DecodeChar(p + i, n - i, /*final=*/false, &c)) {
      case Decode::kPlain:
        ++i;  // it stands for itself: part of the run
        break;
      case Decode::kDecoded: {
        Plain(p + run, i - run, off + run, out);
        uint64_t offs[kMaxEncodedChar];
        for (size_t k = 0; k < c.wire_len; ++k) offs[k] = off + i + k;
        Decoded(c, offs, out);
        i += c.wire_len;
        run = i;
        break;
      }
      case Decode::kNeedMore:
        // Fewer than kMaxEncodedChar bytes: the rest of the text.
        Plain(p + run, i - run, off + run, out);
        for (; i < n; ++i) Push(p[i], off + i, out);
        run = i;
        break;
    }
  }
  Plain(p + run, i - run, off + run, out);
}

void StreamNormalizer::Plain(const uint8_t* p, size_t n, uint64_t off, std::vector<uint8_t>* out) {
  if (n == 0) return;
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
  if (pending_len_ == 0) pending_base_ = off;
  pending_[pending_len_] = b;
  // Less than a framing run apart (a chunk size line, bounded by
  // http-parser's header limit), well within 32 bits.
  pending_delta_[pending_len_] = static_cast<uint32_t>(off - pending_base_);
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
      uint64_t offs[kMaxEncodedChar];
      for (size_t k = 0; k < c.wire_len; ++k) offs[k] = pending_base_ + pending_delta_[k];
      Decoded(c, offs, out);
      used = c.wire_len;
    } else {
      map_.AddPlain(norm_, pending_base_ + pending_delta_[0], 1);
      out->push_back(pending_[0]);
      ++norm_;
    }
    // What is left may begin another character: read again.
    std::copy(pending_ + used, pending_ + pending_len_, pending_);
    std::copy(pending_delta_ + used, pending_delta_ + pending_len_, pending_delta_);
    pending_len_ -= used;
    if (pending_len_ > 0) {
      const uint32_t shift = pending_delta_[0];
      pending_base_ += shift;
      for (size_t k = 0; k < pending_len_; ++k) pending_delta_[k] -= shift;
    }
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

void StreamNormalizer::Coded(const FramedRun& r, const uint8_t* p, std::vector<uint8_t>* out) {
  if (inflater_ == nullptr) {
    inflater_ = BodyInflater::Make(static_cast<ContentCoding>(r.coding));
    coded_text_ = std::make_unique<StreamNormalizer>(/*http=*/false);
    coded_from_ = r.off;
  }
  coded_wire_end_ = r.off + r.len;
  thread_local std::vector<uint8_t> inflated;
  inflated.clear();
  if (!inflater_->Feed(p, static_cast<size_t>(r.len), &inflated)) {
    framing_->Uninspectable(r.off, inflater_->why());
  }
  inflated_ += inflated.size();
  CodedText(inflated.data(), inflated.size(), /*final=*/false, out);
}

void StreamNormalizer::CodedText(const uint8_t* p, size_t n, bool final,
                                 std::vector<uint8_t>* out) {
  const size_t at = out->size();
  if (n > 0) coded_text_->Feed(p, n, coded_text_->wire_end(), out);
  if (final) coded_text_->Finish(out);
  coded_text_->map().Clear();
  const size_t made = out->size() - at;
  if (made == 0) return;
  map_.AddCoded(norm_, static_cast<uint32_t>(made), coded_from_, coded_wire_end_);
  norm_ += made;
}

void StreamNormalizer::Boundary(uint64_t off, std::vector<uint8_t>* out) {
  if (coded_text_ != nullptr) CodedText(nullptr, 0, /*final=*/true, out);
  inflater_.reset();  // the next request's body has its own coding
  coded_text_.reset();
  Resolve(/*final=*/true, out);  // an escape does not go on into the next request
  map_.AddBoundary(norm_, 1, off);
  out->push_back(kBoundaryByte);
  ++norm_;
}

size_t StreamNormalizer::memory_bytes() const {
  return sizeof(*this) + map_.memory_bytes() +
         (framing_ != nullptr ? framing_->memory_bytes() : 0) +
         (inflater_ != nullptr ? inflater_->memory_bytes() : 0) +
         (coded_text_ != nullptr ? coded_text_->memory_bytes() : 0);
}

}  // namespace dlp
