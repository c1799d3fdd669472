// Aligned text tables and CSV for dlpctl's output. Cells may hold bytes an
// attacker put on the wire (an HTTP Host or path): Terminal() makes them
// safe to print, Csv() safe to open in a spreadsheet. Hand-written: no
// Debian-packaged library does these few lines.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dlp {

// Control bytes and non-ASCII become \xNN, so that no escape sequence from
// the wire reaches the terminal; longer than `max` is cut with "...".
std::string Terminal(const std::string& s, size_t max = 0);

// One RFC 4180 field: quoted when needed; a leading = + - @ is prefixed
// with ' so that a spreadsheet does not run it as a formula.
std::string Csv(const std::string& s);

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  // A cell that still holds a control byte or non-ASCII is passed through
  // Terminal() here, so a column a caller forgot cannot reach the terminal
  // raw (Terminal's own output is left as it is: cut cells stay cut).
  void Add(std::vector<std::string> row);
  bool empty() const { return rows_.empty(); }
  // Columns that may be cut to fit a width (Print's max_width), the widest
  // of them first, to no less than 8 characters ("..." ends a cut cell).
  void SetCuttable(std::vector<size_t> columns) { cuttable_ = std::move(columns); }
  // Columns padded to their widest cell, two spaces apart; numbers (cells of
  // digits) right-aligned. `max_width` > 0: the cuttable columns are cut
  // until a line fits it, when they can be.
  void Print(std::ostream& out, size_t max_width = 0) const;

 private:
  std::vector<std::string> header_;
  std::vector<size_t> cuttable_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace dlp
