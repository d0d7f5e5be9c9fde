// This file defines `SpawnSetup`, the owner of the two attribute objects a
// posix_spawn(3) call takes, so that every path out of a spawn destroys them.
//
//   SpawnSetup setup;
//   posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", ...);
//   posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETSIGMASK);
//   posix_spawn(&pid, path, setup.actions(), setup.attributes(), argv, envp);
//
// rsockd spawns with posix_spawn, never fork+exec: it is multi-threaded, and
// posix_spawn runs nothing between the fork and the exec in the child.

#ifndef RSOCKD_NET_SPAWN_SETUP_H_
#define RSOCKD_NET_SPAWN_SETUP_H_

#include <spawn.h>

namespace rsockd::net {

class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attributes() { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace rsockd::net

#endif  // RSOCKD_NET_SPAWN_SETUP_H_
