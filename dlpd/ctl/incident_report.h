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

#include <cstdint>
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

// "192.0.2.1:80", "[2001:db8::1]:80": an endpoint as every table names it.
std::string EndpointText(uint8_t ip_version, const std::string& ip, uint16_t port);
// Where an incident's data went, as the tables name it: its request's Host
// when known, else its destination endpoint. Raw: escape it to print.
std::string IncidentDestination(const Incident& in);

// `s` safe inside HTML text or a quoted attribute: control bytes and
// non-ASCII as \xNN (Terminal), then & < > " ' as entities.
std::string HtmlText(const std::string& s);

}  // namespace dlp
