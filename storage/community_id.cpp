#include "storage/community_id.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <vector>

namespace dlp {
namespace {

// The address's bytes in network order (4 or 16); 0 when it does not parse.
size_t AddressBytes(std::string_view text, uint8_t* out) {
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) return 16;
  return 0;
}

void PutPort(std::vector<uint8_t>& v, uint16_t port) {
  v.push_back(static_cast<uint8_t>(port >> 8));
  v.push_back(static_cast<uint8_t>(port & 0xff));
}

}  // namespace

std::string CommunityId(std::string_view src, uint16_t sport, std::string_view dst, uint16_t dport,
                        uint8_t proto, uint16_t seed) {
  uint8_t a[16], b[16];
  const size_t alen = AddressBytes(src, a);
  const size_t blen = AddressBytes(dst, b);
  if (alen == 0 || alen != blen) return "";
  // The spec's order: the endpoint with the lower address goes first, or,
  // for one address, the one with the lower port.
  const int cmp = std::memcmp(a, b, alen);
  const bool swap = cmp > 0 || (cmp == 0 && sport > dport);
  const uint8_t* first = swap ? b : a;
  const uint8_t* second = swap ? a : b;
  std::vector<uint8_t> in;
  PutPort(in, seed);
  in.insert(in.end(), first, first + alen);
  in.insert(in.end(), second, second + alen);
  in.push_back(proto);
  in.push_back(0);  // padding
  PutPort(in, swap ? dport : sport);
  PutPort(in, swap ? sport : dport);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_Digest(in.data(), in.size(), digest.data(), &len, EVP_sha1(), nullptr) != 1) return "";
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
  const int n = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(len));
  return "1:" + std::string(reinterpret_cast<const char*>(b64.data()), static_cast<size_t>(n));
}

}  // namespace dlp
