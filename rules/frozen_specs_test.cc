#include "rules/frozen_specs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"
#include "rules/frozen_io.h"
#include "rules/lexer.h"
#include "rules/rule_lines.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string FrozenAddress(const AddressSpec& spec) {
  FrozenWriter writer;
  FreezeAddressSpec(spec, &writer);
  return writer.payload();
}

absl::StatusOr<AddressSpec> ThawAddress(absl::string_view bytes) {
  FrozenReader reader(bytes);
  absl::StatusOr<AddressSpec> spec = ThawAddressSpec(&reader, "source");
  if (spec.ok()) {
    EXPECT_THAT(reader.ExpectEnd(), IsOk());
  }
  return spec;
}

std::string HostBytes(int kind, absl::string_view name) {
  FrozenWriter writer;
  writer.U8(static_cast<uint8_t>(kind));
  writer.String(name);
  return writer.payload();
}

TEST(FrozenAddressSpecTest, EveryFormRoundTrips) {
  for (const char* text :
       {"ALL", "128.12.6.0 255.255.255.0", "10.1.2.3 255.0.255.0", "10.0.0.0/8",
        "0.0.0.0/0", "1.2.3.4/32", "2001:db8::/32", "::1", "::ffff:1.2.3.4/96",
        "www.example.org", ".example.org", ".a.b-c.d"}) {
    ASSERT_OK_AND_ASSIGN(const AddressSpec spec, AddressSpec::ParseText(text));
    ASSERT_OK_AND_ASSIGN(const AddressSpec thawed,
                         ThawAddress(FrozenAddress(spec)));
    EXPECT_EQ(thawed, spec) << text;
    EXPECT_EQ(thawed.ToString(), spec.ToString());
  }
}

TEST(FrozenAddressSpecTest, LayoutIsKindThenFixedFields) {
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText("ALL")), Bytes({0}));
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText("128.12.6.0 255.255.0.0")),
            Bytes({1, 128, 12, 6, 0, 255, 255, 0, 0}));
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText("10.0.0.0/8")),
            Bytes({2, 10, 0, 0, 0, 8}));
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText("::1")),
            Bytes({3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 128}));
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText(".Example.ORG")),
            Bytes({5, 11, 0, 0, 0, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o',
                   'r', 'g'}));
}

