#include "dlpd/http/request_framing.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "dlpd/common/ascii.h"

namespace dlp {
namespace {

constexpr size_t kMaxField = 1024;  // longer paths, hosts and header values are cut

RequestFraming* Self(http_parser* p) {
  return static_cast<RequestFraming*>(p->data);
}

void AppendBounded(std::string* s, const char* at, size_t len) {
  if (s->size() < kMaxField) s->append(at, std::min(len, kMaxField - s->size()));
}

std::string Printable(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s.substr(0, kMaxField));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

// One set of callbacks for every stream (they find their stream in
// parser->data).
const http_parser_settings& RequestFraming::Settings() {
  static const http_parser_settings kSettings = [] {
    http_parser_settings s{};
    s.on_message_begin = &RequestFraming::OnMessageBegin;
    s.on_url = &RequestFraming::OnUrl;
    s.on_header_field = &RequestFraming::OnHeaderField;
    s.on_header_value = &RequestFraming::OnHeaderValue;
    s.on_headers_complete = &RequestFraming::OnHeadersComplete;
    s.on_body = &RequestFraming::OnBody;
    s.on_message_complete = &RequestFraming::OnMessageComplete;
    return s;
  }();
  return kSettings;
}

RequestFraming::RequestFraming() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  // Header values with bytes RFC 9110 does not allow (UTF-8 in a cookie)
  // are read as servers read them, not taken for broken framing.
  parser_.lenient_http_headers = 1;
}

void RequestFraming::Append(FramedRun::Kind kind, uint64_t from, uint64_t to,
                            std::vector<FramedRun>* out) {
  from = std::max(from, classed_);
  if (to <= from) return;
  if (!out->empty() && out->back().kind == kind && out->back().off + out->back().len == from) {
    out->back().len += to - from;
  } else {
    out->push_back({kind, from, to - from});
  }
  classed_ = to;
}

void RequestFraming::Feed(const uint8_t* data, size_t len, uint64_t off,
                          std::vector<FramedRun>* out) {
  const uint64_t end = off + len;
  if (mode_ == Mode::kWebSocket) {
    websocket_->Feed(data, len, off, out);
    if (websocket_->unreadable_at() != UINT64_MAX) {
      Uninspectable(websocket_->unreadable_at(), "compressed WebSocket frame");
    }
    return;
  }
  if (mode_ == Mode::kStart) {
    // HTTP/2 with prior knowledge (h2c): Huffman-coded headers and binary
    // frames, which cannot be masked in place.
    static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n";
    const std::string_view have(reinterpret_cast<const char*>(data),
                                std::min(len, kPreface.size()));
    if (!have.empty() && kPreface.substr(0, have.size()) == have &&
        have.size() == kPreface.size()) {
      Uninspectable(off, "HTTP/2 prior knowledge (h2c)");
      Append(FramedRun::Kind::kText, off, end, out);
      return;
    }
  }
  if (mode_ != Mode::kStart && mode_ != Mode::kHttp) {
    return Append(FramedRun::Kind::kText, off, end, out);
  }
  if (mode_ == Mode::kStart) first_line_.Add(data, len);
  feed_base_ = data;
  feed_off_ = off;
  body_out_ = out;
  size_t pos = 0;
  while (pos < len) {
    event_ = Event::kNone;
    const size_t n = http_parser_execute(&parser_, &Settings(),
                                         reinterpret_cast<const char*>(data) + pos, len - pos);
    const http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (err == HPE_PAUSED) {
      http_parser_pause(&parser_, 0);
      if (event_ == Event::kHeadersComplete) {
        // Paused on the head's last LF, which it reads again on resuming.
        const uint64_t head_end = off + pos + n + 1;
        Append(FramedRun::Kind::kText, classed_, head_end, out);
        in_body_ = true;
        RequestRecord& r = records_.back();
        r.info.head_len = static_cast<size_t>(head_end - r.begin);
        if (r.odd_transfer_encoding) {
          Uninspectable(head_end, "a Transfer-Encoding dlpd cannot follow");
          Append(FramedRun::Kind::kText, head_end, end, out);
          break;
        }
        if (r.coding == ContentCoding::kUnknown) {
          Uninspectable(head_end, "a Content-Encoding dlpd does not decode");
          Append(FramedRun::Kind::kText, head_end, end, out);
          break;
        }
        if (!r.chunked) {
          const bool has_length = (parser_.flags & F_CONTENTLENGTH) != 0;
          const uint64_t length = has_length ? parser_.content_length : 0;
          r.info.body_length = length;
          body_end_ = length <= UINT64_MAX - head_end ? head_end + length : UINT64_MAX;
        }
      } else if (event_ == Event::kMessageComplete) {
        const uint64_t msg_end = off + pos + n;
        Append(in_trailers_ ? FramedRun::Kind::kText : FramedRun::Kind::kFraming, classed_, msg_end,
               out);
        in_trailers_ = false;
        out->push_back({FramedRun::Kind::kEnd, msg_end, 0});
        in_body_ = false;
        in_message_ = false;
        body_end_ = UINT64_MAX;
        next_begin_ = msg_end;
        if (parser_.upgrade && h2c_asked_ && !websocket_asked_ && parser_.method != HTTP_CONNECT) {
          // The h2c offer was refused in place (its token edited): the
          // server answers in HTTP/1.1 and the client goes on in it. Were
          // the edit too late (the head's bytes had left), the client's
          // HTTP/2 preface comes next and is uninspectable (below).
          http_parser_init(&parser_, HTTP_REQUEST);
          parser_.data = this;
          parser_.lenient_http_headers = 1;
          pos += n;
          continue;
        }
        if (parser_.upgrade) {
          // WebSocket or CONNECT: what follows is another protocol.
          classed_ = end;
          if (websocket_asked_) {
            mode_ = Mode::kWebSocket;
            websocket_ = std::make_unique<WebSocketFraming>();
            websocket_->Feed(data + (msg_end - off), static_cast<size_t>(end - msg_end), msg_end,
                             out);
            if (websocket_->unreadable_at() != UINT64_MAX) {
              Uninspectable(websocket_->unreadable_at(), "compressed WebSocket frame");
            }
          } else {
            mode_ = Mode::kUpgraded;
            if (end > msg_end) out->push_back({FramedRun::Kind::kText, msg_end, end - msg_end});
          }
          break;
        }
      }
      pos += n;
      continue;
    }
    if (err != HPE_OK) {
      const bool first_head = records_.size() == 1 && !records_.front().head_done;
      if (mode_ == Mode::kStart || first_head) {
        records_.clear();
        if (first_line_.LooksLikeRequest()) {
          // A request head that http-parser refuses (a method it does not
          // know, both Transfer-Encoding and Content-Length, a header name
          // some servers skip): a server may read it and its body, which
          // dlpd cannot frame.
          Uninspectable(off + pos + n, "a request head dlpd cannot read");
          Append(FramedRun::Kind::kText, off, end, out);
          break;
        }
        // Its first bytes are no request head (the server's direction, a
        // stream picked up mid-way, another protocol on port 80).
        mode_ = Mode::kPlain;  // never HTTP/1: plain text from its start
        Append(FramedRun::Kind::kText, off, end, out);
        break;
      }
      // HTTP/2's preface where a request begins: the server took an h2c
      // offer dlpd could not refuse in time.
      static constexpr std::string_view kPreface = "PRI * HTTP/2.0";
      if (next_begin_ >= off && next_begin_ < end) {
        const std::string_view at(reinterpret_cast<const char*>(data) + (next_begin_ - off),
                                  std::min<uint64_t>(end - next_begin_, kPreface.size()));
        if (at == kPreface.substr(0, at.size())) {
          Uninspectable(next_begin_, "HTTP/2 after an h2c upgrade");
          Append(FramedRun::Kind::kText, classed_, end, out);
          break;
        }
      }
      mode_ = Mode::kLost;
      error_at_ = off + pos + n;
      error_ = http_errno_name(err);
      error_in_body_ = in_body_;
      Append(in_body_ ? FramedRun::Kind::kFraming : FramedRun::Kind::kText, classed_, error_at_,
             out);
      Append(FramedRun::Kind::kText, error_at_, end, out);
      break;
    }
    pos += n;
    if (n == 0) break;
  }
  if (mode_ == Mode::kHttp) {
    // Bytes at the end that no callback classed: a head's, or framing in a
    // body (a chunk size line cut by the segment's edge).
    Append(in_body_ && !in_trailers_ ? FramedRun::Kind::kFraming : FramedRun::Kind::kText, classed_,
           end, out);
  } else if (mode_ == Mode::kStart) {
    // Line breaks before the first request line, which http-parser skips:
    // text, classed now (a run must lie in the bytes fed with it).
    Append(FramedRun::Kind::kText, classed_, end, out);
  }
  body_out_ = nullptr;
}

int RequestFraming::OnMessageBegin(http_parser* p) {
  RequestFraming* self = Self(p);
  self->mode_ = Mode::kHttp;
  self->in_message_ = true;
  self->records_.push_back({});
  self->records_.back().begin = self->next_begin_;
  self->field_.clear();
  self->value_.clear();
  self->in_value_ = false;
  self->websocket_asked_ = false;
  self->h2c_asked_ = false;
  return 0;
}

int RequestFraming::OnUrl(http_parser* p, const char* at, size_t len) {
  AppendBounded(&Self(p)->records_.back().info.path, at, len);
  return 0;
}

uint64_t RequestFraming::WireOf(const char* at) const {
  return feed_off_ + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(at) - feed_base_);
}

