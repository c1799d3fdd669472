// CSV and TSV columns whose header holds a rule's keyword ("name,ssn,dob"),
// so that the field under that header in every following row is judged as
// labelled by it: an HR export uploaded as a file carries its SSNs bare.
// Likewise a column whose header names another kind of number ("gtin").
//
// A header is the first line of a body: the line after a blank line (the
// end of a request's or a multipart part's headers), or the stream's first
// line. Its delimiter is the most frequent of , ; TAB | outside quotes. A
// table lasts until the next blank line. Rows are read back from the value
// to their line's start, counting delimiters outside quotes, so a row must
// fit in the text the scanner keeps before a value (kLabelReach); a longer
// row is read as free text.
//
// Cheap where there is no CSV: the blank lines come from the digit gate's
// pass (DigitGate::blank_line_ends; it skips those followed by markup or a
// bracket), the line after each is kept (at most 1 KiB), and it is read as
// a header only when a value in its body asks (most bodies have none).
//
// One per stream (owned by its StreamScanner), fed every byte in order; not
// thread-safe (ColumnOf reads a header lazily). Hand-written: no CSV
// library reads a stream in pieces from an arbitrary point, and only the
// header line is parsed.
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
  // Reads `piece`, the stream's next bytes, from offset piece_base on.
  // `blank_line_ends`: where blank lines end (stream offsets, in order;
  // those outside the piece are ignored), as a DigitGate fed the piece
  // notes them.
  void Feed(std::string_view piece, uint64_t piece_base,
            const std::vector<uint64_t>& blank_line_ends);
  // The same, finding the blank lines itself (no digit gate ran).
  void Feed(std::string_view piece, uint64_t piece_base);

  // Forgets the bodies that ended before stream offset `before` (no value
  // still to be judged lies in them).
  void Prune(uint64_t before);

  // What the header of the column holding the field that begins at
  // text[at] (text's first byte at stream offset text_base) says for rule
  // `rule`: one of its keywords, one of its excluded words, or neither;
  // kNoTable when no table covers it (a table is a body whose first line
  // names a kind of number for some rule), or its row does not begin
  // within kLabelReach of it.
  enum class Answer { kNoTable, kKeyword, kExcluded, kOther };
  Answer ColumnOf(const CompiledRuleset& rules, uint32_t rule, std::string_view text, size_t at,
                  uint64_t text_base) const;

  // Whether a table with a keyword's column may cover stream offset `at`,
  // which may lie beyond the bytes fed so far (beyond a gap): the body it
  // would be in has a first line that names a rule's keyword, or one not
  // ended yet and short enough to be a header.
  bool TableMayCover(const CompiledRuleset& rules, uint64_t at) const;

  size_t memory_bytes() const;

 private:
  struct Column {
    uint32_t rule;
    uint32_t index;
    bool excluded;  // its header names another kind of number
  };
  // A body: from its first line on, until the next one begins.
  struct Body {
    uint64_t from = 0;            // its first line (the header, if any)
    uint64_t rows_from = 0;       // after the first line; 0 until it ended
    uint64_t until = UINT64_MAX;  // where the next body begins
    std::string first_line;       // at most kMaxHeaderLine bytes, else empty
    bool too_long = false;
    // Read when a value first asks (mutable: ColumnOf is a lookup).
    mutable bool read = false;
    mutable char delimiter = ',';
    mutable std::vector<Column> columns;
  };
  void BeginBody(uint64_t from);
  // Takes the bytes [piece_base + i, ...) of the last body's first line; a
  // first line without a delimiter heads no table: the body is forgotten
  // (a request line, most bodies), so that a stream keeps no copy of it.
  void TakeFirstLine(std::string_view piece, uint64_t piece_base, size_t i);
  static void ReadHeader(const CompiledRuleset& rules, const Body& b);

  std::vector<Body> bodies_;     // the recent ones, oldest first
  std::vector<uint64_t> blank_;  // Feed's own list of blank lines
  // The line the last piece ended in: its first two bytes ("" or "\r" is
  // blank so far), for a blank line cut by a piece's edge (own search).
  unsigned line_len_ = 0;
  char line_head_[2] = {0, 0};
  // A blank line ended the last piece: whether a body begins after it
  // depends on the next piece's first byte (DigitGate::HeadsNoTable), as
  // it does in one piece.
  bool blank_at_end_ = false;
};

}  // namespace dlp
