#include "rules/user_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::TempPath;
using ::rsockd::testing::WriteTempFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// The list as it follows "*=" at column 10 of line 4.
absl::StatusOr<UserList> ParseList(const std::string& text) {
  return UserList::Parse(Token{text, 4, 10});
}

TEST(UserListTest, EmptyListMatchesEveryUser) {
  ASSERT_OK_AND_ASSIGN(UserList list, ParseList(""));
  EXPECT_TRUE(list.matches_everyone());
  EXPECT_TRUE(list.Matches("anyone"));
  EXPECT_TRUE(list.Matches(""));
  EXPECT_EQ(list.ToString(), "*=");
  EXPECT_EQ(list, UserList());
}

TEST(UserListTest, MatchesExactlyAndCaseSensitively) {
  ASSERT_OK_AND_ASSIGN(UserList list, ParseList("bonnie,clyde"));
  EXPECT_FALSE(list.matches_everyone());
  EXPECT_TRUE(list.Matches("bonnie"));
  EXPECT_TRUE(list.Matches("clyde"));
  EXPECT_FALSE(list.Matches("Clyde"));
  EXPECT_FALSE(list.Matches("clyde2"));
  EXPECT_FALSE(list.Matches("clyd"));
  EXPECT_FALSE(list.Matches(""));
  EXPECT_THAT(list.items(), ElementsAre("bonnie", "clyde"));
  EXPECT_EQ(list.ToString(), "*=bonnie,clyde");
}

TEST(UserListTest, ReadsUserFilesAtParseTime) {
  const std::string path =
      WriteTempFile("users",
                    "# staff\n"
                    "alice bob\tcarol,dave\r\n"
                    "  erin # a comment, frank is not here\n"
                    "#frank\n"
                    "grace#trailing\n"
                    "heidi");
  ASSERT_OK_AND_ASSIGN(UserList list, ParseList("ylee," + path));
  EXPECT_THAT(list.users(),
              UnorderedElementsAre("ylee", "alice", "bob", "carol", "dave",
                                   "erin", "grace", "heidi"));
  EXPECT_FALSE(list.Matches("frank"));
  EXPECT_FALSE(list.Matches("#frank"));
  EXPECT_THAT(list.items(), ElementsAre("ylee", path));
  EXPECT_EQ(list.ToString(), "*=ylee," + path);

  // Read once: changing the file later does not change the parsed list.
  WriteTempFile("users", "mallory\n");
  EXPECT_TRUE(list.Matches("alice"));
  EXPECT_FALSE(list.Matches("mallory"));
}

TEST(UserListTest, FileWithoutIdsMatchesNobody) {
  const std::string path = WriteTempFile("no_users", "# nobody yet\n\n");
  ASSERT_OK_AND_ASSIGN(UserList list, ParseList(path));
  EXPECT_FALSE(list.matches_everyone());
  EXPECT_FALSE(list.Matches("alice"));
  EXPECT_FALSE(list.Matches(""));
}

TEST(UserListTest, UnreadableFileIsAnErrorAtItsItem) {
  const std::string missing = TempPath("missing_users");
  EXPECT_THAT(ParseList("ylee," + missing),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "4:15: user file: cannot read " + missing +
                           ": No such file or directory"));
  EXPECT_THAT(ParseList("/"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("4:10: user file: cannot read /: Is a "
                                 "directory")));
}

TEST(UserListTest, RejectsEmptyItems) {
  EXPECT_THAT(ParseList("a,,b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "4:12: empty item in user list \"a,,b\""));
  EXPECT_THAT(ParseList("a,"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "4:12: empty item in user list \"a,\""));
  EXPECT_THAT(ParseList(","), StatusIs(absl::StatusCode::kInvalidArgument,
                                       "4:10: empty item in user list \",\""));
}

TEST(UserListTest, EqualListsCompareEqual) {
  ASSERT_OK_AND_ASSIGN(UserList a, ParseList("x,y"));
  ASSERT_OK_AND_ASSIGN(UserList b, ParseList("x,y"));
  ASSERT_OK_AND_ASSIGN(UserList c, ParseList("y,x"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c) << "items are kept in order as written";
  EXPECT_THAT(ParseList("x"), IsOk());
}

TEST(UserListTest, FromPartsRebuildsAParsedListWithoutReadingFiles) {
  ASSERT_OK_AND_ASSIGN(UserList parsed, ParseList("x,y"));
  ASSERT_OK_AND_ASSIGN(UserList rebuilt,
                       UserList::FromParts(parsed.items(), parsed.users()));
  EXPECT_EQ(rebuilt, parsed);
  // The file is not read: its users are given.
  ASSERT_OK_AND_ASSIGN(
      UserList from_file,
      UserList::FromParts({"x", "/no/such/file"}, {"x", "filed"}));
  EXPECT_TRUE(from_file.Matches("filed"));
  EXPECT_FALSE(from_file.Matches("y"));
}

TEST(UserListTest, FromPartsRejectsWhatParseCouldNotProduce) {
  EXPECT_THAT(UserList::FromParts({"a,b"}, {"a,b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid user list item")));
  EXPECT_THAT(UserList::FromParts({"a"}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing from the list's user ids")));
  EXPECT_THAT(UserList::FromParts({}, {"stray"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("user ids that no item of the list names")));
  EXPECT_THAT(UserList::FromParts({"/f"}, {"two words"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid user id")));
}

}  // namespace
}  // namespace rsockd::rules
