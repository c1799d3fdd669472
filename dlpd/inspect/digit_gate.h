// The digit gate: where in a text a match of a rule with `min_digits` can
// lie at all, so that Hyperscan and RE2 run only there.
//
// Every match of a gated pattern holds at least `min_digits` ASCII digits
// within `width` bytes (its widest match). Most bytes of HTTP are nowhere
// near such a cluster of digits. The gate reads 64 bytes at a time into a
// mask of their digits (vector compares) and finds the clusters in one of
// two ways:
//   - with a digit gap G (every rule promises that the digits of a match
//     follow one another with at most G other bytes between them, as a card
//     number's groups do), runs of digits at most G apart; a run with
//     min_digits digits is a cluster. On real HTML this leaves about 0.3%
//     of the bytes, where counting by windows leaves 11%.
//   - without one, windows: a running sum of digits over the chunks a
//     window of `width` bytes can reach.
// In binary data (compressed uploads) nearly every chunk holds a digit but
// runs long enough are rare: a batch of 16 chunks is first checked for one
// without a branch per chunk (four chunks per instruction with AVX2), and
// taken chunk by chunk only if it has one.
// Only the neighbourhood of a cluster becomes a region. A regex engine on
// patterns that begin with a digit class spends several cycles per byte.
//
// Contract: a match [s, e) of a gated pattern (e - s <= width, at least
// min_digits digits, each at most G bytes from the next when a gap is given)
// lies inside a region, with at least one byte of the region before s and
// one after e (unless the text itself starts or ends there). The byte
// margins let the caller rule out '^' and '$' matching at a region's edge
// that is not an edge of the text.
//
// Written by hand: no library finds runs of a byte class this way, and a
// regex engine is exactly what the gate is there to spare.
#pragma once

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlp {

// Bit i of digits[c]: byte 64 * c + i of `data` is an ASCII digit, for
// `chunks` <= 16 whole chunks; read by the best kernel this CPU has.
void ReadDigitMasks(const uint8_t* data, size_t chunks, uint64_t* digits);

// The same for one chunk and one byte, without the setup of the general
// call (a verdict reads one value's 64 bytes): bit i of *digits, of
// *marks: data[i] is a digit, is `byte`. REQUIRES: 64 bytes readable.
void ReadDigitAndByteMask(const uint8_t* data, uint8_t byte, uint64_t* digits, uint64_t* marks);

// The shifts that find `length` set bits in a row by doubling: after a
// step of `got`, a bit says `2 * got` bits from it are set; the last step
// tops up to exactly `length`. Past 64 no run inside a 64-bit word is long
// enough, and 65 says so with shifts below 64: at most seven, 0 after the
// last.
std::array<unsigned, 7> DoublingSteps(unsigned length);

// Up to four bytes to find beside the digits (a shaped walk's separators).
struct MarkBytes {
  static constexpr size_t kMax = 4;
  uint8_t bytes[kMax] = {};
  size_t n = 0;  // 0: none
};

// As ReadDigitMasks, and bit i of marks[c]: byte 64 * c + i is one of
// `mark`'s bytes.
void ReadDigitAndMarkMasks(const uint8_t* data, size_t chunks, const MarkBytes& mark,
                           uint64_t* digits, uint64_t* marks);

// [from, to) in stream offsets.
struct Region {
  uint64_t from = 0;
  uint64_t to = 0;
};

class DigitGate {
 public:
  // No digit gap promised: count digits in windows of `width` bytes.
  static constexpr unsigned kAnyGap = UINT_MAX;
  // The widest gap the runs can bridge.
  static constexpr unsigned kMaxGap = 8;

  // How the 64-byte masks are read: the best the CPU has is chosen at
  // construction; tests hold the others to the same regions.
  enum class Kernel { kPortable, kSse2, kAvx2 };

  // min_digits >= 1; width in [1, 1024] (rules/compiled_ruleset.h bounds
  // it); max_gap <= kMaxGap or kAnyGap.
  DigitGate(unsigned min_digits, unsigned width, unsigned max_gap = kAnyGap);

  // Feeds the next `len` bytes, which start at stream offset `base` (pieces
  // in order, without gaps). Regions found are appended to regions(), in
  // order and merged; a region may reach past the bytes fed so far.
  void Feed(const uint8_t* data, size_t len, uint64_t base);
  // The same, noting only blank lines (no regions, no spans): for a text
  // walked whole, whose CSV headers are still looked for.
  void FeedLines(const uint8_t* data, size_t len, uint64_t base);
  const std::vector<Region>& regions() const { return regions_; }
  // Whether regions() are kept (on by default); a scan whose gated
  // patterns are all shaped needs none.
  void set_keep_regions(bool on) { keep_regions_ = on; }
  // Where the shaped walk (shape_scan.h) reads: every run of min_digits
  // digits or more (without a digit gap: every region), in order, merged
  // when close. A run (its digits at most the gap apart) lies whole in one
  // span; a span may begin or end inside a group of digits. Coarser than
  // runs on purpose: a KiB fed in which one byte in kDenseShare is a digit
  // is one span, its runs not looked for (number-dense text: there the
  // walk reads every group faster than the gate finds the runs), and
  // elsewhere a span covers a chunk's runs from the first long one to the
  // end of the last. Kept only with set_keep_spans(true).
  const std::vector<Region>& spans() const { return spans_; }
  void set_keep_spans(bool on) { keep_spans_ = on; }
  void Reset();

  // False (and nothing changes) when this CPU cannot run `k`.
  bool UseKernel(Kernel k);
  Kernel kernel() const { return kernel_; }

  // Bit i: byte i of a chunk is an ASCII digit. No initializer: a batch of
  // them is filled by a kernel, and zeroing it first costs more than a
  // short piece's whole scan.
  struct ChunkMasks {
    uint64_t digits;
  };

  // Also note where blank lines end (a '\n' ending a line that is "" or
  // "\r"): the CSV headers a ColumnTracker reads follow them. The gate
  // reads every byte anyway; a second pass would cost more than the gate.
  void set_track_blank_lines(bool on) { track_blank_lines_ = on; }
  // The stream offsets of the '\n' that end blank lines in the bytes fed
  // since Reset, in order; but for one whose next line begins with '<', a
  // blank, or a bracket (no CSV header: HTML and JSON hold many).
  const std::vector<uint64_t>& blank_line_ends() const { return blank_line_ends_; }
  // Whether a line that begins with `c` heads no CSV table (markup, an
  // indent, a bracket): the blank lines before such lines are not noted.
  static bool HeadsNoTable(char c) {
    return c == '<' || c == ' ' || c == '\t' || c == '{' || c == '[' || c == '}' || c == ']';
  }

 private:
  struct Chunk {
    uint64_t end = 0;  // stream offset after its last byte
    unsigned digits = 0;
  };
  // A chunk of `len` (<= 64) bytes at `base`: bit i of a mask is byte
  // base + i. Consume takes its digits (windows or RunsIn).
  void Consume(uint64_t base, unsigned len, const ChunkMasks& m);
  void RunsIn(uint64_t base, unsigned len, uint64_t digits);
  // The chunk's last run, if it reaches the chunk's end, stays open.
  void KeepLastRun(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits);
  // Spans only (no regions), a batch of `n` full chunks at `base`: when
  // at least one byte in kDenseShare is a digit (number-dense text, where
  // finding the runs costs more than walking every group), the whole batch
  // is a span, and true. False (and nothing changes) otherwise.
  static constexpr unsigned kDenseShare = 6;
  bool SpansDense(const ChunkMasks* masks, size_t n, uint64_t base);
  // Spans only (no regions): adds the chunk's part of runs of min_digits
  // digits or more, and keeps the run open at its end.
  void SpansIn(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits,
               uint64_t long_starts, bool continuing);
  // `n` full chunks at `base` (gap mode), when none of their runs may hold
  // min_digits digits: the state moves past them, and true. False (and
  // nothing changes) when one may: the chunks are then taken one by one.
  // `masks` has room for chunks up to a multiple of four.
  bool QuietBatch(ChunkMasks* masks, size_t n, uint64_t base);
  // The runs of `run_bits` that are long enough (`long_starts`: their
  // RunStarts) or go on past an edge.
  void OnRuns(uint64_t base, unsigned len, uint64_t digits, uint64_t run_bits, uint64_t long_starts,
              bool continuing);
  void OnChunk(uint64_t start, uint64_t end, unsigned digits);
  // The blank lines that end in the `n` chunks (the last `last_len` bytes
  // long) at `data` (stream offset `base`; `avail` bytes readable there, to
  // the end of the piece fed). `newlines`: bit i of each, byte i of the
  // chunk is '\n'.
  void NoteBlankLines(const uint8_t* data, const uint64_t* newlines, size_t n, uint64_t base,
                      unsigned last_len, size_t avail);

  unsigned min_digits_;
  unsigned width_;
  unsigned max_gap_;
  Kernel kernel_;
  // Shifts that mark where runs of min_digits bytes begin, padded with 0
  // (RunStarts in digit_gate.cpp).
  std::array<unsigned, 7> run_step_{};
  // Runs: the digit mask of the last 64 bytes fed (bit 63 the last byte),
  // and the run still open at the last byte fed, if any: its start and its
  // digits, a count plus those of a mask not counted yet.
  uint64_t recent_ = 0;
  bool run_open_ = false;
  uint64_t run_start_ = 0;
  unsigned run_digits_ = 0;
  uint64_t run_tail_digits_ = 0;
  // Batches of chunks that mostly hold a digit (binary data) are first
  // tried whole, without a branch per chunk (QuietBatch), when
  // min_digits <= 33.
  static constexpr unsigned kMaxQuietDigits = 33;
  bool quiet_ok_ = false;
  bool try_quiet_ = false;  // the last batch was such
  // Windows: the chunks a window of width bytes ending in the current chunk
  // can reach, a ring, and their digit total.
  static constexpr unsigned kRing = 64;
  Chunk ring_[kRing] = {};
  unsigned head_ = 0;  // oldest
  unsigned count_ = 0;
  unsigned total_ = 0;
  std::vector<Region> regions_;
  std::vector<Region> spans_;
  bool keep_regions_ = true;
  bool keep_spans_ = false;
  bool track_blank_lines_ = false;
  // The last two bytes fed: bit 0 the last is '\n', bit 1 the one before;
  // and whether the last is '\r'.
  unsigned nl_before_ = 0;
  bool cr_before_ = false;
  std::vector<uint64_t> blank_line_ends_;
};

// ReadDigitAndMarkMasks with kernel `k` (which must be supported, as
// DigitGate::UseKernel says), for tests that hold the kernels to one answer.
void ReadDigitAndMarkMasks(const uint8_t* data, size_t chunks, const MarkBytes& mark,
                           uint64_t* digits, uint64_t* marks, DigitGate::Kernel k);

}  // namespace dlp
