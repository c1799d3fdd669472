#include "rules/re2_engine.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "rules/regex_width.h"

using dlp::RegexWidth;
using dlp::WidthOf;

struct hs_database {
  struct Pattern {
    unsigned id;
    std::unique_ptr<RE2> re;
    unsigned max_width;
  };
  unsigned mode = HS_MODE_BLOCK;
  std::vector<Pattern> patterns;
  // Which patterns match anywhere in a text: one pass, then only those
  // are searched for their starts and ends.
  std::unique_ptr<RE2::Set> set;
  unsigned max_width = 0;
};

struct hs_scratch {
  std::vector<int> hits;
  std::vector<std::pair<uint64_t, unsigned>> ends;  // (end offset, id)
  std::string window;
};

struct hs_stream {
  const hs_database* db = nullptr;
  // The stream's last db->max_width + 1 bytes (all of them, at its start):
  // a match ending in the next piece, or where the last piece ended,
  // begins after the first of them, which is there as context ('^', \b).
  std::string tail;
  uint64_t offset = 0;       // bytes of the stream so far
  uint64_t reported_to = 0;  // the matches that end before this were reported
};

namespace {

RE2::Options OptionsFor(unsigned flags) {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);  // bytes, as Hyperscan without HS_FLAG_UTF8
  o.set_dot_nl((flags & HS_FLAG_DOTALL) != 0);
  o.set_log_errors(false);
  return o;
}

hs_compile_error_t* CompileError(const std::string& message, int expression) {
  auto* e = static_cast<hs_compile_error_t*>(std::malloc(sizeof(hs_compile_error_t)));
  if (e == nullptr) return nullptr;
  e->message = static_cast<char*>(std::malloc(message.size() + 1));
  if (e->message != nullptr) std::memcpy(e->message, message.c_str(), message.size() + 1);
  e->expression = expression;
  return e;
}

// Compiles `expression` (the `index`-th of its database) and reads its
// widths: what hs_compile_multi and hs_expression_info both check first.
hs_error_t Parse(const char* expression, unsigned flags, int index, std::unique_ptr<RE2>* re,
                 RegexWidth* width, hs_compile_error_t** error) {
  *re = std::make_unique<RE2>(expression, OptionsFor(flags));
  if (!(*re)->ok()) {
    *error = CompileError((*re)->error(), index);
    return HS_COMPILER_ERROR;
  }
  std::string why;
  const std::optional<RegexWidth> w = WidthOf(expression, &why);
  if (!w) {
    *error = CompileError(why, index);
    return HS_COMPILER_ERROR;
  }
  *width = *w;
  return HS_SUCCESS;
}

// The first start a stream's window may hold: its first byte is context
// only ('^', \b), unless the window begins where the stream does.
size_t FirstStart(uint64_t window_base) {
  return window_base == 0 ? 0 : 1;
}

// Appends to `ends` every end e in [lo, hi] (offsets in `text`) of a match
// of `p` that starts at or after `startpos`.
void EndsOf(const hs_database::Pattern& p, re2::StringPiece text, size_t startpos, size_t lo,
            size_t hi, unsigned id, std::vector<std::pair<uint64_t, unsigned>>* ends) {
  // A match is at most max_width wide: none that starts earlier ends by lo.
  size_t pos = std::max(startpos, lo > p.max_width ? lo - p.max_width : size_t{0});
  re2::StringPiece m;
  while (pos < text.size() && p.re->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    const auto start = static_cast<size_t>(m.data() - text.data());
    if (start >= hi) break;  // every end is past hi
    const size_t last = std::min(hi, start + p.max_width);
    for (size_t e = std::max(lo, start + 1); e <= last; ++e) {
      if (p.re->Match(text, start, e, RE2::ANCHOR_BOTH, nullptr, 0)) ends->emplace_back(e, id);
    }
    pos = start + 1;
  }
}

