#include "tests/unit/corpus.h"

#include "tests/unit/test_support.h"

namespace dlp::test {
namespace {
const char* kFiller[] = {
    "POST /checkout HTTP/1.1\r\nHost: shop.example\r\nContent-Type: "
    "application/x-www-form-urlencoded\r\n\r\n",
    "name=Jane+Doe&amount=129.99&",
    "{\"order\":{\"id\":1234567,\"items\":[1,2,3],\"total\":99.5},",
    "<tr><td>2026-11-22</td><td>call 555-123-4567</td><td>90210-1234</td></tr>\n",
    "ts=1732262400123&ip=10.1.2.3&uuid=550e8400-e29b-41d4-a716-446655440000&",
    "isbn 978-3-16-148410-0 and 9783161484100; ",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ",
    "ssn: ",
    "SSN=",
    "card=",
    "\"pan\":\"",
    "Social Security Number is ",
    " ",
    "\n",
    "-",
    "q=red%20shoes&ref=%2Fhome%3Fa%3D1&",
    "ssn%3D",
    "card%22%3A%20%22",
    "100%",
};

// `v` as a form or URL may write it: some digits percent-encoded (%34 for
// '4'), and spaces as %20 or '+'.
std::string PercentEncoded(const std::string& v, std::mt19937& rng) {
  std::string out;
  for (const char c : v) {
    const unsigned roll = rng() % 4;
    if (c >= '0' && c <= '9' && roll == 0) {
      out += "%3";
      out += c;
    } else if (c == ' ') {
      out += roll < 2 ? "%20" : "+";
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

std::string CorpusGenerator::Digits(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + Uniform(0, 9));
  return s;
}

std::string CorpusGenerator::ValidSsn(char sep) {
  size_t area;
  do {
    area = Uniform(1, 899);
  } while (area == 666);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03zu", area);
  std::string s = buf;
  std::snprintf(buf, sizeof buf, "%02zu", Uniform(1, 99));
  if (sep != 0) s += sep;
  s += buf;
  std::snprintf(buf, sizeof buf, "%04zu", Uniform(1, 9999));
  if (sep != 0) s += sep;
  s += buf;
  return s;
}

std::string CorpusGenerator::ValidPan(char sep) {
  static const char* kPrefixes[] = {"4",  "51",   "55", "2221", "2720", "34",
                                    "37", "6011", "65", "3528", "36",   "62"};
  static const size_t kLengths[] = {16, 16, 16, 16, 16, 15, 15, 16, 19, 16, 14, 17};
  size_t i = Uniform(0, 11);
  std::string body = kPrefixes[i];
  body += Digits(kLengths[i] - 1 - body.size());
  std::string pan = WithLuhnDigit(body);
  if (sep == 0) return pan;
  std::string out;
  for (size_t k = 0; k < pan.size(); ++k) {
    if (k > 0 && k % 4 == 0) out += sep;
    out += pan[k];
  }
  return out;
}

std::string CorpusGenerator::Text(size_t size) {
  std::string s;
  const char seps[] = {0, ' ', '-'};
  while (s.size() < size) {
    switch (Uniform(0, 10)) {
      case 0:
        s += ValidSsn(seps[Uniform(1, 2)]);
        break;
      case 1:
        s += ValidPan(seps[Uniform(0, 2)]);
        break;
      case 2:
        s += Digits(Uniform(1, 24));
        break;
      case 3: {  // a valid value with one digit changed: mostly invalid
        std::string v = Uniform(0, 1) ? ValidPan(0) : ValidSsn('-');
        size_t at = Uniform(0, v.size() - 1);
        if (v[at] >= '0' && v[at] <= '9') v[at] = static_cast<char>('0' + Uniform(0, 9));
        s += v;
        break;
      }
      case 4:
        s += PercentEncoded(
            Uniform(0, 1) ? ValidPan(seps[Uniform(0, 1)]) : ValidSsn(seps[Uniform(0, 2)]), rng_);
        break;
      default:
        s += kFiller[Uniform(0, sizeof(kFiller) / sizeof(kFiller[0]) - 1)];
        break;
    }
  }
  return s;
}

std::string CorpusGenerator::Dense(size_t size) {
  static const char kAlphabet[] = "0123456789012345678901234567890123456789 - -x%";
  std::string s;
  while (s.size() < size) {
    if (Uniform(0, 20) == 0) {
      s += Uniform(0, 1) ? ValidPan(" -"[Uniform(0, 1)]) : ValidSsn(" -"[Uniform(0, 1)]);
    } else {
      s += kAlphabet[Uniform(0, sizeof(kAlphabet) - 2)];
    }
  }
  return s;
}

std::string CorpusGenerator::Api(size_t size) {
  std::string s;
  auto num = [&](size_t lo, size_t hi) { return Digits(Uniform(lo, hi)); };
  auto grouped = [&](size_t groups, size_t width, char sep) {
    std::string g;
    for (size_t k = 0; k < groups; ++k) {
      if (k > 0) g += sep;
      g += Digits(width);
    }
    return g;
  };
  const char seps[] = {' ', '-', '+'};
  while (s.size() < size) {
    switch (Uniform(0, 17)) {
      case 0:
        s += "{\"id\":" + num(9, 19) + ",\"ts\":17" + num(11, 11) + ",\"price\":" + num(1, 4) +
             "." + num(2, 2) + "},";
        break;
      case 1:
        s += "\"gtin\":\"" + num(13, 13) + "\",\"trace_id\":\"" + num(16, 19) + "\",";
        break;
      case 2:
        s += "\"iban\":\"DE" + num(2, 2) + " " + grouped(4, 4, ' ') + " " + num(2, 2) + "\",";
        break;
      case 3:
        s += "\"created\":\"2026-" + num(2, 2) + "-" + num(2, 2) + "T" + num(2, 2) + ":" +
             num(2, 2) + ":" + num(2, 2) + "." + num(3, 3) + "Z\",\"lat\":" + num(1, 2) + "." +
             num(6, 17) + ",";
        break;
      case 4:
        s += "tracking=1Z" + num(16, 16) + "&parcel=" + num(15, 22) + "&qty=" + num(1, 2) + "&";
        break;
      case 5:
        s += "\n" + grouped(Uniform(3, 9), 4, ' ') + "\n" + grouped(Uniform(3, 9), 4, ' ') + "\n";
        break;
      case 6:
        s += "\r\n\r\norder_id,gtin,amount\r\n" + num(6, 10) + "," + num(13, 16) + "," + num(1, 3) +
             "\r\n" + num(6, 10) + "," + ValidPan(0) + ",7\r\n";
        break;
      case 7:
        s += "\r\n\r\nname,ssn,card\r\nJane," + num(9, 9) + "," + ValidPan(0) + "\r\n";
        break;
      case 8:
        s += "{\"ssn\":\"" + ValidSsn(0) + "\",\"session\":" + num(9, 9) + "}";
        break;
      case 9:
        s += "\"card\":\"" + ValidPan(seps[Uniform(0, 2)]) + "\",\"exp\":\"" + num(4, 4) + "\",";
        break;
      case 10:
        s += "\"order_id\":\"" + ValidPan(0) + "\",\"account_id\":" + ValidSsn(0) + ",";
        break;
      case 11:
        s += ValidSsn(seps[Uniform(0, 2)]) + (Uniform(0, 1) ? "-" : " ") + num(1, 6) + " ";
        break;
      case 12:
        s += "phone=+1-" + num(3, 3) + "-" + num(3, 3) + "-" + num(4, 4) + "&v=" + num(1, 3) + "." +
             num(1, 3) + "." + num(1, 3) + "&";
        break;
      case 13:
        s += "cc " + ValidPan(' ') + " " + num(4, 4) + " " + num(3, 3) + "\n";
        break;
      case 14:
        s += num(1, 24);
        break;
      case 15:
        s += std::string(1, " -+%.,:/\n"[Uniform(0, 9)]);
        break;
      default:
        s += kFiller[Uniform(0, sizeof(kFiller) / sizeof(kFiller[0]) - 1)];
        break;
    }
  }
  return s;
}

}  // namespace dlp::test
