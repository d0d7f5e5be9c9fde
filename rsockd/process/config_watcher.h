// This file defines `ConfigWatcher`, behind --reload_on_change: it watches
// a set of files with inotify(7) and, when one of them changes, calls back
// once the burst of changes is over.
//
// Editors and configuration management replace a file by writing a new one
// beside it and renaming it over the old (vim, sed -i, Ansible), or by
// deleting and recreating it; a watch on the file itself would follow the
// old inode and see none of that. So the watcher watches the directory of
// each file and picks out the events whose name is a watched file: a file
// written and closed, moved in or out, created or deleted. Other files in
// those directories are ignored, and so are changes further up (a directory
// swapped for another through a symlink, as Kubernetes does for ConfigMap
// volumes: there, send SIGHUP).
//
// Debounce: a change starts a quiet period of `debounce`; each further
// change restarts it, and the callback runs when it ends, or at the latest
// `max_delay` after the first change, so that a file rewritten without end
// still gets reloaded. The callback gets the names of the files that changed
// since the last call.
//
// Example (main.cc):
//
//   RSOCKD_ASSIGN_OR_RETURN(std::unique_ptr<ConfigWatcher> watcher,
//                    ConfigWatcher::Start(
//                        {.paths = {"/etc/sockd.conf", "/etc/sockd.fc"}},
//                        [](std::vector<std::string> changed) { ... }));
//
// Thread-safety: the callback runs on the watcher's own thread, one call at
// a time. `SetPaths` may be called from any thread. The destructor stops
// and joins the thread (it waits for a callback in progress).

#ifndef RSOCKD_RSOCKD_PROCESS_CONFIG_WATCHER_H_
#define RSOCKD_RSOCKD_PROCESS_CONFIG_WATCHER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/thread.h"
#include "rsockd/base/fd_closer.h"

namespace rsockd {

class ConfigWatcher {
 public:
  struct Options {
    // The files to watch. Empty strings are skipped; each file's directory
    // must exist (the file itself need not, yet).
    std::vector<std::string> paths;
    absl::Duration debounce = absl::Milliseconds(500);
    absl::Duration max_delay = absl::Seconds(5);
  };
  using Callback = absl::AnyInvocable<void(std::vector<std::string> changed)>;

  // Sets up the watches and starts the thread. Fails (errno-derived, naming
  // the directory) when a directory cannot be watched.
  static absl::StatusOr<std::unique_ptr<ConfigWatcher>> Start(
      const Options& options, Callback on_change);
  ~ConfigWatcher();
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;

  // Watches `paths` from now on instead (after a reload, the set of user
  // list files may differ). On failure the previous set stays watched.
  absl::Status SetPaths(const std::vector<std::string>& paths);

 private:
  // What is watched: per directory watch descriptor, the names in it.
  struct Watches {
    std::map<int, std::string> directories;      // wd -> directory
    std::map<int, std::set<std::string>> names;  // wd -> file names
  };

  ConfigWatcher(const Options& options, FdCloser inotify, Callback on_change);
  // Adds watches for every directory of `paths`, reusing those already in
  // `current`, and removes the ones no longer needed once all succeeded.
  absl::StatusOr<Watches> WatchLocked(const std::vector<std::string>& paths)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run();
  // Reads the queued events; adds the paths of watched files that changed
  // to `changed`. Returns whether any event was about a watched file.
  bool ReadEvents(std::set<std::string>& changed);

  const Options options_;
  const FdCloser inotify_;
  Callback on_change_;
  net::StopSignal stop_;

  absl::Mutex mu_;
  Watches watches_ ABSL_GUARDED_BY(mu_);

  // Declared last: joined first.
  net::Thread thread_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PROCESS_CONFIG_WATCHER_H_
