// Scans one whole buffer (Hyperscan block mode). Used by `dlpctl scan` on
// small inputs, by rule example checks, and as the reference the stream
// scanner must agree with.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dlpd/common/result.h"
#include "dlpd/inspect/finding.h"
#include "dlpd/inspect/scan_context.h"

namespace dlp {

// Appends the findings in [data, data+len) to `out`, sorted by position.
Status ScanBlock(ScanContext& ctx, const uint8_t* data, size_t len, Findings* out);

}  // namespace dlp
