#include "rsockd/base/files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd {
namespace {

// "cannot <what> <path>: <strerror>", with the errno-derived code.
absl::Status FileError(int error, absl::string_view what,
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
      return FileError(errno, "write", path);
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     size_t max_bytes) {
  const FdCloser fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return FileError(errno, "read", path);
  std::string contents;
  char buffer[16384];
  while (true) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return FileError(errno, "read", path);
    }
    if (n == 0) break;
    if (contents.size() + static_cast<size_t>(n) > max_bytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot read ", path, ": file is larger than ", max_bytes, " bytes"));
    }
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents, mode_t mode,
                                 std::optional<FileOwner> owner) {
  // mkstemp wants a writable, NUL-terminated template beside the target, so
  // that the rename stays within one file system.
  const std::string pattern = path + ".tmpXXXXXX";
  std::vector<char> temp(pattern.begin(), pattern.end());
  temp.push_back('\0');
  FdCloser fd(mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid()) {
    return FileError(errno, "create a temporary file for", path);
  }
  const std::string temp_path(temp.data());

  absl::Status status = WriteAll(fd.get(), contents, path);
  // Best effort by design (see the header): the owner and group if allowed,
  // else the group alone, else the writer's own. Before fchmod, which a
  // change of owner could otherwise reset set-id bits of.
  if (status.ok() && owner.has_value() &&
      fchown(fd.get(), owner->uid, owner->gid) != 0) {
    (void)!fchown(fd.get(), static_cast<uid_t>(-1), owner->gid);
  }
  // mkstemp creates the file 0600; the caller decides who may read it.
  if (status.ok() && fchmod(fd.get(), mode & 07777) != 0) {
    status = FileError(errno, "set the mode of", path);
  }
  if (status.ok() && fsync(fd.get()) != 0) {
    status = FileError(errno, "sync", path);
  }
  // Closed before the rename in any case; its error counts (NFS reports a
  // failed write only here).
  if (!fd.Close() && status.ok()) status = FileError(errno, "write", path);
  if (status.ok() && rename(temp_path.c_str(), path.c_str()) != 0) {
    status = FileError(errno, "rename a temporary file to", path);
  }
  if (!status.ok()) {
    unlink(temp_path.c_str());
    return status;
  }
  // Make the rename itself durable. The file is in place already, so a
  // failure here is reported but nothing is undone.
  const FdCloser directory(
      open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!directory.valid()) {
    return FileError(errno, "open the directory of", path);
  }
  if (fsync(directory.get()) != 0) {
    return FileError(errno, "sync the directory of", path);
  }
  return absl::OkStatus();
}

}  // namespace rsockd