void RequestFraming::Trailer(const char* at) {
  // Trailer fields after the last chunk, which servers hand to the
  // application: text, after a boundary that ends the body's.
  const uint64_t from = WireOf(at);
  if (!in_trailers_) {
    Append(FramedRun::Kind::kFraming, classed_, from, body_out_);
    body_out_->push_back({FramedRun::Kind::kEnd, from, 0});
    in_trailers_ = true;
  }
  Append(FramedRun::Kind::kText, classed_, from, body_out_);
}

int RequestFraming::OnHeaderField(http_parser* p, const char* at, size_t len) {
  RequestFraming* self = Self(p);
  if (self->in_body_) {
    self->Trailer(at);
    return 0;
  }
  if (self->in_value_) self->EndHeader();
  AppendBounded(&self->field_, at, len);
  return 0;
}

int RequestFraming::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  RequestFraming* self = Self(p);
  if (self->in_body_) {
    self->Trailer(at);
    return 0;
  }
  self->in_value_ = true;
  // Where each piece of the value is on the wire (a feed's edge or an
  // obsolete line fold cuts it), for the edits.
  if (self->value_pieces_.size() < kMaxValuePieces && self->value_.size() < kMaxField) {
    self->value_pieces_.push_back({self->value_.size(), self->WireOf(at)});
  }
  AppendBounded(&self->value_, at, len);
  return 0;
}

