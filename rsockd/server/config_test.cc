#include "rsockd/server/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::SetModificationTime;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// Only a sockd.conf: no socks.conf, no sockd.route.
ConfigPaths AccessOnly(const std::string& path, bool explicit_path) {
  ConfigPaths paths;
  paths.sockd_conf = path;
  paths.sockd_conf_explicit = explicit_path;
  return paths;
}

rules::AccessRequest From(const char* client) {
  rules::AccessRequest request;
  request.client = *net::IpAddress::Parse(client);
  request.destination = *net::IpAddress::Parse("192.0.2.1");
  request.port = 80;
  return request;
}

TEST(LoadRuleSetTest, MissingDefaultFileFallsBackToLoopbackOnly) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(AccessOnly(TempPath("absent.conf"), false)));
  EXPECT_TRUE(rules->CheckAccess(From("127.0.0.1")).permitted);
  EXPECT_TRUE(rules->CheckAccess(From("127.9.9.9")).permitted);
  EXPECT_TRUE(rules->CheckAccess(From("::ffff:127.0.0.1")).permitted);
  // An IPv4 rule never covers ::1: loopback over IPv6 needs its own line.
  EXPECT_TRUE(rules->CheckAccess(From("::1")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("10.0.0.1")).permitted)
      << "the embedded default must never be an open relay";
  EXPECT_FALSE(rules->CheckAccess(From("::2")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("::ffff:10.0.0.1")).permitted);
}

TEST(LoadRuleSetTest, MissingExplicitFileIsAnError) {
  EXPECT_THAT(LoadRuleSet(AccessOnly(TempPath("absent.conf"), true)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.conf")));
}

TEST(LoadRuleSetTest, ReadsTheGivenFile) {
  const std::string path = TempPath("given.conf");
  std::ofstream(path) << "permit 10.0.0.0 255.0.0.0\n";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(AccessOnly(path, true)));
  EXPECT_TRUE(rules->CheckAccess(From("10.0.0.1")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("127.0.0.1")).permitted);
}

TEST(LoadRuleSetTest, ReportsEveryErrorWithPosition) {
  const std::string path = TempPath("broken.conf");
  std::ofstream(path)
      << "permit 10.0.0.0 255.0.0.0\nallow ALL\npermit ALL eq nosuchservice\n";
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(AccessOnly(path, true));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("broken.conf:2:1:")));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("broken.conf:3:")));
}

ConfigPaths Explicit(const std::string& sockd_conf,
                     const std::string& socks_conf = "",
                     const std::string& route_file = "") {
  ConfigPaths paths;
  paths.sockd_conf = sockd_conf;
  paths.sockd_conf_explicit = true;
  paths.socks_conf = socks_conf.empty() ? TempPath("absent.socks") : socks_conf;
  paths.socks_conf_explicit = !socks_conf.empty();
  paths.route_file = route_file.empty() ? TempPath("absent.route") : route_file;
  paths.route_file_explicit = !route_file.empty();
  return paths;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = TempPath(name);
  std::ofstream(path) << text;
  return path;
}

TEST(LoadRuleSetTest, MissingDefaultRoutingIsDirectAndNoRouteFile) {
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const rules::RuleSet> rules,
      LoadRuleSet(Explicit(WriteFile("all.conf", "permit ALL\n"))));
  ASSERT_TRUE(rules->routing().has_value());
  EXPECT_EQ(rules->routing()->filename, "<embedded socks.conf>");
  EXPECT_EQ(rules->Route(From("10.0.0.1")).action,
            rules::SocksRule::Action::kDirect);
  EXPECT_FALSE(rules->interfaces().has_value());
}

TEST(LoadRuleSetTest, MissingExplicitRoutingOrRouteFileIsAnError) {
  const std::string conf = WriteFile("all.conf", "permit ALL\n");
  EXPECT_THAT(LoadRuleSet(Explicit(conf, TempPath("none.socks"))),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none.socks")));
  EXPECT_THAT(LoadRuleSet(Explicit(conf, "", TempPath("none.route"))),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("none.route")));
}

