// This file defines small file helpers for tests: a unique temporary
// directory, and whole-file reads and writes with absl::Status errors.
//
// Temporary directories are created under $TEST_TMPDIR (which Bazel removes
// after the test) or, outside Bazel, under /tmp.

#ifndef RSOCKD_TESTING_FILES_H_
#define RSOCKD_TESTING_FILES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd::testing {

// Creates a new, empty directory whose name starts with `prefix` and returns
// its absolute path. The caller owns it (see `RemoveTree`).
absl::StatusOr<std::string> MakeTempDir(absl::string_view prefix);

// Removes `path` and everything below it. Missing paths are not an error.
absl::Status RemoveTree(absl::string_view path);

// Replaces the contents of `path` with `contents` (created mode 0600).
absl::Status WriteStringToFile(absl::string_view path,
                               absl::string_view contents);

// The whole contents of `path`; NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileToString(absl::string_view path);

// Sets the access and modification times of `path` to `unix_seconds`, so that
// a test, not the speed of the machine, decides which of two files is newer.
absl::Status SetModificationTime(absl::string_view path, int64_t unix_seconds);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_FILES_H_
