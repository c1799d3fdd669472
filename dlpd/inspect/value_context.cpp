#include "dlpd/inspect/value_context.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "dlpd/inspect/column_tracker.h"
#include "dlpd/inspect/keyword_memo.h"
#include "rules/compiled_ruleset.h"
#include "rules/value_text.h"

namespace dlp {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

constexpr bool IsNameByteSlow(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == '[' || c == ']' || c == ':' || c >= 0x80;
}

// By table: a label is read back a byte at a time.
constexpr std::array<bool, 256> kNameBytes = [] {
  std::array<bool, 256> bytes{};
  for (size_t c = 0; c < bytes.size(); ++c)
    bytes[c] = IsNameByteSlow(static_cast<unsigned char>(c));
  return bytes;
}();

bool IsNameByte(char c) {
  return kNameBytes[static_cast<unsigned char>(c)];
}

bool EqualsLower(std::string_view s, const char* lower) {
  const size_t n = std::strlen(lower);
  if (s.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] | 0x20) : s[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// Reads text[lo, at) backwards. Every index stays inside [lo, at).
class Backwards {
 public:
  Backwards(std::string_view text, size_t lo, size_t at) : t_(text), lo_(lo), i_(at) {}
  bool done() const { return i_ <= lo_; }
  char peek() const { return t_[i_ - 1]; }
  size_t pos() const { return i_; }
  void take() { --i_; }
  void SkipBlanks() {
    while (!done() && IsBlank(peek())) take();
  }
  // Moves before the quote that opens a string closed by `quote` (the
  // byte just taken); false when there is none on the line.
  bool SkipString(char quote, std::string_view* inside) {
    const size_t end = i_;
    while (!done() && peek() != quote && peek() != '\n') take();
    if (done() || peek() != quote) return false;
    *inside = t_.substr(i_, end - i_);
    take();
    return true;
  }

 private:
  std::string_view t_;
  size_t lo_;
  size_t i_;
};

// After a ':' (taken): "key" or 'key' before it is a JSON key.
ValueLabel KeyBefore(Backwards b) {
  b.SkipBlanks();
  if (b.done()) return {};
  const char q = b.peek();
  if (q != '"' && q != '\'') return {};
  b.take();
  std::string_view key;
  if (!b.SkipString(q, &key)) return {};
  return {ValueLabel::Kind::kJsonKey, key};
}

// After '=' (taken), in a tag: the tag's bytes up to the attribute.
ValueLabel TagBefore(std::string_view text, Backwards b, size_t attr_start) {
  while (!b.done() && b.peek() != '<' && b.peek() != '>') b.take();
  if (b.done() || b.peek() != '<') return {};
  return {ValueLabel::Kind::kTag, text.substr(b.pos(), attr_start - b.pos())};
}

// The name of the tag that ends at text[end - 1] == '>', and whether it
// closes ("</td>"). Moves `b` before its '<'.
bool TagName(std::string_view text, Backwards& b, std::string_view* name, bool* closing) {
  b.take();  // '>'
  const size_t end = b.pos();
  while (!b.done() && b.peek() != '<' && b.peek() != '>') b.take();
  if (b.done() || b.peek() != '<') return false;
  size_t from = b.pos();
  b.take();
  *closing = from < end && text[from] == '/';
  if (*closing) ++from;
  size_t to = from;
  while (to < end && ((text[to] | 0x20) >= 'a' && (text[to] | 0x20) <= 'z')) ++to;
  while (to < end && text[to] >= '0' && text[to] <= '9') ++to;  // h1
  *name = text.substr(from, to - from);
  return true;
}

// After the value's own tags: a cell of the same row (<th>SSN</th><td>),
// a <label>, a <dt>. Crossing a row or block boundary ends the search.
ValueLabel CellBefore(std::string_view text, Backwards b) {
  static const char* const kRowEnds[] = {"tr", "table", "tbody", "thead", "li",   "ul",
                                         "ol", "br",    "p",     "hr",    "form", "body"};
  for (int tags = 0; tags < 6; ++tags) {
    while (!b.done() && (IsBlank(b.peek()) || b.peek() == '\n' || b.peek() == '\r')) b.take();
    if (b.done()) return {};
    if (b.peek() != '>') {
      // Text: the cell's content, back to the tag before it.
      const size_t end = b.pos();
      while (!b.done() && b.peek() != '>' && b.peek() != '<' && end - b.pos() < 96) b.take();
      if (b.done() || b.peek() != '>') return {};
      return {ValueLabel::Kind::kCell, text.substr(b.pos(), end - b.pos())};
    }
    std::string_view name;
    bool closing = false;
    if (!TagName(text, b, &name, &closing)) return {};
    // Another row: the value's own has no header cell, and it is in a
    // structure, not free text.
    for (const char* end : kRowEnds) {
      if (EqualsLower(name, end)) return {ValueLabel::Kind::kCell, {}};
    }
  }
  return {};
}

// After a blank line: a multipart part's body; its name is in the part's
// Content-Disposition, among the header lines up to its boundary line.
ValueLabel PartNameBefore(std::string_view text, Backwards b) {
  const size_t end = b.pos();
  while (!b.done()) {
    // To the start of this header line.
    while (!b.done() && b.peek() != '\n') b.take();
    const size_t line = b.pos();
    const std::string_view l = text.substr(line, end - line);
    if (l.substr(0, 2) == "--") return {};  // the boundary: no name
    const size_t eol = l.find('\n');
    const std::string_view header = l.substr(0, eol);
    if (header.size() > 20 && EqualsLower(header.substr(0, 20), "content-disposition:")) {
      const size_t at = header.find("name=");
      size_t name_at = at;
      // "name=" and not "filename=".
      while (name_at != std::string_view::npos && name_at > 0 && IsNameByte(header[name_at - 1])) {
        name_at = header.find("name=", name_at + 1);
      }
      if (name_at == std::string_view::npos) return {};
      std::string_view v = header.substr(name_at + 5);
      if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
        const size_t close = v.find(v[0], 1);
        v = v.substr(1, close == std::string_view::npos ? v.size() - 1 : close - 1);
      } else {
        v = v.substr(0, std::min(v.find(';'), v.size()));
      }
      return {ValueLabel::Kind::kPartName, v};
    }
    if (b.done()) return {};
    b.take();  // '\n'
  }
  return {};
}

// After '[' or ',' (not taken): inside a JSON array of numbers or strings,
// the array's key.
ValueLabel ArrayKeyBefore(Backwards b) {
  size_t seen = 0;
  while (!b.done() && seen++ < 160) {
    const char c = b.peek();
    if (c == '[') {
      b.take();
      b.SkipBlanks();
      if (b.done() || b.peek() != ':') return {};
      b.take();
      return KeyBefore(b);
    }
    const bool element = (c >= '0' && c <= '9') || c == '"' || c == ',' || c == ' ' || c == '-' ||
                         c == '+' || c == '.' || c == '\t';
    if (!element) return {};
    b.take();
  }
  return {};
}

// One past the last `a` or `b` in text[lo, hi), or lo if there is none
// (hi when hi < lo).
// memrchr reads 32 bytes a step where a byte loop read one: a line before
// a value in compact JSON has no space, so both searches below run the
// whole kLabelReach, once per verdict that reads it.
size_t AfterLastOf(std::string_view text, size_t lo, size_t hi, char a, char b) {
  if (hi <= lo) return hi;
  size_t after = lo;
  for (const char c : {a, b}) {
    const void* p = memrchr(text.data() + lo, c, hi - lo);
    if (p != nullptr) {
      after = std::max(after, static_cast<size_t>(static_cast<const char*>(p) - text.data()) + 1);
    }
  }
  return after;
}

}  // namespace

