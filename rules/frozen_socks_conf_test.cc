#include "rules/frozen_socks_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/frozen_io.h"
#include "rules/lexer.h"
#include "rules/socks_conf.h"
#include "rules/test_data.h"
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
  const SocksConf conf = Parse(SocksConfWorkedExample());
  ASSERT_OK_AND_ASSIGN(const SocksConf thawed, ThawSocksConf(Freeze(conf)));
  EXPECT_EQ(thawed.filename, "/etc/socks.conf");
  EXPECT_EQ(thawed.rules, conf.rules);
  ASSERT_EQ(thawed.rules.size(), 4u);
  EXPECT_EQ(thawed.rules[3].line, 7);
  EXPECT_EQ(thawed.rules[3].ToString(),
            "sockd @=fw1.corp.example:1080,fw2.corp.example:1080 ALL");
  ExpectSameRulesIgnoringPlaces(Parse(FormatSocksConf(thawed)), conf);
}

// socks.conf(5), "Server entries": schemes and credentials survive
// freezing; the dump masks the credentials unless asked to show them.
TEST(FrozenSocksConfTest, SchemesAndCredentialsRoundTrip) {
  const SocksConf conf = Parse(
      "sockd @=socks5://alice:p%40ss%2Cw@fw:1081,socks4://[::1],fw3 ALL\n"
      "sockd @=socks5://[2001:db8::1] .example.org\n");
  ASSERT_OK_AND_ASSIGN(const SocksConf thawed, ThawSocksConf(Freeze(conf)));
  EXPECT_EQ(thawed.rules, conf.rules);
  ASSERT_TRUE(thawed.rules[0].servers[0].credentials.has_value());
  EXPECT_EQ(thawed.rules[0].servers[0].credentials->password, "p@ss,w");
  EXPECT_EQ(thawed.rules[0].servers[1].scheme, UpstreamScheme::kSocks4);
  EXPECT_EQ(FormatSocksConf(thawed),
            "sockd @=socks5://***@fw:1081,socks4://[::1]:1080,fw3:1080 ALL\n"
            "sockd @=socks5://[2001:db8::1]:1080 .example.org\n");
  ExpectSameRulesIgnoringPlaces(Parse(FormatSocksConf(thawed, Secrets::kShown)),
                                conf);
}

// docs/frozen_files.md: a version 1 file (before schemes) still reads, its
// servers socks4a:// without credentials, as that build meant them.
TEST(FrozenSocksConfTest, ReadsVersionOneFiles) {
  FrozenWriter v1;
  v1.String("old.conf");  // file name
  v1.U32(1);              // rule count
  v1.U32(3);              // line
  v1.U32(1);              // column
  v1.U8(2);               // action: sockd
  v1.U32(2);              // server count
  v1.String("fw1");       //   host
  v1.U16(1081);           //   port
  v1.String("::1");       //   host
  v1.U16(1080);           //   port
  v1.U8(0);               // no user list
  v1.U8(0);               // destination: ALL
  v1.U8(0);               // no port test
  v1.String("");          // no hook command
  ASSERT_OK_AND_ASSIGN(const SocksConf conf,
                       ThawSocksConf(SealFrozenRaw(1, 2, v1.payload())));
  EXPECT_EQ(conf.filename, "old.conf");
  ASSERT_EQ(conf.rules.size(), 1u);
  EXPECT_EQ(conf.rules[0].line, 3);
  EXPECT_EQ(conf.rules[0].servers,
            (std::vector<UpstreamServer>{{"fw1", 1081}, {"::1", 1080}}));
  EXPECT_EQ(conf.rules[0].ToString(), "sockd @=fw1:1081,[::1]:1080 ALL");
  // The same payload is not a version 2 file.
  EXPECT_FALSE(ThawSocksConf(SealFrozenRaw(2, 2, v1.payload())).ok());
}

class FrozenSocksConfRandomTest : public ::testing::TestWithParam<int> {};

TEST_P(FrozenSocksConfRandomTest, RoundTripsGeneratedRuleSets) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("socks_users"));
  const std::vector<std::string> user_files = {dir + "/staff"};
  ASSERT_THAT(rsockd::testing::WriteStringToFile(user_files[0], "amy bo\n"),
              IsOk());
  bool servers = false, legacy = false, users = false, credentials = false;
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
    ExpectSameRulesIgnoringPlaces(
        Parse(FormatSocksConf(*thawed, Secrets::kShown)), *conf);
    EXPECT_EQ(Freeze(*thawed), frozen) << "seed " << seed;
    if (HasFailure()) {
      ADD_FAILURE() << "seed " << seed << ":\n" << text;
      return;
    }
    for (const SocksRule& rule : thawed->rules) {
      servers = servers || rule.servers.size() > 1;
      users = users || rule.users.has_value();
      for (const UpstreamServer& server : rule.servers) {
        credentials = credentials || server.credentials.has_value();
      }
    }
    legacy = legacy || text.find("sockd@") != std::string::npos;
  }
  EXPECT_TRUE(servers && legacy && users && credentials)
      << servers << legacy << users << credentials;
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
      Freeze(Parse(SocksConfWorkedExample())),
      [](absl::string_view file) { return ThawSocksConf(file); }));
  EXPECT_THAT(
      ThawSocksConf(Freeze(Parse(SocksConfWorkedExample())).substr(0, 40)),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated")));
}

