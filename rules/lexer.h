// This file defines the lexer shared by the rule files (sockd.conf,
// socks.conf and sockd.route): it splits config text into lines and each line
// into tokens, recording the 1-based line and column of every token so that
// the parsers can report errors as `file:line:col: message`.
//
// Lexical rules (sockd.conf(5), "Lexical rules"):
//
//   * Lines end at '\n'. A line may hold up to `kMaxLineLength` bytes (not
//     counting the newline); a longer line is an error, never split.
//   * Tabs (and '\r', '\v', '\f') are blanks. Columns count bytes, so a tab
//     is one column.
//   * The hook separator is a ':' that begins a token (at the start of the
//     line or after blanks) and is followed by a blank or the end of the
//     line; the rest of the line, trimmed of blanks, is the hook command. A
//     '#' before the separator starts a comment that runs to the end of the
//     line (so the line then has no command).
//   * Any other ':' belongs to its token: IPv6 literals (`::1`,
//     `2001:db8::/32`, `[2001:db8::]/32`), socks.conf server lists
//     (`@=10.1.1.1:1080`, `sockd@fw:1080`). So a mistyped address such as
//     `::1/`, or a classic `ALL:command` without blanks, is a token that the
//     parsers refuse at its column, never a hook command that silently
//     shortens the rule (`CheckHookColon` words such errors).
//   * A line whose first bytes (column 1) are `#NO_IDENTD:` or `#BAD_ID:` is
//     a special line; its command text is kept. Any other line starting with
//     '#' is a comment.
//
//   Example:    `deny *=bonnie 128.12.6.0 255.255.255.0 : logger %u`
//   gives       tokens "deny"@1, "*=bonnie"@6, "128.12.6.0"@15,
//               "255.255.255.0"@26, command "logger %u"@42.
//
// Errors
//
// Errors from the lexer and from the token parsers built on it (address,
// port and user list specs) are `absl::StatusCode::kInvalidArgument` with a
// message of the form `line:col: message`. The file parsers prefix the file
// name, giving `file:line:col: message`.
//
// Everything here is a plain value or a pure function: thread-compatible.

#ifndef RSOCKD_RULES_LEXER_H_
#define RSOCKD_RULES_LEXER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rsockd::rules {

// Longest accepted line, in bytes, not counting the newline.
inline constexpr size_t kMaxLineLength = 4096;

// Token
//
// One blank-separated word of a line (or a hook command), with where it
// starts: 1-based line and byte column.
struct Token {
  std::string text;
  int line = 0;
  int column = 0;

  friend bool operator==(const Token&, const Token&) = default;
};

// Line
//
// One lexed line. A blank or comment line has no tokens and no command.
struct Line {
  enum class Kind {
    kRule,      // An ordinary line (possibly blank or a comment).
    kNoIdentd,  // `#NO_IDENTD: command`
    kBadId,     // `#BAD_ID: command`
  };

  Kind kind = Kind::kRule;
  int number = 0;  // 1-based.
  // The rule's words; always empty for the special kinds.
  std::vector<Token> tokens;
  // The text after the hook separator (or after the special prefix),
  // trimmed, with the column where it starts (the column after the ':' when
  // empty). Absent when the line has no separator before any comment.
  std::optional<Token> command;
  // Column of the hook separator; 0 for a line without one and for the
  // special kinds.
  int colon_column = 0;

  // True for a line that carries nothing: blank or comment only.
  bool IsEmpty() const {
    return kind == Kind::kRule && tokens.empty() && !command.has_value();
  }
};

// LexLine()
//
// Lexes one line's text (without its newline) as line number `line_number`.
// Fails only for a line longer than `kMaxLineLength`.
absl::StatusOr<Line> LexLine(absl::string_view text, int line_number);

// Lex()
//
// Splits `text` at '\n' and lexes every line, in order, one result per line
// (a final line without a newline counts; an empty text has no lines). Bad
// lines do not stop the lexer, so a parser can report every error.
std::vector<absl::StatusOr<Line>> Lex(absl::string_view text);

// TokenError()
//
// An InvalidArgument error located at `token`: "line:col: message".
absl::Status TokenError(const Token& token, absl::string_view message);

// CheckHookColon()
//
// `error` is a parser's error for `line`. When it is located at the start of
// a token holding a ':' (`ALL:logger`, `:logger`), returns it with advice to
// put blanks around a ':' meant to start a hook command; otherwise, and for
// a token that looks like a mistyped IPv6 address (`::1/`), returns it
// unchanged.
absl::Status CheckHookColon(const Line& line, absl::Status error);

// Quote()
//
// `text` in double quotes with C escapes for unprintable bytes, for use in
// error messages: Quote("a\tb") is "\"a\\tb\"".
std::string Quote(absl::string_view text);

// TokenCursor
//
// A read position over the tokens of one line, used by the token parsers.
// Does not own the tokens: they must outlive the cursor.
class TokenCursor {
 public:
  explicit TokenCursor(absl::Span<const Token> tokens) : tokens_(tokens) {}

  bool AtEnd() const { return next_ >= tokens_.size(); }
  // The next token. Requires !AtEnd().
  const Token& Peek() const { return tokens_[next_]; }
  // Returns the next token and moves past it. Requires !AtEnd().
  const Token& Next() { return tokens_[next_++]; }
  // The most recently consumed token. Requires that one was consumed.
  const Token& Previous() const { return tokens_[next_ - 1]; }
  size_t position() const { return next_; }

 private:
  absl::Span<const Token> tokens_;
  size_t next_ = 0;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_LEXER_H_
