#include "dlpd/ctl/text_table.h"

#include <algorithm>
#include <cstdio>

namespace dlp {

std::string Terminal(const std::string& s, size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (max > 3 && out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

std::string Csv(const std::string& s) {
  // A spreadsheet runs a cell that begins with = + - @ (or a tab or CR
  // before one) as a formula, and one whose locale splits on ';' (or that
  // guesses the delimiter) starts a new cell after each ';', ',' or tab: a
  // quote goes before such a character at the start and after each of
  // those (OWASP's CSV injection advice), and any cell holding one of them
  // is quoted whole, so no reader splits it.
  auto formula = [](char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
  };
  auto splits = [](char c) { return c == ',' || c == ';' || c == '\t' || c == '\r' || c == '\n'; };
  std::string v;
  v.reserve(s.size() + 2);
  for (size_t i = 0; i < s.size(); ++i) {
    if ((i == 0 || splits(s[i - 1])) && formula(s[i])) v += '\'';
    v += s[i];
  }
  if (v.find_first_of(",;\t\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

namespace {
bool Printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x20 && b < 0x7f;
  });
}

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

void TextTable::Add(std::vector<std::string> row) {
  for (std::string& cell : row) {
    if (!Printable(cell)) cell = Terminal(cell);
  }
  rows_.push_back(std::move(row));
}

void TextTable::Print(std::ostream& out, size_t max_width) const {
  std::vector<size_t> width(header_.size(), 0);
  std::vector<bool> numeric(header_.size(), true);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
      if (!IsNumber(row[c])) numeric[c] = false;
    }
  }
  constexpr size_t kMinCut = 8;
  auto total = [&] {
    size_t sum = width.empty() ? 0 : 2 * (width.size() - 1);
    for (size_t w : width) sum += w;
    return sum;
  };
  while (max_width > 0 && total() > max_width) {
    size_t widest = width.size();
    for (size_t c : cuttable_) {
      if (c < width.size() && width[c] > kMinCut &&
          (widest == width.size() || width[c] > width[widest])) {
        widest = c;
      }
    }
    if (widest == width.size()) break;  // nothing left to cut
    width[widest] = std::max(kMinCut, width[widest] - std::min(width[widest], total() - max_width));
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < row.size() ? row[c] : "";
      if (cell.size() > width[c]) cell = cell.substr(0, width[c] - 3) + "...";
      const std::string pad(width[c] - std::min(width[c], cell.size()), ' ');
      if (c > 0) s += "  ";
      s += numeric[c] && !rows_.empty() ? pad + cell : cell + pad;
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  line(header_);
  for (const auto& row : rows_) line(row);
}

}  // namespace dlp
