#include "rsockd/process/reload.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "rules/frozen_path.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "rules/sockd_conf.h"
#include "rules/socks_conf.h"
#include "rules/user_list.h"

namespace rsockd {
namespace {

// Every flag's value when a reload starts, to undo what the flagfile set.
class FlagSnapshot {
 public:
  FlagSnapshot() { gflags::GetAllFlags(&flags_); }

  // Puts back every flag whose value differs from the snapshot, except
  // those named in `keep`; returns the names it put back.
  std::vector<std::string> Restore(
      const absl::flat_hash_set<std::string>& keep = {}) const {
    std::vector<std::string> restored;
    for (const gflags::CommandLineFlagInfo& flag : flags_) {
      if (keep.contains(flag.name)) continue;
      std::string now;
      if (gflags::GetCommandLineOption(flag.name.c_str(), &now) &&
          now != flag.current_value) {
        gflags::SetCommandLineOption(flag.name.c_str(),
                                     flag.current_value.c_str());
        restored.push_back(flag.name);
      }
    }
    return restored;
  }

 private:
  std::vector<gflags::CommandLineFlagInfo> flags_;
};

}  // namespace

Reloader::Reloader(Options options, rules::RuleStore* store, Server* server,
                   ConfigWatcher* watcher)
    : options_(std::move(options)),
      tunable_flags_(options_.tunable_flags.begin(),
                     options_.tunable_flags.end()),
      store_(store),
      server_(server),
      watcher_(watcher) {}

absl::Status Reloader::Reload() {
  const FlagSnapshot before;
  std::string flagfile;
  gflags::GetCommandLineOption("flagfile", &flagfile);
  if (!flagfile.empty()) {
    // gflags prints the reasons for a failure to stderr itself.
    if (!gflags::ReadFromFlagsFile(flagfile, options_.program.c_str(),
                                   /*errors_are_fatal=*/false)) {
      before.Restore();
      LOG(ERROR) << "SIGHUP: " << flagfile
                 << " has errors; keeping the configuration in use";
      return absl::InvalidArgumentError(absl::StrCat(flagfile, " has errors"));
    }
    for (const std::string& name : before.Restore(tunable_flags_)) {
      LOG(WARNING) << "SIGHUP: --" << name
                   << " changed in the flagfile but needs a restart; ignored";
    }
  }
  const ConfigPaths paths = options_.paths();
  absl::StatusOr<std::shared_ptr<const rules::RuleSet>> rules =
      LoadRuleSet(paths);
  if (!rules.ok()) {
    LogConfigErrors(rules.status());
    before.Restore();
    LOG(ERROR) << "SIGHUP: configuration has errors; keeping the "
                  "configuration in use";
    return rules.status();
  }
  // The new rules may name other user list files.
  if (watcher_ != nullptr) {
    if (absl::Status watched =
            watcher_->SetPaths(WatchedFiles(paths, flagfile, **rules));
        !watched.ok()) {
      LOG(WARNING) << "--reload_on_change: " << watched;
    }
  }
  store_->Install(*std::move(rules));
  const Tunables tunables = options_.tunables();
  server_->Reconfigure(tunables);
  LOG(INFO) << "SIGHUP: configuration reloaded; workers "
            << tunables.pool.max_workers << ", queue "
            << tunables.pool.max_queue;
  return absl::OkStatus();
}

void LogConfigErrors(const absl::Status& status) {
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    LOG(ERROR) << line;
  }
}

std::vector<std::string> WatchedFiles(const ConfigPaths& paths,
                                      absl::string_view flagfile,
                                      const rules::RuleSet& rules) {
  std::vector<std::string> files;
  const auto add_rule_file = [&files](const std::string& path,
                                      absl::string_view frozen_extension) {
    if (path.empty()) return;  // no file
    files.push_back(path);
    files.push_back(rules::FrozenPathFor(path, frozen_extension));
  };
  add_rule_file(paths.sockd_conf, rules::kFrozenSockdConfExtension);
  add_rule_file(paths.socks_conf, rules::kFrozenSocksConfExtension);
  add_rule_file(paths.route_file, rules::kFrozenSockdRouteExtension);
  if (!paths.password_file.empty()) files.push_back(paths.password_file);
  if (!flagfile.empty()) files.emplace_back(flagfile);
  const auto add_user_files =
      [&files](const std::optional<rules::UserList>& users) {
        if (!users.has_value()) return;
        for (const std::string& item : users->items()) {
          if (absl::StartsWith(item, "/")) files.push_back(item);
        }
      };
  for (const rules::SockdRule& rule : rules.access().rules) {
    add_user_files(rule.users);
  }
  if (rules.routing().has_value()) {
    for (const rules::SocksRule& rule : rules.routing()->rules) {
      add_user_files(rule.users);
    }
  }
  return files;
}

}  // namespace rsockd
