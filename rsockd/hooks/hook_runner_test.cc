#include "rsockd/hooks/hook_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "rsockd/hooks/hook_command.h"
#include "testing/files.h"
#include "testing/log_lines.h"
#include "testing/status_matchers.h"
#include "testing/wait_for.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::LogLines;
using ::rsockd::testing::WaitFor;
using ::testing::HasSubstr;
using ::testing::Not;

// Upper bound of every wait (WaitFor's too): generous for a loaded CI
// machine, far below the 30 s the test hooks would otherwise run.
constexpr absl::Duration kWaitLimit = ::rsockd::testing::kWaitForLimit;

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// True when `pid` no longer runs. A killed orphan is reparented to init and
// may stay a zombie until init reaps it; a zombie runs nothing and is not
// ours to reap, so it counts as gone.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  absl::StatusOr<std::string> stat =
      testing::ReadFileToString(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;
  // "pid (comm) S ...": the state follows the last ')'.
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() &&
         (*stat)[paren + 2] == 'Z';
}

int CountOpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

class HookRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, testing::MakeTempDir("hooks-"));
    // Paths go into hooks unquoted and into expected filtered values.
    ASSERT_EQ(FilterHookValue(dir_), dir_) << "unexpected characters in path";
  }
  void TearDown() override { (void)testing::RemoveTree(dir_); }

  std::string Path(absl::string_view name) const {
    return absl::StrCat(dir_, "/", name);
  }

  // Waits until `name` holds a whole line and returns it without the
  // newline.
  ::testing::AssertionResult WaitForLine(absl::string_view name,
                                         std::string* line) {
    absl::StatusOr<std::string> contents =
        testing::WaitForCompleteFile(Path(name), testing::kWaitForLimit);
    if (!contents.ok()) {
      return ::testing::AssertionFailure() << contents.status();
    }
    *line = std::string(absl::StripSuffix(*contents, "\n"));
    return ::testing::AssertionSuccess();
  }

  // Reads the pid a hook wrote to `name`.
  ::testing::AssertionResult ReadPid(absl::string_view name, pid_t* pid) {
    absl::StatusOr<std::string> contents =
        testing::ReadFileToString(Path(name));
    if (!contents.ok()) {
      return ::testing::AssertionFailure() << contents.status();
    }
    int value = 0;
    if (!absl::SimpleAtoi(absl::StripSuffix(*contents, "\n"), &value) ||
        value <= 1) {
      return ::testing::AssertionFailure()
             << "no pid in " << name << ": \"" << *contents << "\"";
    }
    *pid = value;
    return ::testing::AssertionSuccess();
  }

  std::string dir_;
};

HookContext SampleContext() {
  HookContext context;
  context.client_host = "client.example";
  context.client_ip = "128.12.6.34";
  context.command = "connect";
  context.service = "telnet";
  context.port = 23;
  context.ident_user = "unknown";
  context.claimed_user = "ylee";
  context.destination_host = "dst.example";
  context.destination_ip = "137.12.5.5";
  return context;
}

TEST_F(HookRunnerTest, RunsExpandedCommandWithEnvironment) {
  const int descriptors_before = CountOpenDescriptors();
  {
    HookRunner runner({});
    const HookContext context = SampleContext();
    const std::string command =
        ExpandHookCommand(
            "echo %u@%A %c %S \"$SOCKS_DEST_ADDR\" \"$SOCKS_USER\"", context) +
        " > " + Path("out");
    ASSERT_TRUE(runner.Submit(command, HookEnvironment(context)));
    EXPECT_TRUE(
        WaitFor([&] { return runner.counts().finished == 1; }, "finished"));
    absl::StatusOr<std::string> out = testing::ReadFileToString(Path("out"));
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(*out, "ylee@client.example connect telnet 137.12.5.5 ylee\n");
    const HookRunner::Counts counts = runner.counts();
    EXPECT_EQ(counts.started, 1);
    EXPECT_EQ(counts.timed_out, 0);
    EXPECT_EQ(counts.dropped, 0);
    EXPECT_EQ(counts.failed_to_start, 0);
    EXPECT_EQ(counts.running, 0);
    EXPECT_EQ(counts.pending, 0);
  }
  // The pidfd and everything else the runner opened are closed again.
  EXPECT_EQ(CountOpenDescriptors(), descriptors_before);
}

