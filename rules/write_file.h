// This file defines `WriteFileAtomically()`, which replaces a file so that a
// reader (rsockd reloading on SIGHUP, say) sees either the old contents or
// the new, never a half-written file — a truncated frozen config would be
// refused, but a reload must not fail because a tool was still writing.
//
// Thread-safe (no shared state; concurrent writers of one path each leave a
// whole file, the last rename wins).

#ifndef RSOCKD_RULES_WRITE_FILE_H_
#define RSOCKD_RULES_WRITE_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rsockd::rules {

// WriteFileAtomically()
//
// Writes `contents` to a new temporary file in the directory of `path`,
// gives it the permission bits `mode`, syncs it, renames it over `path` and
// syncs the directory. On any failure the temporary file is removed, `path`
// is left as it was, and the error (errno-derived code) names the step and
// the path: "cannot write /etc/sockd.fc: No space left on device".
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_WRITE_FILE_H_
