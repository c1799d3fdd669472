#include "dlpd/icap/icap_parser.h"

#include <algorithm>
#include <cctype>

#include "dlpd/common/ascii.h"

namespace dlp {
namespace {

constexpr size_t kMaxChunkLine = 1024;  // a size line with its extensions, or a trailer
constexpr size_t kMaxTrailers = 16;

// RFC 9110 tchar: a field name's characters.
bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Decimal digits only, at most 10 of them.
std::optional<uint64_t> Decimal(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

const std::string* IcapRequest::Field(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (IEquals(n, name)) return &v;
  }
  return nullptr;
}

void IcapParser::Fail(int status, std::string reason) {
  state_ = State::kError;
  error_ = {status, std::move(reason)};
}

void IcapParser::Reset() {
  state_ = State::kHead;
  req_ = IcapRequest{};
  error_ = IcapError{};
  head_.clear();
  http_head_len_ = 0;
  in_preview_ = false;
  chunk_ = Chunk::kSize;
  line_.clear();
  chunk_left_ = 0;
  last_chunk_ = false;
  trailers_ = 0;
}

void IcapParser::Continue() {
  if (state_ != State::kPreviewEnd) return;
  in_preview_ = false;
  state_ = State::kBody;
  chunk_ = Chunk::kSize;
  last_chunk_ = false;
  line_.clear();
}

size_t IcapParser::Feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size()) {
    const std::string_view rest = data.substr(used);
    size_t n = 0;
    switch (state_) {
      case State::kHead:
        n = FeedHead(rest);
        break;
      case State::kHttpHead:
        n = FeedHttpHead(rest);
        break;
      case State::kBody:
        n = FeedBody(rest);
        break;
      default:
        return used;  // done, waiting for Continue, or failed: nothing more is read
    }
    used += n;
    if (n == 0 && state_ != State::kHttpHead && state_ != State::kBody) break;
  }
  return used;
}

size_t IcapParser::FeedHead(std::string_view data) {
  // Empty lines before a request line are skipped (RFC 9112 2.2, which
  // ICAP's message syntax follows): a client may end a body with one more.
  size_t skipped = 0;
  while (head_.empty() && skipped < data.size() &&
         (data[skipped] == '\r' || data[skipped] == '\n')) {
    ++skipped;
  }
  if (skipped > 0) return skipped;
  // Look for CRLF CRLF across what came before and these bytes.
  const size_t before = head_.size();
  const size_t from = before >= 3 ? before - 3 : 0;
  const size_t room = limits_.max_head - std::min(before, limits_.max_head);
  head_.append(data.substr(0, std::min(data.size(), room + 4)));
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (head_.size() > limits_.max_head) {
      Fail(400, "ICAP head over " + std::to_string(limits_.max_head) + " bytes");
      return data.size();
    }
    return head_.size() - before;
  }
  const size_t taken = end + 4 - before;  // this call's bytes up to the head's end
  head_.resize(end + 2);                  // keep the last field's CRLF
  if (!ParseHead()) return taken;
  return taken;
}

