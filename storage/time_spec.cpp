#include "storage/time_spec.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace dlp {
namespace {

bool AllDigits(const std::string& s, size_t from, size_t to) {
  if (from >= to || to > s.size()) return false;
  for (size_t i = from; i < to; ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

int Num(const std::string& s, size_t from, size_t len) {
  return std::stoi(s.substr(from, len));
}

}  // namespace

Result<int64_t> ParseIsoTime(const std::string& t) {
  const Error bad{"'" + t +
                  "' is not a time: use 24h, 7d, 2026-11-22, 2026-11-22T10:00[:SS][Z|+HH:MM]"};
  // YYYY-MM-DD
  if (t.size() < 10 || !AllDigits(t, 0, 4) || t[4] != '-' || !AllDigits(t, 5, 7) || t[7] != '-' ||
      !AllDigits(t, 8, 10)) {
    return bad;
  }
  // No incident is older than the epoch; and the database compares times as
  // text, which holds only for four-digit years (strftime writes 522, not
  // 0522).
  if (Num(t, 0, 4) < 1970) {
    return Error{"'" + t + "': a time before 1970 (no incident is older than the epoch)"};
  }
  struct tm tm {};
  tm.tm_year = Num(t, 0, 4) - 1900;
  tm.tm_mon = Num(t, 5, 2) - 1;
  tm.tm_mday = Num(t, 8, 2);
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  size_t i = 10;
  if (i < t.size()) {
    // THH:MM[:SS[.ffffff]]
    if ((t[i] != 'T' && t[i] != ' ') || !AllDigits(t, i + 1, i + 3) || i + 3 >= t.size() ||
        t[i + 3] != ':' || !AllDigits(t, i + 4, i + 6)) {
      return bad;
    }
    tm.tm_hour = Num(t, i + 1, 2);
    tm.tm_min = Num(t, i + 4, 2);
    i += 6;
    if (i < t.size() && t[i] == ':') {
      if (!AllDigits(t, i + 1, i + 3)) return bad;
      tm.tm_sec = Num(t, i + 1, 2);
      i += 3;
      if (i < t.size() && t[i] == '.') {
        size_t j = i + 1;
        int64_t scale = 100000;
        while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j])) != 0) {
          frac_us += (t[j] - '0') * scale;
          scale /= 10;
          ++j;
        }
        if (j == i + 1) return bad;
        i = j;
      }
    }
    if (i < t.size() && t[i] == 'Z') {
      ++i;
    } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
      if (!AllDigits(t, i + 1, i + 3) || i + 3 >= t.size() || t[i + 3] != ':' ||
          !AllDigits(t, i + 4, i + 6)) {
        return bad;
      }
      // Real offsets run from -12:00 to +14:00.
      if (Num(t, i + 1, 2) > 14 || Num(t, i + 4, 2) > 59) return bad;
      offset_s = (Num(t, i + 1, 2) * 3600 + Num(t, i + 4, 2) * 60) * (t[i] == '+' ? 1 : -1);
      i += 6;
    }
    if (i != t.size()) return bad;
  }
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return bad;
  }
  const time_t secs = timegm(&tm);
  return (static_cast<int64_t>(secs) - offset_s) * 1000000 + frac_us;
}

Result<int64_t> ParseTimeSpec(const std::string& spec, int64_t now_us) {
  if (spec == "now") return now_us;
  if (spec.size() >= 2 && spec[0] == '@' && AllDigits(spec, 1, spec.size()) && spec.size() < 14) {
    return std::stoll(spec.substr(1)) * 1000000;
  }
  if (spec.size() >= 2 && spec.size() < 12 && AllDigits(spec, 0, spec.size() - 1)) {
    const int64_t n = std::stoll(spec.substr(0, spec.size() - 1));
    int64_t unit = 0;
    switch (spec.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return Error{"'" + spec + "': a duration ends in s, m, h, d or w (24h, 7d)"};
    }
    // Up to a hundred years back: further, the microseconds would overflow.
    constexpr int64_t kMaxSeconds = 100LL * 366 * 86400;
    if (n > kMaxSeconds / unit) {
      return Error{"'" + spec + "': longer than a hundred years"};
    }
    return now_us - n * unit * 1000000;
  }
  return ParseIsoTime(spec);
}

}  // namespace dlp
