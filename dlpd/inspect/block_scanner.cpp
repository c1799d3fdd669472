#include "dlpd/inspect/block_scanner.h"

#include <string>

#include "dlpd/inspect/column_tracker.h"
#include "dlpd/inspect/gated_scan.h"

namespace dlp {

Status ScanBlock(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out) {
  auto& cands = ctx.candidates();
  cands.clear();
  // Hyperscan takes an unsigned length; inputs above 4 GiB are scanned by
  // the stream scanner instead.
  if (len > UINT32_MAX) return Error{"block too large for one scan"};
  if (ctx.rules().block_db() != nullptr) {
    hs_error_t rc = hs_scan(ctx.rules().block_db(), reinterpret_cast<const char*>(data),
                            static_cast<unsigned>(len), 0, ctx.scratch(), CollectCandidate,
                            ctx.candidate_sink());
    if (rc != HS_SUCCESS) return Error{"hs_scan failed: " + std::to_string(rc)};
  }
  ColumnTracker columns;
  const std::string_view text(reinterpret_cast<const char*>(data), len);
  if (ctx.rules().gated()) {
    DigitGate& gate = ctx.gate();
    gate.Reset();
    gate.Feed(data, len, 0);
    if (ctx.rules().columns()) columns.Feed(text, 0, gate.blank_line_ends());
    if (Status st = CollectGatedCandidates(ctx, gate, data, len, 0); !st) return st;
  } else if (ctx.rules().columns()) {
    columns.Feed(text, 0);
  }
  ConfirmCandidates(ctx.rules(), cands, data, len, 0, out, ctx.fingerprinter(),
                    Surroundings{&columns, true, UINT64_MAX, ctx.keyword_memo()});
  return {};
}

}  // namespace dlp