TEST(FrozenAddressSpecTest, RejectsUnknownKindsAndPrefixLengths) {
  EXPECT_THAT(ThawAddress(Bytes({6})),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 16: source: unknown address kind 6"));
  EXPECT_THAT(ThawAddress(Bytes({2, 10, 0, 0, 0, 33})),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 21: source: prefix length 33 is more than 32"));
  std::string ipv6 = FrozenAddress(*AddressSpec::ParseText("::1"));
  ipv6.back() = static_cast<char>(129);
  EXPECT_THAT(ThawAddress(ipv6), StatusIs(absl::StatusCode::kDataLoss,
                                          HasSubstr("129 is more than 128")));
  EXPECT_THAT(ThawAddress(Bytes({1, 10, 0, 0})),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

// The parser reads a mapped address as IPv4, so the freezer stores it so;
// bytes holding one as IPv6 were not written by it.
TEST(FrozenAddressSpecTest, RejectsMappedAddressesStoredAsIPv6) {
  EXPECT_EQ(FrozenAddress(*AddressSpec::ParseText("::ffff:10.0.0.0/104")),
            Bytes({2, 10, 0, 0, 0, 8}));
  EXPECT_THAT(ThawAddress(Bytes({3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                 10, 0, 0, 0, 104})),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 17: source: an IPv4-mapped address stored as "
                       "IPv6"));
  const std::string interface =
      Bytes({6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1});
  FrozenReader reader(interface);
  EXPECT_THAT(ThawIpAddress(&reader, "interface"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("an IPv4-mapped address stored as IPv6")));
}

TEST(FrozenAddressSpecTest, RejectsNamesTheParserWouldNotProduce) {
  for (const char* bad :
       {"", "UPPER.example", "all", "eq", "10.1.2.3", "a..b", "-a.example",
        "a.example.", "a b", "a:b", "a#b", "host.123"}) {
    EXPECT_THAT(ThawAddress(HostBytes(4, bad)),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("source: invalid host name")))
        << bad;
  }
  EXPECT_THAT(ThawAddress(HostBytes(5, ".example")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("invalid zone")));
  EXPECT_THAT(ThawAddress(HostBytes(4, std::string(254, 'a'))),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("length 254 is more than the 253 allowed")));
  EXPECT_THAT(ThawAddress(HostBytes(4, "ok.example")), IsOk());
}

TEST(FrozenPortSpecTest, EveryOperatorRoundTrips) {
  for (const char* text :
       {"eq 23", "neq 0", "lt 1024", "gt 65535", "le 80", "ge 1"}) {
    ASSERT_OK_AND_ASSIGN(const PortSpec spec, PortSpec::ParseText(text));
    FrozenWriter writer;
    FreezePortSpec(spec, &writer);
    FrozenReader reader(writer.payload());
    EXPECT_THAT(ThawPortSpec(&reader), IsOkAndHolds(spec)) << text;
  }
  FrozenWriter writer;
  FreezePortSpec(*PortSpec::ParseText("ge 1024"), &writer);
  EXPECT_EQ(writer.payload(), Bytes({5, 0x00, 0x04}));
}

TEST(FrozenPortSpecTest, RejectsUnknownOperators) {
  FrozenReader reader(Bytes({6, 23, 0}));
  EXPECT_THAT(ThawPortSpec(&reader),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 16: port operator: unknown operator 6"));
}

class FrozenUserListTest : public ::testing::Test {
 protected:
  absl::StatusOr<UserList> RoundTrip(const UserList& list) {
    FrozenWriter writer;
    EXPECT_THAT(FreezeUserList(list, &writer), IsOk());
    return Thaw(writer.payload());
  }

  absl::StatusOr<UserList> Thaw(absl::string_view bytes) {
    FrozenReader reader(bytes);
    absl::StatusOr<UserList> list = ThawUserList(&reader);
    if (list.ok()) {
      EXPECT_THAT(reader.ExpectEnd(), IsOk());
    }
    return list;
  }

  // A frozen list from raw parts.
  static std::string Raw(const std::vector<std::string>& items,
                         const std::vector<std::string>& users) {
    FrozenWriter writer;
    writer.U32(items.size());
    for (const std::string& item : items) writer.String(item);
    writer.U32(users.size());
    for (const std::string& user : users) writer.String(user);
    return writer.payload();
  }
};

TEST_F(FrozenUserListTest, KeepsTheUsersReadFromFilesWithoutRereading) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("users"));
  const std::string file = dir + "/staff";
  ASSERT_THAT(rsockd::testing::WriteStringToFile(file, "carol dave\n"), IsOk());
  ASSERT_OK_AND_ASSIGN(const UserList list,
                       UserList::Parse(Token{"ylee," + file, 1, 3}));
  ASSERT_THAT(rsockd::testing::RemoveTree(dir), IsOk());
  ASSERT_OK_AND_ASSIGN(const UserList thawed, RoundTrip(list));
  EXPECT_EQ(thawed, list);
  EXPECT_THAT(thawed.users(), UnorderedElementsAre("ylee", "carol", "dave"));
  EXPECT_TRUE(thawed.Matches("dave"));
}

TEST_F(FrozenUserListTest, EmptyListAndDuplicatesRoundTrip) {
  ASSERT_OK_AND_ASSIGN(const UserList empty, UserList::Parse(Token{"", 1, 3}));
  EXPECT_THAT(RoundTrip(empty), IsOkAndHolds(empty));
  ASSERT_OK_AND_ASSIGN(const UserList twice,
                       UserList::Parse(Token{"a,a", 1, 3}));
  EXPECT_THAT(RoundTrip(twice), IsOkAndHolds(twice));
}

TEST_F(FrozenUserListTest, UsersAreWrittenSorted) {
  ASSERT_OK_AND_ASSIGN(const UserList list,
                       UserList::Parse(Token{"zed,amy,mia", 1, 3}));
  FrozenWriter writer;
  ASSERT_THAT(FreezeUserList(list, &writer), IsOk());
  EXPECT_EQ(writer.payload(),
            Raw({"zed", "amy", "mia"}, {"amy", "mia", "zed"}));
}

TEST_F(FrozenUserListTest, RejectsUnsortedOrDuplicatedUsers) {
  EXPECT_THAT(Thaw(Raw({"a", "b"}, {"b", "a"})),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("\"a\" is not after the previous id")));
  EXPECT_THAT(Thaw(Raw({"/f"}, {"a", "a"})),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("is not after the previous id")));
}

