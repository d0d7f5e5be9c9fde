// This file defines the two ways rsockd reads and writes whole files:
// `ReadFile()`, which reads a small file (a config, a user list, a frozen
// config, the pid file) into memory with a size cap, and
// `WriteFileAtomically()`, which replaces a file so that a reader sees
// either the old contents or the new, never a half-written file.
//
// Errors carry the errno-derived code (NotFound, PermissionDenied, ...) and
// a message that names the step and the path:
// "cannot read /etc/sockd.conf: No such file or directory".
//
// Thread-safe (no shared state).

#ifndef RSOCKD_RSOCKD_BASE_FILES_H_
#define RSOCKD_RSOCKD_BASE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd {

// ReadFile()
//
// Returns the contents of `path`. A file longer than `max_bytes` is
// FailedPrecondition ("cannot read /dev/zero: file is larger than 65536
// bytes"), so that a mistaken path such as /dev/zero cannot exhaust memory.
absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes);

// FileOwner
//
// The owner and group WriteFileAtomically() gives a file, where it may.
struct FileOwner {
  uid_t uid;
  gid_t gid;
};

// WriteFileAtomically()
//
// Writes `contents` to a new temporary file in the directory of `path`,
// gives it the permission bits `mode` (and `owner`, see below), syncs it,
// renames it over `path` and syncs the directory. On any failure the
// temporary file is removed, `path` is left as it was, and the error names
// the step and the path: "cannot write /etc/sockd.fc: No space left on
// device".
//
// Why atomically: rsockd reloading on SIGHUP would refuse a truncated
// frozen config, but a reload must not fail because a tool was still
// writing. It is the one way the tree writes a file: the frozen-file tools,
// and rsockd's --pidfile and --port_file.
//
// Those are often written by root into a directory others can write to
// (/tmp, a shared run directory), so nothing planted there can redirect the
// write: the temporary file gets an unpredictable name and is created with
// O_CREAT|O_EXCL, which fails on any existing name, a symlink included
// (mkostemp(3) then tries another), and rename(2) replaces a symlink at
// `path` itself instead of following it. Concurrent writers of one path
// each leave a whole file; the last rename wins.
//
// `owner` is applied where the writer may: root can give the file any owner;
// others keep the file as their own, and may still give it one of their
// groups. That is not an error: a user freezing someone else's config for
// themselves gets a file of their own. (Why at all: a config readable only
// by root and rsockd's group must stay readable by rsockd, which re-reads it
// after dropping privileges, and setting the owner before the rename leaves
// no moment when the new file is unreadable.)
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode,
                                 std::optional<FileOwner> owner = std::nullopt);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_BASE_FILES_H_
