#include "dlpd/ctl/incident_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "dlpd/ctl/text_table.h"
#include "storage/incident_store.h"

namespace dlp {
namespace {

constexpr const char* kClearColor = "#c0392b";   // values that left in clear
constexpr const char* kMaskedColor = "#2e86c1";  // the rest

// Cut to `max` characters first (on the escaped text, so that an escape is
// never split), then made safe for HTML.
std::string Label(const std::string& s, size_t max) {
  return HtmlText(Terminal(s, max));
}

std::string AtLeast(const IncidentStats& s) {
  return s.values_unlisted > 0 ? "at least " : "";
}

// Values by day as vertical bars: the in-clear part of each on top of the
// rest (masked, partly masked, blocked).
std::string DayChart(const std::vector<CountRow>& days) {
  if (days.empty()) return "<p>No incidents.</p>\n";
  int64_t top = 1;
  for (const CountRow& d : days) top = std::max(top, d.matches);
  const int width = 900, height = 220, base = 190, chart_h = 170, left = 50;
  const double step = static_cast<double>(width - left - 10) / static_cast<double>(days.size());
  const double bar = std::max(1.0, step * 0.7);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" "
      "aria-label=\"values by day\">\n",
      width, height);
  svg += fmt::format("<text x=\"0\" y=\"{}\" class=\"axis\">{}</text>\n", base - chart_h + 10, top);
  svg += fmt::format("<text x=\"0\" y=\"{}\" class=\"axis\">0</text>\n", base);
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>\n", left,
                     base, width - 10, base);
  const size_t label_every = std::max<size_t>(1, days.size() / 12);
  for (size_t i = 0; i < days.size(); ++i) {
    const CountRow& d = days[i];
    const double x = left + step * static_cast<double>(i) + (step - bar) / 2;
    const double all = chart_h * static_cast<double>(d.matches) / static_cast<double>(top);
    const double clear = chart_h * static_cast<double>(d.in_clear) / static_cast<double>(top);
    svg += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>{}: {} values, {} in clear</title></rect>\n",
        x, base - all + clear, bar, all - clear, kMaskedColor, Label(d.key, 16), d.matches,
        d.in_clear);
    if (d.in_clear > 0) {
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n", x,
          base - all, bar, clear, kClearColor);
    }
    if (i % label_every == 0) {
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"axis\">{}</text>\n", x, base + 16,
                         Label(d.key.substr(std::min<size_t>(d.key.size(), 5)), 16));
    }
  }
  return svg + "</svg>\n";
}

// One breakdown as horizontal bars (values, the in-clear part first) and
// its figures.
std::string BarChart(const std::vector<CountRow>& rows, const char* what) {
  if (rows.empty()) return "<p>No incidents.</p>\n";
  int64_t top = 1;
  for (const CountRow& r : rows) top = std::max(top, r.matches);
  const int width = 900, row_h = 24, label_w = 320, bar_w = 440;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" "
      "aria-label=\"values by {}\">\n",
      width, static_cast<int>(rows.size()) * row_h + 4, what);
  for (size_t i = 0; i < rows.size(); ++i) {
    const CountRow& r = rows[i];
    const int y = static_cast<int>(i) * row_h;
    const double all = bar_w * static_cast<double>(r.matches) / static_cast<double>(top);
    const double clear = bar_w * static_cast<double>(r.in_clear) / static_cast<double>(top);
    svg +=
        fmt::format("<text x=\"0\" y=\"{}\" class=\"label\">{}</text>\n", y + 16, Label(r.key, 44));
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\"/>\n"
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"16\" fill=\"{}\"/>\n",
        label_w, y + 4, all, kMaskedColor, label_w, y + 4, clear, kClearColor);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"label\">{} ({} in clear)</text>\n",
                       label_w + all + 6, y + 16, r.matches, r.in_clear);
  }
  return svg + "</svg>\n";
}

std::string HtmlTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
  std::string t = "<table>\n<tr>";
  for (const std::string& h : header) t += "<th>" + HtmlText(h) + "</th>";
  t += "</tr>\n";
  for (const auto& row : rows) {
    t += "<tr>";
    for (const std::string& c : row) t += "<td>" + c + "</td>";  // cells come escaped
    t += "</tr>\n";
  }
  return t + "</table>\n";
}

