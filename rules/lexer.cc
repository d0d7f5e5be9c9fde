#include "rules/lexer.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rsockd::rules {
namespace {

constexpr absl::string_view kNoIdentdPrefix = "#NO_IDENTD:";
constexpr absl::string_view kBadIdPrefix = "#BAD_ID:";

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// The trimmed text of `text[start..]` as a token; `start` is a 0-based index
// into the line. When nothing remains, the token is empty and placed at
// `start`.
Token CommandToken(absl::string_view text, size_t start, int line_number) {
  size_t begin = start;
  while (begin < text.size() && IsBlank(text[begin])) ++begin;
  size_t end = text.size();
  while (end > begin && IsBlank(text[end - 1])) --end;
  if (begin == end) begin = end = start;
  return Token{std::string(text.substr(begin, end - begin)), line_number,
               static_cast<int>(begin) + 1};
}

// True for a token that looks like an attempt at an IPv6 address ("::1/",
// "2001:db8::/129"): hex digits, '.', '/', brackets and at least two colons.
bool LooksLikeIPv6(absl::string_view text) {
  return std::count(text.begin(), text.end(), ':') >= 2 &&
         text.find_first_not_of("0123456789abcdefABCDEF:./[]") ==
             absl::string_view::npos;
}

}  // namespace

absl::StatusOr<Line> LexLine(absl::string_view text, int line_number) {
  if (text.size() > kMaxLineLength) {
    return TokenError(
        Token{"", line_number, static_cast<int>(kMaxLineLength) + 1},
        absl::StrCat("line is longer than ", kMaxLineLength, " bytes (",
                     text.size(), ")"));
  }
  Line line;
  line.number = line_number;

  if (absl::StartsWith(text, kNoIdentdPrefix)) {
    line.kind = Line::Kind::kNoIdentd;
    line.command = CommandToken(text, kNoIdentdPrefix.size(), line_number);
    return line;
  }
  if (absl::StartsWith(text, kBadIdPrefix)) {
    line.kind = Line::Kind::kBadId;
    line.command = CommandToken(text, kBadIdPrefix.size(), line_number);
    return line;
  }

  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsBlank(c)) {
      ++i;
      continue;
    }
    if (c == '#') return line;  // Comment to the end of the line.
    if (c == ':' && (i + 1 == text.size() || IsBlank(text[i + 1]))) {
      line.colon_column = static_cast<int>(i) + 1;
      line.command = CommandToken(text, i + 1, line_number);
      return line;
    }
    // A token runs to a blank or a '#'; its colons are its own.
    const size_t start = i;
    while (i < text.size() && !IsBlank(text[i]) && text[i] != '#') ++i;
    line.tokens.push_back(Token{std::string(text.substr(start, i - start)),
                                line_number, static_cast<int>(start) + 1});
  }
  return line;
}

std::vector<absl::StatusOr<Line>> Lex(absl::string_view text) {
  std::vector<absl::StatusOr<Line>> lines;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    lines.push_back(LexLine(text.substr(start, end - start), ++line_number));
    start = end + 1;
  }
  return lines;
}

absl::Status TokenError(const Token& token, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(token.line, ":", token.column, ": ", message));
}

absl::Status CheckHookColon(const Line& line, absl::Status error) {
  for (const Token& token : line.tokens) {
    if (!absl::StrContains(token.text, ':') || LooksLikeIPv6(token.text) ||
        !absl::StartsWith(error.message(),
                          absl::StrCat(token.line, ":", token.column, ": "))) {
      continue;
    }
    return absl::Status(
        error.code(),
        absl::StrCat(error.message(),
                     " (to start a hook command, put a blank before and "
                     "after the ':': \"... : command\")"));
  }
  return error;
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

}  // namespace rsockd::rules
