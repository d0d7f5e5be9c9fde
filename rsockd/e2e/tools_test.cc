// `rsockd --check_config`, `test_sockd_conf` and the frozen-file tools
// (rsockd(8), docs/frozen_files.md#tools), run as binaries on the worked
// examples of docs/sockd_conf.md#worked-example and
// docs/socks_conf.md#worked-example, and on broken files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::SetModificationTime;
using ::rsockd::testing::SubprocessResult;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kRunTimeout = absl::Seconds(60);

// docs/sockd_conf.md#worked-example, with the hook kept.
constexpr char kWorkedExample[] =
    "deny   *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger "
    "'Rejected SOCKS access by %u'\n"
    "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 255.255.0.0\n"
    "deny   128.12.0.0 255.255.0.0 eq telnet\n"
    "permit 128.12.0.0 255.255.0.0\n"
    "#NO_IDENTD: /usr/bin/logger 'please run identd on %A'\n"
    "#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'\n";

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = rsockd::testing::MakeTempDir("tools");
    ASSERT_THAT(dir, IsOk());
    dir_ = *dir;
  }

  std::string WriteConf(absl::string_view name, absl::string_view text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    EXPECT_THAT(rsockd::testing::WriteStringToFile(path, text), IsOk());
    return path;
  }

  SubprocessResult Run(std::vector<std::string> argv) {
    absl::StatusOr<SubprocessResult> result =
        RunCommand({.argv = std::move(argv)}, kRunTimeout);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : SubprocessResult{};
  }

  SubprocessResult TestSockdConf(const std::string& conf,
                                 std::vector<std::string> args) {
    std::vector<std::string> argv = {
        RunfilePath("rsockd/tools/test_sockd_conf"), "-C", conf};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv);
  }

  // Runs one of the frozen-file tools built beside rsockd.
  SubprocessResult Tool(absl::string_view tool, std::vector<std::string> args) {
    std::vector<std::string> argv = {
        RunfilePath(absl::StrCat("rsockd/tools/", tool))};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv);
  }

  // The dump without its first line, the "# <file>, frozen in <file>"
  // comment that names where it came from.
  static std::string Rules(const std::string& dump) {
    return dump.substr(dump.find('\n') + 1);
  }

  std::string dir_;
};

TEST_F(ToolsTest, TestSockdConfWalksTheWorkedExample) {
  const std::string conf = WriteConf("sockd.conf", kWorkedExample);
  struct Case {
    std::vector<std::string> args;
    int exit_code;  // 1 permitted, 0 denied
    std::string line;
  };
  const Case cases[] = {
      {{"clyde", "128.12.6.34", "10.9.9.9", "ftp"}, 0, "line 1: deny"},
      {{"ylee", "128.12.6.4", "137.12.5.5", "telnet"}, 1, "line 2: permit"},
      {{"jane", "128.12.2.13", "10.9.9.9", "telnet"}, 0, "line 3: deny"},
      {{"jane", "128.12.2.13", "10.9.9.9", "80"}, 1, "line 4: permit"},
      {{"don", "23.2.6.127", "10.9.9.9", "80"}, 0, "no line matches"},
  };
  for (const Case& c : cases) {
    const SubprocessResult result = TestSockdConf(conf, c.args);
    EXPECT_EQ(result.status.exit_code, c.exit_code) << c.args[0] << "\n"
                                                    << result.stdout_text;
    EXPECT_THAT(result.stdout_text, HasSubstr(c.line)) << c.args[0];
  }
  // The hook of line 1 is shown, not run.
  const SubprocessResult clyde =
      TestSockdConf(conf, {"clyde", "128.12.6.34", "10.9.9.9", "ftp"});
  EXPECT_THAT(clyde.stdout_text,
              HasSubstr("hook: /usr/bin/logger 'Rejected SOCKS access by %u' "
                        "(not run; -x runs it)"));
}

