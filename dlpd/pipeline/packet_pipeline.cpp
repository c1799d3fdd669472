#include "dlpd/pipeline/packet_pipeline.h"

#include <chrono>
#include <cstring>
#include <map>

#include "dlpd/decode/checksum.h"
#include "dlpd/inspect/block_scanner.h"
#include "dlpd/mask/mask.h"
#include "dlpd/pipeline/http_request.h"

namespace dlp {
namespace {

std::string FlowId(const PacketView& v) {
  // FNV-1a over the directed 5-tuple: stable across runs and machines, so
  // the same flow has the same id in every incident.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  const size_t alen = v.ip_version == 6 ? 16 : 4;
  mix(v.src.data(), alen);
  mix(v.dst.data(), alen);
  uint8_t ports[4] = {static_cast<uint8_t>(v.src_port >> 8), static_cast<uint8_t>(v.src_port),
                      static_cast<uint8_t>(v.dst_port >> 8), static_cast<uint8_t>(v.dst_port)};
  mix(ports, 4);
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

PacketPipeline::PacketPipeline(std::unique_ptr<ScanContext> ctx, FailMode fail_mode,
                               IncidentWriter* writer, const Fingerprinter* fingerprinter)
    : ctx_(std::move(ctx)), fail_mode_(fail_mode), writer_(writer), fingerprinter_(fingerprinter) {}

PacketResult PacketPipeline::Uninspectable() {
  if (fail_mode_ == FailMode::kOpen) {
    counters_.passed_uninspected.fetch_add(1, std::memory_order_relaxed);
    return {Verdict::kAccept, false};
  }
  counters_.dropped_uninspected.fetch_add(1, std::memory_order_relaxed);
  return {Verdict::kDrop, false};
}

PacketResult PacketPipeline::Process(uint8_t* packet, size_t len) {
  counters_.packets.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(len, std::memory_order_relaxed);
  PacketView view;
  DecodeStatus ds = DecodePacket(packet, len, &view);
  if (ds == DecodeStatus::kNotTcp) {
    // Only TCP is diverted to us; anything else carries no HTTP to inspect.
    counters_.not_tcp.fetch_add(1, std::memory_order_relaxed);
    return {Verdict::kAccept, false};
  }
  if (ds != DecodeStatus::kOk) {
    counters_.decode_errors.fetch_add(1, std::memory_order_relaxed);
    return Uninspectable();
  }
  if (view.payload_len == 0) return {Verdict::kAccept, false};

  uint8_t* payload = packet + view.payload_offset;
  findings_.clear();
  if (!ScanBlock(*ctx_, payload, view.payload_len, &findings_)) return Uninspectable();
  counters_.inspected.fetch_add(1, std::memory_order_relaxed);
  if (findings_.empty()) return {Verdict::kAccept, false};

  original_.assign(reinterpret_cast<const char*>(payload), view.payload_len);
  MaskFindings(ctx_->rules(), findings_.data(), findings_.size(), payload, view.payload_len, 0);
  UpdateTcpChecksum(packet, view);
  counters_.masked_packets.fetch_add(1, std::memory_order_relaxed);
  counters_.findings.fetch_add(findings_.size(), std::memory_order_relaxed);
  Record(packet, view, findings_, reinterpret_cast<const uint8_t*>(original_.data()));
  return {Verdict::kAccept, true};
}

void PacketPipeline::Record(const uint8_t* packet, const PacketView& view, const Findings& findings,
                            const uint8_t* original_payload) {
  if (writer_ == nullptr) return;
  // One incident per rule per packet, with the match count; the sample and
  // fingerprint are the first value's.
  std::map<uint32_t, std::pair<const Finding*, uint32_t>> by_rule;
  for (const Finding& f : findings) {
    auto& e = by_rule[f.rule_index];
    if (e.first == nullptr) e.first = &f;
    ++e.second;
  }
  HttpRequestInfo http;
  // Parsed from the masked payload: a URI or Host that held a value is stored masked.
  const bool has_http = ParseHttpRequestHead(
      {reinterpret_cast<const char*>(packet + view.payload_offset), view.payload_len}, &http);
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (const auto& [rule_index, entry] : by_rule) {
    const Rule& rule = ctx_->rules().rule(rule_index);
    const Finding& f = *entry.first;
    Incident in;
    in.time_us = now_us;
    in.rule_id = rule.id;
    in.severity = ToString(rule.severity);
    in.action = "mask";
    in.ip_version = view.ip_version;
    in.src_ip = AddressToString(view.ip_version, view.src);
    in.dst_ip = AddressToString(view.ip_version, view.dst);
    in.src_port = view.src_port;
    in.dst_port = view.dst_port;
    in.flow_id = FlowId(view);
    if (has_http) {
      in.http_method = http.method;
      in.http_host = http.host;
      in.http_path = http.path;
    }
    in.match_count = entry.second;
    in.masked_sample = std::string(f.display_form());
    if (fingerprinter_ != nullptr) {
      in.fingerprint = fingerprinter_->Of(
          {reinterpret_cast<const char*>(original_payload) + f.start, f.end - f.start});
    }
    in.ruleset_version = ctx_->rules().rule_set().version;
    if (!writer_->Submit(std::move(in))) {
      counters_.incidents_dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace dlp