bool IcapParser::ParseHead() {
  std::vector<std::string_view> lines;
  std::string_view h = head_;
  while (!h.empty()) {
    const size_t eol = h.find("\r\n");
    const std::string_view line = h.substr(0, eol);
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      Fail(400, "a bare CR, LF or NUL in the ICAP head");
      return false;
    }
    lines.push_back(line);
    h.remove_prefix(eol + 2);
  }
  if (lines.empty()) {
    Fail(400, "no request line");
    return false;
  }
  // METHOD SP URI SP ICAP/1.0
  const std::string_view rl = lines[0];
  const size_t sp1 = rl.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(400, "a request line is METHOD URI ICAP/1.0");
    return false;
  }
  const std::string_view method = rl.substr(0, sp1);
  const std::string_view uri = rl.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = rl.substr(sp2 + 1);
  if (method == "OPTIONS") {
    req_.method = IcapMethod::kOptions;
  } else if (method == "REQMOD") {
    req_.method = IcapMethod::kReqmod;
  } else if (method == "RESPMOD") {
    Fail(405, "dlpd inspects requests: RESPMOD is not served");
    return false;
  } else {
    Fail(501, "method not implemented");
    return false;
  }
  if (version != "ICAP/1.0") {
    Fail(505, "ICAP version not supported (ICAP/1.0 only)");
    return false;
  }
  // icap://host[:port]/service[?args], or the path alone.
  std::string_view path = uri;
  if (uri.size() > 7 && IEquals(uri.substr(0, 7), "icap://")) {
    const size_t slash = uri.find('/', 7);
    path = slash == std::string_view::npos ? std::string_view("/") : uri.substr(slash);
  }
  if (path.empty() || path.front() != '/' || std::any_of(uri.begin(), uri.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 32 || c == 127;
      })) {
    Fail(400, "a URI is icap://HOST[:PORT]/SERVICE");
    return false;
  }
  req_.uri = std::string(uri);
  req_.service = std::string(path.substr(
      1, path.find('?') == std::string_view::npos ? std::string_view::npos : path.find('?') - 1));
  // Fields.
  const std::string* encapsulated = nullptr;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty() || line.front() == ' ' || line.front() == '\t') {
      Fail(400, "a folded or empty header line");
      return false;
    }
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        !std::all_of(line.begin(), line.begin() + static_cast<long>(colon),
                     [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); })) {
      Fail(400, "a header field is NAME: VALUE");
      return false;
    }
    if (req_.fields.size() >= limits_.max_fields) {
      Fail(400, "over " + std::to_string(limits_.max_fields) + " header fields");
      return false;
    }
    req_.fields.emplace_back(std::string(line.substr(0, colon)),
                             std::string(TrimOws(line.substr(colon + 1))));
  }
  for (const auto& [name, value] : req_.fields) {
    if (IEquals(name, "Encapsulated")) {
      if (encapsulated != nullptr) {
        Fail(400, "Encapsulated given twice");
        return false;
      }
      encapsulated = &value;
    } else if (IEquals(name, "Preview")) {
      const auto n = Decimal(value);
      if (!n || req_.preview || *n > limits_.max_body) {
        Fail(400, "Preview is one number of bytes");
        return false;
      }
      req_.preview = static_cast<size_t>(*n);
    } else if (IEquals(name, "Allow")) {
      std::string_view v = value;
      while (!v.empty()) {
        const size_t comma = v.find(',');
        if (TrimOws(v.substr(0, comma)) == "204") req_.allow_204 = true;
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
    }
  }
  if (req_.method == IcapMethod::kOptions) {
    // A body in OPTIONS (opt-body) is allowed by RFC 3507 but nobody sends
    // one; it is refused rather than read.
    if (encapsulated != nullptr && TrimOws(*encapsulated) != "null-body=0") {
      Fail(400, "OPTIONS takes no body (Encapsulated: null-body=0)");
      return false;
    }
    state_ = State::kDone;
    return true;
  }
  if (encapsulated == nullptr) {
    Fail(400, "REQMOD without Encapsulated");
    return false;
  }
  if (!ParseEncapsulated(*encapsulated)) return false;
  state_ = State::kHttpHead;
  return true;
}

bool IcapParser::ParseEncapsulated(const std::string& value) {
  // REQMOD: req-hdr=0, then req-body=N or null-body=N (N the head's length).
  std::vector<std::pair<std::string_view, uint64_t>> entries;
  std::string_view v = value;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    const std::string_view entry = TrimOws(v.substr(0, comma));
    const size_t eq = entry.find('=');
    const auto off = eq == std::string_view::npos ? std::nullopt : Decimal(entry.substr(eq + 1));
    if (!off || entries.size() >= 4) {
      Fail(400, "Encapsulated is ENTITY=OFFSET, ...");
      return false;
    }
    entries.emplace_back(entry.substr(0, eq), *off);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
  }
  if (entries.size() != 2 || entries[0].first != "req-hdr" || entries[0].second != 0 ||
      (entries[1].first != "req-body" && entries[1].first != "null-body")) {
    Fail(400, "REQMOD's Encapsulated is req-hdr=0, then req-body=N or null-body=N");
    return false;
  }
  if (entries[1].second < 4 || entries[1].second > limits_.max_http_head) {
    Fail(400, "an encapsulated request head of " + std::to_string(entries[1].second) +
                  " bytes (at most " + std::to_string(limits_.max_http_head) + ")");
    return false;
  }
  http_head_len_ = static_cast<size_t>(entries[1].second);
  req_.has_body = entries[1].first == "req-body";
  return true;
}

