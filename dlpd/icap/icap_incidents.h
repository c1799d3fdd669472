// The incidents of one REQMOD request, as the packet path records a flow's
// (IncidentRecorder): one per rule and action, with the match count, the
// first value's sample and fingerprint, and each value's fate. The source
// is the client the proxy names (X-Client-IP; 0.0.0.0 when it names none),
// port 0; the destination port is the URL's, its address the unspecified
// one (0.0.0.0 or ::): the server's address is the proxy's to know.
// Method, Host, path, User-Agent and the proxy's user
// (X-Authenticated-User) are stored masked.
//
// Thread-safety: none needed (pure, but for the writer's Submit, which any
// thread may call).
#pragma once

#include <cstdint>
#include <string>

namespace dlp {

class IcapExchange;
class IncidentWriter;

struct IcapRecorded {
  uint64_t incidents = 0;  // handed to the writer
  uint64_t dropped = 0;    // its queue refused them
  uint64_t passed = 0;     // values exempted (pass): counted, not recorded
};

// `id`: the request's flow id (IdText); `now_us`: wall time. Without a
// writer, only counted.
IcapRecorded RecordIcapIncidents(const IcapExchange& x, uint64_t id, int64_t now_us,
                                 IncidentWriter* writer);

}  // namespace dlp
