// SIGHUP (docs/operations.md#reload-sighup): new snapshots for new connections,
// old ones keep theirs, broken files never installed, tunable flags re-read
// from
// --flagfile; and --reload_on_change, which does the same when a file
// changes, without a signal. Each reload is awaited through its log line,
// which the server writes after installing the new snapshot.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;

constexpr char kDenyEverything[] = "deny ALL\n";

// Replaces `path` atomically (write beside it, then rename), as editors and
// config management do: a reload must never see a half-written file, which
// could parse as fewer rules.
absl::Status ReplaceFile(const std::string& path, absl::string_view content) {
  const std::string temp = path + ".new";
  if (absl::Status written = WriteStringToFile(temp, content); !written.ok()) {
    return written;
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, "rename");
  }
  return absl::OkStatus();
}

class ReloadTest : public RsockdTest {
 protected:
  int Verdict(const EchoServer& echo) {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo.address(), "probe"), kStepTimeout);
    return session.ok() ? session->reply.code : -1;
  }
};

TEST_F(ReloadTest, NewRulesTurnNewClientsAwayWhileAnOpenSessionRelays) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(
      net::Socket open_session,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "early"),
                    kStepTimeout));

  ASSERT_THAT(WriteStringToFile(rsockd().sockd_conf_path(), kDenyEverything),
              IsOk());
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_EQ(Verdict(*echo), kSocks4Rejected);
  // The session accepted under the old rules keeps relaying.
  EXPECT_TRUE(EchoRoundTrip(open_session, std::string(64 * 1024, 'k')));
}

TEST_F(ReloadTest, BrokenFileKeepsTheRulesInUseAndReportsEveryError) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  // Its first line would deny everything: had the file been half-taken,
  // the probe below would be refused.
  ASSERT_THAT(
      WriteStringToFile(rsockd().sockd_conf_path(),
                        "deny ALL\npermit 1.2.3.4 255.255.255.0 eq 99999\n"
                        "permit ALL 0.0.0.0 0.0.0.0\n"),
      IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload("configuration has errors"));
  EXPECT_THAT(rsockd().WaitForLogLine("sockd.conf:2:", kLogTimeout, mark),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine("sockd.conf:3:", kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);
}

TEST_F(ReloadTest, ReloadOnChangeAppliesAnEditWithoutASignal) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .extra_flags = {"--reload_on_change"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);

  // Replaced by rename, as editors do.
  size_t mark = rsockd().StderrSize();
  ASSERT_THAT(ReplaceFile(rsockd().sockd_conf_path(), kDenyEverything), IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("--reload_on_change: ",
                               rsockd().sockd_conf_path(), " changed"),
                  kLogTimeout, mark),
              IsOk());
  ASSERT_THAT(rsockd().WaitForLogLine(kReloaded, kLogTimeout, mark), IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Rejected);

  // A broken edit, written in place: reported, and the rules in use stay.
  mark = rsockd().StderrSize();
  ASSERT_THAT(
      WriteStringToFile(rsockd().sockd_conf_path(), "permit 127.0.0.0 x\n"),
      IsOk());
  ASSERT_THAT(rsockd().WaitForLogLine("configuration has errors; keeping",
                                      kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Rejected);

  // Fixed again: applied.
  mark = rsockd().StderrSize();
  ASSERT_THAT(ReplaceFile(rsockd().sockd_conf_path(), kPermitLoopback), IsOk());
  ASSERT_THAT(rsockd().WaitForLogLine(kReloaded, kLogTimeout, mark), IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);
}

TEST_F(ReloadTest, ReloadOnChangeWatchesUserListFilesAndFrozenFiles) {
  ASSERT_OK_AND_ASSIGN(std::string dir, rsockd::testing::MakeTempDir("users-"));
  const std::string users = dir + "/users";
  ASSERT_THAT(WriteStringToFile(users, "ylee\n"), IsOk());
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = absl::StrCat("permit *=", users, " 127.0.0.0 255.0.0.0\n"),
       .extra_flags = {"--reload_on_change"}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  EXPECT_EQ(Verdict(*echo), kSocks4Rejected);  // "probe" is not listed

  size_t mark = rsockd().StderrSize();
  ASSERT_THAT(ReplaceFile(users, "ylee\nprobe\n"), IsOk());
  ASSERT_THAT(rsockd().WaitForLogLine(kReloaded, kLogTimeout, mark), IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);

  // A frozen file appearing beside sockd.conf is loaded instead of it: here
  // a broken one, which is reported and changes nothing.
  mark = rsockd().StderrSize();
  ASSERT_THAT(WriteStringToFile(absl::StrCat(rsockd().dir(), "/sockd.fc"),
                                "not frozen"),
              IsOk());
  ASSERT_THAT(rsockd().WaitForLogLine("configuration has errors; keeping",
                                      kLogTimeout, mark),
              IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);
}

