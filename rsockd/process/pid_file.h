// This file defines `PidFile`, the --pidfile that is removed again when
// rsockd exits cleanly. It is written with WriteFileAtomically
// (rsockd/base/files.h), which never follows a link planted at the path or
// beside it: rsockd writes it as root, perhaps in a directory others can
// write to.
//
// A pid file left behind after a clean exit is a hazard: once the pid is
// reused, `kill -HUP $(cat /run/rsockd.pid)` reaches an unrelated process.
// So `PidFile` removes the file when it is destroyed — but only while it
// still holds this process's pid (another instance may have taken the path
// over since). After a crash or SIGKILL the file stays; scripts should check
// that the pid is an rsockd before signalling it.
//
// Thread-safety: not synchronized; main's thread only.

#ifndef RSOCKD_RSOCKD_PROCESS_PID_FILE_H_
#define RSOCKD_RSOCKD_PROCESS_PID_FILE_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rsockd {

class PidFile {
 public:
  // Writes this process's pid and a newline to `path`, mode 0644.
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

#endif  // RSOCKD_RSOCKD_PROCESS_PID_FILE_H_
