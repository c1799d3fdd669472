// Urgent data: a receiver takes the urgent byte out of the stream (unless
// SO_OOBINLINE), so "536-22" URG"Z" "-1457" reaches the application as an
// SSN that never was one on the wire. The gateway clears URG and the urgent
// pointer: every receiver then reads exactly the inspected bytes.
#pragma once

#include <cstdint>

#include "dlpd/decode/packet.h"

namespace dlp {

// If the decoded segment `*view` in `packet` has URG set: clears the flag
// and the urgent pointer, fixes the TCP checksum, updates `*view` and
// returns true. Otherwise changes nothing and returns false.
bool ClearUrgent(uint8_t* packet, PacketView* view);

}  // namespace dlp
