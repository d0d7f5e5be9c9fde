// --password_file (docs/socks5.md, "Username/password") with the real
// binary: --check_config lists the users without their hashes and reports
// every bad line as file:line:col; a broken file stops a start, and on
// SIGHUP or --reload_on_change keeps the configuration in use.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <memory>
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
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::Not;

// `mkpasswd -m yescrypt secret` and `htpasswd -nbB bob secret`.
constexpr char kAliceAndBob[] =
    "# SOCKS5 users\n"
    "alice:$y$j9T$foXcy0FQq1ITB99QAs/F6/"
    "$sP4jxMaLhr.jqiVkMGW.lqOhWyis8UPxXwiyG46mzJ9\n"
    "bob:$2y$05$T0bPMibLlvXpZxGhNcVTsuSllZWysfEZ7WPyzXrK6tmUwrMQ9e/1K\n";

class PasswordFileTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, rsockd::testing::MakeTempDir("password-file-"));
    conf_ = dir_ + "/sockd.conf";
    passwords_ = dir_ + "/passwords";
    ASSERT_THAT(WriteStringToFile(conf_, kPermitLoopback), IsOk());
  }

  void TearDown() override {
    RsockdTest::TearDown();
    EXPECT_THAT(rsockd::testing::RemoveTree(dir_), IsOk());
  }

  // rsockd --check_config with sockd.conf permitting loopback clients, no
  // socks.conf or sockd.route, and `flags`.
  SubprocessResult CheckConfig(std::vector<std::string> flags) {
    absl::StatusOr<std::string> rsockd = RsockdProcess::BinaryPath();
    EXPECT_THAT(rsockd, IsOk());
    std::vector<std::string> argv = {*rsockd, "--check_config",
                                     "--sockd_conf=" + conf_,
                                     "--socks_conf=", "--route_file="};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<SubprocessResult> result =
        RunCommand({.argv = std::move(argv)}, kCommandTimeout);
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : SubprocessResult{};
  }

  std::string dir_;
  std::string conf_;
  std::string passwords_;
};

TEST_F(PasswordFileTest, CheckConfigListsTheUsersButNeverTheirHashes) {
  ASSERT_THAT(WriteStringToFile(passwords_, kAliceAndBob), IsOk());
  const SubprocessResult result =
      CheckConfig({"--password_file=" + passwords_});
  EXPECT_EQ(result.status.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(
      result.stdout_text,
      HasSubstr(absl::StrCat("# ", passwords_, "\nalice:***\nbob:***\n")));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("$y$")));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("$2y$")));
}

TEST_F(PasswordFileTest, CheckConfigReportsEveryBadLineAndExitsOne) {
  ASSERT_THAT(WriteStringToFile(passwords_, absl::StrCat(kAliceAndBob,
                                                         "carol\n"
                                                         ":nobody\n"
                                                         "dave:secret\n"
                                                         "bob:*\n")),
              IsOk());
  const SubprocessResult result =
      CheckConfig({"--password_file=" + passwords_});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text,
              HasSubstr(passwords_ + ":4:1: missing ':' after the user name"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr(passwords_ + ":5:1: missing user name before ':'"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr(passwords_ + ":6:6: not a whole crypt(3) hash"));
  EXPECT_THAT(result.stderr_text,
              HasSubstr(passwords_ + ":7:5: not a hash crypt(3) can check"));
  // Neither the password written in clear nor a hash is echoed.
  EXPECT_THAT(result.stderr_text, Not(HasSubstr("secret")));
  EXPECT_THAT(result.stderr_text, Not(HasSubstr("$2y$")));
  EXPECT_THAT(result.stdout_text, Not(HasSubstr("alice")));
}

TEST_F(PasswordFileTest, CheckConfigRefusesAMissingPasswordFile) {
  const SubprocessResult result =
      CheckConfig({"--password_file=" + passwords_});
  EXPECT_EQ(result.status.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr("cannot read " + passwords_));
}

TEST_F(PasswordFileTest, ABrokenPasswordFileStopsAStart) {
  ASSERT_THAT(WriteStringToFile(passwords_, "alice\n"), IsOk());
  EXPECT_THAT(
      RsockdProcess::Start({.extra_flags = {"--password_file=" + passwords_}}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(passwords_ + ":1:1: missing ':'")));
}

TEST_F(PasswordFileTest, SighupWithABrokenPasswordFileKeepsTheConfiguration) {
  ASSERT_THAT(WriteStringToFile(passwords_, kAliceAndBob), IsOk());
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--password_file=" + passwords_}}));

  ASSERT_THAT(WriteStringToFile(passwords_, "alice:\n"), IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload("configuration has errors; keeping the configuration"));
  EXPECT_THAT(rsockd().Stderr().substr(mark),
              HasSubstr(passwords_ + ":1:7: missing hash after ':'"));

  ASSERT_THAT(WriteStringToFile(passwords_, kAliceAndBob), IsOk());
  ASSERT_TRUE(Reload(kReloaded));
}

TEST_F(PasswordFileTest, ReloadOnChangeWatchesThePasswordFile) {
  ASSERT_THAT(WriteStringToFile(passwords_, kAliceAndBob), IsOk());
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.extra_flags = {
                                           "--password_file=" + passwords_,
                                           "--reload_on_change",
                                       }}));

  const size_t mark = rsockd().StderrSize();
  // Replaced by rename, as editors and htpasswd do.
  const std::string edited = passwords_ + ".new";
  ASSERT_THAT(WriteStringToFile(edited, "# nobody\n"), IsOk());
  ASSERT_EQ(rename(edited.c_str(), passwords_.c_str()), 0);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("--reload_on_change: ", passwords_, " changed"),
                  kLogTimeout, mark),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine(kReloaded, kLogTimeout, mark), IsOk());
}

}  // namespace
}  // namespace rsockd::e2e