// Every (end, id) of `db`'s patterns in `text` with end in [lo, hi],
// starts at or after `startpos`, into scratch->ends, sorted, each once;
// reported at `base` + end. HS_SCAN_TERMINATED if the handler stops it.
hs_error_t Report(const hs_database& db, re2::StringPiece text, size_t startpos, size_t lo,
                  size_t hi, uint64_t base, hs_scratch* scratch, match_event_handler on_event,
                  void* context) {
  if (on_event == nullptr || lo > hi || db.patterns.empty()) return HS_SUCCESS;
  scratch->ends.clear();
  scratch->hits.clear();
  if (!db.set->Match(text, &scratch->hits)) return HS_SUCCESS;
  for (const int i : scratch->hits) {
    const hs_database::Pattern& p = db.patterns[static_cast<size_t>(i)];
    EndsOf(p, text, startpos, lo, hi, p.id, &scratch->ends);
  }
  std::sort(scratch->ends.begin(), scratch->ends.end());
  scratch->ends.erase(std::unique(scratch->ends.begin(), scratch->ends.end()), scratch->ends.end());
  for (const auto& [end, id] : scratch->ends) {
    if (on_event(id, 0, base + end, 0, context) != 0) return HS_SCAN_TERMINATED;
  }
  return HS_SUCCESS;
}

}  // namespace

hs_error_t hs_compile_multi(const char* const* expressions, const unsigned* flags,
                            const unsigned* ids, unsigned elements, unsigned mode,
                            const hs_platform_info_t* /*platform*/, hs_database_t** db,
                            hs_compile_error_t** error) {
  *db = nullptr;
  *error = nullptr;
  if (elements == 0) {
    *error = CompileError("no patterns", -1);
    return HS_COMPILER_ERROR;
  }
  auto out = std::make_unique<hs_database>();
  out->mode = mode;
  // One flag set for the whole database's prefilter: dlpd gives every
  // pattern the same flags.
  out->set =
      std::make_unique<RE2::Set>(OptionsFor(flags != nullptr ? flags[0] : 0), RE2::UNANCHORED);
  for (unsigned i = 0; i < elements; ++i) {
    std::unique_ptr<RE2> re;
    RegexWidth w;
    if (const hs_error_t rc = Parse(expressions[i], flags != nullptr ? flags[i] : 0,
                                    static_cast<int>(i), &re, &w, error);
        rc != HS_SUCCESS) {
      return rc;
    }
    if (mode == HS_MODE_STREAM && w.max == RegexWidth::kUnbounded) {
      *error = CompileError("the RE2 engine streams only patterns of bounded width",
                            static_cast<int>(i));
      return HS_COMPILER_ERROR;
    }
    std::string set_error;
    if (out->set->Add(expressions[i], &set_error) != static_cast<int>(i)) {
      *error = CompileError(set_error, static_cast<int>(i));
      return HS_COMPILER_ERROR;
    }
    out->max_width = std::max(out->max_width, w.max);
    out->patterns.push_back({ids != nullptr ? ids[i] : i, std::move(re), w.max});
  }
  if (!out->set->Compile()) {
    *error = CompileError("RE2::Set does not compile (out of memory)", -1);
    return HS_COMPILER_ERROR;
  }
  *db = out.release();
  return HS_SUCCESS;
}

hs_error_t hs_free_compile_error(hs_compile_error_t* error) {
  if (error != nullptr) {
    std::free(error->message);
    std::free(error);
  }
  return HS_SUCCESS;
}

hs_error_t hs_expression_info(const char* expression, unsigned flags, hs_expr_info_t** info,
                              hs_compile_error_t** error) {
  *info = nullptr;
  *error = nullptr;
  std::unique_ptr<RE2> re;
  RegexWidth w;
  if (const hs_error_t rc = Parse(expression, flags, 0, &re, &w, error); rc != HS_SUCCESS) {
    return rc;
  }
  *info = static_cast<hs_expr_info_t*>(std::malloc(sizeof(hs_expr_info_t)));
  if (*info == nullptr) return HS_NOMEM;
  **info = {w.min, w.max, 0, 0, 0};
  return HS_SUCCESS;
}

