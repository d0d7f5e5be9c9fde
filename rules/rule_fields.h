// This file defines `RuleFields`, the fields that may follow the keyword of
// a sockd.conf or socks.conf rule: `?=I`, `*=bonnie,clyde`, `@=fw:1080`,
// each a two-character name and its value in one token, in any order, each
// at most once. The rule parsers name their fields and say what each value
// means; RuleFields reads them and words a repeated field the same way in
// both files:
//
//   RuleFields fields({"?=", "*="});
//   RSOCKD_RETURN_IF_ERROR(fields.Parse(
//       &cursor, [&](absl::string_view name, const Token& field,
//                    const Token& value) -> absl::Status { ... }));
//
// A value, copyable; thread-compatible.

#ifndef RSOCKD_RULES_RULE_FIELDS_H_
#define RSOCKD_RULES_RULE_FIELDS_H_

#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rules/lexer.h"

namespace rsockd::rules {

class RuleFields {
 public:
  // `names` are the fields' two-character names ("?=", "*="); they must
  // outlive this object (string literals do).
  explicit RuleFields(std::initializer_list<absl::string_view> names);

  // Whether `token` is one of the fields: it starts with one of the names.
  bool IsField(const Token& token) const;

  // Records the field `name` as given at `token`, as Parse does for a field
  // token (socks.conf's `sockd@fw` gives the `@=` field in its keyword).
  void Give(absl::string_view name, const Token& token);

  // Reads the fields at `cursor`, as long as the next token is one: fails
  // for a field given before ("duplicated field \"*=\" (first at column
  // 6)"), else records it and calls `parse(name, field, value)`, `value`
  // being the token of the text after the name. Stops at the first error
  // of `parse`.
  absl::Status Parse(
      TokenCursor* cursor,
      absl::FunctionRef<absl::Status(absl::string_view name, const Token& field,
                                     const Token& value)>
          parse);

  // For a field token: the "duplicated field" error when its field was
  // given before, else OK.
  absl::Status CheckNotGiven(const Token& token) const;

  // The error for a field token found where no field may be: "field
  // \"*=x\" must come before `place`" ("the source address").
  static absl::Status Misplaced(const Token& token, absl::string_view place);

 private:
  // The entry of the field `token` is, or null.
  const std::pair<absl::string_view, std::optional<Token>>* Find(
      const Token& token) const;

  // Each name, with where it was given.
  std::vector<std::pair<absl::string_view, std::optional<Token>>> fields_;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_FIELDS_H_
