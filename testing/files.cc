#include "testing/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "testing/wait_for.h"

namespace rsockd::testing {

std::string RunfilePath(absl::string_view path) {
  const char* root = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(root != nullptr ? root : ".", "/",
                      workspace != nullptr ? workspace : "rsockd", "/", path);
}

namespace {

// $TEST_TMPDIR, which Bazel empties for each test, or /tmp outside Bazel.
const char* TempRoot() {
  const char* root = getenv("TEST_TMPDIR");
  return root == nullptr || *root == '\0' ? "/tmp" : root;
}

}  // namespace

std::string TempPath(absl::string_view name) {
  return absl::StrCat(TempRoot(), "/", name);
}

std::string WriteTempFile(absl::string_view name, absl::string_view contents) {
  const std::string path = TempPath(name);
  if (absl::Status written = WriteStringToFile(path, contents); !written.ok()) {
    ADD_FAILURE() << written;
  }
  return path;
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix) {
  std::string pattern = absl::StrCat(TempRoot(), "/", prefix, "XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp(", pattern, ")"));
  }
  std::error_code error;
  std::filesystem::path absolute =
      std::filesystem::absolute(buffer.data(), error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("absolute(", buffer.data(), "): ", error.message()));
  }
  return absolute.string();
}

absl::Status RemoveTree(absl::string_view path) {
  std::error_code error;
  std::filesystem::remove_all(std::string(path), error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("remove_all(", path, "): ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteStringToFile(absl::string_view path,
                               absl::string_view contents) {
  const std::string name(path);
  const int fd =
      open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::ErrnoToStatus(errno, absl::StrCat("open(", path, ")"));
  while (!contents.empty()) {
    const ssize_t n = write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("write(", path, ")"));
    }
    contents.remove_prefix(n);
  }
  if (close(fd) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("close(", path, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileToString(absl::string_view path,
                                             size_t offset) {
  const std::string name(path);
  const int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::ErrnoToStatus(errno, absl::StrCat("open(", path, ")"));
  std::string contents;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = pread(fd, buffer, sizeof(buffer), offset);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("read(", path, ")"));
    }
    contents.append(buffer, n);
    offset += n;
  }
  close(fd);
  return contents;
}

absl::Status SetModificationTime(absl::string_view path, int64_t unix_seconds) {
  const std::string name(path);
  const timespec times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
  if (utimensat(AT_FDCWD, name.c_str(), times, 0) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("utimensat(", path, ")"));
  }
  return absl::OkStatus();
}

std::optional<std::string> FindLineWithAll(
    absl::string_view path, const std::vector<std::string>& substrings,
    size_t* offset) {
  const absl::StatusOr<std::string> fresh = ReadFileToString(path, *offset);
  if (!fresh.ok()) return std::nullopt;
  size_t line_start = 0;
  for (size_t newline = fresh->find('\n'); newline != std::string::npos;
       line_start = newline + 1, newline = fresh->find('\n', line_start)) {
    const absl::string_view line =
        absl::string_view(*fresh).substr(line_start, newline - line_start);
    if (std::all_of(substrings.begin(), substrings.end(),
                    [&](const std::string& wanted) {
                      return absl::StrContains(line, wanted);
                    })) {
      *offset += newline + 1;
      return std::string(line);
    }
  }
  *offset += line_start;
  return std::nullopt;
}

absl::StatusOr<std::string> WaitForFileLine(absl::string_view path,
                                            absl::string_view substring,
                                            absl::Duration timeout) {
  const std::vector<std::string> wanted = {std::string(substring)};
  size_t offset = 0;
  return WaitUntilAvailable(
      [&]() -> absl::StatusOr<std::string> {
        if (std::optional<std::string> line =
                FindLineWithAll(path, wanted, &offset)) {
          return *std::move(line);
        }
        return absl::UnavailableError(absl::StrCat(
            "no line with \"", substring, "\" in ", path, "; it holds:\n",
            ReadFileToString(path).value_or("(nothing)")));
      },
      timeout);
}

absl::StatusOr<std::string> WaitForCompleteFile(absl::string_view path,
                                                absl::Duration timeout) {
  return WaitUntilAvailable(
      [&]() -> absl::StatusOr<std::string> {
        absl::StatusOr<std::string> contents = ReadFileToString(path);
        if (contents.ok() && absl::EndsWith(*contents, "\n")) return contents;
        return absl::UnavailableError(
            absl::StrCat("no complete line in ", path, "; it holds: \"",
                         contents.value_or(""), "\""));
      },
      timeout);
}

}  // namespace rsockd::testing