hs_error_t hs_free_database(hs_database_t* db) {
  delete db;
  return HS_SUCCESS;
}

hs_error_t hs_alloc_scratch(const hs_database_t* /*db*/, hs_scratch_t** scratch) {
  if (*scratch == nullptr) *scratch = new (std::nothrow) hs_scratch;
  return *scratch != nullptr ? HS_SUCCESS : HS_NOMEM;
}

hs_error_t hs_free_scratch(hs_scratch_t* scratch) {
  delete scratch;
  return HS_SUCCESS;
}

hs_error_t hs_scan(const hs_database_t* db, const char* data, unsigned length, unsigned /*flags*/,
                   hs_scratch_t* scratch, match_event_handler on_event, void* context) {
  if (db == nullptr || scratch == nullptr || (data == nullptr && length > 0)) return HS_INVALID;
  if (length == 0) return HS_SUCCESS;
  return Report(*db, re2::StringPiece(data, length), 0, 1, length, 0, scratch, on_event, context);
}

hs_error_t hs_open_stream(const hs_database_t* db, unsigned /*flags*/, hs_stream_t** stream) {
  if (db == nullptr || db->mode != HS_MODE_STREAM) return HS_INVALID;
  *stream = new (std::nothrow) hs_stream;
  if (*stream == nullptr) return HS_NOMEM;
  (*stream)->db = db;
  return HS_SUCCESS;
}

hs_error_t hs_scan_stream(hs_stream_t* stream, const char* data, unsigned length,
                          unsigned /*flags*/, hs_scratch_t* scratch, match_event_handler on_event,
                          void* context) {
  if (stream == nullptr || scratch == nullptr || (data == nullptr && length > 0)) {
    return HS_INVALID;
  }
  if (length == 0) return HS_SUCCESS;
  std::string& window = scratch->window;
  window.assign(stream->tail);
  window.append(data, length);
  const uint64_t window_base = stream->offset - stream->tail.size();
  const uint64_t end = stream->offset + length;
  // Ends from where the last scan stopped to the byte before this piece's
  // end: one there may need the end of the data, known with the next byte.
  const hs_error_t rc =
      Report(*stream->db, window, FirstStart(window_base),
             static_cast<size_t>(stream->reported_to - window_base),
             static_cast<size_t>(end - 1 - window_base), window_base, scratch, on_event, context);
  stream->reported_to = end;
  stream->offset = end;
  const size_t keep = std::min<size_t>(window.size(), size_t{stream->db->max_width} + 1);
  stream->tail.assign(window, window.size() - keep, keep);
  return rc;
}

hs_error_t hs_close_stream(hs_stream_t* stream, hs_scratch_t* scratch, match_event_handler on_event,
                           void* context) {
  if (stream == nullptr) return HS_INVALID;
  const std::unique_ptr<hs_stream> owned(stream);
  if (on_event == nullptr || stream->offset == 0) return HS_SUCCESS;
  if (scratch == nullptr) return HS_INVALID;
  // The matches that end where the data ends, '$' and \b read there.
  const uint64_t window_base = stream->offset - stream->tail.size();
  return Report(*stream->db, stream->tail, FirstStart(window_base),
                static_cast<size_t>(stream->reported_to - window_base), stream->tail.size(),
                window_base, scratch, on_event, context);
}

hs_error_t hs_copy_stream(hs_stream_t** to, const hs_stream_t* from) {
  if (from == nullptr) return HS_INVALID;
  *to = new (std::nothrow) hs_stream(*from);
  return *to != nullptr ? HS_SUCCESS : HS_NOMEM;
}

hs_error_t hs_stream_size(const hs_database_t* db, size_t* size) {
  if (db == nullptr) return HS_INVALID;
  *size = sizeof(hs_stream) + db->max_width + 1;
  return HS_SUCCESS;
}
