#include "dlpd/http/base64_text.h"

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dlp {
namespace {

// The value of each character of the standard alphabet (RFC 4648 §4), -1
// for the others. MIME and data: URIs use this one; the URL-safe alphabet's
// '-' would take a multipart boundary ("--") for data.
constexpr std::array<int8_t, 256> kValues = [] {
  std::array<int8_t, 256> v{};
  for (auto& x : v) x = -1;
  for (int i = 0; i < 26; ++i) {
    v['A' + i] = static_cast<int8_t>(i);
    v['a' + i] = static_cast<int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<int8_t>(52 + i);
  v['+'] = 62;
  v['/'] = 63;
  return v;
}();

uint8_t Lower(uint8_t b) {
  return b >= 'A' && b <= 'Z' ? static_cast<uint8_t>(b + 32) : b;
}

// Whether the n bytes at p are `word` (lower case), in any case.
bool EqualsFolded(const uint8_t* p, size_t n, const char* word) {
  for (size_t i = 0; i < n; ++i) {
    if (word[i] == '\0' || Lower(p[i]) != static_cast<uint8_t>(word[i])) return false;
  }
  return word[n] == '\0';
}

// The first i at or after `from` with p[i] == '6' and p[i + 1] == '4', or
// n. Every stream's text goes through this, and digits are common in it:
// sixteen pairs at a time where SSE2 is (glibc's memmem for a two-byte
// needle cost a tenth of the packet path).
size_t FindSixFour(const uint8_t* p, size_t n, size_t from) {
  size_t i = from;
#if defined(__SSE2__)
  const __m128i six = _mm_set1_epi8('6');
  const __m128i four = _mm_set1_epi8('4');
  for (; i + 17 <= n; i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
    const unsigned hit = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, six), _mm_cmpeq_epi8(b, four))));
    if (hit != 0) return i + static_cast<size_t>(__builtin_ctz(hit));
  }
#endif
  for (; i + 2 <= n; ++i) {
    if (p[i] == '6' && p[i + 1] == '4') return i;
  }
  return n;
}

}  // namespace

int Base64Text::Value(uint8_t c) {
  return kValues[c];
}

uint8_t Base64Text::Char(unsigned v) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return static_cast<uint8_t>(kAlphabet[v & 63]);
}

bool Base64Text::Mentioned(std::string_view before, const uint8_t* text, size_t len) {
  // "64" is found sixteen bytes at a time; "base" is checked where it is,
  // reaching back into `before` at the seam.
  auto at = [&](ptrdiff_t i) -> uint8_t {
    if (i >= 0) return text[i];
    const ptrdiff_t j = static_cast<ptrdiff_t>(before.size()) + i;
    return j >= 0 ? static_cast<uint8_t>(before[static_cast<size_t>(j)]) : 0;
  };
  auto base_before = [&](ptrdiff_t six) {
    return Lower(at(six - 4)) == 'b' && Lower(at(six - 3)) == 'a' && Lower(at(six - 2)) == 's' &&
           Lower(at(six - 1)) == 'e';
  };
  if (len == 0) return false;
  if (text[0] == '4' && at(-1) == '6' && base_before(-1)) return true;
  for (size_t six = FindSixFour(text, len, 0); six < len; six = FindSixFour(text, len, six + 1)) {
    if (base_before(static_cast<ptrdiff_t>(six))) return true;
  }
  return false;
}

Base64Text::Base64Text(bool mid_line) {
  if (mid_line) {
    line_has_bytes_ = true;
    header_ = Header::kValueLead;
  }
}

void Base64Text::Feed(const uint8_t* text, size_t len, uint64_t norm, std::vector<uint8_t>* out) {
  for (size_t i = 0; i < len; ++i) {
    if (state_ == State::kRegion && Region(text[i], norm + i, out)) continue;
    Text(text[i]);
  }
}

void Base64Text::Finish(std::vector<uint8_t>* out) {
  if (state_ != State::kRegion) return;
  // A line that began like the boundary and ended the text is data.
  const size_t held = matched_;
  matched_ = 0;
  at_line_start_ = false;
  for (size_t i = 0; i < held && state_ == State::kRegion; ++i) {
    RegionByte(boundary_[i], matched_from_ + i, out);
  }
  if (state_ == State::kRegion) End(out);
}

