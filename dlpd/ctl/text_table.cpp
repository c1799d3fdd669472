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

void TextTable::Print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  std::vector<bool> numeric(header_.size(), true);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
      if (!IsNumber(row[c])) numeric[c] = false;
    }
  }
  auto line = [&](const std::vector<std::string>& row) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
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