TEST(LoadRuleSetTest, LoadsAllThreeFilesAndTheDefaultServer) {
  ConfigPaths paths =
      Explicit(WriteFile("all.conf", "permit ALL\n"),
               WriteFile("r.socks", "direct 10.0.0.0/8\nsockd ALL\n"),
               WriteFile("r.route", "127.0.0.2 ALL\n"));
  paths.default_servers = "fw1:1081,fw2";
  paths.default_servers_origin = "--socks_server";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(paths));
  const rules::RoutingDecision route = rules->Route(From("10.0.0.1"));
  EXPECT_EQ(route.action, rules::SocksRule::Action::kSockd);
  ASSERT_EQ(route.servers.size(), 2u);
  EXPECT_EQ(route.servers[0].ToString(), "fw1:1081");
  EXPECT_EQ(route.servers[1].ToString(), "fw2:1080");
  EXPECT_EQ(
      FormatRuleSet(*rules),
      absl::StrCat("# ", paths.sockd_conf, "\npermit ALL\n# ", paths.socks_conf,
                   "\ndirect 10.0.0.0/8\nsockd ALL\n# ", paths.route_file,
                   "\n127.0.0.2 ALL\n# default upstream: "
                   "fw1:1081,fw2:1080\n"));
}

TEST(LoadRuleSetTest, SockdLineNeedsADefaultServer) {
  const std::string socks =
      WriteFile("d.socks", "direct 10.0.0.0/8\n sockd ALL\nsockd @= ALL\n");
  const absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Explicit(WriteFile("all.conf", "permit ALL\n"), socks));
  // Both lines, each with both ways to set a default server.
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(absl::StrCat(
                                  socks,
                                  ":2:2: sockd line without servers (no @= "
                                  "list, or an empty one) and no default "
                                  "server: set one with --socks_server or the "
                                  "SOCKS_SERVER environment variable"))));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(absl::StrCat(socks,
                                                     ":3:1: sockd line "
                                                     "without servers"))));
}

// socks.conf(5): `sockd @=` with an empty list goes to the default server,
// as `sockd` without `@=` does.
TEST(LoadRuleSetTest, EmptyServerListUsesTheDefaultServer) {
  ConfigPaths paths =
      Explicit(WriteFile("all.conf", "permit ALL\n"),
               WriteFile("e.socks", "direct 10.0.0.0/8\nsockd @= ALL\n"));
  paths.default_servers = "fw1:1081";
  paths.default_servers_origin = "SOCKS_SERVER";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(paths));
  const rules::RoutingDecision route = rules->Route(From("10.0.0.1"));
  EXPECT_EQ(route.action, rules::SocksRule::Action::kSockd);
  ASSERT_EQ(route.servers.size(), 1u);
  EXPECT_EQ(route.servers[0].ToString(), "fw1:1081");
}

TEST(LoadRuleSetTest, BadDefaultServerIsLocated) {
  ConfigPaths paths = Explicit(WriteFile("all.conf", "permit ALL\n"));
  paths.default_servers = "fw1,fw2:99999";
  paths.default_servers_origin = "SOCKS_SERVER";
  EXPECT_THAT(LoadRuleSet(paths),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SOCKS_SERVER:1:9: port \"99999\" is out "
                                 "of range")));
}

TEST(LoadRuleSetTest, ReportsTheErrorsOfEveryFile) {
  const std::string conf = WriteFile("bad.conf", "allow ALL\n");
  const std::string socks = WriteFile("bad.socks", "forward ALL\n");
  const std::string route = WriteFile("bad.route", "eth0 ALL\n");
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Explicit(conf, socks, route));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(conf + ":1:1:")));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(socks + ":1:1:")));
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(route + ":1:1:")));
}

// `htpasswd -nbB bob secret` (docs/socks5.md).
constexpr char kBobSecret[] =
    "bob:$2y$05$T0bPMibLlvXpZxGhNcVTsuSllZWysfEZ7WPyzXrK6tmUwrMQ9e/1K\n";

TEST(LoadRuleSetTest, NoPasswordFileUnlessOneIsGiven) {
  ASSERT_OK_AND_ASSIGN(
      std::shared_ptr<const rules::RuleSet> rules,
      LoadRuleSet(Explicit(WriteFile("all.conf", "permit ALL\n"))));
  EXPECT_FALSE(rules->passwords().has_value());
}

TEST(LoadRuleSetTest, ThePasswordFileIsPartOfTheSnapshot) {
  ConfigPaths paths = Explicit(WriteFile("all.conf", "permit ALL\n"));
  paths.password_file =
      WriteFile("passwords", absl::StrCat("# users\n", kBobSecret));
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(paths));
  ASSERT_TRUE(rules->passwords().has_value());
  EXPECT_TRUE(rules->passwords()->Verify("bob", "secret"));
  EXPECT_FALSE(rules->passwords()->Verify("bob", "Secret"));
  // Listed by user, without the hashes.
  const std::string dump = FormatRuleSet(*rules);
  EXPECT_THAT(
      dump, HasSubstr(absl::StrCat("# ", paths.password_file, "\nbob:***\n")));
  EXPECT_THAT(dump, Not(HasSubstr("$2y$")));
}

