// The engine without Hyperscan: the part of Hyperscan's C API that dlpd
// calls, implemented with RE2, for systems that have no Hyperscan or
// Vectorscan (OpenBSD; -DDLP_ENGINE=re2). rules/match_engine.h picks one
// or the other, so every caller is the same code on both.
//
// What it keeps of Hyperscan's contract (what dlpd relies on):
//  - a scan reports, for each pattern, every offset at which some match of
//    it ends (any start, not only the leftmost), each once (in order of
//    end offset; Hyperscan may report a few out of order: dlpd needs no
//    order); `from` is 0 (dlpd compiles without start of match);
//  - block mode reads the bytes given as the whole text ('^' at their
//    first, '$' and \b at their last);
//  - stream mode finds matches across the pieces of a stream, and a
//    match that needs the end of the data ('$', or a \b there) only at
//    hs_close_stream. It keeps the widest match's bytes of the stream
//    (every pattern is bounded: rules/compiled_ruleset.h refuses others)
//    and reads them again before each piece. Unlike Hyperscan, a match
//    that ends exactly where a piece ends is reported with the next piece
//    (or at close): whether it needs the end of the data is not known
//    before the next byte is.
//  - hs_expression_info's widths, read from the pattern (rules/regex_width.h).
//
// Cost: one RE2::Set pass over the text says which patterns match at all;
// for those, every start is found, and every end from it checked with an
// anchored match (at most the pattern's width of them). The default rules'
// patterns never reach it (they are walked: inspect/shape_scan.h); rule
// authors' others run slower than under Hyperscan (bench/RESULTS.md), and a
// wide one on text dense with its matches costs the square of its width per
// start: T[A-Za-z0-9]{0,1000}Z on 8 KiB of such text takes 9 s here against
// 0.35 s (the confirmation both builds share costs as much on some rules).
// Checking each end once with "(?s:.*)(?:P)" was tried: RE2's DFA gives up
// on such a pattern and its NFA took ten times as long. Keep rule widths
// small; a bound on the work per scan is still to do.
//
// Thread-safety: a database is immutable once compiled and may be shared;
// a scratch and a stream belong to one thread at a time.
#pragma once

#include <cstddef>

// At global scope, as <hs/hs.h> declares them: callers are the same code
// for both engines.
using hs_error_t = int;
constexpr hs_error_t HS_SUCCESS = 0;
constexpr hs_error_t HS_INVALID = -1;
constexpr hs_error_t HS_NOMEM = -2;
constexpr hs_error_t HS_SCAN_TERMINATED = -3;
constexpr hs_error_t HS_COMPILER_ERROR = -4;

constexpr unsigned HS_FLAG_DOTALL = 2;
constexpr unsigned HS_MODE_BLOCK = 1;
constexpr unsigned HS_MODE_STREAM = 2;

struct hs_database;
struct hs_scratch;
struct hs_stream;
using hs_database_t = hs_database;
using hs_scratch_t = hs_scratch;
using hs_stream_t = hs_stream;
struct hs_platform_info;
using hs_platform_info_t = hs_platform_info;

struct hs_compile_error_t {
  char* message;
  int expression;  // the index of the pattern at fault, or -1
};

struct hs_expr_info_t {
  unsigned min_width;
  unsigned max_width;  // UINT_MAX: unbounded
  char unordered_matches;
  char matches_at_eod;
  char matches_only_at_eod;
};

// Returning non-zero stops the scan (HS_SCAN_TERMINATED).
using match_event_handler = int (*)(unsigned id, unsigned long long from, unsigned long long to,
                                    unsigned flags, void* context);

hs_error_t hs_compile_multi(const char* const* expressions, const unsigned* flags,
                            const unsigned* ids, unsigned elements, unsigned mode,
                            const hs_platform_info_t* platform, hs_database_t** db,
                            hs_compile_error_t** error);
hs_error_t hs_free_compile_error(hs_compile_error_t* error);
// *info is allocated with malloc (the caller frees it, as with Hyperscan's).
hs_error_t hs_expression_info(const char* expression, unsigned flags, hs_expr_info_t** info,
                              hs_compile_error_t** error);
hs_error_t hs_free_database(hs_database_t* db);
// Reuses *scratch when it is one already (it serves any database).
hs_error_t hs_alloc_scratch(const hs_database_t* db, hs_scratch_t** scratch);
hs_error_t hs_free_scratch(hs_scratch_t* scratch);
hs_error_t hs_scan(const hs_database_t* db, const char* data, unsigned length, unsigned flags,
                   hs_scratch_t* scratch, match_event_handler on_event, void* context);
hs_error_t hs_open_stream(const hs_database_t* db, unsigned flags, hs_stream_t** stream);
hs_error_t hs_scan_stream(hs_stream_t* stream, const char* data, unsigned length, unsigned flags,
                          hs_scratch_t* scratch, match_event_handler on_event, void* context);
// Reports the matches that end at the end of the data (if on_event), then
// frees the stream.
hs_error_t hs_close_stream(hs_stream_t* stream, hs_scratch_t* scratch, match_event_handler on_event,
                           void* context);
hs_error_t hs_copy_stream(hs_stream_t** to, const hs_stream_t* from);
hs_error_t hs_stream_size(const hs_database_t* db, size_t* size);
