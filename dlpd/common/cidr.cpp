#include "dlpd/common/cidr.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <sys/socket.h>

namespace dlp {

Result<Cidr> Cidr::Parse(const std::string& text) {
  Cidr c;
  // inet_pton reads up to a NUL: "10.0.0.0\0junk/16" would be read as
  // 10.0.0.0/16 here and as something else by whoever reads the text next
  // (SQLite stops at the NUL).
  if (text.find('\0') != std::string::npos) {
    return Error{"an address or CIDR range cannot hold a NUL byte"};
  }
  const size_t slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  if (inet_pton(AF_INET, addr.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET;
    c.prefix = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET6;
    c.prefix = 128;
  } else {
    return Error{"'" + text + "' is not an address or CIDR range (10.0.0.0/8, 2001:db8::/32)"};
  }
  if (slash != std::string::npos) {
    const std::string p = text.substr(slash + 1);
    const int max = c.prefix;
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(p) > max) {
      return Error{"'" + text + "': the prefix length must be 0-" + std::to_string(max)};
    }
    c.prefix = std::stoi(p);
  }
  return c;
}

bool Cidr::Contains(const std::string& ip) const {
  std::array<uint8_t, 16> a{};
  if (inet_pton(family, ip.c_str(), a.data()) != 1) return false;
  return Contains(family, a.data());
}

bool Cidr::Contains(int addr_family, const uint8_t* a) const {
  if (addr_family != family) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

namespace {

void CidrMatch(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* ip = sqlite3_value_text(argv[0]);
  const unsigned char* range = sqlite3_value_text(argv[1]);
  if (ip == nullptr || range == nullptr) {
    sqlite3_result_null(ctx);
    return;
  }
  // The range is the same on every row: parsed once per statement.
  auto* c = static_cast<Cidr*>(sqlite3_get_auxdata(ctx, 1));
  if (c == nullptr) {
    auto parsed = Cidr::Parse(reinterpret_cast<const char*>(range));
    if (!parsed) {
      sqlite3_result_null(ctx);
      return;
    }
    c = new Cidr(parsed.value());
    sqlite3_set_auxdata(ctx, 1, c, [](void* p) { delete static_cast<Cidr*>(p); });
    c = static_cast<Cidr*>(sqlite3_get_auxdata(ctx, 1));
    if (c == nullptr) {  // SQLite may drop it at once; then use it this time only
      auto again = Cidr::Parse(reinterpret_cast<const char*>(range));
      sqlite3_result_int(ctx, again->Contains(reinterpret_cast<const char*>(ip)) ? 1 : 0);
      return;
    }
  }
  sqlite3_result_int(ctx, c->Contains(reinterpret_cast<const char*>(ip)) ? 1 : 0);
}

}  // namespace

Status RegisterCidrFunction(sqlite3* db) {
  if (sqlite3_create_function(db, "cidr_match", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                              CidrMatch, nullptr, nullptr) != SQLITE_OK) {
    return Error{std::string("cidr_match: ") + sqlite3_errmsg(db)};
  }
  return {};
}

}  // namespace dlp
