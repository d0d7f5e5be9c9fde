// End-to-end: the signals of docs/operations.md other than SIGHUP — the SIGUSR1
// stats snapshot, SIGINT draining like SIGTERM, a stop that lets running hooks
// finish, and the pid file removed on a clean exit.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::ExitStatus;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::testing::HasSubstr;

using SignalsTest = RsockdTest;

TEST_F(SignalsTest, Sigusr1LogsSessionsBytesRepliesPoolAndHooks) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = "deny 127.0.0.0 255.0.0.0 eq 9\n"
                                 "permit 127.0.0.0 255.0.0.0\n",
                   .extra_flags = {"--workers=16", "--queue=100"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "stats"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, "hello"));  // 5 bytes each way
  }
  {
    ASSERT_OK_AND_ASSIGN(
        Socks4Session refused,
        Socks4Handshake(proxy(),
                        Socks4ConnectRequest(LoopbackAddress(9), "stats"),
                        kStepTimeout));
    EXPECT_EQ(refused.reply.code, kSocks4Rejected);
  }

  // Counters settle just after a client sees its connection end.
  ASSERT_OK_AND_ASSIGN(std::string snapshot,
                       WaitForStats("sessions open=0 total=2 ", kLogTimeout));
  EXPECT_THAT(snapshot, HasSubstr("stats: sessions open=0 total=2 accepted=2 "
                                  "overloaded=0 refused_on_sight=0 "
                                  "bad_requests=0\n"));
  EXPECT_THAT(snapshot,
              HasSubstr("stats: bytes from_clients=5 from_destinations=5\n"));
  EXPECT_THAT(snapshot, HasSubstr("stats: replies 90=1 91=1 92=0 93=0\n"));
  EXPECT_THAT(snapshot, HasSubstr(" busy=0 queued=0 max=16 max_queue=100\n"));
  EXPECT_THAT(snapshot, HasSubstr("stats: hooks running=0 pending=0 "
                                  "started=0 finished=0 timed_out=0"));
}

TEST_F(SignalsTest, SigintDrainsAndExitsZeroLikeSigterm) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.extra_flags = {"--drain_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "sigint"),
                    kStepTimeout));
  ASSERT_THAT(tunnel.WriteAll("ping", net::Deadline::In(kStepTimeout)), IsOk());
  ASSERT_OK_AND_ASSIGN(
      std::string pong,
      rsockd::testing::ReadExactly(tunnel, 4, net::Deadline::In(kStepTimeout)));
  EXPECT_EQ(pong, "ping");

  ASSERT_THAT(rsockd().process().Signal(SIGINT), IsOk());
  ASSERT_OK_AND_ASSIGN(ExitStatus status,
                       rsockd().process().Wait(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_THAT(rsockd().Stderr(), HasSubstr("Interrupt: stopping; draining"));
  EXPECT_THAT(rsockd().Stderr(), HasSubstr("drain deadline passed with 1"));
  // The open session was ended at the deadline, not left half-open.
  EXPECT_THAT(ReadUntilClosed(tunnel, net::Deadline::In(kStepTimeout)), IsOk());
}

TEST_F(SignalsTest, StopLetsARunningHookFinishWithinTheDrainDeadline) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("hook-drain-"));
  const std::string marker = absl::StrCat(dir, "/finished");
  // The hook outlives its session: it is still sleeping when SIGTERM comes.
  // (Its 1 s is the behaviour under test, not synchronisation.)
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat("permit 127.0.0.0 255.0.0.0 : sleep 1; "
                                  "echo %u > ",
                                  marker, "\n"),
       .extra_flags = {"--drain_timeout=60s"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  {
    // Granted means the hook has been submitted (it runs before the reply).
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "hooked"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, "x"));
  }
  ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd().Stop(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_EQ(ReadFileToString(marker).value_or("(no file)"), "hooked\n")
      << "the hook was killed at shutdown instead of finishing";
}

TEST_F(SignalsTest, PidfileIsRemovedOnACleanExit) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("pidfile-"));
  const std::string pidfile = absl::StrCat(dir, "/rsockd.pid");
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {absl::StrCat("--pidfile=", pidfile)}}));
  // Written before the port file, so it is there once the server is ready.
  EXPECT_EQ(ReadFileToString(pidfile).value_or("(no file)"),
            absl::StrCat(rsockd().pid(), "\n"));
  ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd().Stop(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_NE(access(pidfile.c_str(), F_OK), 0) << pidfile << " is still there";
}

TEST_F(SignalsTest, PidfileOfAnotherProcessIsLeftAlone) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("pidfile-"));
  const std::string pidfile = absl::StrCat(dir, "/rsockd.pid");
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {absl::StrCat("--pidfile=", pidfile)}}));
  // Another instance took the path over meanwhile.
  ASSERT_THAT(rsockd::testing::WriteStringToFile(pidfile, "1\n"), IsOk());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd().Stop(absl::Seconds(60)));
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_EQ(ReadFileToString(pidfile).value_or("(no file)"), "1\n");
}

}  // namespace
}  // namespace rsockd::e2e
