#include "testing/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::StartsWith;

bool IsDirectory(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

TEST(FilesTest, MakeTempDirCreatesDistinctDirectories) {
  ASSERT_OK_AND_ASSIGN(std::string first, MakeTempDir("files_test-"));
  ASSERT_OK_AND_ASSIGN(std::string second, MakeTempDir("files_test-"));
  EXPECT_NE(first, second);
  EXPECT_THAT(first, StartsWith("/"));
  EXPECT_TRUE(IsDirectory(first));
  EXPECT_TRUE(IsDirectory(second));
  EXPECT_THAT(RemoveTree(first), IsOk());
  EXPECT_THAT(RemoveTree(second), IsOk());
  EXPECT_FALSE(IsDirectory(first));
}

TEST(FilesTest, WriteThenReadRoundTripsBinaryContents) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/data");
  const std::string contents("a\0b\nc", 5);
  ASSERT_THAT(WriteStringToFile(path, contents), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string read_back, ReadFileToString(path));
  EXPECT_EQ(read_back, contents);
  ASSERT_THAT(WriteStringToFile(path, "short"), IsOk());
  ASSERT_OK_AND_ASSIGN(read_back, ReadFileToString(path));
  EXPECT_EQ(read_back, "short") << "write truncates";
  EXPECT_THAT(RemoveTree(dir), IsOk());
}

TEST(FilesTest, ReadingAMissingFileIsNotFound) {
  EXPECT_THAT(
      ReadFileToString("/nonexistent/rsockd/file"),
      StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("open")));
}

TEST(FilesTest, RemovingAMissingTreeIsOk) {
  EXPECT_THAT(RemoveTree("/nonexistent/rsockd/tree"), IsOk());
}

TEST(FilesTest, SetsTheModificationTime) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/data");
  ASSERT_THAT(WriteStringToFile(path, "x"), IsOk());
  ASSERT_THAT(SetModificationTime(path, 1000000060), IsOk());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mtim.tv_sec, 1000000060);
  EXPECT_EQ(info.st_mtim.tv_nsec, 0);
  EXPECT_THAT(SetModificationTime(dir + "/absent", 1),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(RemoveTree(dir), IsOk());
}

}  // namespace
}  // namespace rsockd::testing
