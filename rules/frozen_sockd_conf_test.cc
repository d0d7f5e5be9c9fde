#include "rules/frozen_sockd_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/frozen_io.h"
#include "rules/sockd_conf.h"
#include "testing/files.h"
#include "testing/frozen_corruption.h"
#include "testing/random_rules.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const SockdRule& rule, std::ostream* os) {
  *os << rule.line << ": " << rule.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// docs/sockd_conf.md#worked-example, the classic test data.
constexpr char kWorkedExample[] =
    "deny   *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger "
    "'Rejected SOCKS access by %u'\n"
    "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 255.255.0.0\n"
    "deny   128.12.0.0 255.255.0.0 eq telnet\n"
    "permit 128.12.0.0 255.255.0.0\n"
    "#NO_IDENTD: /usr/bin/logger 'please run identd on %A'\n"
    "#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'\n";

// Everything a thaw must give back: the rules with their lines, the special
// commands and the file name.
void ExpectSameConf(const SockdConf& actual, const SockdConf& expected) {
  EXPECT_EQ(actual.filename, expected.filename);
  EXPECT_EQ(actual.rules, expected.rules);
  EXPECT_EQ(actual.no_identd_command, expected.no_identd_command);
  EXPECT_EQ(actual.bad_id_command, expected.bad_id_command);
}

// The rules equal apart from their line numbers (a dump renumbers them).
void ExpectSameRulesIgnoringLines(const SockdConf& actual,
                                  const SockdConf& expected) {
  ASSERT_EQ(actual.rules.size(), expected.rules.size());
  for (size_t i = 0; i < actual.rules.size(); ++i) {
    SockdRule left = actual.rules[i];
    SockdRule right = expected.rules[i];
    left.line = right.line = 0;
    EXPECT_EQ(left, right) << "rule " << i + 1;
  }
  EXPECT_EQ(actual.no_identd_command, expected.no_identd_command);
  EXPECT_EQ(actual.bad_id_command, expected.bad_id_command);
}

SockdConf Parse(absl::string_view text, absl::string_view name = "sockd.conf") {
  absl::StatusOr<SockdConf> conf = ParseSockdConf(text, name);
  EXPECT_THAT(conf, IsOk()) << text;
  return conf.ok() ? *std::move(conf) : SockdConf();
}

std::string Freeze(const SockdConf& conf) {
  absl::StatusOr<std::string> file = FreezeSockdConf(conf);
  EXPECT_THAT(file, IsOk());
  return file.ok() ? *std::move(file) : std::string();
}

TEST(FrozenSockdConfTest, WorkedExampleRoundTrips) {
  const SockdConf conf = Parse(kWorkedExample, "/etc/sockd.conf");
  ASSERT_OK_AND_ASSIGN(const SockdConf thawed, ThawSockdConf(Freeze(conf)));
  ExpectSameConf(thawed, conf);
  // What the log lines and hooks use survives: file, line, command.
  EXPECT_EQ(thawed.filename, "/etc/sockd.conf");
  ASSERT_EQ(thawed.rules.size(), 4u);
  EXPECT_EQ(thawed.rules[2].line, 3);
  EXPECT_EQ(thawed.rules[2].ToString(), "deny 128.12.0.0 255.255.0.0 eq 23");
  EXPECT_EQ(thawed.rules[0].command,
            "/usr/bin/logger 'Rejected SOCKS access by %u'");
  EXPECT_EQ(thawed.bad_id_command,
            "/usr/bin/logger '%U pretends to be %u on %A'");
}

TEST(FrozenSockdConfTest, DumpOfTheThawedRulesParsesBackToThem) {
  const SockdConf conf = Parse(kWorkedExample);
  ASSERT_OK_AND_ASSIGN(const SockdConf thawed, ThawSockdConf(Freeze(conf)));
  ExpectSameRulesIgnoringLines(Parse(FormatSockdConf(thawed)), conf);
}

TEST(FrozenSockdConfTest, EmptyConfRoundTrips) {
  const SockdConf conf = Parse("# nothing\n\n");
  ASSERT_OK_AND_ASSIGN(const SockdConf thawed, ThawSockdConf(Freeze(conf)));
  ExpectSameConf(thawed, conf);
  EXPECT_TRUE(thawed.rules.empty());
}

