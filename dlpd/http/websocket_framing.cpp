#include "dlpd/http/websocket_framing.h"

#include <algorithm>

#include "dlpd/http/framed_run.h"

namespace dlp {
namespace {

void Append(std::vector<FramedRun>* out, const FramedRun& r) {
  if (r.len == 0 && r.kind != FramedRun::Kind::kEnd) return;
  if (!out->empty() && r.kind == FramedRun::Kind::kFraming) {
    FramedRun& last = out->back();
    if (last.kind == FramedRun::Kind::kFraming && last.off + last.len == r.off) {
      last.len += r.len;
      return;
    }
  }
  out->push_back(r);
}

}  // namespace

void WebSocketFraming::Feed(const uint8_t* data, size_t len, uint64_t off,
                            std::vector<FramedRun>* out) {
  size_t i = 0;
  while (i < len) {
    if (payload_left_ == 0 && header_len_ < header_need_) {
      // The frame header: 2 bytes, then 2 or 8 of length, then 4 of key.
      if (header_len_ == 0) frame_start_ = off + i;
      const size_t take = std::min(header_need_ - header_len_, len - i);
      std::copy(data + i, data + i + take, header_ + header_len_);
      Append(out, {FramedRun::Kind::kFraming, off + i, take});
      header_len_ += take;
      i += take;
      if (header_len_ < header_need_) break;
      const uint8_t len7 = header_[1] & 0x7F;
      masked_ = (header_[1] & 0x80) != 0;
      const size_t full = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked_ ? 4 : 0);
      if (header_need_ < full) {
        header_need_ = full;
        continue;
      }
      uint64_t payload = len7;
      if (len7 == 126) payload = (uint64_t{header_[2]} << 8) | header_[3];
      if (len7 == 127) {
        payload = 0;
        for (int k = 2; k < 10; ++k) payload = (payload << 8) | header_[k];
      }
      if (masked_) std::copy(header_ + full - 4, header_ + full, key_);
      const uint8_t opcode = header_[0] & 0x0F;
      // RSV bits: an extension (permessage-deflate) transforms the payload.
      if ((header_[0] & 0x70) != 0 && unreadable_at_ == UINT64_MAX) unreadable_at_ = frame_start_;
      fin_ = (header_[0] & 0x80) != 0;
      data_frame_ = opcode < 8;  // continuation, text, binary (and reserved 3-7)
      payload_left_ = payload;
      payload_pos_ = 0;
      header_len_ = 0;
      header_need_ = 2;
      ++frames_;
      if (data_frame_) in_message_ = true;
      if (payload_left_ == 0 && data_frame_ && fin_) {
        out->push_back({FramedRun::Kind::kEnd, off + i, 0});
        in_message_ = false;
      }
      continue;
    }
    // The payload: a data frame's is the message's text, a control
    // frame's is not part of it.
    const size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, len - i));
    FramedRun r{data_frame_ ? FramedRun::Kind::kText : FramedRun::Kind::kFraming, off + i, take};
    if (data_frame_ && masked_) {
      r.masked = true;
      r.phase = static_cast<uint8_t>(payload_pos_ % 4);
      std::copy(key_, key_ + 4, r.key);
    }
    Append(out, r);
    payload_left_ -= take;
    payload_pos_ += take;
    i += take;
    if (payload_left_ == 0 && data_frame_ && fin_) {
      out->push_back({FramedRun::Kind::kEnd, off + i, 0});
      in_message_ = false;
    }
  }
}

}  // namespace dlp
