// CSV and TSV columns whose header holds a rule's keyword ("name,ssn,dob"),
// so that the field under that header in every following row is judged as
// labelled by it: an HR export uploaded as a file carries its SSNs bare.
// Likewise a column whose header names another kind of number ("gtin").
//
// A header is the first line of a body: the line after a blank line (the
// end of a request's or a multipart part's headers), or the stream's first
// line. Its delimiter is the most frequent of , ; TAB | outside quotes. The
// table lasts until the next blank line or a line that begins with "--" (a
// multipart boundary). Rows are read back from the value to their line's
// start, counting delimiters outside quotes, so a row must fit in the text
// the scanner keeps before a value (kLabelReach); a longer row is read as
// free text.
//
// One per stream (owned by its StreamScanner), fed every byte in order; not
// thread-safe. Hand-written: no CSV library reads a stream in pieces from
// an arbitrary point, and only the header line is parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dlp {

class CompiledRuleset;

class ColumnTracker {
 public:
  // Reads `piece`, the stream's next bytes, from offset piece_base on. A
  // header line cut across pieces is kept until it ends (at most 4 KiB:
  // a longer first line heads no table).
  void Feed(const CompiledRuleset& rules, std::string_view piece, uint64_t piece_base);

  // What the header of the column holding the field that begins at
  // text[at] (text's first byte at stream offset text_base) says for rule
  // `rule`: one of its keywords, one of its excluded words, or neither;
  // kNoTable when no table covers it (a table is one whose header names a
  // kind of number for some rule), or its row does not begin within
  // kLabelReach of it.
  // Forgets the tables that ended before stream offset `before` (no value
  // still to be judged lies in them).
  void Prune(uint64_t before);

  enum class Answer { kNoTable, kKeyword, kExcluded, kOther };
  Answer ColumnOf(uint32_t rule, std::string_view text, size_t at, uint64_t text_base) const;

  size_t memory_bytes() const { return tables_.capacity() * sizeof(Table) + header_.capacity(); }

 private:
  struct Column {
    uint32_t rule;
    uint32_t index;
    bool excluded;  // its header names another kind of number
  };
  struct Table {
    uint64_t rows_from = 0;  // the offset after the header line
    uint64_t until = UINT64_MAX;
    char delimiter = ',';
    std::vector<Column> columns;
  };
  void ReadHeader(const CompiledRuleset& rules, std::string_view line, uint64_t end);
  void EndTable(uint64_t at);

  std::vector<Table> tables_;   // the last few, oldest first
  std::string header_;          // the line being read, when it may be a header
  bool reading_header_ = true;  // it follows a blank line (or begins the stream)
  bool line_empty_ = true;      // the line so far holds nothing but '\r'
  unsigned line_len_ = 0;       // bytes of it so far, up to 2
  char line_head_[2] = {0, 0};  // its first two ("--": a multipart boundary)
};

}  // namespace dlp