std::vector<std::string> BreakdownCells(const CountRow& r, size_t key_max, bool html) {
  return {html ? Label(r.key, key_max) : Terminal(r.key, key_max),
          std::to_string(r.incidents),
          std::to_string(r.matches),
          std::to_string(r.in_clear),
          std::to_string(r.distinct_values),
          std::to_string(r.distinct_in_clear)};
}

const std::vector<std::string> kBreakdownHeader = {
    "", "incidents", "values", "in clear", "distinct values", "distinct in clear"};

std::vector<std::string> WorstCells(const StoredIncident& r, bool html) {
  const Incident& in = r.incident;
  auto cell = [&](const std::string& s, size_t max) {
    return html ? Label(s, max) : Terminal(s, max);
  };
  return {std::to_string(r.id),
          IsoTimeUtc(in.time_us).substr(0, 16) + "Z",
          cell(in.rule_id, 24),
          cell(in.action, 16),
          std::to_string(in.match_count),
          std::to_string(in.in_clear),
          cell(in.src_ip, 40),
          cell(IncidentDestination(in), 48),
          cell(in.masked_sample, 32)};
}

const std::vector<std::string> kWorstHeader = {"id",     "first seen",  "rule",
                                               "action", "values",      "in clear",
                                               "source", "destination", "sample (masked)"};

// A Markdown table cell: no '|' or newline may end it, no '<' start HTML.
// A backslash is escaped too, or "\|" from the wire would be an escaped
// backslash and then a bare '|'.
std::string MdCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '|') {
      out += "\\|";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '`' || c == '*' || c == '_' || c == '[' || c == ']') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string MdTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows) {
  std::string t = "|";
  for (const std::string& h : header) t += " " + MdCell(h) + " |";
  t += "\n|";
  for (size_t i = 0; i < header.size(); ++i) t += "---|";
  t += "\n";
  for (const auto& row : rows) {
    t += "|";
    for (const std::string& c : row) t += " " + MdCell(c) + " |";
    t += "\n";
  }
  return t;
}

// The breakdowns both formats show, in their order.
std::vector<std::pair<const char*, const std::vector<CountRow>*>> TopParts(const IncidentStats& s) {
  return {{"rules", &s.by_rule}, {"sources", &s.by_source}, {"destinations", &s.by_destination}};
}

}  // namespace

