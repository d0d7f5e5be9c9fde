// Hook commands run by the server (docs/hooks.md;
// docs/sockd_conf.md#worked-example): substitutions, filtering of
// client-controlled values, and never making a request wait.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::WaitForCompleteFile;

class HooksTest : public RsockdTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = MakeTempDir("hooks");
    ASSERT_THAT(dir, IsOk());
    dir_ = *dir;
    absl::StatusOr<std::unique_ptr<EchoServer>> echo = EchoServer::Start();
    ASSERT_THAT(echo, IsOk());
    echo_ = *std::move(echo);
  }

  int Request(absl::string_view user, const char* from) {
    absl::StatusOr<Socks4Session> session =
        Socks4Handshake(proxy(), Socks4ConnectRequest(echo_->address(), user),
                        kStepTimeout, net::IpAddress::Parse(from));
    return session.ok() ? session->reply.code : -1;
  }

  std::string dir_;
  std::unique_ptr<EchoServer> echo_;
};

// docs/sockd_conf.md#worked-example on loopback: 128.12 becomes 127.12, and the
// logger hooks write files instead.
TEST_F(HooksTest, WorkedExampleRunsTheHookOfTheDecidingLine) {
  const std::string rejected = dir_ + "/rejected";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat(
           "deny   *=bonnie,clyde 127.12.6.0 255.255.255.0 : echo 'Rejected "
           "SOCKS access by %u' from %a %c %S > ",
           rejected,
           "\n"
           "permit *=ylee 127.12.6.4 255.255.255.255 127.0.0.0 255.0.0.0\n"
           "deny   127.12.0.0 255.255.0.0 eq telnet\n"
           "permit 127.12.0.0 255.255.0.0\n"
           "#NO_IDENTD: /usr/bin/logger 'please run identd on %A'\n"
           "#BAD_ID: /usr/bin/logger '%U pretends to be %u on %A'\n")}));
  EXPECT_EQ(Request("clyde", "127.12.6.34"), kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(std::string line,
                       WaitForCompleteFile(rejected, kLogTimeout));
  EXPECT_EQ(line,
            absl::StrCat("Rejected SOCKS access by clyde from 127.12.6.34 "
                         "connect ",
                         echo_->port(), "\n"));
  EXPECT_EQ(Request("ylee", "127.12.6.4"), kSocks4Granted);
  EXPECT_EQ(Request("jane", "127.12.2.13"), kSocks4Granted);
  EXPECT_EQ(Request("don", "127.23.6.127"), kSocks4Rejected);
}

TEST_F(HooksTest, SleepingHookDoesNotDelayTheReply) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "permit 127.0.0.0 255.0.0.0 : sleep 30\n",
                   .extra_flags = {"--hook_timeout=60s"}}));
  const absl::Time start = absl::Now();
  EXPECT_EQ(Request("u", "127.0.0.1"), kSocks4Granted);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(HooksTest, HookIsKilledAtItsTimeout) {
  const std::string pid_file = dir_ + "/pid";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat("permit 127.0.0.0 255.0.0.0 : echo $$ > ",
                                  pid_file, "; exec sleep 60\n"),
       .extra_flags = {"--hook_timeout=500ms"}}));
  EXPECT_EQ(Request("u", "127.0.0.1"), kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(std::string pid_text,
                       WaitForCompleteFile(pid_file, kLogTimeout));
  const pid_t pid = std::stoi(pid_text);
  ASSERT_THAT(rsockd().WaitForLogLine("timed out", kLogTimeout), IsOk());
  EXPECT_EQ(kill(pid, 0), -1) << "the hook outlived its timeout";
}

TEST_F(HooksTest, HostileUserIdsExecuteNothing) {
  const std::string marker = dir_ + "/pwned";
  const std::string out = dir_ + "/out";
  // Refused by destination, so that the request (and its user id) is read.
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = absl::StrCat(
                       "deny ALL 127.0.0.0/8 : echo \"%u\" '%u' %u > ", out,
                       "\npermit ALL\n")}));
  // Within the 255-byte USERID limit, or the request is refused before any
  // rule (and hook) is reached.
  const std::string hostile = absl::StrCat("x;touch ", marker, ";`id`$(id)\"'");
  ASSERT_LE(hostile.size(), 255u);
  EXPECT_EQ(Request(hostile, "127.0.0.1"), kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(std::string line, WaitForCompleteFile(out, kLogTimeout));
  EXPECT_THAT(line, ::testing::StartsWith("x_touch_"));
  EXPECT_FALSE(ReadFileToString(marker).ok()) << "a user id ran a command";
}

// A client refused as soon as it connects (no line can permit it) still
// runs the hook of the deny line that refused it, with only its own fields.
TEST_F(HooksTest, ClientRefusedOnSightRunsTheDenyLinesHook) {
  const std::string out = dir_ + "/outsider";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat("deny 127.0.0.2/32 : echo %a '%u' %U > ", out,
                                  "\npermit 127.0.0.0/8\n")}));
  EXPECT_EQ(Request("never-read", "127.0.0.2"), kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(std::string line, WaitForCompleteFile(out, kLogTimeout));
  EXPECT_EQ(line, "127.0.0.2  unknown\n");
}

// Host names (docs/sockd_conf.md#address-specs): a source name rule matches the
// client's forward-confirmed reverse name; a destination zone matches a SOCKS4A
// name itself, unresolved; %A and %Z carry the names. Relies on the usual
// /etc/hosts line "127.0.0.1 localhost".
TEST_F(HooksTest, NamesMatchRulesAndReachHooks) {
  const std::string out = dir_ + "/names";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat("deny ALL .blocked.test\n"
                                  "permit localhost : echo %A %Z > ",
                                  out, "\n")}));
  EXPECT_EQ(Request("u", "127.0.0.1"), kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(std::string line, WaitForCompleteFile(out, kLogTimeout));
  EXPECT_EQ(line, "localhost localhost\n");
  // 127.0.0.2 has no name: the name rule does not match, nothing else does.
  EXPECT_EQ(Request("u", "127.0.0.2"), kSocks4Rejected);
  // The zone matches the SOCKS4A name as sent, which need not resolve.
  absl::StatusOr<Socks4Session> blocked =
      Socks4Handshake(proxy(),
                      rsockd::testing::Socks4aConnectRequest(
                          "www.blocked.test", echo_->port(), "u"),
                      kStepTimeout);
  ASSERT_THAT(blocked, IsOk());
  EXPECT_EQ(blocked->reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine("refused -- Connect from u(unknown)@"
                                      "127.0.0.1 to www.blocked.test",
                                      kLogTimeout),
              IsOk());
}

}  // namespace
}  // namespace rsockd::e2e
