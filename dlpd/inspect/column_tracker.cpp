#include "dlpd/inspect/column_tracker.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dlpd/inspect/digit_gate.h"
#include "rules/compiled_ruleset.h"
#include "rules/keywords.h"
#include "rules/rule.h"

namespace dlp {
namespace {

// Bodies kept at most: those a piece's values may lie in (Prune drops the
// ones no value to come can); past this many in one piece (a body of tiny
// headed parts), the oldest go.
constexpr size_t kMaxBodies = 1024;
constexpr uint32_t kMaxColumns = 256;
// A longer first line is no header (a form body, a JSON document), and
// neither is a longer field.
constexpr size_t kMaxHeaderLine = 1024;
constexpr size_t kMaxHeaderField = 64;

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// What may separate a header's fields; ReadHeader takes the most frequent.
constexpr std::array<char, 4> kDelimiters = {',', ';', '\t', '|'};

// Whether `line` holds a byte of kDelimiters. Most first lines read are a
// form body's hundreds of bytes without one: four vector searches cost
// less than one test per byte (or find_first_of's call per byte).
bool HasDelimiter(std::string_view line) {
  for (const char c : kDelimiters) {
    if (std::memchr(line.data(), c, line.size()) != nullptr) return true;
  }
  return false;
}

// How many bytes of `s` are `c`: a row's delimiters before a value, up to
// kLabelReach bytes for every value in a table. std::count is not
// vectorized at -O2.
uint32_t CountByte(std::string_view s, char c) {
  uint32_t n = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i want = _mm_set1_epi8(c);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)));
    for (; m != 0; m &= m - 1) ++n;
  }
#endif
  for (; i < s.size(); ++i) n += s[i] == c ? 1U : 0U;
  return n;
}

// The first j in [from, n) where a blank line ends: data[j] is '\n' and the
// line it ends is "" or "\r". REQUIRES: from >= 1 and data[from - 1] is
// '\n' (lines from `from` on begin inside data). Only when no digit gate
// read the bytes (DigitGate notes blank lines as it reads, in vectors):
// rules without min_digits, which scan every byte anyway.
size_t FindBlankLineEnd(const char* data, size_t from, size_t n) {
  for (size_t j = from; j < n;) {
    const void* nl = std::memchr(data + j, '\n', n - j);
    if (nl == nullptr) return n;
    j = static_cast<size_t>(static_cast<const char*>(nl) - data);
    if (data[j - 1] == '\n' || (j >= from + 1 && data[j - 1] == '\r' && data[j - 2] == '\n')) {
      return j;
    }
    ++j;
  }
  return n;
}

}  // namespace

size_t ColumnTracker::memory_bytes() const {
  size_t n = bodies_.capacity() * sizeof(Body) + blank_.capacity() * sizeof(uint64_t);
  for (const Body& b : bodies_) {
    n += b.first_line.capacity() + b.columns.capacity() * sizeof(Column);
  }
  return n;
}

void ColumnTracker::Prune(uint64_t before) {
  size_t drop = 0;
  while (drop < bodies_.size() && bodies_[drop].until <= before) ++drop;
  bodies_.erase(bodies_.begin(), bodies_.begin() + static_cast<std::ptrdiff_t>(drop));
  if (bodies_.empty() && bodies_.capacity() != 0) std::vector<Body>().swap(bodies_);
}

void ColumnTracker::BeginBody(uint64_t from) {
  if (!bodies_.empty() && bodies_.back().until == UINT64_MAX) bodies_.back().until = from;
  if (bodies_.size() == kMaxBodies) bodies_.erase(bodies_.begin());
  Body b;
  b.from = from;
  bodies_.push_back(std::move(b));
}

