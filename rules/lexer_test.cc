#include "rules/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace rsockd::rules {

// Readable failure messages for token comparisons.
void PrintTo(const Token& token, std::ostream* os) {
  *os << token.line << ":" << token.column << " " << Quote(token.text);
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Token T(const std::string& text, int line, int column) {
  return Token{text, line, column};
}

Line LexOk(absl::string_view text, int line_number = 1) {
  absl::StatusOr<Line> line = LexLine(text, line_number);
  EXPECT_THAT(line, IsOk());
  return line.ok() ? *line : Line{};
}

TEST(LexerTest, TokensCarryLineAndColumn) {
  const Line line = LexOk("deny *=bonnie 128.12.6.0 255.255.255.0 : logger %u",
                          /*line_number=*/7);
  EXPECT_EQ(line.kind, Line::Kind::kRule);
  EXPECT_EQ(line.number, 7);
  EXPECT_THAT(line.tokens,
              ElementsAre(T("deny", 7, 1), T("*=bonnie", 7, 6),
                          T("128.12.6.0", 7, 15), T("255.255.255.0", 7, 26)));
  ASSERT_TRUE(line.command.has_value());
  EXPECT_EQ(*line.command, T("logger %u", 7, 42));
  EXPECT_EQ(line.colon_column, 40);
}

TEST(LexerTest, TabsAreBlanksOfOneColumn) {
  const Line line = LexOk("\tpermit\t\tALL\t");
  EXPECT_THAT(line.tokens, ElementsAre(T("permit", 1, 2), T("ALL", 1, 10)));
  EXPECT_FALSE(line.command.has_value());
}

TEST(LexerTest, CarriageReturnIsABlank) {
  const Line line = LexOk("permit ALL : hook\r");
  EXPECT_THAT(line.tokens, ElementsAre(T("permit", 1, 1), T("ALL", 1, 8)));
  EXPECT_EQ(line.command->text, "hook");
}

TEST(LexerTest, FirstColonEndsTheRule) {
  const Line line = LexOk("permit ALL : echo a:b : c");
  EXPECT_THAT(line.tokens, ElementsAre(T("permit", 1, 1), T("ALL", 1, 8)));
  ASSERT_TRUE(line.command.has_value());
  EXPECT_EQ(*line.command, T("echo a:b : c", 1, 14));
}

// sockd.conf(5), "Lexical rules": the hook separator is a ':' that begins a
// token and is followed by a blank or the end of the line.
TEST(LexerTest, SeparatorIsAColonBeginningATokenBeforeABlank) {
  EXPECT_EQ(*LexOk("permit ALL\t:\thook").command, T("hook", 1, 14));
  const Line at_end = LexOk("deny ALL :");
  EXPECT_EQ(*at_end.command, T("", 1, 11));
  EXPECT_EQ(at_end.colon_column, 10);
  EXPECT_EQ(LexOk(": hook").colon_column, 1);
  EXPECT_THAT(LexOk(": hook").tokens, IsEmpty());
}

// Any other ':' belongs to its token, so a mistyped IPv6 address is a token
// the parser refuses, never a hook command that drops the rest of the rule.
TEST(LexerTest, OtherColonsBelongToTheirToken) {
  const Line typo = LexOk("permit 127.0.0.0/8 ::1/");
  EXPECT_THAT(
      typo.tokens,
      ElementsAre(T("permit", 1, 1), T("127.0.0.0/8", 1, 8), T("::1/", 1, 20)));
  EXPECT_FALSE(typo.command.has_value());

  EXPECT_THAT(LexOk("permit ALL:hook").tokens,
              ElementsAre(T("permit", 1, 1), T("ALL:hook", 1, 8)));
  EXPECT_THAT(
      LexOk("permit ALL: hook").tokens,
      ElementsAre(T("permit", 1, 1), T("ALL:", 1, 8), T("hook", 1, 13)));
  EXPECT_THAT(
      LexOk("permit ALL :hook").tokens,
      ElementsAre(T("permit", 1, 1), T("ALL", 1, 8), T(":hook", 1, 12)));
  EXPECT_THAT(LexOk("deny 10.0.0.0 255.0.0.0:add").tokens,
              ElementsAre(T("deny", 1, 1), T("10.0.0.0", 1, 6),
                          T("255.0.0.0:add", 1, 15)));
  EXPECT_THAT(LexOk("permit ALL::1").tokens,
              ElementsAre(T("permit", 1, 1), T("ALL::1", 1, 8)));
  for (const char* text : {"permit ALL:hook", "permit ALL: hook",
                           "permit ALL :hook", "permit ::1/"}) {
    EXPECT_FALSE(LexOk(text).command.has_value()) << text;
    EXPECT_EQ(LexOk(text).colon_column, 0) << text;
  }
}

TEST(LexerTest, IPv6WordsKeepTheirColons) {
  const Line line = LexOk("permit 2001:db8::/32 ::1 : hook");
  EXPECT_THAT(line.tokens,
              ElementsAre(T("permit", 1, 1), T("2001:db8::/32", 1, 8),
                          T("::1", 1, 22)));
  EXPECT_EQ(*line.command, T("hook", 1, 28));
}

TEST(LexerTest, BracketedIPv6WordsAreTokens) {
  const Line line = LexOk("permit [2001:db8::]/32 [::1] : hook");
  EXPECT_THAT(line.tokens,
              ElementsAre(T("permit", 1, 1), T("[2001:db8::]/32", 1, 8),
                          T("[::1]", 1, 24)));
  EXPECT_EQ(*line.command, T("hook", 1, 32));
}

TEST(LexerTest, EmptyCommandIsPlacedAfterTheColon) {
  const Line line = LexOk("deny ALL :   ");
  ASSERT_TRUE(line.command.has_value());
  EXPECT_EQ(*line.command, T("", 1, 11));
}

TEST(LexerTest, HashBeforeColonStartsAComment) {
  const Line line = LexOk("permit ALL # not a hook: echo hi");
  EXPECT_THAT(line.tokens, ElementsAre(T("permit", 1, 1), T("ALL", 1, 8)));
  EXPECT_FALSE(line.command.has_value());
}

TEST(LexerTest, HashInsideAWordStartsAComment) {
  const Line line = LexOk("permit ALL#comment");
  EXPECT_THAT(line.tokens, ElementsAre(T("permit", 1, 1), T("ALL", 1, 8)));
}

TEST(LexerTest, HashAfterColonBelongsToTheCommand) {
  const Line line = LexOk("deny ALL : logger '#%u'");
  EXPECT_EQ(line.command->text, "logger '#%u'");
}

TEST(LexerTest, BlankAndCommentLinesAreEmpty) {
  for (const char* text : {"", "   ", "\t", "# comment", "   # indented",
                           "#permit ALL : x", " #NO_IDENTD: x"}) {
    const Line line = LexOk(text);
    EXPECT_TRUE(line.IsEmpty()) << text;
    EXPECT_EQ(line.kind, Line::Kind::kRule) << text;
  }
}

TEST(LexerTest, SpecialLinesKeepTheirCommand) {
  const Line no_identd =
      LexOk("#NO_IDENTD: /usr/bin/logger 'please run identd on %A'", 5);
  EXPECT_EQ(no_identd.kind, Line::Kind::kNoIdentd);
  EXPECT_THAT(no_identd.tokens, IsEmpty());
  ASSERT_TRUE(no_identd.command.has_value());
  EXPECT_EQ(*no_identd.command,
            T("/usr/bin/logger 'please run identd on %A'", 5, 13));
  EXPECT_FALSE(no_identd.IsEmpty());

  const Line bad_id = LexOk("#BAD_ID:logger '%U is not %u' # kept");
  EXPECT_EQ(bad_id.kind, Line::Kind::kBadId);
  EXPECT_EQ(*bad_id.command, T("logger '%U is not %u' # kept", 1, 9));
}

TEST(LexerTest, SpecialPrefixesAreCaseSensitive) {
  EXPECT_TRUE(LexOk("#no_identd: x").IsEmpty());
  EXPECT_TRUE(LexOk("#BAD_ID : x").IsEmpty());
  EXPECT_EQ(LexOk("#BAD_ID:").kind, Line::Kind::kBadId);
  EXPECT_EQ(LexOk("#BAD_ID:").command->text, "");
}

TEST(LexerTest, AcceptsALineOfExactlyTheLimit) {
  std::string text = "permit ALL : ";
  text.append(kMaxLineLength - text.size(), 'x');
  ASSERT_EQ(text.size(), kMaxLineLength);
  const Line line = LexOk(text);
  EXPECT_EQ(line.command->text.size(), kMaxLineLength - 13);
}

TEST(LexerTest, RejectsALineOverTheLimitWithoutSplittingIt) {
  std::string text = "permit ALL : ";
  text.append(kMaxLineLength + 1 - text.size(), 'x');
  EXPECT_THAT(LexLine(text, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "3:4097: line is longer than 4096 bytes (4097)"));
}

TEST(LexerTest, LexNumbersLinesAndKeepsGoingAfterAnError) {
  const std::string text = "permit ALL\n\n" + std::string(5000, 'a') +
                           "\n# c\ndeny ALL";  // No final newline.
  std::vector<absl::StatusOr<Line>> lines = Lex(text);
  ASSERT_EQ(lines.size(), 5u);
  ASSERT_THAT(lines[0], IsOk());
  EXPECT_EQ(lines[0]->number, 1);
  EXPECT_TRUE(lines[1]->IsEmpty());
  EXPECT_EQ(lines[1]->number, 2);
  EXPECT_THAT(lines[2], StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("3:4097: line is longer")));
  EXPECT_TRUE(lines[3]->IsEmpty());
  ASSERT_THAT(lines[4], IsOk());
  EXPECT_THAT(lines[4]->tokens, ElementsAre(T("deny", 5, 1), T("ALL", 5, 6)));
}

