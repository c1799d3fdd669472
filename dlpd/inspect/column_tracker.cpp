#include "dlpd/inspect/column_tracker.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "dlpd/inspect/value_context.h"
#include "rules/compiled_ruleset.h"

namespace dlp {
namespace {

// Tables kept at most: those a piece's values may lie in (Prune drops the
// ones no value to come can); past this many in one piece (a body of tiny
// headed parts), the oldest go.
constexpr size_t kMaxTables = 1024;
// A longer first line is no header (a form body, a JSON document).
constexpr size_t kMaxHeaderLine = 4096;
constexpr uint32_t kMaxColumns = 256;

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

}  // namespace

void ColumnTracker::Prune(uint64_t before) {
  tables_.erase(std::remove_if(tables_.begin(), tables_.end(),
                               [before](const Table& t) { return t.until <= before; }),
                tables_.end());
}

void ColumnTracker::EndTable(uint64_t at) {
  if (!tables_.empty() && tables_.back().until == UINT64_MAX) tables_.back().until = at;
}

void ColumnTracker::ReadHeader(const CompiledRuleset& rules, std::string_view line, uint64_t end) {
  // The delimiter: the most frequent outside quotes.
  static constexpr std::array<char, 4> kDelimiters = {',', ';', '\t', '|'};
  std::array<size_t, 4> count{};
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    for (size_t d = 0; d < kDelimiters.size(); ++d) count[d] += c == kDelimiters[d];
  }
  const size_t best =
      static_cast<size_t>(std::max_element(count.begin(), count.end()) - count.begin());
  if (count[best] == 0) return;
  Table t;
  t.rows_from = end;
  t.delimiter = kDelimiters[best];
  uint32_t index = 0;
  size_t field = 0;
  quoted = false;
  for (size_t i = 0; i <= line.size() && index < kMaxColumns; ++i) {
    if (i < line.size() && line[i] == '"') quoted = !quoted;
    if (i < line.size() && (quoted || line[i] != t.delimiter)) continue;
    const std::string_view name = Trimmed(line.substr(field, i - field));
    for (uint32_t r = 0; r < rules.rule_set().rules.size() && !name.empty(); ++r) {
      if (rules.rule(r).context.columns && rules.keywords(r).FoundIn(name)) {
        t.columns.push_back({r, index, false});
      } else if (rules.excluded(r).FoundIn(name)) {
        t.columns.push_back({r, index, true});
      }
    }
    field = i + 1;
    ++index;
  }
  if (t.columns.empty()) return;
  if (tables_.size() == kMaxTables) tables_.erase(tables_.begin());
  tables_.push_back(std::move(t));
}

void ColumnTracker::Feed(const CompiledRuleset& rules, std::string_view piece,
                         uint64_t piece_base) {
  const char* data = piece.data();
  size_t i = 0;
  while (i < piece.size()) {
    const void* nl = std::memchr(data + i, '\n', piece.size() - i);
    const size_t at =
        nl == nullptr ? piece.size() : static_cast<size_t>(static_cast<const char*>(nl) - data);
    // This line's bytes in the piece: [i, at).
    for (size_t k = i; k < at && line_len_ < 2; ++k) line_head_[line_len_++] = data[k];
    for (size_t k = i; k < at && line_empty_; ++k) line_empty_ = data[k] == '\r';
    if (reading_header_) {
      if (header_.size() + (at - i) > kMaxHeaderLine) {
        reading_header_ = false;  // too long for a header: no table
        std::string().swap(header_);
      } else {
        header_.append(data + i, at - i);
      }
    }
    if (nl == nullptr) return;
    const uint64_t line_end = piece_base + at;  // the '\n'
    if (line_empty_) {
      // A blank line: a body (or a part's) begins; so may a table.
      EndTable(line_end);
      reading_header_ = true;
    } else if (reading_header_) {
      ReadHeader(rules, header_, line_end + 1);
    } else if (line_len_ >= 2 && line_head_[0] == '-' && line_head_[1] == '-') {
      EndTable(line_end);  // a multipart boundary
    }
    if (!line_empty_) {
      reading_header_ = false;
      std::string().swap(header_);
    }
    line_len_ = 0;
    line_empty_ = true;
    i = at + 1;
  }
}

ColumnTracker::Answer ColumnTracker::ColumnOf(uint32_t rule, std::string_view text, size_t at,
                                              uint64_t text_base) const {
  const uint64_t value = text_base + at;
  const Table* table = nullptr;
  for (auto it = tables_.rbegin(); it != tables_.rend(); ++it) {
    if (it->rows_from <= value && value < it->until) {
      table = &*it;
      break;
    }
  }
  // A table whose header names some kind of number (any rule's keyword or
  // excluded word) is data: every rule reads its rows by column.
  if (table == nullptr || at > text.size()) return Answer::kNoTable;
  // The row's start: the line's, within kLabelReach (whatever the text
  // holds beyond it, so that a stream and a whole body agree), or the
  // stream's first byte.
  size_t from = at;
  const size_t floor = at > kLabelReach ? at - kLabelReach : 0;
  while (from > floor && text[from - 1] != '\n') --from;
  if (from == floor && !(from == 0 && text_base == 0)) {
    if (from == 0 || text[from - 1] != '\n') return Answer::kNoTable;
  }
  if (text_base + from < table->rows_from) return Answer::kNoTable;
  uint32_t index = 0;
  bool quoted = false;
  for (size_t i = from; i < at; ++i) {
    if (text[i] == '"') quoted = !quoted;
    if (!quoted && text[i] == table->delimiter) ++index;
  }
  // The value begins its field (after the delimiter, blanks or a quote).
  size_t lead = at;
  while (lead > from && (text[lead - 1] == '"' || text[lead - 1] == ' ')) --lead;
  if (lead > from && text[lead - 1] != table->delimiter) return Answer::kOther;
  for (const Column& c : table->columns) {
    if (c.rule == rule && c.index == index)
      return c.excluded ? Answer::kExcluded : Answer::kKeyword;
  }
  return Answer::kOther;
}

}  // namespace dlp
