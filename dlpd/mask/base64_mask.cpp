#include "dlpd/mask/base64_mask.h"

#include <algorithm>

#include "dlpd/mask/mask.h"

namespace dlp {
namespace {

// The characters of `g` once its bytes are `bytes`. A group cut short (two
// characters for one byte, three for two) keeps the low bits of its last
// character that no byte takes: strict decoders refuse them changed.
void Encode(const Base64Group& g, const uint8_t* bytes, uint8_t* chars) {
  const unsigned b0 = bytes[0], b1 = bytes[1], b2 = bytes[2];
  unsigned v[4] = {b0 >> 2, (b0 & 3) << 4 | b1 >> 4, (b1 & 15) << 2 | b2 >> 6, b2 & 63};
  const unsigned last = static_cast<unsigned>(Base64Text::Value(g.chars[g.nchars - 1]));
  if (g.nbytes == 1) v[1] = (b0 & 3) << 4 | (last & 15);
  if (g.nbytes == 2) v[2] = (b1 & 15) << 2 | (last & 3);
  for (uint8_t i = 0; i < g.nchars; ++i) chars[i] = Base64Text::Char(v[i]);
}

// Appends the edits that write character `c` where normalized byte `n` was.
bool WriteChar(const WireMap& map, uint64_t n, uint8_t c, std::vector<WireEdit>* out) {
  const uint64_t from = map.WireStart(n);
  const uint64_t to = map.WireEnd(n);
  WireUnits units;
  map.UnitsIn(from, to, &units);
  units.erase(
      std::remove_if(units.begin(), units.end(), [](const WireUnit& u) { return u.framing; }),
      units.end());
  if (units.empty()) {  // plain: one byte
    if (to != from + 1) return false;
    out->push_back(WireEdit{from, c});
    return true;
  }
  uint8_t rep[kMaxEncodedChar];
  bool keep[kMaxEncodedChar];
  const WireUnit& u0 = units.front();
  if (!EncodedAscii(u0.encoding, u0.unit_len, u0.semicolon, c, rep, keep)) return false;
  for (const WireUnit& u : units) {  // the character's pieces, framing between them
    for (uint16_t i = 0; i < u.len; ++i) {
      const size_t at = u.unit_pos + i;
      if (at < u.unit_len && !keep[at]) out->push_back(WireEdit{u.off + i, rep[at]});
    }
  }
  return true;
}

// Base64Maskable and Base64Edits: `commit` records the groups as masked.
bool Edits(const CompiledRuleset& rules, const Finding& x, const Base64Text& text,
           const WireMap& map, std::vector<WireEdit>* out, Base64Text* commit, const char** why) {
  if (x.end <= x.start) return true;
  // The value's bytes, masked as its rule masks them in plain text.
  std::vector<uint8_t> value(static_cast<size_t>(x.end - x.start));
  for (uint64_t d = x.start; d < x.end; ++d) {
    const Base64Group* g = text.GroupOf(d);
    value[d - x.start] = g != nullptr ? g->bytes[d - g->decoded] : Base64Text::kBoundaryByte;
  }
  MaskValue(rules.rule(x.rule_index).mask, value.data(), value.size());
  std::vector<WireEdit> edits;
  const Base64Group* done = nullptr;
  for (uint64_t d = x.start; d < x.end; ++d) {
    const Base64Group* g = text.GroupOf(d);
    if (g == nullptr || g == done) continue;
    done = g;
    uint8_t bytes[3] = {g->bytes[0], g->bytes[1], g->bytes[2]};
    for (uint8_t i = 0; i < g->nbytes; ++i) {
      const uint64_t at = g->decoded + i;
      if (at >= x.start && at < x.end) bytes[i] = value[at - x.start];
    }
    uint8_t chars[4];
    Encode(*g, bytes, chars);
    for (uint8_t i = 0; i < g->nchars; ++i) {
      if (map.CodedAt(g->norm[i])) {  // inflated: no bytes of its own
        *why = kReasonCompressedBody;
        return false;
      }
      if (chars[i] != g->chars[i] && !WriteChar(map, g->norm[i], chars[i], &edits)) {
        *why = kReasonBase64NotRewritable;
        return false;
      }
    }
    if (commit != nullptr) {
      Base64Group* m = commit->MutableGroupOf(g->decoded);
      std::copy(bytes, bytes + 3, m->bytes);
      std::copy(chars, chars + 4, m->chars);
    }
  }
  // A WebSocket payload is XOR-masked on the wire: the edits are too.
  WireXors xors;
  for (WireEdit& e : edits) {
    xors.clear();
    map.XorsIn(e.off, e.off + 1, &xors);
    if (xors.empty()) continue;
    const WireXor& k = xors.front();
    e.byte ^= k.key[(k.phase + (e.off - k.off)) % 4];
  }
  out->insert(out->end(), edits.begin(), edits.end());
  return true;
}

}  // namespace

bool Base64Maskable(const CompiledRuleset& rules, const Finding& x, const Base64Text& text,
                    const WireMap& map, const char** why) {
  std::vector<WireEdit> edits;
  return Edits(rules, x, text, map, &edits, nullptr, why);
}

bool Base64Edits(const CompiledRuleset& rules, const Finding& x, Base64Text& text,
                 const WireMap& map, std::vector<WireEdit>* out) {
  // Checked whole first: a value is masked in all its groups or none.
  std::vector<WireEdit> edits;
  const char* why = "";
  if (!Edits(rules, x, text, map, &edits, nullptr, &why)) return false;
  edits.clear();
  Edits(rules, x, text, map, &edits, &text, &why);
  out->insert(out->end(), edits.begin(), edits.end());
  return true;
}

}  // namespace dlp
