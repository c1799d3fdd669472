// Community ID v1 (https://github.com/corelight/community-id-spec): one
// string per flow that Zeek, Suricata, firewalls and dlpd all compute the
// same way, so that a SIEM joins their records of one connection. It is the
// base64 of a SHA-1 over a seed, both addresses, the protocol and both
// ports, the endpoints in a fixed order (the lower address first, or the
// lower port for one address), so both directions give the same ID.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dlp {

// "1:<base64>" for the flow between src:sport and dst:dport (addresses as
// text, both of one family), over IP protocol `proto` (6: TCP); "" when an
// address does not parse. Thread-safe.
std::string CommunityId(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
                        uint8_t proto = 6, uint16_t seed = 0);

}  // namespace dlp
