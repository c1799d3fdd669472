// TCP resets for `block`: the gateway tears a flow down by sending each end
// a RST that its stack accepts (RFC 5961: the sequence number must be
// exactly the one the receiver expects next, or it answers with a challenge
// ACK instead of closing).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "dlpd/flow/flow_key.h"

namespace dlp {

struct ResetSpec {
  uint8_t ip_version = 4;
  std::array<uint8_t, 16> src{}, dst{};  // IPv4 in the first 4 bytes
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0;
};

// A complete IPv4 or IPv6 packet: TCP RST with no payload, checksums set.
std::vector<uint8_t> BuildTcpReset(const ResetSpec& spec);

// The resets that tear down the connection of flow `key` (the client's
// direction): to the server, from the client, at `to_server_seq`; and to the
// client, from the server, at `to_client_seq` when it is known.
std::vector<ResetSpec> ResetsForFlow(const FlowKey& key, uint32_t to_server_seq,
                                     std::optional<uint32_t> to_client_seq);

}  // namespace dlp