TEST(FrozenSockdConfTest, FreezingIsDeterministic) {
  // The users of a list live in a hash set; the file must not depend on its
  // iteration order.
  const std::string text =
      "permit *=u1,u2,u3,u4,u5,u6,u7,u8,u9,u10,u11,u12 ALL\n";
  const std::string first = Freeze(Parse(text));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Freeze(Parse(text)), first);
  ASSERT_OK_AND_ASSIGN(const SockdConf thawed, ThawSockdConf(first));
  EXPECT_EQ(Freeze(thawed), first);
}

// Text -> parse -> freeze -> thaw gives the parsed rules; the dump of the
// thawed rules parses back to them; refreezing gives the same bytes.
class FrozenSockdConfRandomTest : public ::testing::TestWithParam<int> {};

TEST_P(FrozenSockdConfRandomTest, RoundTripsGeneratedRuleSets) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("random_users"));
  const std::vector<std::string> user_files = {dir + "/staff", dir + "/guests"};
  ASSERT_THAT(rsockd::testing::WriteStringToFile(
                  user_files[0], "alice bob\tcarol,dave # comment\nerin\n"),
              IsOk());
  ASSERT_THAT(rsockd::testing::WriteStringToFile(user_files[1], "# none\n"),
              IsOk());
  // What the generated files held, to check that they exercised the format.
  bool file_users = false, zone = false, ipv6 = false, port = false,
       command = false, special = false;
  for (int round = 0; round < 25; ++round) {
    const uint64_t seed = GetParam() * 1000 + round;
    rsockd::testing::RandomRules random(seed, user_files);
    const std::string text = random.SockdConf(40);
    absl::StatusOr<SockdConf> conf = ParseSockdConf(text, "random.conf");
    ASSERT_THAT(conf, IsOk()) << "seed " << seed << ":\n" << text;
    ASSERT_OK_AND_ASSIGN(const std::string frozen, FreezeSockdConf(*conf));
    absl::StatusOr<SockdConf> thawed = ThawSockdConf(frozen);
    ASSERT_THAT(thawed, IsOk()) << "seed " << seed << ":\n" << text;
    ExpectSameConf(*thawed, *conf);
    ExpectSameRulesIgnoringLines(Parse(FormatSockdConf(*thawed)), *conf);
    EXPECT_EQ(Freeze(*thawed), frozen) << "seed " << seed;
    for (const SockdRule& rule : thawed->rules) {
      if (rule.users.has_value()) {
        for (const std::string& item : rule.users->items()) {
          file_users = file_users || item[0] == '/';
        }
      }
      zone = zone || rule.destination.kind() == AddressSpec::Kind::kZone;
      ipv6 = ipv6 || !rule.source.address().is_ipv4();
      port = port || rule.port.has_value();
      command = command || !rule.command.empty();
    }
    special = special || !thawed->no_identd_command.empty();
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << text;
      return;
    }
  }
  EXPECT_TRUE(file_users && zone && ipv6 && port && command && special)
      << file_users << zone << ipv6 << port << command << special;
}

INSTANTIATE_TEST_SUITE_P(Seeds, FrozenSockdConfRandomTest,
                         ::testing::Range(0, 8));

// Corruption: every way a file can be damaged or forged is an error with a
// message, never a crash and never rules.
class FrozenSockdConfCorruptionTest : public ::testing::Test {
 protected:
  const std::string file_ = Freeze(Parse(kWorkedExample));
};

TEST_F(FrozenSockdConfCorruptionTest, RejectsEveryTruncationAndFlippedBit) {
  EXPECT_TRUE(rsockd::testing::CheckEveryCorruptionIsRejected(
      file_, [](absl::string_view file) { return ThawSockdConf(file); }));
}

TEST_F(FrozenSockdConfCorruptionTest, RejectsOtherVersionsAndKinds) {
  const absl::string_view payload =
      *UnsealFrozen(file_, FrozenKind::kSockdConf);
  EXPECT_THAT(
      ThawSockdConf(SealFrozenRaw(kFrozenFormatVersion + 1, 1, payload)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("format version 2 is not supported")));
  EXPECT_THAT(ThawSockdConf(*SealFrozen(FrozenKind::kSockdRoute, payload)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "this is a frozen sockd.route, not a frozen "
                       "sockd.conf"));
  EXPECT_THAT(ThawSockdConf(kWorkedExample),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a frozen sockd.conf")));
}

TEST_F(FrozenSockdConfCorruptionTest, RejectsAnOversizedFile) {
  EXPECT_THAT(ThawSockdConf(file_ + std::string(kMaxFrozenFileSize, '\0')),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("more than the 134217728 allowed")));
}

