// This file defines what the rule-file parsers share (sockd.conf,
// socks.conf, sockd.route), so that each supplies only its line parser and
// its special lines:
//
//   - `ParseRuleLines()` lexes a file's text (lexer.h), parses every line
//     that holds a rule, and reports the bad lines together;
//   - `ParseRuleFile()` makes a whole parsed file of it: the file name, the
//     rules, and the commands of the special lines the file keeps
//     (`SpecialLine`: sockd.conf's `#NO_IDENTD:` and `#BAD_ID:`);
//   - `FormatRuleFile()` is the matching normalized dump;
//   - `FileErrors` collects a file's errors and reports them together, for
//     these parsers and for the files that are not rule files but follow
//     the same lexical rules (the password file, password_file.h).
//
// A parsed file is a struct with a `filename`, a vector of `rules` and, for
// each of its special lines, a string field for the command.
//
// Errors
//
// Parsing is strict (docs/sockd_conf.md#grammar): every malformed line is an
// error, and one error rejects the whole file, because a silently dropped
// `deny` line would open access. The errors of all the bad lines are reported
// together in one InvalidArgument status, one per line of its message, each
// `file:line:col: message` and in file order. For each bad line only its
// first error is reported: later tokens of a line that is already wrong would
// likely be misread.
//
// Example (sockd.route's parser):
//
//   return ParseRuleFile<SockdRoute>(text, filename, ParseRule);
//
// Plain functions over their arguments: thread-compatible.

#ifndef RSOCKD_RULES_RULE_LINES_H_
#define RSOCKD_RULES_RULE_LINES_H_

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rsockd/base/status_macros.h"
#include "rules/lexer.h"

namespace rsockd::rules {

// The rule type of a parsed file `Conf`.
template <typename Conf>
using RuleOf = typename decltype(Conf::rules)::value_type;

// SpecialLine
//
// A special line that a file `Conf` keeps: its kind, its prefix as a dump
// writes it ("#NO_IDENTD:"), and the field of `Conf` that holds its command.
// The first line of each kind counts; an empty command is not dumped. The
// files that keep none take the special lines for comments.
template <typename Conf>
struct SpecialLine {
  Line::Kind kind;
  absl::string_view prefix;
  std::string Conf::*command;
};

// IgnoreSpecialLine()
//
// The default handler of special lines for ParseRuleLines: comments.
inline void IgnoreSpecialLine(const Line&) {}

// CheckHasKeyword()
//
// A rule line that is only a hook command (`: logger ...`) has no keyword:
// the error "missing <keywords> before ':'" at the ':'. OK for a line with
// words.
inline absl::Status CheckHasKeyword(const Line& line,
                                    absl::string_view keywords) {
  if (!line.tokens.empty()) return absl::OkStatus();
  return TokenError(Token{"", line.number, line.colon_column},
                    absl::StrCat("missing ", keywords, " before ':'"));
}

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

// FileErrors
//
// The errors of one file, in the order they are added (file order), reported
// together as described under "Errors" above.
//
//   FileErrors errors(filename);
//   errors.Add(TokenError(token, "unknown keyword"));  // "line:col: ..."
//   RSOCKD_RETURN_IF_ERROR(errors.ToStatus());
class FileErrors {
 public:
  explicit FileErrors(absl::string_view filename) : filename_(filename) {}

  // Adds `error`, whose message is located "line:col: message" (as
  // TokenError and the lexer make them), as "`filename`:line:col: message".
  void Add(const absl::Status& error) {
    errors_.push_back(absl::StrCat(filename_, ":", error.message()));
  }

  // OK when no error was added; otherwise InvalidArgument listing every
  // error, one per line of the message.
  absl::Status ToStatus() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

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
  FileErrors errors(filename);
  for (absl::StatusOr<Line>& lexed : Lex(text)) {
    if (!lexed.ok()) {
      errors.Add(lexed.status());
      continue;
    }
    if (lexed->kind != Line::Kind::kRule) {
      on_special_line(*lexed);
      continue;
    }
    if (lexed->IsEmpty()) continue;
    absl::StatusOr<Rule> rule = parse_rule(*lexed);
    if (!rule.ok()) {
      errors.Add(CheckHookColon(*lexed, rule.status()));
      continue;
    }
    if (absl::Status length = CheckNormalizedLength(*rule); !length.ok()) {
      errors.Add(TokenError(Token{"", lexed->number, 1}, length.message()));
      continue;
    }
    rules.push_back(*std::move(rule));
  }
  RSOCKD_RETURN_IF_ERROR(errors.ToStatus());
  return rules;
}

// ParseRuleFile()
//
// The file `Conf` with `filename`, the rules of ParseRuleLines, and the
// commands of `special_lines`; or ParseRuleLines' error. `Conf` is named by
// the caller: `ParseRuleFile<SockdConf>(...)`.
template <typename Conf>
absl::StatusOr<Conf> ParseRuleFile(
    absl::string_view text, absl::string_view filename,
    absl::FunctionRef<absl::StatusOr<RuleOf<Conf>>(const Line&)> parse_rule,
    absl::Span<const SpecialLine<Conf>> special_lines = {}) {
  Conf conf;
  conf.filename = std::string(filename);
  std::vector<bool> seen(special_lines.size());
  const auto on_special_line = [&](const Line& line) {
    for (size_t i = 0; i < special_lines.size(); ++i) {
      if (special_lines[i].kind != line.kind || seen[i]) continue;
      seen[i] = true;
      conf.*special_lines[i].command = line.command->text;
    }
  };
  RSOCKD_ASSIGN_OR_RETURN(
      conf.rules, ParseRuleLines<RuleOf<Conf>>(text, filename, parse_rule,
                                               on_special_line));
  return conf;
}

// FormatRuleFile()
//
// A normalized dump of `conf`: one `rule.ToString()` per line, then the
// special lines whose command is set, "<prefix> <command>", each line ending
// in '\n'. Parsing it with the same special lines gives equal rules and
// commands (line numbers may differ).
template <typename Conf>
std::string FormatRuleFile(
    const Conf& conf, absl::Span<const SpecialLine<std::type_identity_t<Conf>>>
                          special_lines = {}) {
  std::string text;
  for (const RuleOf<Conf>& rule : conf.rules) {
    absl::StrAppend(&text, rule.ToString(), "\n");
  }
  for (const SpecialLine<Conf>& special : special_lines) {
    const std::string& command = conf.*special.command;
    if (!command.empty()) {
      absl::StrAppend(&text, special.prefix, " ", command, "\n");
    }
  }
  return text;
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_LINES_H_