void RequestFraming::EditValueByte(size_t i) {
  // The piece the byte is in.
  for (size_t k = value_pieces_.size(); k-- > 0;) {
    if (value_pieces_[k].first <= i) {
      edits_.push_back({value_pieces_[k].second + (i - value_pieces_[k].first), 'X'});
      return;
    }
  }
}

void RequestFraming::EndHeader() {
  HttpRequestInfo& info = records_.back().info;
  if (info.host.empty() && IEquals(field_, "host")) info.host = Printable(value_);
  if (info.user_agent.empty() && IEquals(field_, "user-agent")) {
    info.user_agent = Printable(value_);
  }
  if (IEquals(field_, "upgrade")) {
    const std::string v = AsciiLower(value_);
    websocket_asked_ = v.find("websocket") != std::string::npos;
    h2c_asked_ = v.find("h2c") != std::string::npos;
    // h2c cannot be masked in place: its token is made one the server
    // does not know ("X2c"), and the request stays HTTP/1.1.
    for (size_t at = v.find("h2c"); at != std::string::npos; at = v.find("h2c", at + 3)) {
      EditValueByte(at);
    }
  } else if (IEquals(field_, "content-encoding")) {
    // Repeated, the codings stack ("gzip, identity"): not one dlpd reads.
    RequestRecord& r = records_.back();
    r.coding =
        r.coding_seen ? ContentCoding::kUnknown : ParseContentCoding(value_.data(), value_.size());
    r.coding_seen = true;
  } else if (IEquals(field_, "transfer-encoding")) {
    // Only "chunked" is framing dlpd follows; "chunked," or ",chunked"
    // some servers de-chunk while http-parser reads to the end.
    const std::string v = AsciiLower(value_);
    const size_t a = v.find_first_not_of(" \t");
    const size_t b = v.find_last_not_of(" \t");
    if (a == std::string::npos || v.substr(a, b - a + 1) != "chunked") {
      records_.back().odd_transfer_encoding = true;
    }
  } else if (IEquals(field_, "sec-websocket-extensions")) {
    // A compressed WebSocket payload cannot be masked in place: the first
    // byte of each extension offered is changed so no server takes one up.
    bool element_start = true;
    for (size_t i = 0; i < value_.size(); ++i) {
      const char c = value_[i];
      if (c == ',') {
        element_start = true;
      } else if (element_start && c != ' ' && c != '\t') {
        EditValueByte(i);
        element_start = false;
      }
    }
  }
  value_pieces_.clear();
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int RequestFraming::OnHeadersComplete(http_parser* p) {
  RequestFraming* self = Self(p);
  if (self->in_value_) self->EndHeader();
  RequestRecord& r = self->records_.back();
  r.head_done = true;
  // A long header value would keep its capacity for the flow's life.
  std::string().swap(self->field_);
  std::string().swap(self->value_);
  std::vector<std::pair<size_t, uint64_t>>().swap(self->value_pieces_);
  ++self->requests_;
  r.info.method = http_method_str(static_cast<http_method>(p->method));
  r.info.path = Printable(r.info.path);
  r.chunked = (p->flags & F_CHUNKED) != 0;
  if (r.chunked) ++self->chunked_bodies_;
  // The position comes when the parser pauses (Feed).
  self->event_ = Event::kHeadersComplete;
  http_parser_pause(p, 1);
  return 0;
}

int RequestFraming::OnBody(http_parser* p, const char* at, size_t len) {
  RequestFraming* self = Self(p);
  const uint64_t from =
      self->feed_off_ +
      static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(at) - self->feed_base_);
  self->Append(FramedRun::Kind::kFraming, self->classed_, from, self->body_out_);
  self->AppendBody(from, from + len, self->body_out_);
  if (!self->records_.back().chunked) self->body_end_ = from + len + p->content_length;
  return 0;
}