// A one-rule payload, "sockd @=fw:1080 ALL" from "s", with its field offsets
// (frozen_socks_conf.h), patched and resealed to reach the field checks.
constexpr size_t kColumn = 13;
constexpr size_t kAction = 17;
constexpr size_t kServerCount = 18;
constexpr size_t kServerScheme = 22;
constexpr size_t kServerHost = 27;  // After its u32 length.
constexpr size_t kServerPort = 29;
constexpr size_t kServerHasCredentials = 31;

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
  EXPECT_THAT(ThawSocksConf(Patched(kServerScheme, 3)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("server scheme: unknown server scheme 3")));
  EXPECT_THAT(ThawSocksConf(Patched(kServerHasCredentials, 2)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("server has credentials: flag value 2")));
  // Credentials read from the fields after them run out of bytes.
  EXPECT_THAT(ThawSocksConf(Patched(kServerHasCredentials, 1)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("server password: truncated")));
  // Port 0 cannot be connected to; the parser refuses it.
  std::string payload = payload_;
  payload[kServerPort] = payload[kServerPort + 1] = 0;
  EXPECT_THAT(ThawSocksConf(*SealFrozen(FrozenKind::kSocksConf, payload)),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("\"fw:0\" is not a server")));
}

// Credentials are checked as the parser checks them, and messages about a
// bad server never show them.
TEST(FrozenSocksConfTest, RejectsCredentialsTheParserWouldRefuse) {
  const auto freeze_with = [](UpstreamServer server) {
    SocksConf conf = Parse("sockd @=fw:1080 ALL\n");
    conf.rules[0].servers = {std::move(server)};
    return Freeze(conf);
  };
  const UpstreamCredentials secret{"alice", "s3cret"};
  struct Case {
    UpstreamServer server;
    const char* shown;
  };
  const Case cases[] = {
      // SOCKS4 has no password.
      {{"fw", 1080, UpstreamScheme::kSocks4a, secret}, "***@fw:1080"},
      {{"fw", 1080, UpstreamScheme::kSocks4, secret}, "socks4://***@fw:1080"},
      {{"fw", 1080, UpstreamScheme::kSocks5, UpstreamCredentials{"", "pw"}},
       "socks5://***@fw:1080"},
      {{"fw", 1080, UpstreamScheme::kSocks5, UpstreamCredentials{"u", ""}},
       "socks5://***@fw:1080"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<SocksConf> thawed =
        ThawSocksConf(freeze_with(c.server));
    EXPECT_THAT(thawed, StatusIs(absl::StatusCode::kDataLoss,
                                 HasSubstr(absl::StrCat(
                                     "\"", c.shown,
                                     "\" is not a server as the parser reads "
                                     "one"))))
        << c.shown;
    EXPECT_THAT(std::string(thawed.status().message()),
                ::testing::Not(HasSubstr("s3cret")));
  }
  // Bytes that must be escaped in text are fine as values.
  const UpstreamServer odd{
      "fw", 1080, UpstreamScheme::kSocks5,
      UpstreamCredentials{"a:b@c", std::string("\0#, %", 5)}};
  ASSERT_OK_AND_ASSIGN(const SocksConf thawed, ThawSocksConf(freeze_with(odd)));
  EXPECT_EQ(thawed.rules[0].servers[0], odd);
}

TEST(FrozenSocksConfLoadTest, ErrorsNameTheFile) {
  ASSERT_OK_AND_ASSIGN(const std::string dir,
                       rsockd::testing::MakeTempDir("socks_load"));
  const std::string path = dir + "/socks.fc";
  ASSERT_THAT(
      rsockd::testing::WriteStringToFile(path, SocksConfWorkedExample()),
      IsOk());
  EXPECT_THAT(LoadFrozenSocksConf(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": not a frozen socks.conf (no \"RSOCKDFZ\" "
                              "magic at the start)"));
  ASSERT_THAT(rsockd::testing::WriteStringToFile(
                  path, Freeze(Parse(SocksConfWorkedExample()))),
              IsOk());
  EXPECT_THAT(LoadFrozenSocksConf(path), IsOk());
}

}  // namespace
}  // namespace rsockd::rules