TEST_F(ReloadTest, BurstOfFiftyReloadsLosesNoPermittedConnection) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  // Two configurations that both permit the test's connections.
  const std::string configs[2] = {
      kPermitLoopback,
      "deny 10.0.0.0 255.0.0.0\npermit 127.0.0.1 255.255.255.255\n"};

  std::atomic<bool> reloading{true};
  std::atomic<int> connections{0};
  std::atomic<int> failures{0};
  std::thread client([&] {
    // Bounded: runs while the burst lasts, at most 5,000 connections.
    while ((reloading.load() || connections.load() < 20) &&
           connections.load() < 5000) {
      absl::StatusOr<net::Socket> tunnel =
          Socks4Connect(proxy(), Socks4ConnectRequest(echo->address(), "burst"),
                        kStepTimeout);
      if (!tunnel.ok() || !EchoRoundTrip(*tunnel, "ping")) failures++;
      connections++;
    }
  });
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(ReplaceFile(rsockd().sockd_conf_path(), configs[i % 2]),
                IsOk());
    ASSERT_EQ(kill(rsockd().pid(), SIGHUP), 0);
  }
  // The last signal's reload is done once the last file is in force: wait
  // for a reload logged after the burst.
  ASSERT_TRUE(Reload(kReloaded));
  reloading = false;
  client.join();
  EXPECT_EQ(failures.load(), 0) << "of " << connections.load();
  EXPECT_GE(connections.load(), 20);
}

TEST_F(ReloadTest, TunedHandshakeTimeoutAppliesToNewConnectionsOnly) {
  ASSERT_OK_AND_ASSIGN(std::string dir,
                       rsockd::testing::MakeTempDir("flagfile"));
  const std::string flagfile = dir + "/rsockd.flags";
  ASSERT_THAT(WriteStringToFile(flagfile, "--handshake_timeout=120s\n"),
              IsOk());
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--flagfile=" + flagfile}}));

  // Connected under the old setting: silent, but allowed 120 s.
  ASSERT_OK_AND_ASSIGN(net::Socket early,
                       rsockd::testing::ConnectTcp(proxy(), kStepTimeout));
  // Its session (and the options it copied) exists once a worker has it.
  ASSERT_THAT(WaitForStats("busy=1", kLogTimeout), IsOk());

  ASSERT_THAT(WriteStringToFile(flagfile, "--handshake_timeout=1s\n"), IsOk());
  ASSERT_TRUE(Reload(kReloaded));
  ASSERT_OK_AND_ASSIGN(net::Socket late,
                       rsockd::testing::ConnectTcp(proxy(), kStepTimeout));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::ReadToCloseResult dropped,
      ReadUntilClosed(late, net::Deadline::In(absl::Seconds(20))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  EXPECT_EQ(dropped.data, "");
  // The early client is still being waited for.
  uint8_t byte;
  EXPECT_THAT(
      early.ReadSome(absl::MakeSpan(&byte, 1),
                     net::Deadline::In(absl::Milliseconds(100))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
}

TEST_F(ReloadTest, FlagfileErrorKeepsEverythingAndUntunableFlagsNeedARestart) {
  ASSERT_OK_AND_ASSIGN(std::string dir,
                       rsockd::testing::MakeTempDir("flagfile"));
  const std::string flagfile = dir + "/rsockd.flags";
  ASSERT_THAT(WriteStringToFile(flagfile, "--idle_timeout=1h\n"), IsOk());
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--flagfile=" + flagfile}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());

  // One bad value fails the whole reload, rules included.
  ASSERT_THAT(WriteStringToFile(rsockd().sockd_conf_path(), kDenyEverything),
              IsOk());
  ASSERT_THAT(WriteStringToFile(flagfile, "--idle_timeout=soon\n"), IsOk());
  ASSERT_TRUE(Reload("has errors; keeping the configuration in use"));
  EXPECT_EQ(Verdict(*echo), kSocks4Granted);

  // --port cannot change while running: ignored with a warning, the rest
  // applies.
  ASSERT_THAT(WriteStringToFile(flagfile, "--idle_timeout=2h\n--port=1\n"),
              IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_THAT(
      rsockd().WaitForLogLine("--port changed in the flagfile but needs "
                              "a restart",
                              kLogTimeout, mark),
      IsOk());
  EXPECT_EQ(Verdict(*echo), kSocks4Rejected);
}

TEST_F(ReloadTest, EveryDocumentedTunableFlagAppliesWithoutARestart) {
  ASSERT_OK_AND_ASSIGN(std::string dir,
                       rsockd::testing::MakeTempDir("flagfile"));
  const std::string flagfile = dir + "/rsockd.flags";
  ASSERT_THAT(WriteStringToFile(flagfile, "--idle_timeout=1h\n"), IsOk());
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.extra_flags = {"--flagfile=" + flagfile}}));
  // docs/operations.md's list of flags SIGHUP applies.
  ASSERT_THAT(ReplaceFile(flagfile,
                          "--handshake_timeout=20s\n--resolve_timeout=5s\n"
                          "--connect_timeout=60s\n--idle_timeout=3h\n"
                          "--drain_timeout=10s\n--hook_timeout=10s\n"
                          "--ident_timeout=5s\n--ident_port=1113\n--i\n"
                          "--noI\n--workers=64\n--queue=32\n--splice=false\n"
                          "--v=0\n--minloglevel=0\n"),
              IsOk());
  const size_t mark = rsockd().StderrSize();
  ASSERT_TRUE(Reload(kReloaded));
  EXPECT_THAT(rsockd().Stderr().substr(mark),
              ::testing::Not(HasSubstr("needs a restart")));
  EXPECT_THAT(rsockd().Stderr().substr(mark),
              HasSubstr("workers 64, queue 32"));
}

}  // namespace
}  // namespace rsockd::e2e
