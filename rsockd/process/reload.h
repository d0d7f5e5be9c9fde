// This file defines `Reloader`, the SIGHUP transaction (docs/operations.md,
// "Reload (SIGHUP)"), `LogConfigErrors`, and `WatchedFiles`, the files
// --reload_on_change watches.
//
// Reloader: one reload reads --flagfile again for the tunable flags, parses
// the configuration files into a new rule snapshot, and then either applies
// all of it — the snapshot, and the tunables for connections accepted from
// then on — or none of it, flags included, with every error logged. A flag
// that is not tunable and that the flagfile changed is put back and
// reported; the rest of the reload goes ahead.
//
// Flags belong to main.cc (libraries never read FLAGS_): the reloader
// handles them only through gflags' generic API — reading the flagfile,
// putting values back by name — and asks main's callbacks
// (`Options::paths`, `Options::tunables`) what the flags mean once the
// flagfile has been read.
//
// Example (main.cc):
//
//   Reloader reloader({.tunable_flags = {"idle_timeout", "workers"},
//                      .program = argv0,
//                      .paths = &PathsFromFlags,
//                      .tunables = &TunablesFromFlags},
//                     &store, server.get(), watcher.get());
//   ...
//   if (signal == SIGHUP) reloader.Reload();
//
// Thread-safety: not thread-safe. Reload runs on one thread (main's, on
// SIGHUP), and nothing else may set flags meanwhile: gflags' values are
// process-wide.

#ifndef RSOCKD_RSOCKD_PROCESS_RELOAD_H_
#define RSOCKD_RSOCKD_PROCESS_RELOAD_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rsockd/process/config_watcher.h"
#include "rsockd/server/config.h"
#include "rsockd/server/server.h"
#include "rules/rule_set.h"
#include "rules/rule_store.h"

namespace rsockd {

class Reloader {
 public:
  struct Options {
    // The flags a reload may change, by name. Any other flag the flagfile
    // changes is put back, with a warning.
    std::vector<std::string> tunable_flags;
    // argv[0]: gflags names it in its messages about the flagfile.
    std::string program;
    // The configuration files, and the tunables, as the flags say once the
    // flagfile has been read. `tunables` is asked only for a reload that
    // goes ahead.
    absl::AnyInvocable<ConfigPaths()> paths;
    absl::AnyInvocable<Tunables()> tunables;
  };

  // `store` and `server` must outlive the reloader. `watcher`
  // (--reload_on_change) may be null; when given, it must outlive the
  // reloader too, and each reload that goes ahead points it at the files of
  // the new configuration (`WatchedFiles`).
  Reloader(Options options, rules::RuleStore* store, Server* server,
           ConfigWatcher* watcher);

  // Reloads (the file comment says how), and logs the outcome: "SIGHUP:
  // configuration reloaded; workers N, queue M", or every error and
  // "SIGHUP: ... has errors; keeping the configuration in use". Returns
  // whether the new configuration is in use; when not, nothing changed.
  absl::Status Reload();

 private:
  Options options_;
  absl::flat_hash_set<std::string> tunable_flags_;
  rules::RuleStore* const store_;
  Server* const server_;
  ConfigWatcher* const watcher_;
};

// Logs each line of `status`'s message as an error of its own: LoadRuleSet's
// errors, one `file:line:col: message` each (so syslog gets one message a
// line).
void LogConfigErrors(const absl::Status& status);

// --reload_on_change: every file the configuration is read from, or would
// be once it exists: the rule files of `paths` and the frozen files beside
// them, the password file of `paths`, the `/file` user lists of `rules`, and
// `flagfile` (empty: none).
std::vector<std::string> WatchedFiles(const ConfigPaths& paths,
                                      absl::string_view flagfile,
                                      const rules::RuleSet& rules);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PROCESS_RELOAD_H_