TEST_F(HookRunnerTest, PreparedCommandIsMadeOnTheExecutorNotTheCaller) {
  HookRunner runner({});
  absl::Notification release;
  std::atomic<bool> prepared_on_caller{true};
  const std::thread::id caller = std::this_thread::get_id();
  const std::string out = Path("prepared");
  const absl::Time start = absl::Now();
  // The preparation blocks (as a slow name lookup would); Submit must not.
  ASSERT_TRUE(runner.SubmitPrepared([&]() -> HookRunner::Command {
    prepared_on_caller = std::this_thread::get_id() == caller;
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
    return {"echo \"$SOCKS_USER\" > " + out, {"SOCKS_USER=late"}};
  }));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  release.Notify();
  ASSERT_TRUE(
      WaitFor([&] { return runner.counts().finished == 1; }, "finished"));
  EXPECT_FALSE(prepared_on_caller.load());
  absl::StatusOr<std::string> text = testing::ReadFileToString(out);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, "late\n");
}

TEST_F(HookRunnerTest, HookGetsMinimalEnvironmentDevNullAndNoDescriptors) {
  // A descriptor without close-on-exec must still not reach the hook.
  const std::string leak_path = Path("not-for-hooks");
  ASSERT_THAT(testing::WriteStringToFile(leak_path, "x"), IsOk());
  const int leaky = open(leak_path.c_str(), O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaky, 0);
  {
    HookRunner runner({});
    // Command substitutions leave the shell's own 0, 1 and 2 as they were
    // given to it (a redirection on a command would not).
    ASSERT_TRUE(runner.Submit(
        absl::StrCat("std=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 "
                     "/proc/$$/fd/2); fds=$(ls -l /proc/$$/fd); env > ",
                     Path("env"), "; echo \"$std\" > ", Path("std"),
                     "; echo \"$fds\" > ", Path("fds")),
        {"SOCKS_USER=ylee"}));
    EXPECT_TRUE(
        WaitFor([&] { return runner.counts().finished == 1; }, "finished"));
  }
  close(leaky);
  absl::StatusOr<std::string> env = testing::ReadFileToString(Path("env"));
  ASSERT_THAT(env, IsOk());
  const std::vector<std::string> lines = absl::StrSplit(*env, '\n');
  EXPECT_THAT(lines, ::testing::Contains("PATH=/usr/local/bin:/usr/bin:/bin"));
  EXPECT_THAT(lines, ::testing::Contains("SOCKS_USER=ylee"));
  // Nothing inherited from the test's environment.
  EXPECT_THAT(*env, Not(HasSubstr("TEST_TMPDIR=")));
  EXPECT_THAT(*env, Not(HasSubstr("HOME=")));

  absl::StatusOr<std::string> std_fds = testing::ReadFileToString(Path("std"));
  ASSERT_THAT(std_fds, IsOk());
  EXPECT_EQ(*std_fds, "/dev/null\n/dev/null\n/dev/null\n");
  absl::StatusOr<std::string> fds = testing::ReadFileToString(Path("fds"));
  ASSERT_THAT(fds, IsOk());
  EXPECT_THAT(*fds, HasSubstr("/dev/null"));  // the listing worked
  EXPECT_THAT(*fds, Not(HasSubstr("not-for-hooks")));
}

TEST_F(HookRunnerTest, HostileUserIdsNeverExecute) {
  const std::string marker = Path("marker");
  struct Case {
    std::string user_id;
    std::string filtered;
  };
  const std::vector<Case> cases = {
      {"x;touch " + marker, "x_touch_" + marker},
      {"$(touch " + marker + ")", "__touch_" + marker + "_"},
      {"`touch " + marker + "`", "_touch_" + marker + "_"},
      {"'; touch " + marker + "; '", "___touch_" + marker + "___"},
      {"\"; touch " + marker + "; \"", "___touch_" + marker + "___"},
      {"x\ntouch " + marker, "x_touch_" + marker},
      {"x|touch " + marker, "x_touch_" + marker},
      {"x&&touch " + marker + "&", "x__touch_" + marker + "_"},
      {"x>" + marker, "x_" + marker},
      {"-rf", "_rf"},
  };
  // The same hostile value unquoted, in single quotes (the classic form) and
  // in double quotes, in the command line and in the environment.
  const std::vector<std::string> templates = {"echo %u > ", "echo '%u' > ",
                                              "echo \"%u\" > ",
                                              "echo \"$SOCKS_USER\" > "};
  HookRunner runner({.max_running = 4, .max_pending = 64});
  int submitted = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    HookContext context = SampleContext();
    context.claimed_user = cases[i].user_id;
    for (size_t t = 0; t < templates.size(); ++t) {
      ASSERT_TRUE(runner.Submit(ExpandHookCommand(templates[t], context) +
                                    Path(absl::StrCat("out-", i, "-", t)),
                                HookEnvironment(context)));
      ++submitted;
    }
  }
  ASSERT_TRUE(
      WaitFor([&] { return runner.counts().finished == uint64_t(submitted); },
              "all finished"));
  EXPECT_FALSE(FileExists(marker)) << "a USERID ran a command";
  for (size_t i = 0; i < cases.size(); ++i) {
    for (size_t t = 0; t < templates.size(); ++t) {
      absl::StatusOr<std::string> out =
          testing::ReadFileToString(Path(absl::StrCat("out-", i, "-", t)));
      ASSERT_THAT(out, IsOk()) << "case " << i << " template " << t;
      EXPECT_EQ(*out, cases[i].filtered + "\n")
          << "case " << i << " template " << t;
    }
  }
}

