#include "rules/read_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ReadFileTest, ReadsTheWholeFile) {
  std::string text(100000, 'x');
  text += "\nend";
  const std::string path = WriteTempFile("whole", text);
  ASSERT_OK_AND_ASSIGN(std::string read, ReadFile(path, 1 << 20));
  EXPECT_EQ(read, text);
}

TEST(ReadFileTest, MissingFileNamesThePath) {
  EXPECT_THAT(ReadFile("/nonexistent/sockd.conf", 1024),
              StatusIs(absl::StatusCode::kNotFound,
                       "cannot read /nonexistent/sockd.conf: No such file or "
                       "directory"));
}

TEST(ReadFileTest, DirectoryIsAnError) {
  EXPECT_THAT(ReadFile("/", 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read /: Is a directory")));
}

TEST(ReadFileTest, RejectsAFileOverTheCap) {
  const std::string path = WriteTempFile("big", std::string(1025, 'x'));
  EXPECT_THAT(ReadFile(path, 1025), rsockd::testing::IsOk());
  EXPECT_THAT(ReadFile(path, 1024),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("file is larger than 1024 bytes")));
}

TEST(ReadFileTest, EndlessFileStopsAtTheCap) {
  EXPECT_THAT(ReadFile("/dev/zero", 1 << 16),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot read /dev/zero: file is larger")));
}

}  // namespace
}  // namespace rsockd::rules
