#include "rules/rule_lines.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"
#include "rules/lexer.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A rule of a made-up file kind: a line of exactly one token.
struct WordRule {
  std::string word;
  int line = 0;

  std::string ToString() const { return word; }
  friend bool operator==(const WordRule&, const WordRule&) = default;
};

absl::StatusOr<WordRule> ParseWordRule(const Line& line) {
  if (line.tokens.size() != 1) {
    return TokenError(line.tokens.empty()
                          ? Token{"", line.number, line.colon_column}
                          : line.tokens[1],
                      "expected one word");
  }
  return WordRule{line.tokens[0].text, line.number};
}

TEST(ParseRuleLinesTest, ParsesRuleLinesInOrderAndSkipsBlanksAndComments) {
  ASSERT_OK_AND_ASSIGN(const std::vector<WordRule> rules,
                       ParseRuleLines<WordRule>("# a comment\n"
                                                "alpha\n"
                                                "\n"
                                                "  beta   # trailing\n",
                                                "w.conf", ParseWordRule));
  EXPECT_THAT(rules, ElementsAre(WordRule{"alpha", 2}, WordRule{"beta", 4}));
}

TEST(ParseRuleLinesTest, ReportsEveryBadLineWithFileLineAndColumn) {
  const std::string long_line(kMaxLineLength + 1, 'x');
  EXPECT_THAT(
      ParseRuleLines<WordRule>(
          absl::StrCat("ok\none two\nfine\n", long_line, "\n: x\n"), "w.conf",
          ParseWordRule),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("w.conf:2:5: expected one word\n"
                            "w.conf:4:",
                            kMaxLineLength + 1, ": line is longer than ",
                            kMaxLineLength, " bytes (", kMaxLineLength + 1,
                            ")\n"
                            "w.conf:5:1: expected one word")));
}

TEST(ParseRuleLinesTest, SpecialLinesGoToTheirHandlerOrAreComments) {
  constexpr char kText[] =
      "#NO_IDENTD: logger no identd\n"
      "alpha\n"
      "#BAD_ID: logger bad id\n";
  std::vector<std::string> special;
  ASSERT_OK_AND_ASSIGN(
      const std::vector<WordRule> rules,
      ParseRuleLines<WordRule>(
          kText, "w.conf", ParseWordRule, [&](const Line& line) {
            special.push_back(
                absl::StrCat(line.number, " ", line.command->text));
          }));
  EXPECT_THAT(rules, ElementsAre(WordRule{"alpha", 2}));
  EXPECT_THAT(special, ElementsAre("1 logger no identd", "3 logger bad id"));

  ASSERT_OK_AND_ASSIGN(
      const std::vector<WordRule> without_handler,
      ParseRuleLines<WordRule>(kText, "w.conf", ParseWordRule));
  EXPECT_THAT(without_handler, ElementsAre(WordRule{"alpha", 2}));
}

// An error at a token holding a ':' advises blanks around a hook separator.
TEST(ParseRuleLinesTest, ErrorsAtATokenWithAColonAdviseBlanks) {
  EXPECT_THAT(
      ParseRuleLines<WordRule>("a:b c\nd e:f\n", "w.conf", ParseWordRule),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "w.conf:1:5: expected one word\n"
               "w.conf:2:3: expected one word (to start a hook command, put "
               "a blank before and after the ':': \"... : command\")"));
}

// A file of WordRules that keeps both special lines.
struct WordFile {
  std::string filename;
  std::vector<WordRule> rules;
  std::string no_identd;
  std::string bad_id;
};

constexpr SpecialLine<WordFile> kWordFileSpecialLines[] = {
    {Line::Kind::kNoIdentd, "#NO_IDENTD:", &WordFile::no_identd},
    {Line::Kind::kBadId, "#BAD_ID:", &WordFile::bad_id},
};

TEST(ParseRuleFileTest, KeepsFileNameRulesAndTheFirstOfEachSpecialLine) {
  ASSERT_OK_AND_ASSIGN(
      const WordFile file,
      ParseRuleFile<WordFile>("#BAD_ID: first bad\n"
                              "alpha\n"
                              "#NO_IDENTD:\n"
                              "#BAD_ID: second bad\n"
                              "#NO_IDENTD: second none\n",
                              "w.conf", ParseWordRule, kWordFileSpecialLines));
  EXPECT_EQ(file.filename, "w.conf");
  EXPECT_THAT(file.rules, ElementsAre(WordRule{"alpha", 2}));
  EXPECT_EQ(file.bad_id, "first bad");
  EXPECT_EQ(file.no_identd, "") << "the first counts, empty or not";
}

