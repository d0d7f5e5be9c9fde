// This file defines small file helpers for tests: the path of a runfile,
// files in the test's temporary directory, a unique temporary directory,
// whole-file reads and writes with absl::Status errors, and bounded waits for
// what another process writes to a file (a log line, a hook's output).
//
// Temporary directories are created under $TEST_TMPDIR (which Bazel removes
// after the test) or, outside Bazel, under /tmp.

#ifndef RSOCKD_TESTING_FILES_H_
#define RSOCKD_TESTING_FILES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rsockd::testing {

// The path of `path`, a file named from the workspace root, in the test's
// runfiles ($TEST_SRCDIR/$TEST_WORKSPACE/`path`): a binary or data file the
// test lists in its `data` ("rsockd/tools/make_sockdfc").
std::string RunfilePath(absl::string_view path);

// The path of `name` in the test's temporary directory ($TEST_TMPDIR, or /tmp
// outside Bazel): a file the test writes, or expects to be missing.
std::string TempPath(absl::string_view name);

// Writes `contents` to TempPath(`name`) and returns that path. A file that
// cannot be written fails the test (gtest's non-fatal ADD_FAILURE).
std::string WriteTempFile(absl::string_view name, absl::string_view contents);

// Creates a new, empty directory whose name starts with `prefix` and returns
// its absolute path. The caller owns it (see `RemoveTree`).
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

// Removes `path` and everything below it. Missing paths are not an error.
absl::Status RemoveTree(absl::string_view path);

// Replaces the contents of `path` with `contents` (created mode 0600).
absl::Status WriteStringToFile(absl::string_view path,
                               absl::string_view contents);

// The contents of `path` from byte `offset` (past the end: nothing) to its
// end; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path,
                                             size_t offset = 0);

// Sets the access and modification times of `path` to `unix_seconds`, so that
// a test, not the speed of the machine, decides which of two files is newer.
absl::Status SetModificationTime(absl::string_view path, int64_t unix_seconds);

// Looks through the complete lines of `path` that begin at or after byte
// `*offset` for the first that contains every one of `substrings`, and
// returns it without its newline. `*offset` moves past the lines looked at
// (the one returned too), so that a caller polling a growing file reads only
// what was appended since. A line still being written (no newline yet) is
// never looked at: its first half could match. A missing file has no lines.
std::optional<std::string> FindLineWithAll(
    absl::string_view path, const std::vector<std::string>& substrings,
    size_t* offset);

// Polls `path` (bounded) until one of its complete lines contains
// `substring`, and returns that line without its newline.
// DeadlineExceeded after `timeout`, with what the file holds.
absl::StatusOr<std::string> WaitForFileLine(absl::string_view path,
                                            absl::string_view substring,
                                            absl::Duration timeout);

// Polls `path` (bounded) until it ends with a complete line, and returns all
// of it: a writer such as a hook's `echo ... > file` creates the file before
// it writes the line. DeadlineExceeded after `timeout`.
absl::StatusOr<std::string> WaitForCompleteFile(absl::string_view path,
                                                absl::Duration timeout);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FILES_H_
