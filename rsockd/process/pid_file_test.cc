#include "rsockd/process/pid_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::WriteStringToFile;

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, MakeTempDir("pidfile-"));
    path_ = absl::StrCat(dir_, "/rsockd.pid");
  }

  std::string dir_;
  std::string path_;
};

// rsockd writes its pid file as root, often in a directory others can write
// to: nothing planted there may redirect the write.
TEST_F(PidFileTest, DoesNotFollowAPlantedTemporaryFileLink) {
  const std::string victim = dir_ + "/victim";
  ASSERT_THAT(WriteStringToFile(victim, "precious\n"), IsOk());
  // The temporary name an earlier version used, predictable from the pid.
  const std::string planted = absl::StrCat(path_, ".tmp.", getpid());
  ASSERT_EQ(symlink(victim.c_str(), planted.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(PidFile pidfile, PidFile::Create(path_));
  EXPECT_EQ(*ReadFileToString(victim), "precious\n");
  EXPECT_EQ(*ReadFileToString(path_), absl::StrCat(getpid(), "\n"));
}

TEST_F(PidFileTest, ReplacesASymlinkAtThePathInsteadOfWritingThroughIt) {
  const std::string victim = dir_ + "/victim";
  ASSERT_THAT(WriteStringToFile(victim, "precious\n"), IsOk());
  ASSERT_EQ(symlink(victim.c_str(), path_.c_str()), 0);
  {
    ASSERT_OK_AND_ASSIGN(PidFile pidfile, PidFile::Create(path_));
    struct stat status;
    ASSERT_EQ(lstat(path_.c_str(), &status), 0);
    EXPECT_TRUE(S_ISREG(status.st_mode));
    EXPECT_EQ(*ReadFileToString(path_), absl::StrCat(getpid(), "\n"));
  }
  EXPECT_EQ(*ReadFileToString(victim), "precious\n");
  EXPECT_FALSE(Exists(path_));
}

TEST_F(PidFileTest, HoldsThePidAndIsRemovedWithTheObject) {
  {
    ASSERT_OK_AND_ASSIGN(PidFile pidfile, PidFile::Create(path_));
    EXPECT_EQ(pidfile.path(), path_);
    EXPECT_EQ(*ReadFileToString(path_), absl::StrCat(getpid(), "\n"));
    struct stat status;
    ASSERT_EQ(stat(path_.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 0004, 0004u) << "others must be able to read";
  }
  EXPECT_FALSE(Exists(path_));
}

TEST_F(PidFileTest, MovedFromObjectDoesNotRemoveTheFile) {
  ASSERT_OK_AND_ASSIGN(PidFile first, PidFile::Create(path_));
  std::optional<PidFile> second(std::move(first));
  { PidFile gone = std::move(first); }
  EXPECT_TRUE(Exists(path_));
  second.reset();
  EXPECT_FALSE(Exists(path_));
}

TEST_F(PidFileTest, LeavesAFileAnotherProcessRewrote) {
  ASSERT_OK_AND_ASSIGN(PidFile pidfile, PidFile::Create(path_));
  ASSERT_THAT(WriteStringToFile(path_, "999999\n"), IsOk());
  EXPECT_THAT(pidfile.Remove(), IsOk());
  EXPECT_EQ(*ReadFileToString(path_), "999999\n");
}

TEST_F(PidFileTest, RemoveOfAFileAlreadyGoneIsOk) {
  ASSERT_OK_AND_ASSIGN(PidFile pidfile, PidFile::Create(path_));
  ASSERT_EQ(unlink(path_.c_str()), 0);
  EXPECT_THAT(pidfile.Remove(), IsOk());
}

}  // namespace
}  // namespace rsockd
