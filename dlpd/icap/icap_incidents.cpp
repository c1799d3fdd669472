#include "dlpd/icap/icap_incidents.h"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "dlpd/flow/flow_table.h"
#include "dlpd/icap/icap_exchange.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/mask/mask.h"
#include "dlpd/pipeline/incident_recorder.h"
#include "storage/incident_writer.h"

namespace dlp {

IcapRecorded RecordIcapIncidents(const IcapExchange& x, uint64_t id, int64_t now_us,
                                 IncidentWriter* writer) {
  IcapRecorded done;
  ScanContext& ctx = x.ctx();
  // The request's fields as stored: masked.
  HttpRequestInfo http;
  if (const HttpRequestInfo* r = x.request(); r != nullptr) http = *r;
  std::string user = x.origin().user;
  for (std::string* s : {&http.path, &http.host, &http.user_agent, &user}) MaskValuesIn(ctx, s);
  bool first_of_request = true;
  for (const IcapTally& t : x.tallies()) {
    const PolicyAction action = t.action;
    if (action == PolicyAction::kPass) {
      done.passed += t.count;
      continue;
    }
    if (writer == nullptr) continue;
    Incident in;
    in.time_us = now_us;
    in.last_time_us = now_us;
    SetRule(in, ctx.rules(), t.rule_index);
    in.action = ToString(action);
    // Unknown addresses are the unspecified one (a SIEM types them as
    // addresses): the server's always, the client's without X-Client-IP.
    const bool v6 = x.origin().family == AF_INET6;
    in.ip_version = v6 ? 6 : 4;
    in.src_ip = x.origin().family != 0 ? x.origin().client_text : "0.0.0.0";
    in.dst_ip = v6 ? "::" : "0.0.0.0";
    if (const HttpRequestInfo* r = x.request(); r != nullptr) in.dst_port = IcapPortOf(*r);
    in.flow_id = IdText(id);
    in.http_method = http.method;
    in.http_host = http.host;
    in.http_path = http.path;
    in.http_user_agent = http.user_agent;
    in.http_user = user;
    if (http.body_length) {
      in.http_body_length = static_cast<int64_t>(std::min<uint64_t>(*http.body_length, INT64_MAX));
    }
    AddHost(in, in.http_host);
    const uint32_t count = static_cast<uint32_t>(std::min<uint64_t>(t.count, UINT32_MAX));
    in.match_count = count;
    const uint8_t outcome = OutcomeOf(action);
    CountOutcome(in, outcome, count);
    for (const Finding& f : t.kept) {
      if (f.has_fingerprint) AddValue(in, f.fingerprint_hex(), outcome);
      if (in.reason.empty() && f.reason[0] != '\0') in.reason = f.reason;
    }
    // Past the kept ones: counted, not told apart.
    in.values_unlisted += static_cast<uint32_t>(
        std::min<uint64_t>(t.count - t.kept.size(), UINT32_MAX - in.values_unlisted));
    // One request is one flow: its first row counts it.
    in.flows = first_of_request ? 1 : 0;
    first_of_request = false;
    in.masked_sample = std::string(t.kept.front().display_form());
    in.fingerprint = std::string(t.kept.front().fingerprint_hex());
    if (writer->Submit(std::move(in))) {
      ++done.incidents;
    } else {
      ++done.dropped;
    }
  }
  return done;
}

}  // namespace dlp