void Base64Text::Text(uint8_t b) {
  if (b == '\r' || b == '\n') {
    // CRLF, a bare LF and a bare CR each end a line (MIME parsers take all
    // three).
    const bool crlf = b == '\n' && after_cr_;
    after_cr_ = b == '\r';
    if (!crlf) EndLine();
    return;
  }
  after_cr_ = false;
  line_has_bytes_ = true;
  if (line_len_ < kMaxBoundary) line_[line_len_++] = b;
  const bool space = b == ' ' || b == '\t';
  switch (header_) {
    case Header::kName:
      if (b == ':') header_ = Header::kValueLead;
      break;
    case Header::kValueLead:
      if (!space) {
        value_[0] = b;
        value_len_ = 1;
        header_ = Header::kValue;
      }
      break;
    case Header::kValue:
      if (space) {
        header_ = Header::kValueTrail;
      } else if (value_len_ < sizeof(value_)) {
        value_[value_len_++] = b;
      } else {
        header_ = Header::kNone;
      }
      break;
    case Header::kValueTrail:
      if (!space) header_ = Header::kNone;
      break;
    case Header::kNone:
      break;
  }
  if (state_ == State::kPartHeaders && ++headers_read_ > kMaxPartHeaders) state_ = State::kText;
  if (b == ',' && state_ == State::kText && DataUriMarker()) Begin(/*mime=*/false);
  std::memmove(recent_, recent_ + 1, sizeof(recent_) - 1);
  recent_[sizeof(recent_) - 1] = b;
}

void Base64Text::EndLine() {
  const bool boundary_line = line_len_ >= 3 && line_[0] == '-' && line_[1] == '-';
  if (state_ == State::kPartHeaders && !line_has_bytes_) {
    Begin(/*mime=*/true);  // the blank line: the part's body
  } else if ((header_ == Header::kValue || header_ == Header::kValueTrail) &&
             EqualsFolded(value_, value_len_, "base64")) {
    state_ = State::kPartHeaders;
    headers_read_ = 0;
  } else if (boundary_line) {
    // A part begins: its boundary ends it. Trailing spaces are no part of it.
    size_t n = line_len_;
    while (n > 2 && (line_[n - 1] == ' ' || line_[n - 1] == '\t')) --n;
    std::copy(line_, line_ + n, boundary_);
    boundary_len_ = n;
    if (state_ == State::kPartHeaders) state_ = State::kText;
  }
  line_has_bytes_ = false;
  line_len_ = 0;
  header_ = Header::kName;
  value_len_ = 0;
}

bool Base64Text::DataUriMarker() const {
  // ";base64" before the ',' (RFC 2397), spaces around the word allowed as
  // the WHATWG data: URL parser allows them.
  ptrdiff_t i = sizeof(recent_) - 1;
  while (i >= 0 && (recent_[i] == ' ' || recent_[i] == '\t')) --i;
  if (i < 5 || !EqualsFolded(recent_ + i - 5, 6, "base64")) return false;
  i -= 6;
  while (i >= 0 && (recent_[i] == ' ' || recent_[i] == '\t')) --i;
  return i >= 0 && recent_[i] == ';';
}

bool Base64Text::Region(uint8_t b, uint64_t n, std::vector<uint8_t>* out) {
  if (mime_ && at_line_start_) {
    // A line that begins with the part's boundary ends it; until its bytes
    // say whether it does, they are held back.
    if (b == boundary_[matched_]) {
      if (matched_ == 0) matched_from_ = n;
      if (++matched_ < boundary_len_) return true;
      const size_t len = boundary_len_;
      End(out);
      for (size_t i = 0; i + 1 < len; ++i) Text(boundary_[i]);  // the line, as text
      return false;
    }
    const size_t held = matched_;
    matched_ = 0;
    at_line_start_ = false;
    for (size_t i = 0; i < held && state_ == State::kRegion; ++i) {
      RegionByte(boundary_[i], matched_from_ + i, out);
    }
    if (state_ != State::kRegion) return false;
  }
  if (b == '\r' || b == '\n') {
    at_line_start_ = true;
    matched_ = 0;
  } else if (!mime_) {
    switch (b) {
      case '"':
      case '\'':
      case '<':
      case '>':
      case '&':
      case '(':
      case ')':
        End(out);  // the end of the string the URI is in
        return false;
      default:
        break;
    }
  }
  RegionByte(b, n, out);
  return state_ == State::kRegion;
}

