// End-to-end: --syslog (docs/operations.md, "Syslog"). The server is pointed
// at a datagram socket the test owns (--syslog_socket) instead of /dev/log,
// and the test reads the RFC 3164 messages syslog(3) would have sent: the
// request log at notice, *Alert* lines at warning, errors at err.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rsockd/base/status_macros.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/fake_identd.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/syslog_receiver.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FakeIdentd;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4IdentMismatch;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::SyslogReceiver;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

// "<PRI>Mmm dd hh:mm:ss " as RFC 3164 has it.
constexpr char kHeader[] =
    "<[0-9]+>[A-Z][a-z][a-z] [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] ";

class SyslogTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(syslog_, SyslogReceiver::Create());
  }

  std::string SocketFlag() const {
    return absl::StrCat("--syslog_socket=", syslog_->path());
  }
  // " rsockd[PID]: " of the running server.
  std::string Tag() { return absl::StrCat(" rsockd[", rsockd().pid(), "]: "); }

  // Makes a reload fail (sockd.conf broken, then SIGHUP) and returns its
  // error as syslog received it.
  absl::StatusOr<std::string> FailedReloadMessage() {
    RSOCKD_RETURN_IF_ERROR(
        WriteStringToFile(rsockd().sockd_conf_path(), "allow ALL\n"));
    if (kill(rsockd().pid(), SIGHUP) != 0) {
      return absl::ErrnoToStatus(errno, "kill(SIGHUP)");
    }
    return syslog_->WaitForMessage({"sockd.conf:1:1: unknown keyword"},
                                   kLogTimeout);
  }

  std::unique_ptr<SyslogReceiver> syslog_;
};

TEST_F(SyslogTest, RequestLogGoesToDaemonFacilityByDefault) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "deny 127.0.0.0 255.0.0.0 eq 9\n"
                                 "permit 127.0.0.0 255.0.0.0\n",
                   .extra_flags = {"--syslog", SocketFlag()}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_TRUE(EchoThroughProxy(echo->address(), "ylee", "hello"));
  const std::string destination = echo->address().ip().ToString();
  // daemon.notice = 3 * 8 + 5 = 29, so that classic `daemon.notice`
  // selectors see the request log.
  ASSERT_OK_AND_ASSIGN(std::string connected,
                       syslog_->WaitForMessage({"connected -- "}, kLogTimeout));
  EXPECT_THAT(connected, MatchesRegex(absl::StrCat(kHeader, ".*")));
  EXPECT_THAT(connected, StartsWith("<29>"));
  EXPECT_THAT(connected,
              HasSubstr(absl::StrCat(
                  Tag(),
                  "[1] connected -- Connect from ylee(unknown)@127.0.0.1 "
                  "to ",
                  destination)));
  ASSERT_OK_AND_ASSIGN(
      std::string terminated,
      syslog_->WaitForMessage({"terminated -- "}, kLogTimeout));
  EXPECT_THAT(terminated, StartsWith("<29>"));
  EXPECT_THAT(terminated,
              HasSubstr(absl::StrCat("5 bytes from ylee@127.0.0.1, 5 bytes "
                                     "from ",
                                     destination)));

  ASSERT_OK_AND_ASSIGN(
      Socks4Session refused,
      Socks4Handshake(proxy(), Socks4ConnectRequest(LoopbackAddress(9), "jane"),
                      kStepTimeout));
  EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(std::string refusal,
                       syslog_->WaitForMessage({"refused -- "}, kLogTimeout));
  EXPECT_THAT(refusal, StartsWith("<29>"));
  EXPECT_THAT(refusal, HasSubstr(absl::StrCat(
                           Tag(),
                           "[2] refused -- Connect from jane(unknown)@"
                           "127.0.0.1 to 127.0.0.1 (")));
  // The same lines still go to glog.
  EXPECT_THAT(
      rsockd().WaitForLogLine("[2] refused -- Connect from jane", kLogTimeout),
      IsOk());
  // Lifecycle diagnostics (INFO) stay out of syslog.
  for (const std::string& message : syslog_->received()) {
    EXPECT_THAT(message, Not(HasSubstr("listening on")));
  }
}

TEST_F(SyslogTest, FacilityFlagSetsThePriorityAndErrorsGoThereToo) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.extra_flags = {"--syslog", "--syslog_facility=local3", SocketFlag()}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_TRUE(EchoThroughProxy(echo->address(), "u", "x"));
  // local3.notice = 19 * 8 + 5 = 157.
  ASSERT_OK_AND_ASSIGN(std::string connected,
                       syslog_->WaitForMessage({"connected -- "}, kLogTimeout));
  EXPECT_THAT(connected, StartsWith("<157>"));

  // A reload that fails is server-level trouble: its errors reach syslog
  // at local3.err = 19 * 8 + 3 = 155.
  ASSERT_OK_AND_ASSIGN(std::string error, FailedReloadMessage());
  EXPECT_THAT(error, StartsWith("<155>"));
  EXPECT_THAT(error, HasSubstr(Tag()));
}