std::string_view LineBefore(std::string_view text, size_t at, size_t n) {
  if (n == 0) return {};
  const size_t floor = at > kLabelReach ? at - kLabelReach : 0;
  const size_t from = AfterLastOf(text, floor, at > n ? at - n : 0, '\n', ' ');
  // A line ends at a line break, or where a request (or a base64 region)
  // does: the normalizer's boundary byte.
  const size_t start = AfterLastOf(text, from, at, '\n', '\0');
  return text.substr(start, at - start);
}

ValueLabel LabelOf(std::string_view text, size_t at) {
  at = std::min(at, text.size());
  const size_t lo = at > kLabelReach ? at - kLabelReach : 0;
  Backwards b(text, lo, at);
  if (b.done()) return {};
  // The value's own quote.
  char quote = 0;
  if (b.peek() == '"' || b.peek() == '\'') {
    quote = b.peek();
    b.take();
  }
  b.SkipBlanks();
  if (b.done()) return {};
  switch (b.peek()) {
    case ':': {
      b.take();
      return KeyBefore(b);
    }
    case '=': {
      b.take();
      const size_t name_end = b.pos();
      while (!b.done() && IsNameByte(b.peek())) b.take();
      const std::string_view name = text.substr(b.pos(), name_end - b.pos());
      if (name.empty()) return {};
      // <input ... value="536221457">: the tag's other attributes name it.
      if (EqualsLower(name, "value") && (quote != 0 || !b.done())) {
        return TagBefore(text, b, b.pos());
      }
      return {ValueLabel::Kind::kField, name};
    }
    case '>':
      if (quote != 0) return {};
      return CellBefore(text, b);
    case '[':
    case ',':
      return ArrayKeyBefore(b);
    case '\n': {
      // A blank line right before: the body of a part (or of a request).
      b.take();
      if (!b.done() && b.peek() == '\r') b.take();
      if (b.done() || b.peek() != '\n') return {};
      b.take();
      return PartNameBefore(text, b);
    }
    default:
      return {};
  }
}