TEST(ParseRuleFileTest, WithoutSpecialLinesTheyAreComments) {
  ASSERT_OK_AND_ASSIGN(const WordFile file,
                       ParseRuleFile<WordFile>("#BAD_ID: bad\nalpha\n",
                                               "w.conf", ParseWordRule));
  EXPECT_THAT(file.rules, ElementsAre(WordRule{"alpha", 2}));
  EXPECT_THAT(file.bad_id, IsEmpty());
}

TEST(ParseRuleFileTest, ReportsTheLineErrors) {
  EXPECT_THAT(ParseRuleFile<WordFile>("one two\n", "w.conf", ParseWordRule),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "w.conf:1:5: expected one word"));
}

TEST(FormatRuleFileTest, WritesOneRulePerLineThenTheSetSpecialLines) {
  const WordFile file{.filename = "w.conf",
                      .rules = {{"alpha", 1}, {"beta", 2}},
                      .no_identd = "",
                      .bad_id = "logger bad"};
  EXPECT_EQ(FormatRuleFile(file, kWordFileSpecialLines),
            "alpha\nbeta\n#BAD_ID: logger bad\n");
  EXPECT_EQ(FormatRuleFile(file), "alpha\nbeta\n");
  EXPECT_THAT(FormatRuleFile(WordFile()), IsEmpty());
}

TEST(FormatRuleFileTest, TheDumpParsesBackToTheSameFile) {
  const WordFile file{.filename = "w.conf",
                      .rules = {{"alpha", 1}, {"beta", 2}},
                      .no_identd = "logger none %A",
                      .bad_id = "logger bad"};
  ASSERT_OK_AND_ASSIGN(
      const WordFile parsed,
      ParseRuleFile<WordFile>(FormatRuleFile(file, kWordFileSpecialLines),
                              "w.conf", ParseWordRule, kWordFileSpecialLines));
  EXPECT_EQ(parsed.rules, file.rules);
  EXPECT_EQ(parsed.no_identd, file.no_identd);
  EXPECT_EQ(parsed.bad_id, file.bad_id);
}

TEST(CheckHasKeywordTest, ALineOfOnlyACommandLacksItsKeyword) {
  ASSERT_OK_AND_ASSIGN(const Line command_only, LexLine("  : logger x", 3));
  EXPECT_THAT(CheckHasKeyword(command_only, "permit or deny"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "3:3: missing permit or deny before ':'"));
  ASSERT_OK_AND_ASSIGN(const Line rule, LexLine("permit ALL : logger x", 3));
  EXPECT_THAT(CheckHasKeyword(rule, "permit or deny"), IsOk());
}

TEST(CheckNormalizedLengthTest, TheLimitIsTheLineLimit) {
  EXPECT_THAT(CheckNormalizedLength(WordRule{std::string(kMaxLineLength, 'w')}),
              IsOk());
  EXPECT_THAT(
      CheckNormalizedLength(WordRule{std::string(kMaxLineLength + 1, 'w')}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("the rule is ", kMaxLineLength + 1,
                            " bytes once normalized, more than a line may "
                            "hold (",
                            kMaxLineLength, "): split it into several rules")));
}

// A rule that parses but whose normalized line would not fit is reported at
// its line, column 1, with the other errors.
TEST(ParseRuleLinesTest, RefusesARuleTooLongOnceNormalized) {
  const auto doubling = [](const Line& line) -> absl::StatusOr<WordRule> {
    RSOCKD_ASSIGN_OR_RETURN(WordRule rule, ParseWordRule(line));
    rule.word += rule.word;  // what normalizing can do to a rule
    return rule;
  };
  const std::string half(kMaxLineLength / 2 + 1, 'h');
  EXPECT_THAT(ParseRuleLines<WordRule>(absl::StrCat("ok\n", half, "\n"),
                                       "w.conf", doubling),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith("w.conf:2:1: the rule is ")));
}

TEST(FileErrorsTest, NoErrorIsOk) {
  EXPECT_THAT(FileErrors("w.conf").ToStatus(), IsOk());
}

TEST(FileErrorsTest, ListsEveryErrorInTheOrderAddedPrefixedByTheFile) {
  FileErrors errors("w.conf");
  errors.Add(TokenError(Token{"x", 2, 5}, "first"));
  errors.Add(TokenError(Token{"y", 1, 1}, "second"));
  EXPECT_THAT(errors.ToStatus(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "w.conf:2:5: first\nw.conf:1:1: second"));
}

}  // namespace
}  // namespace rsockd::rules
