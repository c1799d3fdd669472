// `dlpctl incidents report`: what a period's incidents add up to, for the
// people who do not run dlpctl. One self-contained HTML file (inline CSS and
// SVG charts, no script, nothing fetched from anywhere) or Markdown for a
// ticket, with the same sections: totals (values by outcome, distinct
// values and those that left in clear), values by day, the top rules,
// sources and destinations, and the incidents that let the most through
// with their masked samples. Built from the database's counts and masked
// samples only: never a full value. Every byte from the wire (a Host) is
// escaped for the format.
#pragma once

#include <string>
#include <vector>

#include "storage/incident_query.h"

namespace dlp {

struct ReportInput {
  std::string title = "dlpd incident report";
  std::string period;                 // "2026-11-01 to 2026-12-01 (UTC)", or "all incidents"
  std::string generated;              // when, UTC
  std::string sensor;                 // the host it was made on
  IncidentStats stats;                // with by_day whole, the other breakdowns cut to the top rows
  std::vector<StoredIncident> worst;  // most in clear first
};

std::string HtmlReport(const ReportInput& in);
std::string MarkdownReport(const ReportInput& in);

// `s` safe inside HTML text or a quoted attribute: control bytes and
// non-ASCII as \xNN (Terminal), then & < > " ' as entities.
std::string HtmlText(const std::string& s);

}  // namespace dlp
