#include "rules/write_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rsockd::rules {
namespace {

absl::Status ErrnoError(int error, absl::string_view what,
                        const std::string& path) {
  return absl::ErrnoToStatus(error, absl::StrCat("cannot ", what, " ", path));
}

// The directory part of `path`, for syncing the rename: "." for a bare name.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, absl::string_view contents,
                      const std::string& path) {
  while (!contents.empty()) {
    const ssize_t n = write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", path);
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode,
                                 std::optional<FileOwner> owner) {
  // mkstemp wants a writable, NUL-terminated template beside the target, so
  // that the rename stays within one file system.
  const std::string pattern = path + ".tmpXXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  const int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "create a temporary file for", path);
  const std::string temp_path(temp.data());

  absl::Status status = WriteAll(fd, contents, path);
  // Best effort by design (see the header): the owner and group if allowed,
  // else the group alone, else the writer's own. Before fchmod, which a
  // change of owner could otherwise reset set-id bits of.
  if (status.ok() && owner.has_value() &&
      fchown(fd, owner->uid, owner->gid) != 0) {
    (void)!fchown(fd, static_cast<uid_t>(-1), owner->gid);
  }
  // mkstemp creates the file 0600; the caller decides who may read it.
  if (status.ok() && fchmod(fd, mode & 07777) != 0) {
    status = ErrnoError(errno, "set the mode of", path);
  }
  if (status.ok() && fsync(fd) != 0) status = ErrnoError(errno, "sync", path);
  if (close(fd) != 0 && status.ok()) {
    status = ErrnoError(errno, "write", path);
  }
  if (status.ok() && rename(temp_path.c_str(), path.c_str()) != 0) {
    status = ErrnoError(errno, "rename a temporary file to", path);
  }
  if (!status.ok()) {
    unlink(temp_path.c_str());
    return status;
  }
  // Make the rename itself durable. The file is in place already, so a
  // failure here is reported but nothing is undone.
  const std::string directory = DirectoryOf(path);
  const int dir_fd =
      open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoError(errno, "open the directory of", path);
  const int synced = fsync(dir_fd);
  const int sync_error = errno;
  close(dir_fd);
  if (synced != 0) return ErrnoError(sync_error, "sync the directory of", path);
  return absl::OkStatus();
}

}  // namespace rsockd::rules