std::string EndpointText(uint8_t ip_version, const std::string& ip, uint16_t port) {
  return (ip_version == 6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

std::string IncidentDestination(const Incident& in) {
  return in.http_host.empty() ? EndpointText(in.ip_version, in.dst_ip, in.dst_port) : in.http_host;
}

std::string HtmlText(const std::string& s) {
  std::string out;
  for (char c : Terminal(s)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlReport(const ReportInput& in) {
  const IncidentStats& s = in.stats;
  const CountRow& t = s.total;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      // Nothing may be fetched: no script, no remote style, image or font.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n"
      "<title>" +
      HtmlText(in.title) +
      "</title>\n<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222;max-width:960px}\n"
      "h1{margin-bottom:0}.meta{color:#666;margin-top:.3em}\n"
      ".cards{display:flex;flex-wrap:wrap;gap:12px}\n"
      ".card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:150px}\n"
      ".card b{display:block;font-size:1.8em}.clear b{color:#c0392b}\n"
      "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
      "td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:.9em}\n"
      "th{background:#f4f4f4}.axis{font-size:11px;fill:#555}.label{font-size:12px}\n"
      ".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}\n"
      "</style>\n</head>\n<body>\n";
  h += "<h1>" + HtmlText(in.title) + "</h1>\n<p class=\"meta\">" + HtmlText(in.period) +
       " &middot; generated " + HtmlText(in.generated) + " on " + HtmlText(in.sensor) + "</p>\n";
  h += "<section id=\"totals\">\n<h2>Totals</h2>\n<div class=\"cards\">\n";
  auto card = [&](const std::string& label, const std::string& value, bool clear = false) {
    h += std::string("<div class=\"card") + (clear ? " clear" : "") + "\"><b>" + HtmlText(value) +
         "</b>" + HtmlText(label) + "</div>\n";
  };
  card("incidents", std::to_string(t.incidents));
  card("values found", std::to_string(t.matches));
  card("values in clear", std::to_string(t.in_clear), true);
  card("distinct values", AtLeast(s) + std::to_string(t.distinct_values));
  card("distinct values in clear", AtLeast(s) + std::to_string(t.distinct_in_clear), true);
  h += "</div>\n<p>Of the values: " + std::to_string(s.masked) + " masked, " +
       std::to_string(s.partly_masked) + " partly masked, " + std::to_string(t.in_clear) +
       " let through in clear, " + std::to_string(s.blocked) + " blocked";
  if (s.unknown_outcome > 0) {
    h += ", " + std::to_string(s.unknown_outcome) + " recorded before outcomes were kept";
  }
  h += ". A distinct value is one card or number, however often it was sent; it is counted "
       "by its keyed fingerprint, never stored.</p>\n</section>\n";
  h += "<p class=\"legend\"><span style=\"background:" + std::string(kMaskedColor) +
       "\"></span>masked or blocked<span style=\"background:" + kClearColor +
       "\"></span>in clear</p>\n";
  h += "<section id=\"by-day\">\n<h2>Values by day (UTC)</h2>\n" + DayChart(s.by_day) +
       "</section>\n";
  for (const auto& [name, rows] : TopParts(s)) {
    h += fmt::format("<section id=\"{}\">\n<h2>Top {}</h2>\n", name, name);
    h += BarChart(*rows, name);
    std::vector<std::vector<std::string>> cells;
    for (const CountRow& r : *rows) cells.push_back(BreakdownCells(r, 64, true));
    std::vector<std::string> header = kBreakdownHeader;
    header[0] = name;
    h += HtmlTable(header, cells) + "</section>\n";
  }
  h += "<section id=\"worst\">\n<h2>Incidents that let the most through</h2>\n";
  if (in.worst.empty()) {
    h += "<p>No incidents.</p>\n";
  } else {
    std::vector<std::vector<std::string>> cells;
    for (const StoredIncident& r : in.worst) cells.push_back(WorstCells(r, true));
    h += HtmlTable(kWorstHeader, cells);
  }
  h += "</section>\n</body>\n</html>\n";
  return h;
}

std::string MarkdownReport(const ReportInput& in) {
  const IncidentStats& s = in.stats;
  const CountRow& t = s.total;
  std::string m = "# " + MdCell(Terminal(in.title)) + "\n\n" + MdCell(Terminal(in.period)) +
                  ", generated " + MdCell(Terminal(in.generated)) + " on " +
                  MdCell(Terminal(in.sensor)) + ".\n\n## Totals\n\n";
  m += "- " + std::to_string(t.incidents) + " incidents, " + std::to_string(t.matches) +
       " values: " + std::to_string(s.masked) + " masked, " + std::to_string(s.partly_masked) +
       " partly masked, **" + std::to_string(t.in_clear) + " in clear**, " +
       std::to_string(s.blocked) + " blocked";
  if (s.unknown_outcome > 0) m += ", " + std::to_string(s.unknown_outcome) + " of unknown outcome";
  m += "\n- distinct values: " + AtLeast(s) + std::to_string(t.distinct_values) + ", **" +
       AtLeast(s) + std::to_string(t.distinct_in_clear) + " in clear** at least once\n\n";
  m += "## Values by day (UTC)\n\n";
  std::vector<std::vector<std::string>> days;
  for (const CountRow& d : s.by_day) {
    days.push_back({Terminal(d.key, 16), std::to_string(d.matches), std::to_string(d.in_clear)});
  }
  m += days.empty() ? "No incidents.\n\n" : MdTable({"day", "values", "in clear"}, days) + "\n";
  for (const auto& [name, rows] : TopParts(s)) {
    m += std::string("## Top ") + name + "\n\n";
    std::vector<std::vector<std::string>> cells;
    for (const CountRow& r : *rows) cells.push_back(BreakdownCells(r, 64, false));
    std::vector<std::string> header = kBreakdownHeader;
    header[0] = name;
    m += cells.empty() ? "No incidents.\n\n" : MdTable(header, cells) + "\n";
  }
  m += "## Incidents that let the most through\n\n";
  std::vector<std::vector<std::string>> cells;
  for (const StoredIncident& r : in.worst) cells.push_back(WorstCells(r, false));
  m += cells.empty() ? "No incidents.\n" : MdTable(kWorstHeader, cells);
  return m;
}

}  // namespace dlp
