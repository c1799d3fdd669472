// Whether the bytes at the end of a stream may be the beginning of a value
// that bytes still to come would complete: the question the gateway asks
// before it holds back a segment's last bytes (and, when it cannot wait,
// withholds them from the receiver). A run of digits that no rule's pattern
// can go on from, or that no validator could accept whatever follows
// ("1771": no card brand begins with 1, and an SSN's area is followed by a
// separator), cannot begin a value: it leaves at once and unchanged. Every
// number held that could not have been a value is latency for nothing, and
// on a slow or lossy link it is a number the sender may have to resend
// alone (see dlpd/pipeline/packet_pipeline.h, withheld tails).
//
// Why PCRE2: neither Hyperscan nor RE2 can say whether a text, with more
// bytes after it, could still match; PCRE2's hard partial matching does,
// on the same expressions (the syntax Hyperscan and RE2 share is PCRE's).
//
// Immutable once built and shared between workers; each worker passes its
// own Scratch.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"
#include "rules/validators.h"

namespace dlp {

class ValuePrefixes {
 public:
  // One worker's PCRE2 match data. Not thread-safe: one per worker.
  class Scratch {
   public:
    Scratch();
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    void* data() const { return data_; }

   private:
    void* data_;  // pcre2_match_data_8
  };

  // Whether a value of rule `rule` that begins at text[at] has the keyword
  // its pattern needs (dlpd/inspect/value_context.h); `arg` is the
  // stream's state. Without one, such a value is taken to have it.
  struct ContextCheck {
    bool (*has)(const void* arg, uint32_t rule, std::string_view text, size_t at) = nullptr;
    const void* arg = nullptr;
  };

  ValuePrefixes();
  ~ValuePrefixes();
  ValuePrefixes(ValuePrefixes&&) noexcept;
  ValuePrefixes& operator=(ValuePrefixes&&) noexcept;

  // Bytes a value may hold (the rules' value_chars, together).
  void set_value_bytes(const std::array<bool, 256>& bytes) { value_bytes_ = bytes; }
  // A pattern as compiled for scanning (boundary contexts included) of
  // rule `rule`, whether its values need context, and its rule's validator
  // (null: any beginning; must outlive this object).
  // `shown_digits`: its validator's shown_leading_digits(); `width`:
  // the longest match it has (Hyperscan's max_width). A pattern PCRE2
  // cannot compile (false, and `error` says why) lets every run of value
  // bytes begin a value, as if this class did not exist: never fewer holds
  // than that.
  bool Add(const std::string& expression, Boundary boundary, uint32_t rule, bool needs_context,
           const Validator* validator, unsigned shown_digits, unsigned width, std::string* error);

  // Where `text` begins: somewhere in a stream, at its first byte, or at
  // the first byte dlpd saw of a stream picked up mid-way (whose first
  // bytes may go on from a value begun before).
  enum class Start { kInside, kStreamStart, kPickedUp };
  // The offset in `text` at which the earliest value that may go on past
  // the end of `text` begins, or npos when none can. `text` is the last
  // bytes of the stream: at least the rules' widest match, or all of it.
  // Only a value in the run of value bytes at the end, holding a letter or
  // digit, counts.
  size_t OpenValueFrom(std::string_view text, Start start, Scratch& scratch,
                       const ContextCheck* context = nullptr) const;
  // Whether every value that may begin in the run at the end of `text` (as
  // OpenValueFrom judges) holds so far no more digits than a truncated
  // display of its kind shows (shown_leading_digits: a card's first six, an
  // SSN's area): what a sender stalled there may get through.
  bool WithinShownDigits(std::string_view text, Start start, Scratch& scratch,
                         const ContextCheck* context = nullptr) const;

 private:
  struct Prefix {
    void* code = nullptr;  // pcre2_code_8; null when it did not compile
    Boundary boundary = Boundary::kNone;
    const Validator* validator = nullptr;
    uint32_t rule = 0;
    bool needs_context = false;
    unsigned shown_digits = 0;
    unsigned width = 0;  // a match that reaches the end begins no further back
  };
  // The first value token (a letter, a digit, an escaped digit) at or
  // after `from`, or npos.
  size_t FirstValueToken(std::string_view text, size_t from) const;
  // The earliest start in [run, end) of a value `p` may still complete,
  // or npos; with `most_digits`, the start of one that holds more digits
  // than that so far (any other: npos).
  size_t OpenFor(const Prefix& p, std::string_view text, size_t run, bool at_stream_start,
                 Scratch& scratch, const ContextCheck* context,
                 const unsigned* most_digits = nullptr) const;
  // Where the run of value bytes at the end of `text` begins.
  size_t RunOf(std::string_view text) const;

  std::vector<Prefix> prefixes_;
  std::array<bool, 256> value_bytes_{};
};

}  // namespace dlp