TEST_F(FrozenUserListTest, RejectsListsTheParserWouldNotProduce) {
  struct Case {
    std::vector<std::string> items;
    std::vector<std::string> users;
    const char* message;
  };
  const Case cases[] = {
      {{"a,b"}, {"a,b"}, "invalid user list item"},
      {{"a b"}, {"a b"}, "invalid user list item"},
      {{"a#"}, {"a#"}, "invalid user list item"},
      {{""}, {}, "invalid user list item"},
      {{"a"}, {"b"}, "\"a\" is missing from the list's user ids"},
      {{"a"}, {"a", "b"}, "user ids that no item of the list names"},
      {{}, {"a"}, "user ids that no item of the list names"},
      {{"/f"}, {"a b"}, "invalid user id \"a b\""},
      {{"/f"}, {""}, "invalid user id"},
      {{"/f"}, {"#x"}, "invalid user id"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Thaw(Raw(c.items, c.users)),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.message)))
        << c.message;
  }
}

// A ':' inside a token belongs to it (sockd.conf(5)), so a user id with one
// reads back as the same `*=` field in every rule file.
TEST_F(FrozenUserListTest, AUserIdMayHoldAColon) {
  ASSERT_OK_AND_ASSIGN(const UserList list,
                       UserList::Parse(Token{"a:b,u@h:1", 1, 3}));
  EXPECT_THAT(RoundTrip(list), IsOkAndHolds(list));
}

TEST_F(FrozenUserListTest, RejectsLyingCounts) {
  FrozenWriter writer;
  writer.U32(0xFFFFFFFF);
  EXPECT_THAT(Thaw(writer.payload()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("user list item count: 4294967295 is more "
                                 "than the")));
  FrozenWriter users;
  users.U32(0);
  users.U32(1000);  // 1000 users, no bytes.
  EXPECT_THAT(Thaw(users.payload()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("user count: 1000 elements of at least 4 "
                                 "bytes cannot fit in the 0 bytes left")));
}

TEST(FrozenCommandTest, RoundTripsCommandsAsTheLexerMakesThem) {
  for (const char* command : {"", "/usr/bin/logger 'Rejected %u'", "a # b : c",
                              "x\ty", "::1", ":", ":\tx", "#BAD_ID: x"}) {
    FrozenWriter writer;
    FreezeCommand(command, &writer);
    FrozenReader reader(writer.payload());
    EXPECT_THAT(ThawCommand(&reader, "hook command"),
                IsOkAndHolds(std::string(command)));
  }
}

TEST(FrozenCommandTest, RejectsUntrimmedAndMultiLineCommands) {
  for (const char* command : {" lead", "trail\t", "two\nlines"}) {
    FrozenWriter writer;
    FreezeCommand(command, &writer);
    FrozenReader reader(writer.payload());
    EXPECT_THAT(ThawCommand(&reader, "hook command"),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("is not a hook command as the parser reads "
                                   "one")))
        << command;
  }
  FrozenWriter writer;
  FreezeCommand(std::string(kMaxLineLength + 1, 'x'), &writer);
  FrozenReader reader(writer.payload());
  EXPECT_THAT(ThawCommand(&reader, "hook command"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("length 4097 is more than the 4096")));
}

TEST(FrozenLineNumberTest, MustIncrease) {
  FrozenWriter writer;
  FreezeLineNumber(7, &writer);
  FrozenReader after_six(writer.payload());
  EXPECT_THAT(ThawLineNumber(&after_six, 6), IsOkAndHolds(7));
  FrozenReader same(writer.payload());
  EXPECT_THAT(ThawLineNumber(&same, 7),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("line number: 7 is not between the previous "
                                 "line (7)")));
  FrozenWriter zero;
  FreezeLineNumber(0, &zero);
  FrozenReader first(zero.payload());
  EXPECT_FALSE(ThawLineNumber(&first, 0).ok());
}