void ColumnTracker::TakeFirstLine(std::string_view piece, uint64_t piece_base, size_t i) {
  Body& b = bodies_.back();
  if (b.rows_from != 0 || i >= piece.size()) return;
  const void* nl = std::memchr(piece.data() + i, '\n', piece.size() - i);
  const size_t at = nl == nullptr
                        ? piece.size()
                        : static_cast<size_t>(static_cast<const char*>(nl) - piece.data());
  if (!b.too_long) {
    if (b.first_line.size() + (at - i) > kMaxHeaderLine) {
      b.too_long = true;
      std::string().swap(b.first_line);
    } else {
      b.first_line.append(piece.data() + i, at - i);
    }
  }
  if (nl == nullptr) return;
  b.rows_from = piece_base + at + 1;
  if (b.too_long || !HasDelimiter(b.first_line)) {
    bodies_.pop_back();
    if (bodies_.empty()) std::vector<Body>().swap(bodies_);
  }
}

void ColumnTracker::Feed(std::string_view piece, uint64_t piece_base) {
  // No list from a digit gate: find the blank lines here.
  blank_.clear();
  const char* data = piece.data();
  const void* first = std::memchr(data, '\n', piece.size());
  if (first == nullptr) {
    for (size_t k = 0; k < piece.size() && line_len_ < 2; ++k) line_head_[line_len_++] = data[k];
  } else {
    // The line the piece begins in, which began before it.
    const size_t at = static_cast<size_t>(static_cast<const char*>(first) - data);
    const bool blank = (line_len_ == 0 && (at == 0 || (at == 1 && data[0] == '\r'))) ||
                       (line_len_ == 1 && line_head_[0] == '\r' && at == 0);
    if (blank) blank_.push_back(piece_base + at);
    for (size_t j = at + 1; (j = FindBlankLineEnd(data, j, piece.size())) < piece.size(); ++j) {
      blank_.push_back(piece_base + j);
    }
    blank_.erase(std::remove_if(blank_.begin(), blank_.end(),
                                [&](uint64_t b) {
                                  const size_t next = static_cast<size_t>(b - piece_base) + 1;
                                  return next < piece.size() && DigitGate::HeadsNoTable(data[next]);
                                }),
                 blank_.end());
    const size_t last = piece.rfind('\n');
    line_len_ = 0;
    for (size_t k = last + 1; k < piece.size() && line_len_ < 2; ++k) {
      line_head_[line_len_++] = data[k];
    }
  }
  Feed(piece, piece_base, blank_);
}

void ColumnTracker::Feed(std::string_view piece, uint64_t piece_base,
                         const std::vector<uint64_t>& blank_line_ends) {
  if (piece.empty()) return;
  // The stream's first line heads a body too.
  if (bodies_.empty() && piece_base == 0) BeginBody(0);
  // The first line of the last body, if it goes on in this piece.
  if (!bodies_.empty()) TakeFirstLine(piece, piece_base, 0);
  // A blank line that ended the last piece, decided by this one's first byte.
  if (blank_at_end_ && !DigitGate::HeadsNoTable(piece[0])) {
    BeginBody(piece_base);
    TakeFirstLine(piece, piece_base, 0);
  }
  blank_at_end_ = false;
  const uint64_t last = piece_base + piece.size() - 1;
  auto it = std::lower_bound(blank_line_ends.begin(), blank_line_ends.end(), piece_base);
  for (; it != blank_line_ends.end() && *it <= last; ++it) {
    if (*it == last) {
      blank_at_end_ = true;  // what follows is not here yet
      break;
    }
    BeginBody(*it + 1);
    TakeFirstLine(piece, piece_base, static_cast<size_t>(*it - piece_base) + 1);
  }
}

