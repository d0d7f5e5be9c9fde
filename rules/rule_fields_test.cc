#include "rules/rule_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/lexer.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;

std::vector<Token> Tokens(absl::string_view text) {
  absl::StatusOr<Line> line = LexLine(text, 1);
  EXPECT_THAT(line.status(), IsOk());
  return line.ok() ? line->tokens : std::vector<Token>();
}

// Reads the fields after the first token of `text`; each parsed field is
// recorded as "name value@column".
absl::Status ReadFields(absl::string_view text, RuleFields& fields,
                        std::vector<std::string>* parsed,
                        std::string* next = nullptr) {
  const std::vector<Token> tokens = Tokens(text);
  TokenCursor cursor(tokens);
  cursor.Next();
  absl::Status status =
      fields.Parse(&cursor,
                   [&](absl::string_view name, const Token& field,
                       const Token& value) -> absl::Status {
                     if (value.text == "bad")
                       return TokenError(value, "bad value");
                     parsed->push_back(absl::StrCat(name, " ", value.text, "@",
                                                    value.column));
                     return absl::OkStatus();
                   });
  if (next != nullptr && !cursor.AtEnd()) *next = cursor.Peek().text;
  return status;
}

TEST(RuleFieldsTest, ReadsFieldsInAnyOrderUntilAnotherToken) {
  RuleFields fields({"?=", "*="});
  std::vector<std::string> parsed;
  std::string next;
  EXPECT_THAT(ReadFields("permit *=ylee ?=I 10.0.0.1", fields, &parsed, &next),
              IsOk());
  EXPECT_THAT(parsed, ElementsAre("*= ylee@10", "?= I@17"));
  EXPECT_EQ(next, "10.0.0.1");
  EXPECT_TRUE(fields.IsField(Token{"?=n", 1, 30}));
  EXPECT_FALSE(fields.IsField(Token{"@=fw", 1, 30}));
}

TEST(RuleFieldsTest, ARepeatedFieldIsAnErrorAtItsColumn) {
  RuleFields fields({"?=", "*="});
  std::vector<std::string> parsed;
  EXPECT_THAT(ReadFields("permit *=a ?=I *=b ALL", fields, &parsed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:16: duplicated field \"*=\" (first at column 8)"));
  EXPECT_THAT(fields.CheckNotGiven(Token{"?=i", 1, 40}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:40: duplicated field \"?=\" (first at column 12)"));
}

TEST(RuleFieldsTest, AFieldGivenElsewhereCountsAsGiven) {
  RuleFields fields({"@=", "*="});
  fields.Give("@=", Token{"sockd@fw", 1, 1});
  std::vector<std::string> parsed;
  EXPECT_THAT(ReadFields("sockd@fw @=fw2 ALL", fields, &parsed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:10: duplicated field \"@=\" (first at column 1)"));
  EXPECT_THAT(fields.CheckNotGiven(Token{"*=x", 1, 20}), IsOk());
}

TEST(RuleFieldsTest, MisplacedSaysWhereTheFieldBelongs) {
  EXPECT_THAT(RuleFields::Misplaced(Token{"*=x", 1, 16}, "the source address"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "1:16: field \"*=x\" must come before the source "
                       "address"));
}

TEST(RuleFieldsTest, StopsAtTheFirstErrorOfTheParser) {
  RuleFields fields({"?=", "*="});
  std::vector<std::string> parsed;
  EXPECT_THAT(ReadFields("permit *=bad ?=I ALL", fields, &parsed),
              StatusIs(absl::StatusCode::kInvalidArgument, "1:10: bad value"));
  EXPECT_TRUE(parsed.empty());
}

}  // namespace
}  // namespace rsockd::rules
