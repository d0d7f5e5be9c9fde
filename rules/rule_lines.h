// This file defines the line loop that the rule-file parsers share
// (sockd.conf, socks.conf, sockd.route): `ParseRuleLines()` lexes a file's
// text (lexer.h), parses every line that holds a rule, and reports the bad
// lines together; `FormatRuleLines()` is the matching dump, one rule per
// line.
//
// Errors
//
// Parsing is strict (SPEC §4.2): every malformed line is an error, and one
// error rejects the whole file, because a silently dropped `deny` line would
// open access. The errors of all the bad lines are reported together in one
// InvalidArgument status, one per line of its message, each
// `file:line:col: message` and in file order. For each bad line only its
// first error is reported: later tokens of a line that is already wrong would
// likely be misread.
//
// Example (sockd.route's parser):
//
//   RSOCKD_ASSIGN_OR_RETURN(route.rules,
//                    ParseRuleLines<RouteRule>(text, filename, ParseRule));
//
// Plain functions over their arguments: thread-compatible.

#ifndef RSOCKD_RULES_RULE_LINES_H_
#define RSOCKD_RULES_RULE_LINES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "rules/lexer.h"

namespace rsockd::rules {

// IgnoreSpecialLine()
//
// The default handler of the sockd.conf special lines (`#NO_IDENTD:`,
// `#BAD_ID:`): in the other rule files they are comments.
inline void IgnoreSpecialLine(const Line&) {}

// CheckNormalizedLength()
//
// OK when `rule.ToString()`, the line a dump prints for it, fits in a line
// (kMaxLineLength), so that every accepted rule can be dumped and read back.
// Normalizing can lengthen a rule: each upstream server written without a
// port gains one (`fw` -> `fw:1080`), so a long server list that fits as
// written may not fit once normalized; such a rule is refused, not dumped as
// a line no parser takes.
template <typename Rule>
absl::Status CheckNormalizedLength(const Rule& rule) {
  const size_t length = rule.ToString().size();
  if (length <= kMaxLineLength) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the rule is ", length,
                   " bytes once normalized, more than a line may "
                   "hold (",
                   kMaxLineLength, "): split it into several rules"));
}

// ParseRuleLines()
//
// Lexes `text` and, in file order, calls `on_special_line`
// for each special line (`Line::Kind` other than `kRule`) and `parse_rule`
// for each other line that is not blank or a comment only. Returns the rules
// in file order, or, when a line fails to lex, `parse_rule` fails on it or
// its rule fails CheckNormalizedLength (reported at column 1),
// InvalidArgument listing every such error as "`filename`:" followed by the
// error's message ("line:col: message"), one per line. An error at a token
// holding a ':' gets CheckHookColon's advice.
//
// `Rule` is named by the caller: `ParseRuleLines<SockdRule>(...)`.
template <typename Rule>
absl::StatusOr<std::vector<Rule>> ParseRuleLines(
    absl::string_view text, absl::string_view filename,
    absl::FunctionRef<absl::StatusOr<Rule>(const Line&)> parse_rule,
    absl::FunctionRef<void(const Line&)> on_special_line = IgnoreSpecialLine) {
  std::vector<Rule> rules;
  std::vector<std::string> errors;
  for (absl::StatusOr<Line>& lexed : Lex(text)) {
    if (!lexed.ok()) {
      errors.push_back(absl::StrCat(filename, ":", lexed.status().message()));
      continue;
    }
    if (lexed->kind != Line::Kind::kRule) {
      on_special_line(*lexed);
      continue;
    }
    if (lexed->IsEmpty()) continue;
    absl::StatusOr<Rule> rule = parse_rule(*lexed);
    if (!rule.ok()) {
      errors.push_back(absl::StrCat(
          filename, ":", CheckHookColon(*lexed, rule.status()).message()));
      continue;
    }
    if (absl::Status length = CheckNormalizedLength(*rule); !length.ok()) {
      errors.push_back(
          absl::StrCat(filename, ":", lexed->number, ":1: ", length.message()));
      continue;
    }
    rules.push_back(*std::move(rule));
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return rules;
}

// FormatRuleLines()
//
// One `rule.ToString()` per line, each ending in '\n': the rules part of a
// normalized dump, which parses back to equal rules (line numbers may
// differ).
template <typename Rule>
std::string FormatRuleLines(const std::vector<Rule>& rules) {
  std::string text;
  for (const Rule& rule : rules) {
    absl::StrAppend(&text, rule.ToString(), "\n");
  }
  return text;
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_LINES_H_