int RequestFraming::OnMessageComplete(http_parser* p) {
  RequestFraming* self = Self(p);
  self->event_ = Event::kMessageComplete;
  http_parser_pause(p, 1);
  return 0;
}

void RequestFraming::FirstLine::Add(const uint8_t* data, size_t len) {
  const size_t take = std::min(len, sizeof bytes - used);
  std::copy(data, data + take, bytes + used);
  used += take;
}

bool RequestFraming::FirstLine::LooksLikeRequest() const {
  // A method-like token (upper case: methods are case-sensitive, and
  // servers that take unknown ones take them so), a space, and a printable
  // byte: a request line as a server that takes any method reads one. Not
  // a response ("HTTP/1.1 200"), text, TLS or other binary protocols.
  const std::string_view v(reinterpret_cast<const char*>(bytes), used);
  size_t i = 0;
  while (i < v.size() && ((v[i] >= 'A' && v[i] <= 'Z') || v[i] == '-' || v[i] == '_')) ++i;
  return i > 0 && i + 1 < v.size() && v[i] == ' ' && v[i + 1] > ' ' && v[i + 1] < 0x7f;
}

void RequestFraming::AppendBody(uint64_t from, uint64_t to, std::vector<FramedRun>* out) {
  const ContentCoding coding = records_.back().coding;
  if (coding == ContentCoding::kIdentity) return Append(FramedRun::Kind::kText, from, to, out);
  from = std::max(from, classed_);
  if (to <= from) return;
  FramedRun r{FramedRun::Kind::kText, from, to - from};
  r.coding = static_cast<uint8_t>(coding);
  out->push_back(r);
  classed_ = to;
}

void RequestFraming::Uninspectable(uint64_t at, const char* why) {
  if (mode_ == Mode::kLost) return;
  mode_ = Mode::kLost;
  error_at_ = at;
  error_ = why;
  error_in_body_ = true;  // what follows is read by the server, not by dlpd
  uninspectable_ = true;
}

const RequestRecord* RequestFraming::RequestAt(uint64_t w) const {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->begin <= w) return &*it;
  }
  return records_.empty() ? nullptr : &records_.front();
}

void RequestFraming::PruneBefore(uint64_t w) {
  size_t drop = 0;
  while (drop + 1 < records_.size() && records_[drop + 1].begin <= w) ++drop;
  records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(drop));
}

bool RequestFraming::BodyGoesOnAfter(uint64_t w) const {
  if (mode_ == Mode::kWebSocket) return websocket_->InMessage();
  if (!in_body_) return false;
  // A chunked body goes on until its last chunk (size 0) has come: a
  // sender that pauses between chunks has not ended it.
  if (!records_.empty() && records_.back().chunked) return true;
  return body_end_ != UINT64_MAX && body_end_ > w;
}

size_t RequestFraming::memory_bytes() const {
  size_t n = sizeof(*this) + field_.capacity() + value_.capacity() +
             records_.capacity() * sizeof(RequestRecord) + edits_.capacity() * sizeof(WireEdit) +
             value_pieces_.capacity() * sizeof(value_pieces_[0]);
  for (const RequestRecord& r : records_) n += r.info.heap_bytes();
  if (websocket_ != nullptr) n += sizeof(WebSocketFraming);
  return n;
}

}  // namespace dlp