const ValueLabel& ValueSurroundings::Label() {
  if (!have_label_) {
    label_ = LabelOf(text_, at_);
    have_label_ = true;
  }
  return label_;
}

int ValueSurroundings::Column() {
  if (column_ < 0) {
    column_ = static_cast<int>(columns_ == nullptr
                                   ? ColumnTracker::Answer::kNoTable
                                   : columns_->ColumnOf(rules_, rule_, text_, at_, text_base_));
  }
  return column_;
}

bool ValueSurroundings::Found(const KeywordSet& keywords, std::string_view text) {
  return memo_ != nullptr ? memo_->FoundIn(keywords, text) : keywords.FoundIn(text);
}

bool ValueSurroundings::HasContext() {
  const ContextSpec& spec = rules_.rule(rule_).context;
  const KeywordSet& keywords = rules_.keywords(rule_);
  if (keywords.empty() || at_ > text_.size()) return false;
  if (spec.labels) {
    const ValueLabel& label = Label();
    if (label.kind != ValueLabel::Kind::kNone) return Found(keywords, label.text);
  }
  if (spec.columns) {
    const auto a = static_cast<ColumnTracker::Answer>(Column());
    if (a != ColumnTracker::Answer::kNoTable) return a == ColumnTracker::Answer::kKeyword;
  }
  return spec.before != 0 && Found(keywords, LineBefore(text_, at_, spec.before));
}

bool ValueSurroundings::LabelExcludes() {
  const KeywordSet& excluded = rules_.excluded(rule_);
  if (excluded.empty() || at_ > text_.size()) return false;
  const KeywordSet& keywords = rules_.keywords(rule_);
  const ValueLabel& label = Label();
  if (label.kind != ValueLabel::Kind::kNone) {
    return Found(excluded, label.text) && !Found(keywords, label.text);
  }
  const auto a = static_cast<ColumnTracker::Answer>(Column());
  if (a != ColumnTracker::Answer::kNoTable) return a == ColumnTracker::Answer::kExcluded;
  // Free text: the word right before it ("Your FedEx parcel 377330..."),
  // unless a keyword stands before it on its line too ("ref no." is no
  // excluded word: "no" stands last).
  const std::string_view text = text_;
  const size_t at = at_;
  size_t end = at;
  while (end > 0 && at - end < 3 && !IsNameByte(text[end - 1]) && text[end - 1] != '\n' &&
         text[end - 1] != '\0') {
    --end;
  }
  size_t from = end;
  while (from > 0 && end - from < 32 && IsAsciiAlnum(static_cast<uint8_t>(text[from - 1]))) --from;
  const std::string_view before = LineBefore(text, at, rules_.rule(rule_).context.before);
  return from < end && Found(excluded, text.substr(from, end - from)) && !Found(keywords, before);
}

}  // namespace dlp