void ColumnTracker::ReadHeader(const CompiledRuleset& rules, const Body& b) {
  b.read = true;
  if (b.too_long) return;
  const std::string_view line = b.first_line;
  // The delimiter: the most frequent outside quotes. A header is text: a
  // control byte (binary data after a blank line), markup or code says it
  // is none.
  std::array<size_t, 4> count{};
  bool quoted = false;
  for (char c : line) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r') || c == '<' || c == '>' ||
        c == '{' || c == '}' || c == '=') {
      return;
    }
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (size_t d = 0; d < kDelimiters.size(); ++d) count[d] += c == kDelimiters[d];
  }
  const size_t best =
      static_cast<size_t>(std::max_element(count.begin(), count.end()) - count.begin());
  if (count[best] == 0) return;
  b.delimiter = kDelimiters[best];
  uint32_t index = 0;
  size_t field = 0;
  quoted = false;
  for (size_t i = 0; i <= line.size() && index < kMaxColumns; ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i < line.size() && (quoted || line[i] != b.delimiter)) continue;
    const std::string_view name = Trimmed(line.substr(field, i - field));
    // Split once, matched against every rule's words.
    std::array<std::string_view, kMaxHeaderField> words;
    const size_t n =
        name.size() <= kMaxHeaderField ? SplitWords(name, words.data(), words.size()) : 0;
    for (uint32_t r = 0; n > 0 && r < rules.rule_set().rules.size(); ++r) {
      if (rules.rule(r).context.columns && rules.keywords(r).FoundIn(words.data(), n)) {
        b.columns.push_back({r, index, false});
      } else if (rules.excluded(r).FoundIn(words.data(), n)) {
        b.columns.push_back({r, index, true});
      }
    }
    field = i + 1;
    ++index;
  }
}

bool ColumnTracker::TableMayCover(const CompiledRuleset& rules, uint64_t at) const {
  auto it = std::upper_bound(bodies_.begin(), bodies_.end(), at,
                             [](uint64_t v, const Body& b) { return v < b.from; });
  if (it == bodies_.begin()) return false;
  --it;
  if (at >= it->until) return false;
  // Its first line goes on (beyond the gap, perhaps): short enough to be
  // a header, it may head one.
  if (it->rows_from == 0) return !it->too_long;
  if (!it->read) ReadHeader(rules, *it);
  // Only a keyword's column makes bare numbers values; one that names
  // another kind of number makes fewer.
  return std::any_of(it->columns.begin(), it->columns.end(),
                     [](const Column& c) { return !c.excluded; });
}

ColumnTracker::Answer ColumnTracker::ColumnOf(const CompiledRuleset& rules, uint32_t rule,
                                              std::string_view text, size_t at,
                                              uint64_t text_base) const {
  const uint64_t value = text_base + at;
  const Body* table = nullptr;
  // The last body that begins at or before the value (bodies are in order;
  // a block scan of many requests holds many).
  auto it = std::upper_bound(bodies_.begin(), bodies_.end(), value,
                             [](uint64_t v, const Body& b) { return v < b.from; });
  if (it != bodies_.begin()) {
    --it;
    if (it->rows_from != 0 && it->rows_from <= value && value < it->until) table = &*it;
  }
  if (table == nullptr || at > text.size()) return Answer::kNoTable;
  if (!table->read) ReadHeader(rules, *table);
  // A body whose first line names some kind of number (any rule's keyword
  // or excluded word) is a table: every rule reads its rows by column.
  if (table->columns.empty()) return Answer::kNoTable;
  // The row's start: the line's, within kLabelReach (whatever the text
  // holds beyond it, so that a stream and a whole body agree), or the
  // stream's first byte.
  const size_t floor = at > kLabelReach ? at - kLabelReach : 0;
  const void* nl = at > floor ? memrchr(text.data() + floor, '\n', at - floor) : nullptr;
  const size_t from =
      nl == nullptr ? floor : static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1;
  if (from == floor && !(from == 0 && text_base == 0)) {
    if (from == 0 || text[from - 1] != '\n') return Answer::kNoTable;
  }
  if (text_base + from < table->rows_from) return Answer::kNoTable;
  uint32_t index = 0;
  const std::string_view row = text.substr(from, at - from);
  if (row.find('"') == std::string_view::npos) {
    index = CountByte(row, table->delimiter);
  } else {
    bool quoted = false;
    for (char c : row) {
      if (c == '"') quoted = !quoted;
      if (!quoted && c == table->delimiter) ++index;
    }
  }
  // The value begins its field (after the delimiter, blanks or a quote).
  size_t lead = at;
  while (lead > from && (text[lead - 1] == '"' || text[lead - 1] == ' ')) --lead;
  if (lead > from && text[lead - 1] != table->delimiter) return Answer::kOther;
  for (const Column& c : table->columns) {
    if (c.rule == rule && c.index == index) {
      return c.excluded ? Answer::kExcluded : Answer::kKeyword;
    }
  }
  return Answer::kOther;
}

}  // namespace dlp
