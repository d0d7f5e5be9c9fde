#include "rules/frozen_socks_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/frozen_io.h"
#include "rules/lexer.h"
#include "rules/socks_conf.h"
#include "testing/files.h"
#include "testing/frozen_corruption.h"
#include "testing/random_rules.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

void PrintTo(const SocksRule& rule, std::ostream* os) {
  *os << rule.line << ":" << rule.column << ": " << rule.ToString();
}

namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

// docs/socks_conf.md#decision, the routing file of an rsockd inside
// corp.example.
constexpr char kExample[] =
    "# inner zone: through the SOCKS server of the lab firewall\n"
    "sockd @=10.1.1.1:1080 .lab.corp.example\n"
    "# the rest of corp.example: direct\n"
    "direct .corp.example\n"
    "direct 10.0.0.0 255.0.0.0\n"
    "# everything else: through the outer firewalls, in order\n"
    "sockd @=fw1.corp.example,fw2.corp.example ALL\n";

SocksConf Parse(absl::string_view text) {
  absl::StatusOr<SocksConf> conf = ParseSocksConf(text, "/etc/socks.conf");
  EXPECT_THAT(conf, IsOk()) << text;
  return conf.ok() ? *std::move(conf) : SocksConf();
}

std::string Freeze(const SocksConf& conf) {
  absl::StatusOr<std::string> file = FreezeSocksConf(conf);
  EXPECT_THAT(file, IsOk());
  return file.ok() ? *std::move(file) : std::string();
}

void ExpectSameRulesIgnoringPlaces(const SocksConf& actual,
                                   const SocksConf& expected) {
  ASSERT_EQ(actual.rules.size(), expected.rules.size());
  for (size_t i = 0; i < actual.rules.size(); ++i) {
    SocksRule left = actual.rules[i];
    SocksRule right = expected.rules[i];
    left.line = right.line = left.column = right.column = 0;
    EXPECT_EQ(left, right) << "rule " << i + 1;
  }
}

TEST(FrozenSocksConfTest, WorkedExampleRoundTrips) {
  const SocksConf conf = Parse(kExample);
  ASSERT_OK_AND_ASSIGN(const SocksConf thawed, ThawSocksConf(Freeze(conf)));
  EXPECT_EQ(thawed.filename, "/etc/socks.conf");
  EXPECT_EQ(thawed.rules, conf.rules);
  ASSERT_EQ(thawed.rules.size(), 4u);
  EXPECT_EQ(thawed.rules[3].line, 7);
  EXPECT_EQ(thawed.rules[3].ToString(),
            "sockd @=fw1.corp.example:1080,fw2.corp.example:1080 ALL");
  ExpectSameRulesIgnoringPlaces(Parse(FormatSocksConf(thawed)), conf);
}

class FrozenSocksConfRandomTest : public ::testing::TestWithParam<int> {};

TEST_P(FrozenSocksConfRandomTest, RoundTripsGeneratedRuleSets) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("socks_users"));
  const std::vector<std::string> user_files = {dir + "/staff"};
  ASSERT_THAT(rsockd::testing::WriteStringToFile(user_files[0], "amy bo\n"),
              IsOk());
  bool servers = false, legacy = false, users = false;
  for (int round = 0; round < 25; ++round) {
    const uint64_t seed = 50000 + GetParam() * 1000 + round;
    rsockd::testing::RandomRules random(seed, user_files);
    const std::string text = random.SocksConf(40);
    absl::StatusOr<SocksConf> conf = ParseSocksConf(text, "random.conf");
    ASSERT_THAT(conf, IsOk()) << "seed " << seed << ":\n" << text;
    ASSERT_OK_AND_ASSIGN(const std::string frozen, FreezeSocksConf(*conf));
    absl::StatusOr<SocksConf> thawed = ThawSocksConf(frozen);
    ASSERT_THAT(thawed, IsOk()) << "seed " << seed << ":\n" << text;
    EXPECT_EQ(thawed->filename, conf->filename);
    EXPECT_EQ(thawed->rules, conf->rules) << "seed " << seed;
    ExpectSameRulesIgnoringPlaces(Parse(FormatSocksConf(*thawed)), *conf);
    EXPECT_EQ(Freeze(*thawed), frozen) << "seed " << seed;
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << text;
      return;
    }
    for (const SocksRule& rule : thawed->rules) {
      servers = servers || rule.servers.size() > 1;
      users = users || rule.users.has_value();
    }
    legacy = legacy || text.find("sockd@") != std::string::npos;
  }
  EXPECT_TRUE(servers && legacy && users) << servers << legacy << users;
}