size_t IcapParser::FeedHttpHead(std::string_view data) {
  const size_t n = std::min(data.size(), http_head_len_ - req_.http_head.size());
  req_.http_head.append(data.substr(0, n));
  if (req_.http_head.size() < http_head_len_) return n;
  if (req_.http_head.compare(req_.http_head.size() - 4, 4, "\r\n\r\n") != 0) {
    Fail(400, "the encapsulated request head does not end where the body begins");
    return n;
  }
  if (!req_.has_body) {
    state_ = State::kDone;
    return n;
  }
  state_ = State::kBody;
  in_preview_ = req_.preview.has_value();
  return n;
}

bool IcapParser::ChunkSizeLine() {
  std::string_view line = line_;
  const size_t semi = line.find(';');
  const std::string_view size = TrimOws(line.substr(0, semi));
  if (size.empty() || size.size() > 15 || !std::all_of(size.begin(), size.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    Fail(400, "a chunk size is hex digits");
    return false;
  }
  chunk_left_ = std::stoull(std::string(size), nullptr, 16);
  bool ieof = false;
  while (semi != std::string_view::npos && !line.empty()) {
    const size_t at = line.find(';');
    if (at == std::string_view::npos) break;
    line.remove_prefix(at + 1);
    const std::string_view ext = TrimOws(line.substr(0, line.find(';')));
    if (ext == "ieof") ieof = true;
  }
  if (chunk_left_ == 0) {
    last_chunk_ = true;
    if (ieof && in_preview_) req_.ieof = true;
    chunk_ = Chunk::kTrailer;
  } else {
    if (chunk_left_ > limits_.max_body - req_.body_read) {
      Fail(400, "a body over " + std::to_string(limits_.max_body) + " bytes");
      return false;
    }
    if (in_preview_ && req_.body_read + chunk_left_ > *req_.preview) {
      Fail(400, "the preview is longer than its Preview header says");
      return false;
    }
    chunk_ = Chunk::kData;
  }
  line_.clear();
  return true;
}

size_t IcapParser::FeedBody(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && state_ == State::kBody) {
    const std::string_view rest = data.substr(used);
    switch (chunk_) {
      case Chunk::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_left_, rest.size()));
        req_.body.append(rest.substr(0, n));
        req_.body_read += n;
        chunk_left_ -= n;
        used += n;
        if (chunk_left_ == 0) chunk_ = Chunk::kDataEnd;
        break;
      }
      case Chunk::kDataEnd: {
        // Exactly CRLF after the data.
        const char want = line_.empty() ? '\r' : '\n';
        if (rest.front() != want) {
          Fail(400, "a chunk's data does not end with CRLF");
          return used;
        }
        ++used;
        line_ += want;
        if (line_.size() == 2) {
          line_.clear();
          chunk_ = Chunk::kSize;
        }
        break;
      }
      case Chunk::kSize:
      case Chunk::kTrailer: {
        const size_t lf = rest.find('\n');
        const size_t n = lf == std::string_view::npos ? rest.size() : lf + 1;
        if (line_.size() + n > kMaxChunkLine) {
          Fail(400, "a chunk line over " + std::to_string(kMaxChunkLine) + " bytes");
          return used + n;
        }
        line_.append(rest.substr(0, n));
        used += n;
        if (lf == std::string_view::npos) break;
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
          Fail(400, "a chunk line ends with CRLF");
          return used;
        }
        line_.resize(line_.size() - 2);
        if (chunk_ == Chunk::kSize) {
          if (!ChunkSizeLine()) return used;
        } else if (line_.empty()) {  // the chunked body's end
          state_ = in_preview_ && !req_.ieof ? State::kPreviewEnd : State::kDone;
          if (req_.ieof) in_preview_ = false;
          return used;
        } else if (++trailers_ > kMaxTrailers) {
          Fail(400, "over " + std::to_string(kMaxTrailers) + " trailer lines");
          return used;
        } else {
          line_.clear();  // a trailer field: not used
        }
        break;
      }
    }
  }
  return used;
}

}  // namespace dlp
