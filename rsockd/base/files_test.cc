#include "rsockd/base/files.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "testing/files.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::WriteStringToFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, rsockd::testing::MakeTempDir("read"));
  }
  std::string dir_;
};

TEST_F(ReadFileTest, ReadsTheWholeFile) {
  std::string text(100000, 'x');
  text += "\nend";
  const std::string path = dir_ + "/whole";
  ASSERT_THAT(WriteStringToFile(path, text), IsOk());
  EXPECT_THAT(ReadFile(path, 1 << 20), IsOkAndHolds(text));
}

TEST_F(ReadFileTest, MissingFileNamesThePath) {
  EXPECT_THAT(ReadFile("/nonexistent/sockd.conf", 1024),
              StatusIs(absl::StatusCode::kNotFound,
                       "cannot read /nonexistent/sockd.conf: No such file or "
                       "directory"));
}

TEST_F(ReadFileTest, DirectoryIsAnError) {
  EXPECT_THAT(ReadFile("/", 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read /: Is a directory")));
}

TEST_F(ReadFileTest, RejectsAFileOverTheCap) {
  const std::string path = dir_ + "/big";
  ASSERT_THAT(WriteStringToFile(path, std::string(1025, 'x')), IsOk());
  EXPECT_THAT(ReadFile(path, 1025), IsOk());
  EXPECT_THAT(ReadFile(path, 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("file is larger than 1024 bytes")));
}

TEST_F(ReadFileTest, EndlessFileStopsAtTheCap) {
  EXPECT_THAT(ReadFile("/dev/zero", 1 << 16),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read /dev/zero: file is larger")));
}

class WriteFileAtomicallyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, rsockd::testing::MakeTempDir("write"));
  }
  std::string dir_;
};

TEST_F(WriteFileAtomicallyTest, CreatesAndReplacesWithTheGivenMode) {
  const std::string path = dir_ + "/sockd.fc";
  ASSERT_THAT(WriteFileAtomically(path, "first", 0640), IsOk());
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds(std::string("first")));
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  const ino_t first_inode = info.st_ino;

  ASSERT_THAT(WriteFileAtomically(path, std::string(100000, 'x'), 0644),
              IsOk());
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds(std::string(100000, 'x')));
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u);
  // A new file renamed into place, not the old one rewritten: a reader that
  // opened the old file keeps reading whole old contents.
  EXPECT_NE(info.st_ino, first_inode);
  EXPECT_THAT(Entries(dir_), ElementsAre("sockd.fc"));
}

TEST_F(WriteFileAtomicallyTest, GivesTheOwnerWhereAllowed) {
  const std::string path = dir_ + "/owned.fc";
  // The writer's own ids are always allowed.
  ASSERT_THAT(
      WriteFileAtomically(path, "x", 0640, FileOwner{getuid(), getgid()}),
      IsOk());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, getuid());
  EXPECT_EQ(info.st_gid, getgid());
  EXPECT_EQ(info.st_mode & 07777, 0640u);
  // An owner that cannot be given is not an error: the file is written and
  // stays the writer's. (Only a writer other than root is refused giving a
  // file to root.)
  if (getuid() != 0) {
    ASSERT_THAT(WriteFileAtomically(path, "y", 0600, FileOwner{0, 0}), IsOk());
    ASSERT_EQ(stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, getuid());
  }
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds(getuid() != 0 ? "y" : "x"));
}

// rsockd writes --pidfile and --port_file as root, perhaps in a directory
// others can write to: a symlink planted at the path is replaced, never
// written through.
TEST_F(WriteFileAtomicallyTest, ReplacesASymlinkAtThePathWithoutFollowingIt) {
  const std::string victim = dir_ + "/victim";
  const std::string path = dir_ + "/rsockd.pid";
  ASSERT_THAT(WriteFileAtomically(victim, "precious", 0600), IsOk());
  ASSERT_EQ(symlink(victim.c_str(), path.c_str()), 0);
  ASSERT_THAT(WriteFileAtomically(path, "42\n", 0644), IsOk());
  EXPECT_THAT(ReadFileToString(victim), IsOkAndHolds(std::string("precious")));
  struct stat info;
  ASSERT_EQ(lstat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds(std::string("42\n")));
  // A dangling link does not make the write create its target either.
  const std::string dangling = dir_ + "/port";
  ASSERT_EQ(symlink((dir_ + "/created").c_str(), dangling.c_str()), 0);
  ASSERT_THAT(WriteFileAtomically(dangling, "1080\n", 0644), IsOk());
  EXPECT_THAT(Entries(dir_),
              UnorderedElementsAre("victim", "rsockd.pid", "port"));
}

TEST_F(WriteFileAtomicallyTest, FailureLeavesNothingBehind) {
  // The target is a directory: the rename fails after the temporary file was
  // written.
  const std::string target = dir_ + "/taken";
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((target + "/inside").c_str(), 0755), 0);
  EXPECT_THAT(
      WriteFileAtomically(target, "data", 0644),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("cannot rename a temporary file to " + target)));
  EXPECT_THAT(Entries(dir_), ElementsAre("taken"));
  EXPECT_THAT(
      WriteFileAtomically(dir_ + "/missing/sockd.fc", "data", 0644),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("cannot create a temporary file for " + dir_)));
}

}  // namespace
}  // namespace rsockd