INSTANTIATE_TEST_SUITE_P(Seeds, FrozenSocksConfRandomTest,
                         ::testing::Range(0, 4));

// A frozen file holds rules as values, not text, so a hand-made one could
// carry a rule no dump could print as a line; thawing refuses it as parsing
// would.
TEST(FrozenSocksConfTest, RefusesARuleThatNormalizesPastTheLineLimit) {
  SocksConf conf = Parse("sockd @=fw:1080 ALL\n");
  conf.rules[0].servers.assign(1000, UpstreamServer{"fw", 1080});
  ASSERT_GT(conf.rules[0].ToString().size(), kMaxLineLength);
  EXPECT_THAT(
      ThawSocksConf(Freeze(conf)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat(
                   "rule 1: the rule is ", conf.rules[0].ToString().size(),
                   " bytes once normalized, more than a line may "
                   "hold"))));
}

TEST(FrozenSocksConfTest, RejectsEveryCorruption) {
  EXPECT_TRUE(rsockd::testing::CheckEveryCorruptionIsRejected(
      Freeze(Parse(kExample)),
      [](absl::string_view file) { return ThawSocksConf(file); }));
  EXPECT_THAT(ThawSocksConf(Freeze(Parse(kExample)).substr(0, 40)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

// A one-rule payload, "sockd @=fw:1080 ALL" from "s", with its field offsets
// (frozen_socks_conf.h), patched and resealed to reach the field checks.
constexpr size_t kColumn = 13;
constexpr size_t kAction = 17;
constexpr size_t kServerCount = 18;
constexpr size_t kServerHost = 26;  // After its u32 length.
constexpr size_t kServerPort = 28;

class FrozenSocksConfFieldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(payload_.substr(kServerHost, 2), "fw");
    ASSERT_THAT(ThawSocksConf(Patched(0, payload_[0])), IsOk());
  }

  std::string Patched(size_t offset, char value) const {
    std::string payload = payload_;
    payload[offset] = value;
    return *SealFrozen(FrozenKind::kSocksConf, payload);
  }

  const std::string payload_ = std::string(*UnsealFrozen(
      *FreezeSocksConf(*ParseSocksConf("sockd @=fw:1080 ALL\n", "s")),
      FrozenKind::kSocksConf));
};

TEST_F(FrozenSocksConfFieldTest, RejectsInvalidValues) {
  EXPECT_THAT(ThawSocksConf(Patched(kColumn, 0)),
              StatusIs(absl::StatusCode::kDataLoss,
                       "rule 1: byte 29: column: 0 is not within a line"));
  EXPECT_THAT(ThawSocksConf(Patched(kAction, 3)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("action: unknown action 3")));
  // A server list on a direct line.
  EXPECT_THAT(ThawSocksConf(Patched(kAction, 1)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("servers on a line that is not a sockd "
                                 "line")));
  EXPECT_THAT(ThawSocksConf(Patched(kServerCount, 100)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("server count: 100 elements")));
  EXPECT_THAT(ThawSocksConf(Patched(kServerHost, 'F')),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("\"Fw:1080\" is not a server as the parser "
                                 "reads one")));
  EXPECT_THAT(
      ThawSocksConf(Patched(kServerHost, ',')),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is not a server")));
  // Port 0 cannot be connected to; the parser refuses it.
  std::string payload = payload_;
  payload[kServerPort] = payload[kServerPort + 1] = 0;
  EXPECT_THAT(ThawSocksConf(*SealFrozen(FrozenKind::kSocksConf, payload)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("\"fw:0\" is not a server")));
}

TEST(FrozenSocksConfLoadTest, ErrorsNameTheFile) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("socks_load"));
  const std::string path = dir + "/socks.fc";
  ASSERT_THAT(rsockd::testing::WriteStringToFile(path, kExample), IsOk());
  EXPECT_THAT(LoadFrozenSocksConf(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": not a frozen socks.conf (no \"RSOCKDFZ\" "
                              "magic at the start)"));
  ASSERT_THAT(rsockd::testing::WriteStringToFile(path, Freeze(Parse(kExample))),
              IsOk());
  EXPECT_THAT(LoadFrozenSocksConf(path), IsOk());
}

}  // namespace
}  // namespace rsockd::rules
