#include "testing/files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

bool IsDirectory(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

TEST(FilesTest, RunfilePathFindsTheTestsOwnBinary) {
  EXPECT_EQ(access(RunfilePath("testing/files_test").c_str(), X_OK), 0)
      << RunfilePath("testing/files_test");
}

TEST(FilesTest, WriteTempFileWritesIntoTheTestsTemporaryDirectory) {
  const std::string path = WriteTempFile("files_test.txt", "hello\n");
  EXPECT_EQ(path, TempPath("files_test.txt"));
  ASSERT_NE(getenv("TEST_TMPDIR"), nullptr);
  EXPECT_EQ(path, absl::StrCat(getenv("TEST_TMPDIR"), "/files_test.txt"));
  EXPECT_THAT(ReadFileToString(path), IsOkAndHolds("hello\n"));
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

TEST(FilesTest, ReadsFromAnOffset) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/data");
  ASSERT_THAT(WriteStringToFile(path, "0123456789"), IsOk());
  EXPECT_THAT(ReadFileToString(path, 7), IsOkAndHolds("789"));
  EXPECT_THAT(ReadFileToString(path, 10), IsOkAndHolds(""));
  EXPECT_THAT(ReadFileToString(path, 99), IsOkAndHolds(""));
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

TEST(FilesTest, FindsCompleteLinesAndMovesPastThem) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/log");
  size_t offset = 0;
  EXPECT_EQ(FindLineWithAll(path, {"ready"}, &offset), std::nullopt)
      << "a missing file has no lines";
  EXPECT_EQ(offset, 0u);

  ASSERT_THAT(WriteStringToFile(path,
                                "start\nready port 7\nready port 8\n"
                                "ready port 9"),
              IsOk());
  EXPECT_EQ(FindLineWithAll(path, {"ready", "port"}, &offset), "ready port 7");
  EXPECT_EQ(offset, 19u);
  EXPECT_EQ(FindLineWithAll(path, {"ready"}, &offset), "ready port 8");
  // The last line is still being written: never matched, never passed.
  EXPECT_EQ(FindLineWithAll(path, {"ready"}, &offset), std::nullopt);
  EXPECT_EQ(offset, 32u);
  ASSERT_THAT(WriteStringToFile(path,
                                "start\nready port 7\nready port 8\n"
                                "ready port 9\n"),
              IsOk());
  EXPECT_EQ(FindLineWithAll(path, {"ready"}, &offset), "ready port 9");
  EXPECT_EQ(FindLineWithAll(path, {"port 7"}, &offset), std::nullopt)
      << "lines before the offset are not looked at";
  EXPECT_THAT(RemoveTree(dir), IsOk());
}

TEST(FilesTest, WaitForFileLineReturnsTheLineOrSaysWhatTheFileHolds) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/log");
  ASSERT_THAT(WriteStringToFile(path, "Started working: 1 available\n"),
              IsOk());
  EXPECT_THAT(WaitForFileLine(path, "Started working: ", absl::Seconds(30)),
              IsOkAndHolds("Started working: 1 available"));
  EXPECT_THAT(WaitForFileLine(path, "EXIT", absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("it holds:\nStarted working: 1 available")));
  EXPECT_THAT(RemoveTree(dir), IsOk());
}

TEST(FilesTest, WaitForCompleteFileWaitsForTheNewline) {
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("files_test-"));
  const std::string path = absl::StrCat(dir, "/out");
  EXPECT_THAT(WaitForCompleteFile(path, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(path)));
  ASSERT_THAT(WriteStringToFile(path, "half"), IsOk());
  EXPECT_THAT(WaitForCompleteFile(path, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("it holds: \"half\"")));
  ASSERT_THAT(WriteStringToFile(path, "whole\n"), IsOk());
  EXPECT_THAT(WaitForCompleteFile(path, absl::Seconds(30)),
              IsOkAndHolds("whole\n"));
  EXPECT_THAT(RemoveTree(dir), IsOk());
}

}  // namespace
}  // namespace rsockd::testing