TEST_F(ToolsTest, TestSockdConfShowsTheRouteFileChoice) {
  const std::string conf = WriteConf("sockd.conf", "permit ALL\n");
  const std::string route = WriteConf(
      "sockd.route", "127.0.0.2 127.0.0.0 255.0.0.0\n10.0.0.1 10.0.0.0/8\n");
  SubprocessResult result =
      TestSockdConf(conf, {"-R", route, "u", "127.0.0.1", "127.0.0.9", "80"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stderr_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("route: 127.0.0.9: from 127.0.0.2"));
  result =
      TestSockdConf(conf, {"-R", route, "u", "127.0.0.1", "192.0.2.1", "80"});
  // A CONNECT that no line matches goes out where the kernel chooses.
  EXPECT_EQ(result.status.exit_code, 1) << result.stderr_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("route: 192.0.2.1: the kernel chooses"));
  const std::string bad = WriteConf("bad.route", "eth0 ALL\n");
  result = TestSockdConf(conf, {"-R", bad, "u", "127.0.0.1", "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("bad.route:1:1:"));
}

// docs/socks_conf.md#decision, the routing file of an rsockd inside
// corp.example.
constexpr char kCorpRouting[] =
    "# inner zone: through the SOCKS server of the lab firewall\n"
    "sockd @=10.1.1.1:1080 .lab.corp.example\n"
    "direct .corp.example\n"
    "direct 10.0.0.0 255.0.0.0\n"
    "deny *=mallory ALL : logger %u\n"
    "sockd @=fw1.corp.example,fw2.corp.example:1081 ALL\n";

TEST_F(ToolsTest, TestSocksConfShowsTheDecisionAndServers) {
  const std::string conf = WriteConf("socks.conf", kCorpRouting);
  const std::string tool = RunfilePath("rsockd/tools/test_socks_conf");
  struct Case {
    std::vector<std::string> args;
    int exit_code;  // 1 goes somewhere, 0 refused
    std::vector<std::string> lines;
  };
  const Case cases[] = {
      {{"u", "db.lab.corp.example", "5432"},
       1,
       {"line 2: sockd @=10.1.1.1:1080 .lab.corp.example",
        "through, in order: 10.1.1.1:1080"}},
      {{"u", "10.9.9.9", "telnet"}, 1, {"line 4: direct", "\ndirect\n"}},
      {{"mallory", "192.0.2.1", "80"},
       0,
       {"line 5: deny *=mallory ALL : logger %u", "refused"}},
      {{"u", "192.0.2.1", "80"},
       1,
       {"line 6:",
        "through, in order: fw1.corp.example:1080 "
        "fw2.corp.example:1081"}},
      {{"u", "127.0.0.1", "80"}, 1, {"always direct (this host)"}},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {tool, "-C", conf};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const SubprocessResult result = Run(argv);
    EXPECT_EQ(result.status.exit_code, c.exit_code)
        << c.args[1] << "\n"
        << result.stdout_text << result.stderr_text;
    for (const std::string& line : c.lines) {
      EXPECT_THAT(result.stdout_text, HasSubstr(line)) << c.args[1];
    }
  }
}

TEST_F(ToolsTest, TestSocksConfDefaultServerAndErrors) {
  // `sockd @=` (an empty list) is `sockd`: the default server.
  const std::string conf =
      WriteConf("socks.conf", "direct 10.0.0.0/8\nsockd @= ALL\n");
  const std::string tool = RunfilePath("rsockd/tools/test_socks_conf");
  absl::StatusOr<SubprocessResult> with_default =
      RunCommand({.argv = {tool, "-C", conf, "u", "192.0.2.1", "80"},
                  .env = {{"SOCKS_SERVER", "fw:1082"}}},
                 kRunTimeout);
  ASSERT_THAT(with_default, IsOk());
  EXPECT_EQ(with_default->status.exit_code, 1);
  EXPECT_THAT(with_default->stdout_text,
              HasSubstr("through, in order: fw:1082"));

  absl::StatusOr<SubprocessResult> without =
      RunCommand({.argv = {tool, "-C", conf, "u", "192.0.2.1", "80"},
                  .env = {{"SOCKS_SERVER", ""}}},
                 kRunTimeout);
  ASSERT_THAT(without, IsOk());
  EXPECT_EQ(without->status.exit_code, 2);
  EXPECT_THAT(without->stderr_text,
              HasSubstr("socks.conf:2:1: sockd line without servers (no @= "
                        "list, or an empty one) and no default server: set "
                        "one with --socks_server or the SOCKS_SERVER "
                        "environment variable"));

  const std::string bad = WriteConf("bad.conf", "direct ALL\nforward ALL\n");
  const SubprocessResult broken = Run({tool, "-C", bad, "u", "10.0.0.1", "80"});
  EXPECT_EQ(broken.status.exit_code, 2);
  EXPECT_THAT(broken.stderr_text, HasSubstr("bad.conf:2:1: unknown keyword"));
  EXPECT_EQ(Run({tool, "u", "10.0.0.1"}).status.exit_code, 2);
}

TEST_F(ToolsTest, TestSockdConfRunsTheHookOnlyWithX) {
  const std::string marker = dir_ + "/hook-ran";
  const std::string conf = WriteConf(
      "hook.conf", absl::StrCat("deny ALL : echo %u %c %s > ", marker, "\n"));
  TestSockdConf(conf, {"mallory", "10.1.1.1", "10.2.2.2", "80"});
  EXPECT_FALSE(rsockd::testing::ReadFileToString(marker).ok())
      << "the hook ran without -x";
  const SubprocessResult result =
      TestSockdConf(conf, {"-x", "x;touch", "10.1.1.1", "10.2.2.2", "80"});
  EXPECT_EQ(result.status.exit_code, 0);
  ASSERT_OK_AND_ASSIGN(std::string ran,
                       rsockd::testing::ReadFileToString(marker));
  EXPECT_EQ(ran, "x_touch connect 80\n");
}

TEST_F(ToolsTest, TestSockdConfShowsTheIdentLevel) {
  const std::string conf =
      WriteConf("ident.conf", "permit ?=I 127.0.0.1/32\npermit 127.0.0.0/8\n");
  // Without -i, -I or -B identd is taken to confirm the user.
  SubprocessResult result =
      TestSockdConf(conf, {"u", "127.0.0.1", "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("ident strict: identd confirms u"));
  result = TestSockdConf(conf, {"u", "127.0.0.2", "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stdout_text, HasSubstr("ident off\n"));
  EXPECT_THAT(result.stdout_text, HasSubstr("permitted (reply 90)"));
}

// test_sockd_conf(8): the classic flags simulate the client's identd. -i and
// -I: the global level, with no identd answering; -B: identd names another
// user. A line's ?= sets its level as in rsockd.
constexpr char kIdentHooks[] =
    "permit ?=n 127.0.0.9/32\n"
    "permit 127.0.0.0/8\n"
    "#NO_IDENTD: logger no identd on %A\n"
    "#BAD_ID: logger %U is not %u\n";

TEST_F(ToolsTest, TestSockdConfLenientIdentWithoutIdentdPermits) {
  const std::string conf = WriteConf("ident.conf", kIdentHooks);
  const SubprocessResult result =
      TestSockdConf(conf, {"-i", "u", "127.0.0.1", "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stdout_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("ident lenient: identd does not answer\n"
                        "#NO_IDENTD: logger no identd on %A (not run; -x "
                        "runs it)\n"));
  EXPECT_THAT(result.stdout_text, HasSubstr("permitted (reply 90)"));
}

TEST_F(ToolsTest, TestSockdConfStrictIdentWithoutIdentdDenies) {
  const std::string conf = WriteConf("ident.conf", kIdentHooks);
  const SubprocessResult result =
      TestSockdConf(conf, {"-I", "u", "127.0.0.1", "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 0) << result.stdout_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("ident strict: identd does not answer\n"
                        "#NO_IDENTD: logger no identd on %A (not run; -x "
                        "runs it)\n"));
  EXPECT_THAT(result.stdout_text,
              HasSubstr("denied: cannot verify user-id (reply 92)"));
  // A line with ?=n does not ask identd.
  EXPECT_EQ(TestSockdConf(conf, {"-I", "u", "127.0.0.9", "10.1.1.1", "80"})
                .status.exit_code,
            1);
}

TEST_F(ToolsTest, TestSockdConfBadIdDenies) {
  const std::string conf = WriteConf("ident.conf", kIdentHooks);
  for (const char* level : {"-B", "-i"}) {
    std::vector<std::string> args = {"u", "127.0.0.1", "10.1.1.1", "80"};
    args.insert(args.begin(), "-B");
    if (std::string(level) != "-B") args.insert(args.begin(), level);
    const SubprocessResult result = TestSockdConf(conf, args);
    EXPECT_EQ(result.status.exit_code, 0) << result.stdout_text;
    EXPECT_THAT(result.stdout_text,
                HasSubstr("identd names another user than u\n"
                          "#BAD_ID: logger %U is not %u (not run; -x runs "
                          "it)\n"));
    EXPECT_THAT(result.stdout_text,
                HasSubstr("denied: bad user-id (reply 93)"));
  }
}

TEST_F(ToolsTest, TestSockdConfRunsTheIdentHookWithX) {
  const std::string marker = dir_ + "/no-identd";
  const std::string conf = WriteConf(
      "ident.conf", absl::StrCat("permit ALL : echo line >> ", marker,
                                 "\n#NO_IDENTD: echo %u %c >> ", marker, "\n"));
  // Strict: the #NO_IDENTD: hook runs, the line's does not.
  EXPECT_EQ(
      TestSockdConf(conf, {"-x", "-I", "u", "127.0.0.1", "10.1.1.1", "80"})
          .status.exit_code,
      0);
  ASSERT_OK_AND_ASSIGN(std::string ran,
                       rsockd::testing::ReadFileToString(marker));
  EXPECT_EQ(ran, "u connect\n");
  // Lenient: both, the #NO_IDENTD: hook first.
  EXPECT_EQ(TestSockdConf(
                conf, {"-x", "-i", "-b", "u", "127.0.0.1", "10.1.1.1", "80"})
                .status.exit_code,
            1);
  ASSERT_OK_AND_ASSIGN(ran, rsockd::testing::ReadFileToString(marker));
  EXPECT_EQ(ran, "u connect\nu bind\nline\n");
}

// -b asks about a BIND (the classic -B means a bad user id). With -R, a BIND
// needs a route line to listen on; a CONNECT only shows the local address.
TEST_F(ToolsTest, TestSockdConfRouteFileDecidesABind) {
  const std::string conf = WriteConf("sockd.conf", "permit ALL\n");
  const std::string route =
      WriteConf("sockd.route", "127.0.0.2 127.0.0.0 255.0.0.0\n");
  SubprocessResult result = TestSockdConf(
      conf, {"-b", "-R", route, "u", "127.0.0.1", "192.0.2.1", "ftp"});
  EXPECT_EQ(result.status.exit_code, 0) << result.stdout_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("BIND from u@127.0.0.1 for "));
  EXPECT_THAT(result.stdout_text,
              HasSubstr("denied: Cannot find appropriate interface to "
                        "communicate with 192.0.2.1 (reply 91)"));

  result = TestSockdConf(
      conf, {"-b", "-R", route, "u", "127.0.0.1", "127.0.0.9", "ftp"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stdout_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("route: 127.0.0.9: listen on 127.0.0.2"));

  // Without -R the route file plays no part.
  EXPECT_EQ(TestSockdConf(conf, {"-b", "u", "127.0.0.1", "192.0.2.1", "ftp"})
                .status.exit_code,
            1);
  // A CONNECT no line matches: the kernel chooses, still permitted.
  result =
      TestSockdConf(conf, {"-R", route, "u", "127.0.0.1", "192.0.2.1", "80"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stdout_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("route: 192.0.2.1: the kernel chooses"));
}

TEST_F(ToolsTest, TestSockdConfUsageAndConfigErrorsExitTwo) {
  const std::string good = WriteConf("good.conf", "permit ALL\n");
  EXPECT_EQ(TestSockdConf(good, {"only", "three", "args"}).status.exit_code, 2);
  EXPECT_EQ(TestSockdConf(good, {"u", "1.2.3.4", "5.6.7.8", "nosuchservice"})
                .status.exit_code,
            2);
  const std::string bad = WriteConf("bad.conf", "permit ALL\nallow ALL\n");
  const SubprocessResult result =
      TestSockdConf(bad, {"u", "1.2.3.4", "5.6.7.8", "80"});
  EXPECT_EQ(result.status.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("bad.conf:2:1: unknown keyword"));
}

TEST_F(ToolsTest, CheckConfigPrintsTheNormalizedRules) {
  const std::string conf = WriteConf("sockd.conf", kWorkedExample);
  ASSERT_OK_AND_ASSIGN(std::string rsockd,
                       rsockd::testing::RsockdProcess::BinaryPath());
  const SubprocessResult result =
      Run({rsockd, "--check_config", "--sockd_conf=" + conf});
  EXPECT_EQ(result.status.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("deny 128.12.0.0 255.255.0.0 eq 23\n"));
  EXPECT_THAT(
      result.stdout_text,
      HasSubstr("#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'"));
  // Each file's part of the dump is itself a valid file of its kind.
  const size_t routing = result.stdout_text.find("# <embedded socks.conf>\n");
  ASSERT_NE(routing, std::string::npos) << result.stdout_text;
  EXPECT_EQ(result.stdout_text.substr(routing),
            "# <embedded socks.conf>\ndirect ALL\n");
  const std::string dumped =
      WriteConf("dumped.conf", result.stdout_text.substr(0, routing));
  EXPECT_EQ(Run({rsockd, "--check_config", "--sockd_conf=" + dumped})
                .status.exit_code,
            0);
}

TEST_F(ToolsTest, CheckConfigReportsEveryErrorAndExitsOne) {
  const std::string conf = WriteConf(
      "broken.conf", "permit ALL eq nosuch\npermit ALL\nbogus 1.2.3.4\n");
  ASSERT_OK_AND_ASSIGN(std::string rsockd,
                       rsockd::testing::RsockdProcess::BinaryPath());
  const SubprocessResult result =
      Run({rsockd, "--check_config", "--sockd_conf=" + conf});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text,
              HasSubstr("broken.conf:1:15: unknown service"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr("broken.conf:3:1: unknown keyword"));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("permit")));
  // A path given explicitly must exist.
  EXPECT_EQ(
      Run({rsockd, "--check_config", "--sockd_conf=" + dir_ + "/absent.conf"})
          .status.exit_code,
      1);
}

TEST_F(ToolsTest, MakeAndDumpSockdfcRoundTripTheWorkedExample) {
  const std::string conf = WriteConf("sockd.conf", kWorkedExample);
  const SubprocessResult made = Tool("make_sockdfc", {conf});
  ASSERT_EQ(made.status.exit_code, 0) << made.stderr_text;
  EXPECT_THAT(made.stdout_text,
              HasSubstr(absl::StrCat("make_sockdfc: wrote ", dir_,
                                     "/sockd.fc (4 rules, ")));
  const SubprocessResult dumped = Tool("dump_sockdfc", {dir_ + "/sockd.fc"});
  ASSERT_EQ(dumped.status.exit_code, 0) << dumped.stderr_text;
  EXPECT_EQ(dumped.stdout_text,
            absl::StrCat("# ", conf, ", frozen in ", dir_,
                         "/sockd.fc\n"
                         "deny *=bonnie,clyde 128.12.6.0 255.255.255.0 : "
                         "/usr/bin/logger 'Rejected SOCKS access by %u'\n"
                         "permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 "
                         "255.255.0.0\n"
                         "deny 128.12.0.0 255.255.0.0 eq 23\n"
                         "permit 128.12.0.0 255.255.0.0\n"
                         "#NO_IDENTD: /usr/bin/logger 'please run identd on "
                         "%A'\n"
                         "#BAD_ID: /usr/bin/logger '%U pretends to be %u on "
                         "%A'\n"));
  // The dump is a sockd.conf with the same rules: frozen again and dumped,
  // it gives the same text.
  const std::string again = WriteConf("again.conf", dumped.stdout_text);
  ASSERT_EQ(Tool("make_sockdfc", {again}).status.exit_code, 0);
  EXPECT_EQ(Rules(Tool("dump_sockdfc", {dir_ + "/again.fc"}).stdout_text),
            Rules(dumped.stdout_text));
  // And test_sockd_conf, with the server's parser, judges it the same way.
  EXPECT_EQ(TestSockdConf(again, {"jane", "128.12.2.13", "10.9.9.9", "telnet"})
                .status.exit_code,
            0);
}

TEST_F(ToolsTest, MakeSockdfcReportsEveryParseErrorAndWritesNothing) {
  const std::string conf = WriteConf(
      "broken.conf", "permit ALL eq nosuch\npermit ALL\nbogus 1.2.3.4\n");
  const SubprocessResult result = Tool("make_sockdfc", {conf});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr(conf + ":1:15: unknown service"));
  EXPECT_THAT(result.stderr_text, HasSubstr(conf + ":3:1: unknown keyword"));
  EXPECT_FALSE(rsockd::testing::ReadFileToString(dir_ + "/broken.fc").ok())
      << "a frozen file was written for a broken config";
  const SubprocessResult missing = Tool("make_sockdfc", {dir_ + "/absent"});
  EXPECT_EQ(missing.status.exit_code, 1);
  EXPECT_THAT(missing.stderr_text, HasSubstr("No such file or directory"));
}

TEST_F(ToolsTest, MakeAndDumpSocksfcAndSockdfr) {
  const std::string socks =
      WriteConf("socks.conf",
                "# inner zone: through the SOCKS server of the lab firewall\n"
                "sockd @=10.1.1.1:1080 .lab.corp.example\n"
                "direct .corp.example\n"
                "direct 10.0.0.0 255.0.0.0\n"
                "sockd @=fw1.corp.example,fw2.corp.example ALL\n");
  const std::string frozen_socks = dir_ + "/routing.fc";
  ASSERT_EQ(Tool("make_socksfc", {socks, frozen_socks}).status.exit_code, 0);
  const SubprocessResult socks_dump = Tool("dump_socksfc", {frozen_socks});
  EXPECT_EQ(socks_dump.status.exit_code, 0) << socks_dump.stderr_text;
  EXPECT_EQ(Rules(socks_dump.stdout_text),
            "sockd @=10.1.1.1:1080 .lab.corp.example\n"
            "direct .corp.example\n"
            "direct 10.0.0.0 255.0.0.0\n"
            "sockd @=fw1.corp.example:1080,fw2.corp.example:1080 ALL\n");

  const std::string route =
      WriteConf("sockd.route", "127.0.0.2 127.0.0.0 255.0.0.0\n::1 ::/0\n");
  ASSERT_EQ(Tool("make_sockdfr", {route}).status.exit_code, 0);
  const SubprocessResult route_dump =
      Tool("dump_sockdfr", {dir_ + "/sockd.fr"});
  EXPECT_EQ(route_dump.status.exit_code, 0) << route_dump.stderr_text;
  EXPECT_EQ(Rules(route_dump.stdout_text),
            "127.0.0.2 127.0.0.0 255.0.0.0\n::1 ::/0\n");

  // Each dump tool reads only its own kind.
  const SubprocessResult wrong = Tool("dump_sockdfr", {frozen_socks});
  EXPECT_EQ(wrong.status.exit_code, 1);
  EXPECT_THAT(wrong.stderr_text,
              HasSubstr("this is a frozen socks.conf, not a frozen "
                        "sockd.route"));
}

TEST_F(ToolsTest, DumpRejectsDamagedFiles) {
  const std::string conf = WriteConf("sockd.conf", kWorkedExample);
  ASSERT_EQ(Tool("make_sockdfc", {conf}).status.exit_code, 0);
  ASSERT_OK_AND_ASSIGN(std::string bytes,
                       rsockd::testing::ReadFileToString(dir_ + "/sockd.fc"));
  const std::string truncated = WriteConf("truncated.fc", bytes.substr(0, 50));
  SubprocessResult result = Tool("dump_sockdfc", {truncated});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr("truncated"));
  EXPECT_EQ(result.stdout_text, "");
  bytes[40] ^= 1;
  result = Tool("dump_sockdfc", {WriteConf("flipped.fc", bytes)});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr("checksum mismatch"));
  result = Tool("dump_sockdfc", {conf});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr("not a frozen sockd.conf"));
}

TEST_F(ToolsTest, FrozenToolUsageExitsTwo) {
  EXPECT_EQ(Tool("make_sockdfc", {"a", "b", "c"}).status.exit_code, 2);
  EXPECT_EQ(Tool("dump_socksfc", {"a", "b"}).status.exit_code, 2);
  const SubprocessResult option = Tool("make_sockdfr", {"-v"});
  EXPECT_EQ(option.status.exit_code, 2);
  EXPECT_THAT(option.stderr_text, HasSubstr("usage: make_sockdfr [in [out]]"));
  const SubprocessResult help = Tool("make_sockdfc", {"--help"});
  EXPECT_EQ(help.status.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("(default /etc/sockd.conf)"));
  EXPECT_THAT(help.stdout_text, HasSubstr("/etc/sockd.fc"));
}

TEST_F(ToolsTest, CheckConfigShowsTheFrozenRulesInUse) {
  const std::string conf = WriteConf("sockd.conf", kWorkedExample);
  ASSERT_EQ(Tool("make_sockdfc", {conf}).status.exit_code, 0);
  // An older text beside the frozen file plays no part.
  WriteConf("sockd.conf", "deny ALL\n");
  ASSERT_THAT(SetModificationTime(conf, 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(dir_ + "/sockd.fc", 1000000060), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string rsockd,
                       rsockd::testing::RsockdProcess::BinaryPath());
  const SubprocessResult result =
      Run({rsockd, "--check_config", "--sockd_conf=" + conf});
  EXPECT_EQ(result.status.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("deny 128.12.0.0 255.255.0.0 eq 23\n"));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("deny ALL")));
}