// The payload of a one-rule file, "permit ALL" from "t.conf", and the offset
// of each of its fields (frozen_sockd_conf.h): patching one and resealing
// (so the checksum is right) reaches the field checks.
constexpr char kOneRule[] = "permit ALL\n";
constexpr size_t kFileNameLength = 0;  // u32, then "t.conf"
constexpr size_t kRuleCount = 10;
constexpr size_t kLine = 14;
constexpr size_t kAction = 18;
constexpr size_t kIdent = 19;
constexpr size_t kHasUsers = 20;
constexpr size_t kSource = 21;
constexpr size_t kHasPort = 23;
constexpr size_t kCommandLength = 24;
constexpr size_t kPayloadSize = 36;

class FrozenSockdConfFieldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(payload_.size(), kPayloadSize);
    ASSERT_THAT(ThawSockdConf(Reseal(payload_)), IsOk());
  }

  static std::string Reseal(absl::string_view payload) {
    return *SealFrozen(FrozenKind::kSockdConf, payload);
  }

  // The payload with the byte at `offset` set to `value`, resealed.
  std::string Patched(size_t offset, uint8_t value) const {
    std::string payload = payload_;
    payload[offset] = static_cast<char>(value);
    return Reseal(payload);
  }

  const std::string payload_ = std::string(
      *UnsealFrozen(Freeze(Parse(kOneRule, "t.conf")), FrozenKind::kSockdConf));
};

TEST_F(FrozenSockdConfFieldTest, RejectsOutOfRangeEnumsAndFlags) {
  EXPECT_THAT(ThawSockdConf(Patched(kAction, 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "rule 1: byte 34: action: unknown action 2"));
  EXPECT_THAT(ThawSockdConf(Patched(kIdent, 4)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "rule 1: byte 35: ident level: unknown ident level 4"));
  EXPECT_THAT(ThawSockdConf(Patched(kHasUsers, 7)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("has user list: flag value 7")));
  EXPECT_THAT(ThawSockdConf(Patched(kSource, 200)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("source: unknown address kind 200")));
  EXPECT_THAT(ThawSockdConf(Patched(kHasPort, 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("has port test: flag value 2")));
}

TEST_F(FrozenSockdConfFieldTest, RejectsLyingCountsAndLengths) {
  std::string huge_count = payload_;
  huge_count.replace(kRuleCount, 4, "\xff\xff\xff\xff");
  EXPECT_THAT(ThawSockdConf(Reseal(huge_count)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 26: rule count: 4294967295 is more than the "
                       "4194304 allowed"));
  EXPECT_THAT(ThawSockdConf(Patched(kRuleCount, 3)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("rule count: 3 elements of at least 14 bytes "
                                 "cannot fit in the 22 bytes left")));
  EXPECT_THAT(ThawSockdConf(Patched(kFileNameLength, 200)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("file name: length 200 runs past the end")));
  EXPECT_THAT(ThawSockdConf(Patched(kCommandLength, 50)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("hook command: length 50 runs past the end")));
  EXPECT_THAT(ThawSockdConf(Patched(kCommandLength + 3, 0x80)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("is more than the 4096 allowed")));
}

TEST_F(FrozenSockdConfFieldTest, RejectsBadLineNumbersAndTrailingBytes) {
  EXPECT_THAT(ThawSockdConf(Patched(kLine, 0)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("line number: 0 is not between")));
  EXPECT_THAT(ThawSockdConf(Reseal(payload_ + "x")),
              StatusIs(absl::StatusCode::kDataLoss,
                       "byte 52: 1 unexpected bytes after the last field"));
}

TEST(FrozenSockdConfLoadTest, ErrorsNameTheFile) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("load"));
  const std::string path = dir + "/sockd.fc";
  std::string file = Freeze(Parse(kWorkedExample));
  ASSERT_THAT(rsockd::testing::WriteStringToFile(path, file), IsOk());
  EXPECT_THAT(LoadFrozenSockdConf(path), IsOk());
  file[30] ^= 1;
  ASSERT_THAT(rsockd::testing::WriteStringToFile(path, file), IsOk());
  EXPECT_THAT(LoadFrozenSockdConf(path),
              StatusIs(absl::StatusCode::kDataLoss,
                       StartsWith(path + ": checksum mismatch")));
  EXPECT_THAT(LoadFrozenSockdConf(dir + "/absent.fc"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("absent.fc: No such file")));
}

}  // namespace
}  // namespace rsockd::rules