TEST(LoadRuleSetTest, MissingPasswordFileIsAnError) {
  ConfigPaths paths = Explicit(WriteFile("all.conf", "permit ALL\n"));
  paths.password_file = TempPath("absent.passwords");
  EXPECT_THAT(LoadRuleSet(paths), StatusIs(absl::StatusCode::kNotFound,
                                           HasSubstr("absent.passwords")));
}

TEST(LoadRuleSetTest, PasswordFileErrorsAreReportedWithTheRuleFiles) {
  ConfigPaths paths = Explicit(WriteFile("bad.conf", "allow ALL\n"));
  paths.password_file =
      WriteFile("bad.passwords", absl::StrCat(kBobSecret, "alice\n"));
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(paths);
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr(paths.sockd_conf + ":1:1:")));
  EXPECT_THAT(rules,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(paths.password_file +
                                 ":2:1: missing ':' after the user name")));
}

// Frozen files (docs/frozen_files.md), each test in its own directory: a frozen
// twin of a file another test uses would change what that test loads.
class FrozenConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = rsockd::testing::MakeTempDir("frozen");
    ASSERT_THAT(dir, IsOk());
    dir_ = *dir;
  }

  std::string Write(const std::string& name, absl::string_view contents) {
    const std::string path = dir_ + "/" + name;
    EXPECT_THAT(rsockd::testing::WriteStringToFile(path, contents), IsOk());
    return path;
  }

  template <typename Conf>
  void Freeze(const std::string& name, const absl::StatusOr<Conf>& parsed,
              absl::StatusOr<std::string> (*freeze)(const Conf&)) {
    ASSERT_THAT(parsed, IsOk());
    ASSERT_OK_AND_ASSIGN(const std::string frozen, freeze(*parsed));
    Write(name, frozen);
  }

  std::string dir_;
};

TEST_F(FrozenConfigTest, PrefersTheFrozenFileBesideEachConfiguredFile) {
  // The text files say one thing, the frozen files another: the frozen rules
  // are in use, named after the text files they were made from.
  const std::string conf = Write("sockd.conf", "deny ALL\n");
  const std::string socks = Write("socks.conf", "deny ALL\n");
  const std::string route = Write("sockd.route", "127.0.0.9 ALL\n");
  Freeze("sockd.fc", rules::ParseSockdConf("permit 10.0.0.0/8\n", conf),
         &rules::FreezeSockdConf);
  Freeze("socks.fc", rules::ParseSocksConf("\n\ndirect ALL\n", socks),
         &rules::FreezeSocksConf);
  Freeze("sockd.fr", rules::ParseSockdRoute("127.0.0.2 ALL\n", route),
         &rules::FreezeSockdRoute);
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(Explicit(conf, socks, route)));
  const rules::AccessDecision access = rules->CheckAccess(From("10.0.0.1"));
  EXPECT_TRUE(access.permitted);
  EXPECT_EQ(rules->access().filename, conf);
  EXPECT_EQ(rules->Route(From("10.0.0.1")).action,
            rules::SocksRule::Action::kDirect);
  EXPECT_EQ(rules->routing()->rules[0].line, 3);
  ASSERT_TRUE(rules->interfaces().has_value());
  EXPECT_EQ(rules->interfaces()->rules[0].interface.ToString(), "127.0.0.2");
}

TEST_F(FrozenConfigTest, UsesAFrozenFileWhoseDefaultTextFileIsMissing) {
  const std::string conf = dir_ + "/sockd.conf";
  Freeze("sockd.fc", rules::ParseSockdConf("permit 10.0.0.0/8\n", conf),
         &rules::FreezeSockdConf);
  ConfigPaths paths = Explicit(conf);
  paths.sockd_conf_explicit = false;
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(paths));
  EXPECT_TRUE(rules->CheckAccess(From("10.0.0.1")).permitted);
  EXPECT_FALSE(rules->CheckAccess(From("127.0.0.1")).permitted)
      << "the embedded default was used instead of the frozen file";
}

TEST_F(FrozenConfigTest, ACorruptFrozenFileIsAnErrorNotAFallback) {
  const std::string conf = Write("sockd.conf", "permit ALL\n");
  const std::string frozen = Write("sockd.fc", "permit ALL\n");
  EXPECT_THAT(LoadRuleSet(Explicit(conf)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       frozen + ": not a frozen sockd.conf (no \"RSOCKDFZ\" "
                                "magic at the start)"));
}

