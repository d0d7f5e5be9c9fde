#include "rsockd/process/config_watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Generous for a loaded machine; a passing run never waits it out.
constexpr absl::Duration kWaitLimit = absl::Seconds(20);

// Records the callbacks.
class Calls {
 public:
  ConfigWatcher::Callback Callback() {
    return [this](std::vector<std::string> changed) {
      absl::MutexLock lock(&mu_);
      calls_.push_back(std::move(changed));
    };
  }

  size_t count() {
    absl::MutexLock lock(&mu_);
    return calls_.size();
  }

  // Waits (bounded) until at least `count` calls were made; returns them.
  std::vector<std::vector<std::string>> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    const auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return calls_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::vector<std::string>> calls_ ABSL_GUARDED_BY(mu_);
};

class ConfigWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, MakeTempDir("watch-"));
    conf_ = dir_ + "/sockd.conf";
    ASSERT_THAT(WriteStringToFile(conf_, "permit ALL\n"), IsOk());
  }

  std::unique_ptr<ConfigWatcher> Watch(const std::vector<std::string>& paths,
                                       absl::Duration debounce) {
    absl::StatusOr<std::unique_ptr<ConfigWatcher>> watcher =
        ConfigWatcher::Start({.paths = paths, .debounce = debounce},
                             calls_.Callback());
    EXPECT_THAT(watcher, IsOk());
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }

  // As editors do: a new file beside it, renamed over it.
  void Replace(const std::string& path, const std::string& contents) {
    ASSERT_THAT(WriteStringToFile(path + ".new", contents), IsOk());
    ASSERT_EQ(rename((path + ".new").c_str(), path.c_str()), 0);
  }

  std::string dir_;
  std::string conf_;
  Calls calls_;
};

TEST_F(ConfigWatcherTest, FileReplacedByRenameIsReported) {
  std::unique_ptr<ConfigWatcher> watcher =
      Watch({conf_}, absl::Milliseconds(50));
  ASSERT_NE(watcher, nullptr);
  Replace(conf_, "deny ALL\n");
  EXPECT_THAT(calls_.WaitFor(1), ElementsAre(ElementsAre(conf_)));
}

TEST_F(ConfigWatcherTest, OtherFilesInTheDirectoryAreIgnored) {
  const std::string frozen = dir_ + "/sockd.fc";
  std::unique_ptr<ConfigWatcher> watcher =
      Watch({conf_, frozen}, absl::Milliseconds(50));
  ASSERT_NE(watcher, nullptr);
  // The editor's temporary file and an unrelated one: nothing. Then a
  // frozen file that did not exist yet appears.
  ASSERT_THAT(WriteStringToFile(dir_ + "/unrelated", "x"), IsOk());
  ASSERT_THAT(WriteStringToFile(conf_ + ".new", "x"), IsOk());
  ASSERT_THAT(WriteStringToFile(frozen, "frozen"), IsOk());
  EXPECT_THAT(calls_.WaitFor(1), ElementsAre(ElementsAre(frozen)));
}

TEST_F(ConfigWatcherTest, BurstOfChangesGivesOneCall) {
  const std::string users = dir_ + "/users";
  ASSERT_THAT(WriteStringToFile(users, "a\n"), IsOk());
  // A quiet period long enough that the burst below fits in it.
  std::unique_ptr<ConfigWatcher> watcher =
      Watch({conf_, users}, absl::Milliseconds(500));
  ASSERT_NE(watcher, nullptr);
  for (int i = 0; i < 10; ++i) {
    Replace(conf_, absl::StrCat("permit ALL # ", i, "\n"));
    ASSERT_THAT(WriteStringToFile(users, absl::StrCat("a", i, "\n")), IsOk());
  }
  ASSERT_EQ(unlink(users.c_str()), 0);
  std::vector<std::vector<std::string>> calls = calls_.WaitFor(1);
  EXPECT_THAT(calls, ElementsAre(ElementsAre(conf_, users)));
  // A later change is a call of its own; the burst made no second call
  // meanwhile.
  Replace(conf_, "deny ALL\n");
  calls = calls_.WaitFor(2);
  EXPECT_EQ(calls.size(), 2u);
}

TEST_F(ConfigWatcherTest, FileRewrittenWithoutEndIsReportedAfterMaxDelay) {
  absl::StatusOr<std::unique_ptr<ConfigWatcher>> watcher =
      ConfigWatcher::Start({.paths = {conf_},
                            .debounce = absl::Seconds(2),
                            .max_delay = absl::Milliseconds(300)},
                           calls_.Callback());
  ASSERT_THAT(watcher, IsOk());
  // Changes every 20 ms, so the 2 s quiet period never comes; the call
  // comes at max_delay all the same.
  const absl::Time deadline = absl::Now() + kWaitLimit;
  for (int i = 0; calls_.count() == 0 && absl::Now() < deadline; ++i) {
    ASSERT_THAT(WriteStringToFile(conf_, absl::StrCat(i)), IsOk());
    absl::SleepFor(absl::Milliseconds(20));  // the rewrite rate
  }
  EXPECT_EQ(calls_.count(), 1u);
}

TEST_F(ConfigWatcherTest, SetPathsWatchesTheNewSet) {
  ASSERT_OK_AND_ASSIGN(std::string other_dir, MakeTempDir("watch-other-"));
  const std::string users = other_dir + "/users";
  std::unique_ptr<ConfigWatcher> watcher =
      Watch({conf_}, absl::Milliseconds(50));
  ASSERT_NE(watcher, nullptr);
  ASSERT_THAT(watcher->SetPaths({users}), IsOk());
  ASSERT_THAT(WriteStringToFile(conf_, "no longer watched\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(users, "u\n"), IsOk());
  EXPECT_THAT(calls_.WaitFor(1), ElementsAre(ElementsAre(users)));
}

TEST_F(ConfigWatcherTest, MissingDirectoryIsAnError) {
  EXPECT_THAT(
      ConfigWatcher::Start({.paths = {dir_ + "/missing/sockd.conf"}},
                           calls_.Callback()),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("cannot watch the directory " + dir_ + "/missing")));
  // A file given more than once, and "" (no file), are fine.
  EXPECT_THAT(
      ConfigWatcher::Start({.paths = {conf_, conf_, ""}}, calls_.Callback()),
      IsOk());
}

}  // namespace
}  // namespace rsockd
