#include "rsockd/process/pid_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "rsockd/base/files.h"

namespace rsockd {
namespace {

std::string PidLine() { return absl::StrCat(getpid(), "\n"); }

// Far more than a pid line: what is larger cannot be this process's.
constexpr size_t kMaxPidFileSize = 64;

}  // namespace

absl::StatusOr<PidFile> PidFile::Create(const std::string& path) {
  if (absl::Status written = WriteFileAtomically(path, PidLine(), 0644);
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
  absl::StatusOr<std::string> contents = ReadFile(path, kMaxPidFileSize);
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