TEST(FrozenFileNameTest, RejectsEmptyNamesAndNewlines) {
  for (const std::string& name :
       {std::string(""), std::string("a\nb"), std::string("a\0b", 3)}) {
    FrozenWriter writer;
    FreezeFileName(name, &writer);
    FrozenReader reader(writer.payload());
    EXPECT_THAT(
        ThawFileName(&reader),
        StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is not a file name")));
  }
  FrozenWriter writer;
  FreezeFileName("/etc/sockd.conf", &writer);
  FrozenReader reader(writer.payload());
  EXPECT_THAT(ThawFileName(&reader),
              IsOkAndHolds(std::string("/etc/sockd.conf")));
}

enum class Color { kRed, kGreen, kBlue };
constexpr Color kWireColors[] = {Color::kBlue, Color::kRed, Color::kGreen};

TEST(FrozenEnumTest, StoresTheIndexInWireOrderAndRejectsOthers) {
  FrozenWriter writer;
  for (Color color : {Color::kRed, Color::kGreen, Color::kBlue}) {
    FreezeEnum(color, kWireColors, &writer);
  }
  EXPECT_EQ(writer.payload(), Bytes({1, 2, 0}));
  FrozenReader reader(writer.payload());
  EXPECT_THAT(ThawEnum(&reader, "color", kWireColors),
              IsOkAndHolds(Color::kRed));
  EXPECT_THAT(ThawEnum(&reader, "color", kWireColors),
              IsOkAndHolds(Color::kGreen));
  EXPECT_THAT(ThawEnum(&reader, "color", kWireColors),
              IsOkAndHolds(Color::kBlue));
  FrozenReader unknown(Bytes({3}));
  EXPECT_THAT(
      ThawEnum(&unknown, "color", kWireColors),
      StatusIs(absl::StatusCode::kDataLoss, "byte 16: color: unknown color 3"));
}

// A file kind of rules that are only a line number, with one special line.
struct LineRule {
  int line = 0;
  std::string ToString() const { return "rule"; }
  friend bool operator==(const LineRule&, const LineRule&) = default;
};
struct LineFile {
  std::string filename;
  std::vector<LineRule> rules;
  std::string bad_id;
};
constexpr SpecialLine<LineFile> kLineFileSpecialLines[] = {
    {Line::Kind::kBadId, "#BAD_ID:", &LineFile::bad_id},
};
constexpr FrozenRuleList kLineList{
    .noun = "line", .file_kind = "t.conf", .min_rule_size = 4, .max_rules = 8};

absl::Status FreezeLineRule(const LineRule& rule, FrozenWriter* writer) {
  FreezeLineNumber(rule.line, writer);
  return absl::OkStatus();
}
absl::StatusOr<LineRule> ThawLineRule(FrozenReader* reader, int previous) {
  RSOCKD_ASSIGN_OR_RETURN(const int line, ThawLineNumber(reader, previous));
  return LineRule{line};
}

absl::StatusOr<LineFile> ThawLineFile(absl::string_view file) {
  return ThawRuleFile<LineFile>(file, FrozenKind::kSockdConf, kLineList,
                                ThawLineRule, kLineFileSpecialLines);
}

TEST(FrozenRuleFileTest, FileNameRulesThenSpecialCommands) {
  const LineFile file{
      .filename = "/etc/t.conf", .rules = {{3}, {5}}, .bad_id = "logger bad"};
  ASSERT_OK_AND_ASSIGN(const std::string frozen,
                       FreezeRuleFile(file, FrozenKind::kSockdConf, kLineList,
                                      FreezeLineRule, kLineFileSpecialLines));
  FrozenWriter expected;
  FreezeFileName("/etc/t.conf", &expected);
  expected.U32(2);
  FreezeLineNumber(3, &expected);
  FreezeLineNumber(5, &expected);
  FreezeCommand("logger bad", &expected);
  EXPECT_THAT(UnsealFrozen(frozen, FrozenKind::kSockdConf),
              IsOkAndHolds(expected.payload()));

  ASSERT_OK_AND_ASSIGN(const LineFile thawed, ThawLineFile(frozen));
  EXPECT_EQ(thawed.filename, file.filename);
  EXPECT_EQ(thawed.rules, file.rules);
  EXPECT_EQ(thawed.bad_id, file.bad_id);
}

TEST(FrozenRuleFileTest, RejectsBadSpecialCommandsAndTrailingBytes) {
  FrozenWriter writer;
  FreezeFileName("/etc/t.conf", &writer);
  writer.U32(0);
  FreezeCommand(" untrimmed", &writer);
  ASSERT_OK_AND_ASSIGN(const std::string bad_command,
                       SealFrozen(FrozenKind::kSockdConf, writer.payload()));
  EXPECT_THAT(
      ThawLineFile(bad_command),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("#BAD_ID: command")));

  FrozenWriter trailing;
  FreezeFileName("/etc/t.conf", &trailing);
  trailing.U32(0);
  FreezeCommand("", &trailing);
  trailing.U8(0);
  ASSERT_OK_AND_ASSIGN(const std::string with_trailing,
                       SealFrozen(FrozenKind::kSockdConf, trailing.payload()));
  EXPECT_FALSE(ThawLineFile(with_trailing).ok());
  EXPECT_THAT(ThawRuleFile<LineFile>(with_trailing, FrozenKind::kSocksConf,
                                     kLineList, ThawLineRule),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a frozen socks.conf")))
      << "another kind";
}

}  // namespace
}  // namespace rsockd::rules