TEST_F(HookRunnerTest, SubmitNeverWaitsAndTimeoutKillsProcessGroup) {
  HookRunner runner({.timeout = absl::Milliseconds(300)});
  // The leader writes its pid, starts a background child that would outlive
  // it, writes that one's pid, and sleeps.
  const std::string command =
      absl::StrCat("echo $$ > ", Path("leader"), "; sleep 30 & echo $! > ",
                   Path("background"), "; sleep 30");
  const absl::Time submitted = absl::Now();
  ASSERT_TRUE(runner.Submit(command, {}));
  EXPECT_LT(absl::Now() - submitted, absl::Milliseconds(500));

  ASSERT_TRUE(
      WaitFor([&] { return runner.counts().timed_out == 1; }, "timed out"));
  const absl::Duration until_killed = absl::Now() - submitted;
  EXPECT_GE(until_killed, absl::Milliseconds(300));
  EXPECT_LT(until_killed, kWaitLimit);
  EXPECT_EQ(runner.counts().finished, 0);
  EXPECT_EQ(runner.counts().running, 0);

  pid_t leader = 0;
  pid_t background = 0;
  ASSERT_TRUE(ReadPid("leader", &leader));
  ASSERT_TRUE(ReadPid("background", &background));
  // The runner reaped the leader before counting: no zombie left.
  EXPECT_EQ(kill(leader, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  // The background child went with its group.
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(background); },
                      "background child gone"));
}

