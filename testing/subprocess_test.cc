#include "testing/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;

// True while a process with this pid exists (a zombie counts).
bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

SubprocessOptions Shell(const std::string& script) {
  return SubprocessOptions{.argv = {"/bin/sh", "-c", script}};
}

TEST(SubprocessTest, CapturesStdoutStderrAndExitCode) {
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand(Shell("echo out; echo err >&2; exit 3"), absl::Seconds(30)));
  EXPECT_EQ(result.status.exit_code, 3);
  EXPECT_TRUE(result.status.exited());
  EXPECT_FALSE(result.status.success());
  EXPECT_EQ(result.stdout_text, "out\n");
  EXPECT_EQ(result.stderr_text, "err\n");
}

TEST(SubprocessTest, FeedsStdinDataThenEof) {
  SubprocessOptions options{.argv = {"cat"},
                            .stdin_data = std::string("a\0b", 3)};
  ASSERT_OK_AND_ASSIGN(SubprocessResult result,
                       RunCommand(options, absl::Seconds(30)));
  EXPECT_TRUE(result.status.success()) << result.status.ToString();
  EXPECT_EQ(result.stdout_text, std::string("a\0b", 3));
}

TEST(SubprocessTest, EmptyStdinIsEof) {
  ASSERT_OK_AND_ASSIGN(SubprocessResult result,
                       RunCommand({.argv = {"cat"}}, absl::Seconds(30)));
  EXPECT_TRUE(result.status.success());
  EXPECT_EQ(result.stdout_text, "");
}

TEST(SubprocessTest, AddsAndReplacesEnvironmentVariables) {
  setenv("RSOCKD_SUBPROCESS_TEST_OLD", "old", 1);
  SubprocessOptions options =
      Shell("echo \"$RSOCKD_SUBPROCESS_TEST_NEW/$RSOCKD_SUBPROCESS_TEST_OLD\"");
  options.env = {{"RSOCKD_SUBPROCESS_TEST_NEW", "new"},
                 {"RSOCKD_SUBPROCESS_TEST_OLD", "replaced"}};
  ASSERT_OK_AND_ASSIGN(SubprocessResult result,
                       RunCommand(options, absl::Seconds(30)));
  EXPECT_EQ(result.stdout_text, "new/replaced\n");
}

TEST(SubprocessTest, ChildDoesNotInheritTestDescriptors) {
  // Descriptors 0-2 only: the child lists its own /proc/self/fd (ls adds the
  // one it uses to read the directory).
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand({.argv = {"ls", "/proc/self/fd"}}, absl::Seconds(30)));
  EXPECT_EQ(result.stdout_text, "0\n1\n2\n3\n");
}

TEST(SubprocessTest, MissingProgramFailsToStart) {
  EXPECT_THAT(
      Subprocess::Start({.argv = {"/nonexistent/rsockd-test-binary"}}).status(),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("posix_spawnp")));
}

TEST(SubprocessTest, WaitTimeoutKillsAndReapsTheChild) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                       Subprocess::Start({.argv = {"sleep", "600"}}));
  const pid_t pid = child->pid();
  const absl::Time start = absl::Now();
  EXPECT_THAT(child->Wait(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("still running")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  ASSERT_TRUE(child->exit_status().has_value());
  EXPECT_EQ(child->exit_status()->signal, SIGKILL);
  EXPECT_FALSE(child->Running());
  EXPECT_FALSE(ProcessExists(pid)) << "killed and reaped";
}

TEST(SubprocessTest, DestructorKillsAndReapsARunningChild) {
  pid_t pid;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                         Subprocess::Start({.argv = {"sleep", "600"}}));
    pid = child->pid();
    EXPECT_TRUE(child->Running());
  }
  EXPECT_FALSE(ProcessExists(pid));
}

TEST(SubprocessTest, ReportsDeathBySignal) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                       Subprocess::Start({.argv = {"sleep", "600"}}));
  ASSERT_THAT(child->Signal(SIGTERM), IsOk());
  ASSERT_OK_AND_ASSIGN(ExitStatus status, child->Wait(absl::Seconds(30)));
  EXPECT_FALSE(status.exited());
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_THAT(status.ToString(), HasSubstr("signal 15"));
  EXPECT_THAT(
      child->Signal(SIGTERM),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ended")));
}

TEST(SubprocessTest, WaitForStderrLineSeesALineWrittenLater) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Subprocess> child,
      Subprocess::Start(Shell("echo early >&2; sleep 0.3; "
                              "echo 'I0101 ready -- port 7' >&2; sleep 600")));
  ASSERT_OK_AND_ASSIGN(std::string line,
                       child->WaitForStderrLine("ready --", absl::Seconds(30)));
  EXPECT_EQ(line, "I0101 ready -- port 7");
  ASSERT_OK_AND_ASSIGN(line, child->WaitForStderrLineWithAll(
                                 {"ready", "port 7"}, absl::Seconds(30)));
  EXPECT_EQ(line, "I0101 ready -- port 7");
  EXPECT_THAT(child->ReadStderr(), HasSubstr("early\n"));
}

TEST(SubprocessTest, WaitForStderrLineSkipsLinesBeforeOffset) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                       Subprocess::Start(Shell("echo mark 1 >&2; sleep 600")));
  ASSERT_THAT(child->WaitForStderrLine("mark", absl::Seconds(30)), IsOk());
  EXPECT_THAT(
      child->WaitForStderrLine("mark", absl::Milliseconds(100),
                               child->StderrSize()),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("mark 1")));
}

TEST(SubprocessTest, WaitForStderrLineFailsFastWhenTheChildExits) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                       Subprocess::Start(Shell("echo bye >&2; exit 2")));
  const absl::Time start = absl::Now();
  EXPECT_THAT(child->WaitForStderrLine("never", absl::Seconds(60)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("exit code 2")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST(SubprocessTest, WaitForStderrLineFindsTheLastLineOfAnExitedChild) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> child,
                       Subprocess::Start(Shell("echo last words >&2")));
  ASSERT_THAT(child->Wait(absl::Seconds(30)), IsOk());
  EXPECT_THAT(child->WaitForStderrLine("last", absl::Seconds(1)), IsOk());
}

TEST(SubprocessTest, WaitForStderrLineIgnoresAnUnfinishedLine) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Subprocess> child,
      Subprocess::Start(Shell("printf partial >&2; sleep 600")));
  EXPECT_THAT(
      child->WaitForStderrLine("partial", absl::Milliseconds(300)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("partial")));
}

TEST(SubprocessTest, RunCommandTimeoutIsAnErrorWithOutput) {
  EXPECT_THAT(
      RunCommand(Shell("echo so far; exec sleep 600"), absl::Milliseconds(300)),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("so far")));
}

}  // namespace
}  // namespace rsockd::testing
