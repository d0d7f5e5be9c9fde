#include "testing/rsockd_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(60);

// The stand-in binary from the test's data dependency.
std::string FakeBinary() { return RunfilePath("testing/fake_rsockd"); }

RsockdOptions FakeOptions(std::vector<std::string> extra_flags = {}) {
  RsockdOptions options;
  options.binary_path = FakeBinary();
  options.extra_flags = std::move(extra_flags);
  return options;
}

TEST(RsockdProcessTest, BinaryPathNamesTheRunfilesLocation) {
  // This test has no data dependency on //rsockd, so the lookup fails, and
  // says where it looked.
  unsetenv("RSOCKD_BINARY");
  EXPECT_THAT(
      RsockdProcess::BinaryPath(),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/rsockd/rsockd")));
  setenv("RSOCKD_BINARY", FakeBinary().c_str(), 1);
  EXPECT_THAT(RsockdProcess::BinaryPath(), IsOk());
  unsetenv("RSOCKD_BINARY");
}

TEST(RsockdProcessTest, StartsWaitsForThePortAndStopsCleanly) {
  RsockdOptions options = FakeOptions();
  options.sockd_conf = "permit 127.0.0.2 255.255.255.255\n";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RsockdProcess> server,
                       RsockdProcess::Start(options));
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->address().ip(), Loopback());
  EXPECT_GT(server->pid(), 0);
  // The conf file was written and passed with --sockd_conf.
  EXPECT_THAT(
      server->WaitForLogLine("fake rsockd: conf permit 127.0.0.2", kTimeout),
      IsOk());
  ASSERT_OK_AND_ASSIGN(std::string conf,
                       ReadFileToString(server->sockd_conf_path()));
  EXPECT_EQ(conf, options.sockd_conf);
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(server->address(), kTimeout));
  EXPECT_THAT(server->WaitForLogLine("accepted 1", kTimeout), IsOk());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, server->Stop());
  EXPECT_TRUE(status.success()) << status.ToString();
  EXPECT_FALSE(server->Running());
  EXPECT_THAT(server->Stderr(), HasSubstr("fake rsockd: stopping"));
  // Stopping again returns the same status.
  ASSERT_OK_AND_ASSIGN(ExitStatus again, server->Stop());
  EXPECT_TRUE(again.success());
}

TEST(RsockdProcessTest, ReportsAnEarlyExitWithStderr) {
  EXPECT_THAT(RsockdProcess::Start(FakeOptions({"--fake_exit_code=3"})),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("exit code 3"),
                                        HasSubstr("bad configuration"))));
}

TEST(RsockdProcessTest, StopEscalatesToSigkill) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<RsockdProcess> server,
      RsockdProcess::Start(FakeOptions({"--fake_ignore_sigterm"})));
  const pid_t pid = server->pid();
  EXPECT_THAT(
      server->Stop(absl::Milliseconds(300)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("killed")));
  ASSERT_TRUE(server->exit_status().has_value());
  EXPECT_EQ(server->exit_status()->signal, SIGKILL);
  EXPECT_TRUE(kill(pid, 0) != 0 && errno == ESRCH);
}

TEST(RsockdProcessTest, DestructorKillsTheServer) {
  pid_t pid;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RsockdProcess> server,
                         RsockdProcess::Start(FakeOptions()));
    pid = server->pid();
  }
  EXPECT_TRUE(kill(pid, 0) != 0 && errno == ESRCH);
}

TEST(RsockdProcessTest, CountsOpenDescriptors) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RsockdProcess> server,
                       RsockdProcess::Start(FakeOptions()));
  ASSERT_OK_AND_ASSIGN(int before, server->OpenFdCount());
  // stdin, stdout, stderr, the signalfd and the listener at least.
  EXPECT_GE(before, 5);
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(server->address(), kTimeout));
  // The stand-in keeps each connection: one more descriptor.
  ASSERT_THAT(server->WaitForLogLine("accepted 1", kTimeout), IsOk());
  ASSERT_OK_AND_ASSIGN(int after, server->OpenFdCount());
  EXPECT_EQ(after, before + 1) << server->DescribeOpenFds();
  EXPECT_THAT(server->DescribeOpenFds(), HasSubstr("socket:["));
}

}  // namespace
}  // namespace rsockd::testing
