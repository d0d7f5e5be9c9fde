// This file defines `ReadFile()`, which reads a whole configuration file
// (sockd.conf, a user list file, ...) into memory with a size cap, so that a
// mistaken path such as /dev/zero cannot exhaust memory.
//
// Thread-safe.

#ifndef RSOCKD_RULES_READ_FILE_H_
#define RSOCKD_RULES_READ_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace rsockd::rules {

// ReadFile()
//
// Returns the contents of `path`. Errors carry the errno-derived code
// (NotFound, PermissionDenied, ...) and a message naming the path, e.g.
// "cannot read /etc/sockd.conf: No such file or directory". A file longer
// than `max_bytes` is FailedPrecondition.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_READ_FILE_H_
