#include "rsockd/process/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rsockd {
namespace {

absl::Status StepFailed(int error, absl::string_view step,
                        absl::string_view user) {
  return absl::ErrnoToStatus(
      error, absl::StrCat("--user=", user, ": ", step, " failed"));
}

// The groups `user` belongs to, as initgroups(3) sets them.
absl::StatusOr<std::vector<gid_t>> GroupsOf(const UserIds& user) {
  int count = 64;
  for (;;) {
    std::vector<gid_t> groups(count);
    int n = count;
    if (getgrouplist(user.name.c_str(), user.gid, groups.data(), &n) >= 0) {
      groups.resize(n);
      std::sort(groups.begin(), groups.end());
      return groups;
    }
    if (n <= count) {
      return absl::InternalError(
          absl::StrCat("getgrouplist(", user.name, ") failed"));
    }
    count = n;
  }
}

// The process's supplementary groups, sorted.
absl::StatusOr<std::vector<gid_t>> CurrentGroups() {
  const int n = getgroups(0, nullptr);
  if (n < 0) return absl::ErrnoToStatus(errno, "getgroups");
  std::vector<gid_t> groups(n);
  if (getgroups(n, groups.data()) != n) {
    return absl::ErrnoToStatus(errno, "getgroups");
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

// After the switch: every id is the user's and root cannot be had back.
absl::Status VerifyDropped(const UserIds& user) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 ||
      getresgid(&rgid, &egid, &sgid) != 0) {
    return absl::ErrnoToStatus(errno, "getresuid/getresgid");
  }
  if (ruid != user.uid || euid != user.uid || suid != user.uid ||
      rgid != user.gid || egid != user.gid || sgid != user.gid) {
    return absl::InternalError(
        absl::StrCat("--user=", user.name, ": ids after the switch are uid ",
                     ruid, "/", euid, "/", suid, " gid ", rgid, "/", egid, "/",
                     sgid, ", expected ", user.uid, " and ", user.gid));
  }
  absl::StatusOr<std::vector<gid_t>> expected = GroupsOf(user);
  if (!expected.ok()) return expected.status();
  absl::StatusOr<std::vector<gid_t>> groups = CurrentGroups();
  if (!groups.ok()) return groups.status();
  // The kernel may or may not list the primary group among the
  // supplementary ones; compare without it.
  std::erase(*expected, user.gid);
  std::erase(*groups, user.gid);
  expected->erase(std::unique(expected->begin(), expected->end()),
                  expected->end());
  if (*groups != *expected) {
    return absl::InternalError(
        absl::StrCat("--user=", user.name,
                     ": supplementary groups after the switch are not the "
                     "user's"));
  }
  if (user.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
    return absl::InternalError(absl::StrCat(
        "--user=", user.name, ": root could be regained after the switch"));
  }
  if (user.gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
    return absl::InternalError(absl::StrCat(
        "--user=", user.name, ": group 0 could be regained after the switch"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UserIds> LookUpUser(absl::string_view name) {
  const std::string user(name);
  std::vector<char> buffer(16 * 1024);
  passwd entry;
  passwd* found = nullptr;
  int error;
  while ((error = getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(),
                             &found)) == ERANGE &&
         buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (error != 0) {
    return absl::ErrnoToStatus(error,
                               absl::StrCat("looking up user \"", user, "\""));
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no user \"", user, "\""));
  }
  return UserIds{.name = user, .uid = entry.pw_uid, .gid = entry.pw_gid};
}

absl::Status DropPrivileges(absl::string_view name) {
  absl::StatusOr<UserIds> user = LookUpUser(name);
  if (!user.ok()) {
    return absl::Status(user.status().code(),
                        absl::StrCat("--user: ", user.status().message()));
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 ||
      getresgid(&rgid, &egid, &sgid) != 0) {
    return absl::ErrnoToStatus(errno, "getresuid/getresgid");
  }
  const bool already = ruid == user->uid && euid == user->uid &&
                       suid == user->uid && rgid == user->gid &&
                       egid == user->gid && sgid == user->gid;
  if (already && user->uid != 0) return VerifyDropped(*user);

  if (initgroups(user->name.c_str(), user->gid) != 0) {
    return StepFailed(errno, "initgroups", user->name);
  }
  if (setgid(user->gid) != 0) return StepFailed(errno, "setgid", user->name);
  if (setuid(user->uid) != 0) return StepFailed(errno, "setuid", user->name);
  return VerifyDropped(*user);
}

}  // namespace rsockd