TEST_F(SyslogTest, EachKindOfLineHasItsPriorityAndIsSentOnce) {
  // identd names another user than the request: the *Alert* line.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  identd->Answer([](uint16_t client_port, uint16_t server_port) {
    return absl::StrFormat("%d , %d : USERID : UNIX : mallory\r\n", client_port,
                           server_port);
  });
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = "permit ?=I 127.0.0.0 255.0.0.0 eq 7\n"
                     "deny 127.0.0.0 255.0.0.0 eq 9\n"
                     "permit 127.0.0.0 255.0.0.0\n",
       .extra_flags = {"--syslog", SocketFlag(),
                       absl::StrCat("--ident_port=", identd->port()),
                       "--ident_timeout=5s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "ylee"),
                      kStepTimeout));
  }
  ASSERT_OK_AND_ASSIGN(
      std::string connected,
      syslog_->WaitForMessage({"[1] connected -- "}, kLogTimeout));
  EXPECT_THAT(connected, StartsWith("<29>"));  // daemon.notice

  ASSERT_OK_AND_ASSIGN(
      Socks4Session refused,
      Socks4Handshake(proxy(), Socks4ConnectRequest(LoopbackAddress(9), "jane"),
                      kStepTimeout));
  EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(
      std::string refusal,
      syslog_->WaitForMessage({"[2] refused -- "}, kLogTimeout));
  EXPECT_THAT(refusal, StartsWith("<29>"));

  ASSERT_OK_AND_ASSIGN(
      Socks4Session mismatch,
      Socks4Handshake(proxy(), Socks4ConnectRequest(LoopbackAddress(7), "ylee"),
                      kStepTimeout));
  EXPECT_EQ(mismatch.reply.code, kSocks4IdentMismatch);
  ASSERT_OK_AND_ASSIGN(
      std::string alert,
      syslog_->WaitForMessage({"[3] *Alert*: real user is mallory, not ylee"},
                              kLogTimeout));
  EXPECT_THAT(alert, StartsWith("<28>"));  // daemon.warning
  ASSERT_OK_AND_ASSIGN(
      std::string after_alert,
      syslog_->WaitForMessage({"[3] refused -- "}, kLogTimeout));
  EXPECT_THAT(after_alert, StartsWith("<29>"));

  // An error: a reload that fails.
  ASSERT_OK_AND_ASSIGN(std::string error, FailedReloadMessage());
  EXPECT_THAT(error, StartsWith("<27>"));  // daemon.err

  // Every line went out once: the *Alert* line is a warning in glog too,
  // and glog hands it to more than one sink.
  int alerts = 0;
  for (const std::string& message : syslog_->received()) {
    if (absl::StrContains(message, "*Alert*")) ++alerts;
  }
  EXPECT_EQ(alerts, 1);
  EXPECT_THAT(
      rsockd().WaitForLogLine("*Alert*: real user is mallory", kLogTimeout),
      IsOk());
}

TEST_F(SyslogTest, Sigusr1SnapshotGoesToSyslogWithItsOwnCounts) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--syslog", SocketFlag()}}));
  ASSERT_EQ(kill(rsockd().pid(), SIGUSR1), 0);
  ASSERT_OK_AND_ASSIGN(
      std::string sessions,
      syslog_->WaitForMessage({"stats: sessions open=0 "}, kLogTimeout));
  EXPECT_THAT(sessions, StartsWith("<29>"));
  ASSERT_OK_AND_ASSIGN(std::string syslog_line,
                       syslog_->WaitForMessage(
                           {"stats: syslog ", syslog_->path()}, kLogTimeout));
  EXPECT_THAT(syslog_line, HasSubstr(" dropped=0"));
}

TEST(SyslogFlagsTest, UnknownFacilityIsRefusedAtStartup) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand({.argv = {binary, "--syslog", "--syslog_facility=daemons",
                           "--port=0", "--listen=127.0.0.1"}},
                 kCommandTimeout));
  EXPECT_FALSE(result.status.success());
  EXPECT_THAT(result.stderr_text,
              HasSubstr("unknown syslog facility \"daemons\""));
}

TEST(SyslogFlagsTest, MissingSyslogSocketIsRefusedAtStartup) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand({.argv = {binary, "--syslog",
                           "--syslog_socket=/nonexistent/rsockd/log",
                           "--port=0", "--listen=127.0.0.1"}},
                 kCommandTimeout));
  EXPECT_EQ(result.status.exit_code, 1) << result.status.ToString();
  EXPECT_THAT(result.stderr_text,
              HasSubstr("--syslog: FAILED_PRECONDITION: syslog socket "
                        "/nonexistent/rsockd/log: No such file or directory"));
}

}  // namespace
}  // namespace rsockd::e2e