TEST_F(FrozenConfigTest, FrozenRoutingStillNeedsADefaultServer) {
  const std::string conf = Write("sockd.conf", "permit ALL\n");
  const std::string socks = dir_ + "/socks.conf";
  Freeze("socks.fc", rules::ParseSocksConf("sockd ALL\n", socks),
         &rules::FreezeSocksConf);
  EXPECT_THAT(LoadRuleSet(Explicit(conf, socks)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(socks + ":1:1: sockd line without servers")));
}

// docs/frozen_files.md, "Staleness": a frozen file older than the text file
// beside it, or than a user file it froze, fails closed, naming both files.
TEST_F(FrozenConfigTest, AFrozenFileOlderThanItsTextIsAnError) {
  const std::string conf = Write("sockd.conf", "permit ALL\n");
  const std::string socks = Write("socks.conf", "direct ALL\n");
  const std::string route = Write("sockd.route", "127.0.0.2 ALL\n");
  Freeze("sockd.fc", rules::ParseSockdConf("permit ALL\n", conf),
         &rules::FreezeSockdConf);
  Freeze("socks.fc", rules::ParseSocksConf("direct ALL\n", socks),
         &rules::FreezeSocksConf);
  Freeze("sockd.fr", rules::ParseSockdRoute("127.0.0.2 ALL\n", route),
         &rules::FreezeSockdRoute);
  for (const char* frozen : {"sockd.fc", "socks.fc", "sockd.fr"}) {
    ASSERT_THAT(SetModificationTime(dir_ + "/" + frozen, 1000000000), IsOk());
  }
  ASSERT_THAT(SetModificationTime(conf, 1000000001), IsOk());
  ASSERT_THAT(SetModificationTime(socks, 1000000001), IsOk());
  ASSERT_THAT(SetModificationTime(route, 1000000000), IsOk());
  const absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(Explicit(conf, socks, route));
  EXPECT_THAT(
      rules,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat(dir_, "/sockd.fc is older than ", conf,
                                      ", so its rules may be out of date: run "
                                      "make_sockdfc ",
                                      conf, " to refreeze it, or remove ", dir_,
                                      "/sockd.fc to use ", conf, "\n"))));
  EXPECT_THAT(
      rules,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat(dir_, "/socks.fc is older than ", socks,
                                      ", so its rules may be out of date: run "
                                      "make_socksfc"))));
  // Equal times are not stale.
  EXPECT_THAT(rules, StatusIs(absl::StatusCode::kInvalidArgument,
                              Not(HasSubstr("sockd.fr"))));

  // The tools read files the same way.
  EXPECT_THAT(ReadSockdConf(conf),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("sockd.fc is older than")));
  ASSERT_THAT(SetModificationTime(route, 1000000002), IsOk());
  EXPECT_THAT(
      ReadSockdRoute(route),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(absl::StrCat(dir_, "/sockd.fr is older than ", route,
                                      ", so its rules may be "
                                      "out of date: run make_sockdfr"))));
}

TEST_F(FrozenConfigTest, AFrozenFileOlderThanAUserFileItFrozeIsAnError) {
  const std::string users = Write("staff", "alice\n");
  const std::string socks = Write("socks.conf", "");
  Freeze("socks.fc",
         rules::ParseSocksConf(absl::StrCat("direct *=bob,", users, " ALL\n"),
                               socks),
         &rules::FreezeSocksConf);
  ASSERT_THAT(SetModificationTime(socks, 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(dir_ + "/socks.fc", 1000000100), IsOk());
  ASSERT_THAT(SetModificationTime(users, 1000000000), IsOk());
  ASSERT_THAT(ReadSocksConf(socks), IsOk());

  ASSERT_THAT(SetModificationTime(users, 1000000200), IsOk());
  EXPECT_THAT(ReadSocksConf(socks),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat(dir_, "/socks.fc is older than ", users,
                                    ", a user file it froze, so its rules may "
                                    "be out of date: run make_socksfc ",
                                    socks, " to refreeze it, or remove ", dir_,
                                    "/socks.fc to use ", socks)));
  // A frozen file named directly: nothing to compare but the user files.
  EXPECT_THAT(ReadSocksConf(dir_ + "/socks.fc"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat(dir_, "/socks.fc is older than ", users,
                                    ", a user file it froze, so its rules may "
                                    "be out of date: refreeze it with "
                                    "make_socksfc")));
  // Deployed without its user file, it holds the ids it needs.
  ASSERT_EQ(unlink(users.c_str()), 0);
  EXPECT_THAT(ReadSocksConf(socks), IsOk());
}

}  // namespace
}  // namespace rsockd
