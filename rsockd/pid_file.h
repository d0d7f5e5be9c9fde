// This file defines `WriteFileAtomically`, for the files rsockd writes for
// others to read (--pidfile, --port_file), and `PidFile`, the --pidfile that
// is removed again when rsockd exits cleanly.
//
// A pid file left behind after a clean exit is a hazard: once the pid is
// reused, `kill -HUP $(cat /run/rsockd.pid)` reaches an unrelated process.
// So `PidFile` removes the file when it is destroyed — but only while it
// still holds this process's pid (another instance may have taken the path
// over since). After a crash or SIGKILL the file stays; scripts should check
// that the pid is an rsockd before signalling it.
//
// Thread-safety: not synchronized; main's thread only.

#ifndef RSOCKD_RSOCKD_PID_FILE_H_
#define RSOCKD_RSOCKD_PID_FILE_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd {

// Writes `content` to `path` through a temporary file in the same directory
// and rename(2), so that a reader polling for the file never sees it
// half-written. The file gets mode 0644 (less the umask).
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content);

class PidFile {
 public:
  // Writes this process's pid and a newline to `path`.
  static absl::StatusOr<PidFile> Create(const std::string& path);

  PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  PidFile& operator=(PidFile&&) = delete;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  // Removes the file if it still holds this pid (see `Remove`).
  ~PidFile();

  // Removes the file now if it still holds this process's pid; a file
  // rewritten by another process is left alone (OK). Fails when the file
  // cannot be removed — after --user, its directory must be writable by that
  // user. Called once; later calls do nothing.
  absl::Status Remove();

  const std::string& path() const { return path_; }

 private:
  explicit PidFile(std::string path) : path_(std::move(path)) {}

  std::string path_;  // empty once removed (or moved from)
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PID_FILE_H_
