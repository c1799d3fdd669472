#include "dlpd/http/body_inflater.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dlpd/common/ascii.h"

namespace dlp {
namespace {

// The decoders' memory, counted: allocated through these, with its size
// kept in front of it (zlib's window is 32 KiB; brotli's is what the
// sender's stream asks for, up to 16 MiB), so that a flow's footprint
// includes it (the pipeline's memory budget).
constexpr size_t kHeader = alignof(std::max_align_t);

void* CountedAlloc(void* opaque, size_t size) {
  auto* counted = static_cast<size_t*>(opaque);
  // One decoder may hold at most kMaxDecoderBytes: past it the allocation
  // fails and the body does not decode (a sender cannot make one flow take
  // a share of the worker's budget that other flows' state needs).
  if (size > BodyInflater::kMaxDecoderBytes - std::min(*counted, BodyInflater::kMaxDecoderBytes)) {
    return nullptr;
  }
  auto* p = static_cast<uint8_t*>(std::malloc(size + kHeader));
  if (p == nullptr) return nullptr;
  std::memcpy(p, &size, sizeof size);
  *counted += size;
  return p + kHeader;
}

void CountedFree(void* opaque, void* address) {
  if (address == nullptr) return;
  auto* p = static_cast<uint8_t*>(address) - kHeader;
  size_t size = 0;
  std::memcpy(&size, p, sizeof size);
  *static_cast<size_t*>(opaque) -= size;
  std::free(p);
}

voidpf ZlibAlloc(voidpf opaque, uInt items, uInt size) {
  return CountedAlloc(opaque, static_cast<size_t>(items) * size);
}
void ZlibFree(voidpf opaque, voidpf address) {
  CountedFree(opaque, address);
}

class ZlibInflater : public BodyInflater {
 public:
  ZlibInflater() {
    // 15 + 32: a gzip or a zlib header, told apart by zlib ("deflate" is
    // zlib's format, RFC 9110 8.4.1.2).
    z_.zalloc = ZlibAlloc;
    z_.zfree = ZlibFree;
    z_.opaque = &allocated_;
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
  }
  ~ZlibInflater() override { inflateEnd(&z_); }

 private:
  bool Step(const uint8_t* data, size_t len, size_t* used, uint8_t* buf, size_t cap, size_t* made,
            bool* done) override {
    if (!ok_) return false;
    z_.next_in = const_cast<Bytef*>(data);
    z_.avail_in = static_cast<uInt>(std::min<size_t>(len, UINT32_MAX));
    z_.next_out = buf;
    z_.avail_out = static_cast<uInt>(cap);
    const int rc = inflate(&z_, Z_NO_FLUSH);
    *used = len - z_.avail_in;
    *made = cap - z_.avail_out;
    *done = rc == Z_STREAM_END;
    return rc == Z_OK || rc == Z_STREAM_END || (rc == Z_BUF_ERROR && *used == 0 && *made == 0);
  }
  bool NextMember() override { return ok_ && inflateReset(&z_) == Z_OK; }
  z_stream z_{};
  bool ok_ = false;
};

class BrotliInflater : public BodyInflater {
 public:
  BrotliInflater() : s_(BrotliDecoderCreateInstance(CountedAlloc, CountedFree, &allocated_)) {}
  ~BrotliInflater() override { BrotliDecoderDestroyInstance(s_); }

 private:
  bool Step(const uint8_t* data, size_t len, size_t* used, uint8_t* buf, size_t cap, size_t* made,
            bool* done) override {
    if (s_ == nullptr) return false;
    size_t avail_in = len;
    const uint8_t* next_in = data;
    size_t avail_out = cap;
    uint8_t* next_out = buf;
    const BrotliDecoderResult r =
        BrotliDecoderDecompressStream(s_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    *used = len - avail_in;
    *made = cap - avail_out;
    *done = r == BROTLI_DECODER_RESULT_SUCCESS;
    return r != BROTLI_DECODER_RESULT_ERROR;
  }
  bool NextMember() override { return false; }
  BrotliDecoderState* s_;
};

}  // namespace

ContentCoding ParseContentCoding(const char* value, size_t len) {
  std::string v = AsciiLower(std::string_view(value, len));
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
  const size_t first = v.find_first_not_of(" \t");
  v = first == std::string::npos ? "" : v.substr(first);
  if (v.empty() || v == "identity") return ContentCoding::kIdentity;
  if (v == "gzip" || v == "x-gzip") return ContentCoding::kGzip;
  if (v == "deflate") return ContentCoding::kDeflate;
  if (v == "br") return ContentCoding::kBrotli;
  return ContentCoding::kUnknown;  // another coding, or several stacked
}

std::unique_ptr<BodyInflater> BodyInflater::Make(ContentCoding coding) {
  if (coding == ContentCoding::kBrotli) return std::make_unique<BrotliInflater>();
  return std::make_unique<ZlibInflater>();
}

bool BodyInflater::Feed(const uint8_t* data, size_t len, std::vector<uint8_t>* out) {
  if (*why_ != '\0') return false;
  in_ += len;
  uint8_t buf[16384];
  for (;;) {
    if (done_) {
      if (len == 0) break;
      // Bytes after a member's end: the next member, or not decodable.
      if (!NextMember()) {
        why_ = "data after the end of a compressed body";
        return false;
      }
      done_ = false;
    }
    size_t used = 0, made = 0;
    if (!Step(data, len, &used, buf, sizeof buf, &made, &done_)) {
      why_ = "a compressed body that does not decode";
      return false;
    }
    out_ += made;
    if (out_ > kMaxOutput || out_ > kMaxRatio * in_ + 65536) {
      why_ = "a compressed body beyond the inflation limits";
      return false;
    }
    out->insert(out->end(), buf, buf + made);
    data += used;
    len -= used;
    // Done with this input once it is all read and the decoder had no
    // more to give than fitted.
    if (!done_ && ((len == 0 && made < sizeof buf) || (used == 0 && made == 0))) break;
  }
  return true;
}

}  // namespace dlp