void Base64Text::RegionByte(uint8_t b, uint64_t n, std::vector<uint8_t>* out) {
  if (escape_) {
    // JSON writes line breaks as "\r\n" and '/' as "\/" (PHP by default).
    escape_ = false;
    if (b == 'r' || b == 'n' || b == 't' || b == 'f' || b == 'b') b = ' ';
  } else if (b == '\\') {
    escape_ = true;
  }
  if (Value(b) >= 0) {
    pending_.norm[pending_.nchars] = n;
    pending_.chars[pending_.nchars] = b;
    gap_ = 0;
    if (++pending_.nchars == 4) Emit(out);
    return;
  }
  // Skipped, as lenient decoders skip it ('=' too): a stray byte cannot
  // hide what follows it.
  if (++gap_ > kMaxGap) End(out);
}

void Base64Text::Begin(bool mime) {
  state_ = State::kRegion;
  mime_ = mime;
  at_line_start_ = mime;  // the body begins on the line after the blank one
  matched_ = 0;
  ++regions_;
  pending_ = Base64Group{};
  gap_ = 0;
  escape_ = false;
  region_made_bytes_ = false;
}

void Base64Text::End(std::vector<uint8_t>* out) {
  if (pending_.nchars >= 2) Emit(out);  // a last group without padding, or before its '='
  if (region_made_bytes_) {
    out->push_back(kBoundaryByte);
    ++decoded_;
    region_begin_ = decoded_;
  }
  pending_ = Base64Group{};
  state_ = State::kText;
  matched_ = 0;
  at_line_start_ = false;
  escape_ = false;
  // What follows begins a line as far as part headers go.
  line_has_bytes_ = false;
  line_len_ = 0;
  after_cr_ = false;
  header_ = Header::kName;
  value_len_ = 0;
}

void Base64Text::Emit(std::vector<uint8_t>* out) {
  Base64Group& g = pending_;
  uint8_t v[4] = {};
  for (uint8_t i = 0; i < g.nchars; ++i) v[i] = static_cast<uint8_t>(kValues[g.chars[i]]);
  g.bytes[0] = static_cast<uint8_t>(v[0] << 2 | v[1] >> 4);
  g.bytes[1] = static_cast<uint8_t>((v[1] & 0xF) << 4 | v[2] >> 2);
  g.bytes[2] = static_cast<uint8_t>((v[2] & 0x3) << 6 | v[3]);
  g.nbytes = static_cast<uint8_t>(g.nchars - 1);
  g.decoded = decoded_;
  out->insert(out->end(), g.bytes, g.bytes + g.nbytes);
  decoded_ += g.nbytes;
  groups_.push_back(g);
  pending_ = Base64Group{};
  region_made_bytes_ = true;
}

const Base64Group* Base64Text::GroupOf(uint64_t d) const {
  auto it = std::upper_bound(groups_.begin(), groups_.end(), d,
                             [](uint64_t v, const Base64Group& g) { return v < g.decoded; });
  if (it == groups_.begin()) return nullptr;
  --it;
  return d < it->decoded + it->nbytes ? &*it : nullptr;
}

uint64_t Base64Text::NormFrom(uint64_t d) const {
  auto it =
      std::lower_bound(groups_.begin(), groups_.end(), d,
                       [](const Base64Group& g, uint64_t v) { return g.decoded + g.nbytes <= v; });
  if (it != groups_.end()) return it->norm[0];
  if (state_ == State::kRegion && pending_.nchars > 0) return pending_.norm[0];
  return UINT64_MAX;
}

void Base64Text::PruneBefore(uint64_t d) {
  while (!groups_.empty() && groups_.front().decoded + groups_.front().nbytes <= d) {
    groups_.pop_front();
  }
}

}  // namespace dlp
