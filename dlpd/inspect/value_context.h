// Whether a value that needs context (rules/rule.h, ContextSpec) has it:
// one of its rule's keywords in its label, its CSV column's header, or the
// bytes before it on its line. What a person reading the page or the
// export would take the number for, read from the decoded text the
// application sees.
//
// A value with a label of its own (a JSON key, a form field's or an
// <input>'s name, its table row's header cell, a multipart part's name, a
// CSV column's header) is judged by that label alone: {"has_ssn": true,
// "order_id": "536221457"} holds no SSN. Free text ("SSN of applicant:
// 536221457") is judged by the bytes before the value on its line: a
// keyword ending one line never makes the next line's first number a value.
//
// Hand-written: the label is found by reading a few structures backwards
// from the value (no parser reads a JSON key, an HTML cell or a form field
// from an arbitrary point inside a stream). Bounded by kLabelReach bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rule.h"

namespace dlp {

class ColumnTracker;
class CompiledRuleset;
class KeywordMemo;
class KeywordSet;

struct ValueLabel {
  enum class Kind {
    kNone,      // free text: the bytes before the value decide
    kJsonKey,   // "key": value, "key": [..., value]
    kField,     // name=value (form, query string)
    kTag,       // <input name="..." value="value">: the tag's attributes
    kCell,      // <th>label</th><td>value: the text of the cell before
    kPartName,  // a multipart part's Content-Disposition name
  };
  Kind kind = Kind::kNone;
  std::string_view text;
};

// The label of the value that begins at text[at], read from text[0, at).
ValueLabel LabelOf(std::string_view text, size_t at);

// The free text a value at text[at] is judged by: the `n` bytes before it
// on its own line (a line ends at '\n' or at the normalizer's boundary
// byte '\0'), from the start of the word the first of them is in (a word
// ends at ' ' or '\n'), within kLabelReach bytes of `at`.
// REQUIRES: at <= text.size().
std::string_view LineBefore(std::string_view text, size_t at, size_t n);

// The surroundings of one value of rule `rule` beginning at text[at]
// (text's first byte at stream offset `text_base`), each read once when
// first asked: its label and its CSV column. A value's verdict asks for
// its context and then for its exclusions; both read the same label.
// `columns` may be null (no CSV header seen); `memo` too (each keyword
// question judged in full). Holds views of `text`.
class ValueSurroundings {
 public:
  ValueSurroundings(const CompiledRuleset& rules, uint32_t rule, std::string_view text, size_t at,
                    uint64_t text_base, const ColumnTracker* columns, KeywordMemo* memo = nullptr)
      : rules_(rules),
        rule_(rule),
        text_(text),
        at_(at),
        text_base_(text_base),
        columns_(columns),
        memo_(memo) {}

  // Whether the value has its context.
  bool HasContext();
  // Whether the value's own label (or CSV column) names another kind of
  // number (the rule's `exclude` words, and none of its keywords).
  bool LabelExcludes();

 private:
  const ValueLabel& Label();
  // The value's CSV column's answer; kNoTable without a tracker.
  int Column();
  // keywords.FoundIn(text), through the memo when there is one.
  bool Found(const KeywordSet& keywords, std::string_view text);

  const CompiledRuleset& rules_;
  uint32_t rule_;
  std::string_view text_;
  size_t at_;
  uint64_t text_base_;
  const ColumnTracker* columns_;
  KeywordMemo* memo_;
  ValueLabel label_;
  bool have_label_ = false;
  int column_ = -1;  // a ColumnTracker::Answer once read
};

// The same for one question about one value.
inline bool HasContext(const CompiledRuleset& rules, uint32_t rule, std::string_view text,
                       size_t at, uint64_t text_base, const ColumnTracker* columns) {
  return ValueSurroundings(rules, rule, text, at, text_base, columns).HasContext();
}
inline bool LabelExcludes(const CompiledRuleset& rules, uint32_t rule, std::string_view text,
                          size_t at, uint64_t text_base, const ColumnTracker* columns) {
  return ValueSurroundings(rules, rule, text, at, text_base, columns).LabelExcludes();
}

}  // namespace dlp