// frozen_files.md, "Staleness": a frozen file older than its text is an
// error for --check_config and the test tools, as for the server.
TEST_F(ToolsTest, AStaleFrozenFileIsAnErrorEverywhere) {
  const std::string conf = WriteConf("sockd.conf", "permit ALL\n");
  ASSERT_EQ(Tool("make_sockdfc", {conf}).status.exit_code, 0);
  WriteConf("sockd.conf", "deny 10.0.0.0/8\npermit ALL\n");
  ASSERT_THAT(SetModificationTime(dir_ + "/sockd.fc", 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(conf, 1000000060), IsOk());
  const std::string error = absl::StrCat(
      dir_, "/sockd.fc is older than ", conf,
      ", so its rules may be out of date: run make_sockdfc ", conf,
      " to refreeze it, or remove ", dir_, "/sockd.fc to use ", conf, "\n");

  ASSERT_OK_AND_ASSIGN(std::string rsockd,
                       rsockd::testing::RsockdProcess::BinaryPath());
  SubprocessResult result =
      Run({rsockd, "--check_config", "--sockd_conf=" + conf});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr(error));
  EXPECT_EQ(result.stdout_text, "");

  result = TestSockdConf(conf, {"u", "10.1.1.1", "10.2.2.2", "80"});
  EXPECT_EQ(result.status.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr(error));
  EXPECT_EQ(result.stdout_text, "");

  const std::string socks = WriteConf("socks.conf", "direct ALL\n");
  ASSERT_EQ(Tool("make_socksfc", {socks}).status.exit_code, 0);
  ASSERT_THAT(SetModificationTime(dir_ + "/socks.fc", 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(socks, 1000000060), IsOk());
  result = Run({RunfilePath("rsockd/tools/test_socks_conf"), "-C", socks, "u",
                "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 2);
  EXPECT_THAT(result.stderr_text,
              HasSubstr(absl::StrCat(dir_, "/socks.fc is older than ", socks,
                                     ", so its rules may be out of date: run "
                                     "make_socksfc")));
}

// The test tools judge by the rules rsockd would use: the frozen file beside
// the named one, and they say so.
TEST_F(ToolsTest, TestSockdConfJudgesByTheFrozenFileInUse) {
  const std::string conf =
      WriteConf("sockd.conf", "permit 10.0.0.0 255.0.0.0\n");
  ASSERT_EQ(Tool("make_sockdfc", {conf}).status.exit_code, 0);
  WriteConf("sockd.conf", "deny 10.0.0.0 255.0.0.0\n");
  ASSERT_THAT(SetModificationTime(conf, 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(dir_ + "/sockd.fc", 1000000060), IsOk());
  const std::string route = WriteConf("sockd.route", "127.0.0.3 ALL\n");
  ASSERT_EQ(Tool("make_sockdfr", {route}).status.exit_code, 0);

  const SubprocessResult result =
      TestSockdConf(conf, {"-R", route, "u", "10.1.1.1", "127.0.0.9", "80"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stderr_text;
  EXPECT_THAT(result.stdout_text,
              HasSubstr("line 1: permit 10.0.0.0 255.0.0.0"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr("test_sockd_conf: using the frozen rules of " + dir_ +
                        "/sockd.fc\n"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr("using the frozen rules of " + dir_ + "/sockd.fr"));
  EXPECT_THAT(result.stdout_text, HasSubstr("127.0.0.3"));

  // Without the frozen file the text decides, and nothing is said about it.
  ASSERT_EQ(unlink((dir_ + "/sockd.fc").c_str()), 0);
  const SubprocessResult text =
      TestSockdConf(conf, {"u", "10.1.1.1", "127.0.0.9", "80"});
  EXPECT_EQ(text.status.exit_code, 0) << text.stderr_text;
  EXPECT_EQ(text.stderr_text, "");
}

TEST_F(ToolsTest, TestSocksConfJudgesByTheFrozenFileInUse) {
  const std::string conf = WriteConf("socks.conf", "direct ALL\n");
  ASSERT_EQ(Tool("make_socksfc", {conf}).status.exit_code, 0);
  WriteConf("socks.conf", "deny ALL\n");
  ASSERT_THAT(SetModificationTime(conf, 1000000000), IsOk());
  ASSERT_THAT(SetModificationTime(dir_ + "/socks.fc", 1000000060), IsOk());
  const SubprocessResult result =
      Run({RunfilePath("rsockd/tools/test_socks_conf"), "-C", conf, "u",
           "10.1.1.1", "80"});
  EXPECT_EQ(result.status.exit_code, 1) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("direct"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr("test_socks_conf: using the frozen rules of " + dir_ +
                        "/socks.fc\n"));
}

}  // namespace
}  // namespace rsockd::e2e
