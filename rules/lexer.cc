#include "rules/lexer.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"

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

// True for an IPv6 literal, optionally with a "/n" suffix.
bool IsIPv6Word(absl::string_view word) {
  const absl::string_view address = word.substr(0, word.find('/'));
  if (address.find(':') == absl::string_view::npos) return false;
  if (address.size() < word.size()) {
    const absl::string_view length = word.substr(address.size() + 1);
    if (length.empty() ||
        length.find_first_not_of("0123456789") != absl::string_view::npos) {
      return false;
    }
  }
  return net::IpAddress::Parse(address).has_value();
}

}  // namespace

absl::StatusOr<Line> LexLine(absl::string_view text, int line_number,
                             const LexerOptions& options) {
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
    const size_t start = i;
    // An IPv6 address or CIDR keeps its colons: "::1", "2001:db8::/32".
    size_t word_end = start;
    while (word_end < text.size() && !IsBlank(text[word_end]) &&
           text[word_end] != '#') {
      ++word_end;
    }
    if (IsIPv6Word(text.substr(start, word_end - start))) {
      line.tokens.push_back(
          Token{std::string(text.substr(start, word_end - start)), line_number,
                static_cast<int>(start) + 1});
      i = word_end;
      continue;
    }
    if (c == ':') {
      line.colon_column = static_cast<int>(i) + 1;
      line.command = CommandToken(text, i + 1, line_number);
      return line;
    }
    // Any other word runs to a blank, a '#', or a ':' (unless the word holds
    // a server list and the options say such a ':' is part of it).
    bool server_list = false;
    while (i < text.size()) {
      const char w = text[i];
      if (IsBlank(w) || w == '#') break;
      if (w == '@') server_list = options.colons_in_server_lists;
      if (w == ':' && !server_list) break;
      ++i;
    }
    line.tokens.push_back(Token{std::string(text.substr(start, i - start)),
                                line_number, static_cast<int>(start) + 1});
    if (i < text.size() && text[i] == ':') {
      // Handled here rather than by the next round, which would take a word
      // such as "::1" after "ALL:" for an IPv6 address.
      line.colon_column = static_cast<int>(i) + 1;
      line.command = CommandToken(text, i + 1, line_number);
      return line;
    }
  }
  return line;
}

std::vector<absl::StatusOr<Line>> Lex(absl::string_view text,
                                      const LexerOptions& options) {
  std::vector<absl::StatusOr<Line>> lines;
  int line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    lines.push_back(
        LexLine(text.substr(start, end - start), ++line_number, options));
    start = end + 1;
  }
  return lines;
}

absl::Status TokenError(const Token& token, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(token.line, ":", token.column, ": ", message));
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CHexEscape(text), "\"");
}

}  // namespace rsockd::rules
