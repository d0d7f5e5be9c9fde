#include "rsockd/process/pid_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "rules/write_file.h"

namespace rsockd {
namespace {

std::string PidLine() { return absl::StrCat(getpid(), "\n"); }

// The first bytes of `path` (a pid file is a few bytes long).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  char buffer[64];
  ssize_t n;
  do {
    n = read(fd, buffer, sizeof(buffer));
  } while (n < 0 && errno == EINTR);
  const int error = errno;
  close(fd);
  if (n < 0) return absl::ErrnoToStatus(error, absl::StrCat("read ", path));
  return std::string(buffer, n);
}

}  // namespace

absl::StatusOr<PidFile> PidFile::Create(const std::string& path) {
  if (absl::Status written = rules::WriteFileAtomically(path, PidLine(), 0644);
      !written.ok()) {
    return written;
  }
  return PidFile(path);
}

PidFile::~PidFile() {
  if (absl::Status removed = Remove(); !removed.ok()) {
    LOG(WARNING) << "--pidfile left behind: " << removed;
  }
}

absl::Status PidFile::Remove() {
  if (path_.empty()) return absl::OkStatus();
  const std::string path = std::exchange(path_, "");
  absl::StatusOr<std::string> contents = ReadSmallFile(path);
  if (!contents.ok()) {
    // Already gone: nothing to do.
    return absl::IsNotFound(contents.status()) ? absl::OkStatus()
                                               : contents.status();
  }
  if (*contents != PidLine()) return absl::OkStatus();  // not ours any more
  if (unlink(path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("unlink ", path));
  }
  return absl::OkStatus();
}

}  // namespace rsockd