TEST_F(HookRunnerTest, DropsWhenPendingLimitReached) {
  auto runner = std::make_unique<HookRunner>(HookRunner::Options{
      .max_running = 1, .max_pending = 2, .timeout = absl::Seconds(30)});
  ASSERT_TRUE(runner->Submit(
      absl::StrCat("echo $$ > ", Path("leader"), "; sleep 30"), {}));
  ASSERT_TRUE(
      WaitFor([&] { return runner->counts().running == 1; }, "running"));

  EXPECT_TRUE(runner->Submit(absl::StrCat("touch ", Path("ran-1")), {}));
  EXPECT_TRUE(runner->Submit(absl::StrCat("touch ", Path("ran-2")), {}));
  const absl::Time before = absl::Now();
  EXPECT_FALSE(runner->Submit(absl::StrCat("touch ", Path("ran-3")), {}));
  EXPECT_FALSE(runner->Submit(absl::StrCat("touch ", Path("ran-4")), {}));
  EXPECT_LT(absl::Now() - before, absl::Milliseconds(500));

  HookRunner::Counts counts = runner->counts();
  EXPECT_EQ(counts.dropped, 2);
  EXPECT_EQ(counts.pending, 2);
  EXPECT_EQ(counts.running, 1);
  // "running" counts from when a thread takes the job; "started" from the
  // spawn.
  EXPECT_TRUE(
      WaitFor([&] { return runner->counts().started == 1; }, "started"));

  std::string leader_line;
  ASSERT_TRUE(WaitForLine("leader", &leader_line));
  pid_t leader = 0;
  ASSERT_TRUE(ReadPid("leader", &leader));
  runner.reset();
  // Pending jobs were discarded, not run; the running one was killed.
  for (const char* name : {"ran-1", "ran-2", "ran-3", "ran-4"}) {
    EXPECT_FALSE(FileExists(Path(name))) << name;
  }
  EXPECT_EQ(kill(leader, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

// The lines logged about suppressed hook runs.
std::vector<std::string> SuppressedLines(const LogLines& log) {
  std::vector<std::string> suppressed;
  for (const std::string& line : log.lines()) {
    if (absl::StrContains(line, " suppressed")) suppressed.push_back(line);
  }
  return suppressed;
}

// The N of each "N hook run(s) suppressed" warning, added up.
uint64_t SuppressedTotal(const LogLines& log) {
  uint64_t total = 0;
  for (const std::string& line : log.lines(google::GLOG_WARNING)) {
    uint64_t n = 0;
    if (absl::StrContains(line, " suppressed") &&
        absl::SimpleAtoi(line.substr(0, line.find(' ')), &n)) {
      total += n;
    }
  }
  return total;
}

TEST_F(HookRunnerTest, EveryDroppedRunIsReportedInFewLines) {
  LogLines log;
  HookRunner runner({.max_running = 1,
                     .max_pending = 0,
                     .timeout = absl::Seconds(30),
                     .drop_report_period = absl::Milliseconds(200)});
  const std::string release = Path("release");
  ASSERT_TRUE(runner.Submit(
      absl::StrCat("while [ ! -e ", release, " ]; do sleep 0.01; done"), {}));
  ASSERT_TRUE(WaitFor([&] { return runner.counts().running == 1; }, "running"));
  constexpr int kFlood = 200;
  for (int i = 0; i < kFlood; ++i) {
    EXPECT_FALSE(runner.Submit("true", {}));
  }
  ASSERT_THAT(testing::WriteStringToFile(release, ""), IsOk());
  ASSERT_TRUE(runner.WaitUntilIdle(absl::Now() + kWaitLimit));
  // No further activity: the rest of the flood is reported all the same.
  EXPECT_TRUE(WaitFor([&] { return SuppressedTotal(log) == kFlood; },
                      "every drop reported"))
      << SuppressedTotal(log)
      << " reported in: " << absl::StrJoin(SuppressedLines(log), " | ");
  EXPECT_LE(SuppressedLines(log).size(), 5u)
      << absl::StrJoin(SuppressedLines(log), " | ");
  EXPECT_THAT(SuppressedLines(log).front(),
              HasSubstr("1 hook run suppressed: hook queue full"));
  EXPECT_EQ(runner.counts().dropped, uint64_t{kFlood});
}

TEST_F(HookRunnerTest, DropsNotYetReportedAreReportedAtTheEnd) {
  LogLines log;
  {
    HookRunner runner({.max_running = 1,
                       .max_pending = 0,
                       .timeout = absl::Seconds(30),
                       .drop_report_period = absl::Hours(1)});
    ASSERT_TRUE(runner.Submit("sleep 30", {}));
    ASSERT_TRUE(
        WaitFor([&] { return runner.counts().running == 1; }, "running"));
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(runner.Submit("true", {}));
    // The first drop was reported at once; the next report is an hour off.
    EXPECT_EQ(SuppressedTotal(log), 1u);
  }
  EXPECT_EQ(SuppressedTotal(log), 5u)
      << absl::StrJoin(SuppressedLines(log), " | ");
}

TEST_F(HookRunnerTest, DestructorKillsRunningHooksPromptly) {
  auto runner = std::make_unique<HookRunner>(
      HookRunner::Options{.max_running = 2, .timeout = absl::Seconds(30)});
  ASSERT_TRUE(runner->Submit(
      absl::StrCat("echo $$ > ", Path("leader"), "; sleep 30 & echo $! > ",
                   Path("background"), "; wait"),
      {}));
  std::string line;
  ASSERT_TRUE(WaitForLine("leader", &line));
  ASSERT_TRUE(WaitForLine("background", &line));
  pid_t leader = 0;
  pid_t background = 0;
  ASSERT_TRUE(ReadPid("leader", &leader));
  ASSERT_TRUE(ReadPid("background", &background));

  const absl::Time before = absl::Now();
  runner.reset();
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));
  EXPECT_EQ(kill(leader, 0), -1) << "leader not reaped";
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(background); },
                      "background child gone"));
}

TEST_F(HookRunnerTest, NewTimeoutAppliesToLaterHooks) {
  HookRunner runner({.timeout = absl::Seconds(30)});
  runner.SetOptions({.timeout = absl::Milliseconds(200)});
  ASSERT_TRUE(runner.Submit("sleep 30", {}));
  EXPECT_TRUE(
      WaitFor([&] { return runner.counts().timed_out == 1; }, "timed out"));
}

TEST_F(HookRunnerTest, RunsAtMostMaxRunningAndSetOptionsRaisesIt) {
  HookRunner runner(
      {.max_running = 1, .max_pending = 8, .timeout = absl::Seconds(30)});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(runner.Submit("sleep 30", {}));
  ASSERT_TRUE(
      WaitFor([&] { return runner.counts().running == 1; }, "one running"));
  EXPECT_EQ(runner.counts().pending, 2);

  runner.SetOptions(
      {.max_running = 3, .max_pending = 8, .timeout = absl::Seconds(30)});
  EXPECT_TRUE(WaitFor(
      [&] {
        const HookRunner::Counts counts = runner.counts();
        return counts.running == 3 && counts.pending == 0;
      },
      "three running"));
  // The destructor kills all three.
}

TEST_F(HookRunnerTest, CountsFailingHookAsFinished) {
  HookRunner runner({});
  ASSERT_TRUE(runner.Submit("exit 3", {}));
  ASSERT_TRUE(runner.Submit("/nonexistent/command", {}));
  EXPECT_TRUE(
      WaitFor([&] { return runner.counts().finished == 2; }, "finished"));
  EXPECT_EQ(runner.counts().failed_to_start, 0);
  EXPECT_EQ(runner.counts().timed_out, 0);
}

}  // namespace
}  // namespace rsockd