TEST(LexerTest, LexOfEmptyTextHasNoLines) {
  EXPECT_THAT(Lex(""), IsEmpty());
  EXPECT_EQ(Lex("\n").size(), 1u);
}

TEST(LexerTest, ServerListsKeepTheirColons) {
  const Line line =
      LexOk("sockd @=10.1.1.1:1080,[::1]:1081,socks5://u:p@h:1080 ALL : hook");
  EXPECT_THAT(
      line.tokens,
      ElementsAre(T("sockd", 1, 1),
                  T("@=10.1.1.1:1080,[::1]:1081,socks5://u:p@h:1080", 1, 7),
                  T("ALL", 1, 54)));
  EXPECT_EQ(*line.command, T("hook", 1, 60));
  EXPECT_THAT(LexOk("sockd@fw1:1080 ALL : hook").tokens,
              ElementsAre(T("sockd@fw1:1080", 1, 1), T("ALL", 1, 16)));
}

TEST(LexerTest, TokenErrorIsLocated) {
  EXPECT_THAT(TokenError(T("x", 3, 14), "bad"),
              StatusIs(absl::StatusCode::kInvalidArgument, "3:14: bad"));
}

TEST(LexerTest, QuoteEscapesUnprintableBytes) {
  EXPECT_EQ(Quote("a\tb\x01\""), "\"a\\tb\\x01\\\"\"");
}

TEST(LexerTest, CursorWalksTokens) {
  const Line line = LexOk("a b");
  TokenCursor cursor(line.tokens);
  ASSERT_FALSE(cursor.AtEnd());
  EXPECT_EQ(cursor.Peek().text, "a");
  EXPECT_EQ(cursor.Next().text, "a");
  EXPECT_EQ(cursor.Previous().text, "a");
  EXPECT_EQ(cursor.Next().text, "b");
  EXPECT_TRUE(cursor.AtEnd());
  EXPECT_EQ(cursor.position(), 2u);
}

}  // namespace
}  // namespace rsockd::rules
