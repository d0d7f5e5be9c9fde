#include "rsockd/process/config_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace rsockd {
namespace {

// Every way a file can get new contents, or appear or go, under its name:
// written and closed, renamed over or away, created, deleted, its mode or
// owner changed (a file made readable can now be loaded).
constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                           IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR;

struct SplitPath {
  std::string directory;
  std::string name;
};

// "/etc/sockd.conf" -> {"/etc", "sockd.conf"}; "sockd.conf" -> {".", ...}.
SplitPath Split(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

std::string Join(const std::string& directory, const std::string& name) {
  return directory == "/" ? absl::StrCat("/", name)
                          : absl::StrCat(directory, "/", name);
}

int MillisecondsUntil(absl::Time when) {
  const absl::Duration left = when - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))),
      60 * 60 * 1000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConfigWatcher>> ConfigWatcher::Start(
    const Options& options, Callback on_change) {
  FdCloser inotify(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify.valid()) return absl::ErrnoToStatus(errno, "inotify_init1");
  std::unique_ptr<ConfigWatcher> watcher(
      new ConfigWatcher(options, std::move(inotify), std::move(on_change)));
  if (absl::Status watched = watcher->SetPaths(options.paths); !watched.ok()) {
    return watched;
  }
  absl::StatusOr<net::Thread> thread =
      net::Thread::Start([watcher = watcher.get()] { watcher->Run(); });
  if (!thread.ok()) return thread.status();
  watcher->thread_ = *std::move(thread);
  return watcher;
}

ConfigWatcher::ConfigWatcher(const Options& options, FdCloser inotify,
                             Callback on_change)
    : options_(options),
      inotify_(std::move(inotify)),
      on_change_(std::move(on_change)) {}

ConfigWatcher::~ConfigWatcher() {
  stop_.Notify();
  thread_.Join();
}

absl::Status ConfigWatcher::SetPaths(const std::vector<std::string>& paths) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<Watches> watches = WatchLocked(paths);
  if (!watches.ok()) return watches.status();
  watches_ = *std::move(watches);
  return absl::OkStatus();
}

absl::StatusOr<ConfigWatcher::Watches> ConfigWatcher::WatchLocked(
    const std::vector<std::string>& paths) {
  Watches watches;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    SplitPath split = Split(path);
    if (split.name.empty()) continue;  // a directory, not a file
    // The same directory (under any spelling) gives the same descriptor.
    const int wd =
        inotify_add_watch(inotify_.get(), split.directory.c_str(), kMask);
    if (wd < 0) {
      return absl::ErrnoToStatus(
          errno, absl::StrCat("cannot watch the directory ", split.directory,
                              " of ", path));
    }
    watches.directories.emplace(wd, split.directory);
    watches.names[wd].insert(std::move(split.name));
  }
  for (const auto& [wd, directory] : watches_.directories) {
    if (!watches.directories.contains(wd)) inotify_rm_watch(inotify_.get(), wd);
  }
  return watches;
}

bool ConfigWatcher::ReadEvents(std::set<std::string>& changed) {
  bool seen = false;
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = read(inotify_.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return seen;  // EAGAIN: all read
    absl::MutexLock lock(&mu_);
    for (ssize_t offset = 0; offset < n;) {
      inotify_event event;
      memcpy(&event, buffer + offset, sizeof(event));
      const char* name = buffer + offset + sizeof(event);
      offset += sizeof(event) + event.len;
      if ((event.mask & IN_Q_OVERFLOW) != 0) {
        // Events were lost: any file may have changed.
        for (const auto& [wd, names] : watches_.names) {
          for (const std::string& file : names) {
            changed.insert(Join(watches_.directories[wd], file));
          }
        }
        seen = true;
        continue;
      }
      if (event.len == 0) continue;  // about the directory itself
      const auto names = watches_.names.find(event.wd);
      if (names == watches_.names.end()) continue;
      const std::string file(name, strnlen(name, event.len));
      if (names->second.contains(file)) {
        changed.insert(Join(watches_.directories[event.wd], file));
        seen = true;
      }
    }
  }
}

void ConfigWatcher::Run() {
  std::set<std::string> changed;
  absl::Time first_change = absl::InfiniteFuture();
  absl::Time quiet_until = absl::InfiniteFuture();
  for (;;) {
    const absl::Time due =
        std::min(quiet_until, first_change + options_.max_delay);
    pollfd fds[] = {{inotify_.get(), POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
    const int ready =
        poll(fds, 2, changed.empty() ? -1 : MillisecondsUntil(due));
    if (ready < 0 && errno != EINTR) {
      PLOG(ERROR) << "--reload_on_change: poll on inotify; no longer watching";
      return;
    }
    if (fds[1].revents != 0) return;  // stopping
    if (fds[0].revents != 0) {
      // A change to a file already waiting restarts the quiet period too.
      if (ReadEvents(changed)) {
        const absl::Time now = absl::Now();
        if (first_change == absl::InfiniteFuture()) first_change = now;
        quiet_until = now + options_.debounce;
      }
    }
    if (!changed.empty() &&
        absl::Now() >=
            std::min(quiet_until, first_change + options_.max_delay)) {
      on_change_(std::vector<std::string>(changed.begin(), changed.end()));
      changed.clear();
      first_change = absl::InfiniteFuture();
      quiet_until = absl::InfiniteFuture();
    }
  }
}

}  // namespace rsockd
