// libFuzzer: the HTTP layer on attacker-controlled client streams. The
// input is cut into feeds by its first bytes, read by the stream normalizer
// (http-parser framing, character decoding), and every normalized byte's
// place on the wire, every unit, and masking through them must stay inside
// the bytes fed. The base64 layer reads the normalized text in the same
// pieces: each group must hold the characters the text has where it says,
// and the bytes the decoded text has. Must never crash or read out of
// bounds.
#include <cstdint>
#include <vector>

#include "dlpd/http/base64_text.h"
#include "dlpd/http/stream_normalizer.h"
#include "dlpd/mask/mask.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t cut_every = 1 + data[0] % 64;
  const bool http = (data[1] & 1) != 0;
  data += 2;
  size -= 2;
  dlp::StreamNormalizer n(http);
  dlp::Base64Text b64;
  std::vector<uint8_t> text, decoded;
  auto read_base64 = [&](size_t from) {
    b64.Feed(text.data() + from, text.size() - from, from, &decoded);
  };
  for (size_t at = 0; at < size; at += cut_every) {
    const size_t len = size - at < cut_every ? size - at : cut_every;
    const size_t from = text.size();
    n.Feed(data + at, len, at, &text);
    read_base64(from);
  }
  const size_t from = text.size();
  n.Finish(&text);
  read_base64(from);
  b64.Finish(&decoded);
  if (decoded.size() != b64.decoded()) __builtin_trap();
  for (uint64_t d = 0; d < decoded.size(); ++d) {
    const dlp::Base64Group* g = b64.GroupOf(d);
    if (g == nullptr) {
      if (decoded[d] != dlp::Base64Text::kBoundaryByte) __builtin_trap();
      continue;
    }
    if (g->bytes[d - g->decoded] != decoded[d] || g->nchars < 2 || g->nchars > 4) __builtin_trap();
    for (uint8_t i = 0; i < g->nchars; ++i) {
      if (g->norm[i] >= text.size() || text[g->norm[i]] != g->chars[i]) __builtin_trap();
      if (i > 0 && g->norm[i] <= g->norm[i - 1]) __builtin_trap();
    }
  }
  if (text.size() != n.normalized()) __builtin_trap();
  // Every text byte maps to wire bytes inside the input, in order.
  uint64_t last = 0;
  for (uint64_t i = 0; i < text.size(); ++i) {
    const uint64_t s = n.map().WireStart(i);
    const uint64_t e = n.map().WireEnd(i);
    if (s > e || e > size || s < last) __builtin_trap();
    last = s;
  }
  // Units lie inside the input; masking the whole input through them
  // writes inside it and keeps its length.
  dlp::WireUnits units;
  n.map().UnitsIn(0, size, &units);
  for (const dlp::WireUnit& u : units) {
    if (u.off + u.len > size || (!u.framing && u.unit_pos + u.len > u.unit_len)) __builtin_trap();
  }
  std::vector<uint8_t> copy(data, data + size);
  dlp::MaskWire(units, 0, size, false, 0, copy.data(), copy.size(), 0);
  dlp::MaskWire(units, 0, size, false, 4, copy.data(), copy.size(), 0);
  return 0;
}
