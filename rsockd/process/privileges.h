// This file defines `DropPrivileges`, what `--user` does once rsockd has
// bound its listeners (README.md#security-notes: drop privileges after bind).
//
// The order is the one that works: the supplementary groups first
// (initgroups(3), which needs root), then the group (setgid), then the user
// (setuid) — after setuid nothing else could be changed. Each step is
// checked, and so is the result: every real, effective and saved id is the
// user's, no supplementary group is one the process had for being root, and
// setuid(0)/setgid(0) now fail. Any failure is an error, and the caller must
// not go on serving with privileges it was asked to give up.
//
// glibc applies set*id(2) to every thread of the process, so any thread
// started before the call runs as the user afterwards too.
//
// Example:
//
//   if (absl::Status dropped = DropPrivileges("nobody"); !dropped.ok()) {
//     LOG(ERROR) << dropped;
//     return 1;
//   }

#ifndef RSOCKD_RSOCKD_PROCESS_PRIVILEGES_H_
#define RSOCKD_RSOCKD_PROCESS_PRIVILEGES_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd {

struct UserIds {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;  // the user's primary group
};

// The user's ids from the password database (getpwnam_r). NotFound when
// there is no such user.
absl::StatusOr<UserIds> LookUpUser(absl::string_view name);

// Switches the whole process to `user` and the groups it belongs to, for
// good. When the process already runs as exactly that user and group (an
// inetd.conf line with that user), there is nothing to drop and it returns
// OK. Otherwise it needs root (CAP_SETUID, CAP_SETGID); without, it fails
// with the errno of the step that failed (PermissionDenied for EPERM).
absl::Status DropPrivileges(absl::string_view user);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PROCESS_PRIVILEGES_H_
