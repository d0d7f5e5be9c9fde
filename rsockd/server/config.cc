#include "rsockd/server/config.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "rsockd/base/status_macros.h"
#include "rules/frozen_path.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "rules/lexer.h"
#include "rules/password_file.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"

namespace rsockd {

namespace {

// How one kind of file is read, as text and frozen (docs/frozen_files.md).
template <typename Conf>
struct FileKind {
  absl::StatusOr<Conf> (*load)(const std::string&);
  absl::StatusOr<Conf> (*parse)(absl::string_view, absl::string_view);
  absl::string_view frozen_extension;
  absl::StatusOr<Conf> (*load_frozen)(const std::string&);
  // The tool that makes the frozen file, for the staleness error.
  absl::string_view make_tool;
};

constexpr FileKind<rules::SockdConf> kSockdConfKind = {
    &rules::LoadSockdConf, &rules::ParseSockdConf,
    rules::kFrozenSockdConfExtension, &rules::LoadFrozenSockdConf,
    "make_sockdfc"};
constexpr FileKind<rules::SocksConf> kSocksConfKind = {
    &rules::LoadSocksConf, &rules::ParseSocksConf,
    rules::kFrozenSocksConfExtension, &rules::LoadFrozenSocksConf,
    "make_socksfc"};
constexpr FileKind<rules::SockdRoute> kSockdRouteKind = {
    &rules::LoadSockdRoute, &rules::ParseSockdRoute,
    rules::kFrozenSockdRouteExtension, &rules::LoadFrozenSockdRoute,
    "make_sockdfr"};

// The `/file` user lists of `rules`, which a frozen file keeps the ids of.
template <typename Rule>
std::vector<std::string> UserFilesOf(const std::vector<Rule>& rules) {
  std::vector<std::string> files;
  for (const Rule& rule : rules) {
    if (!rule.users.has_value()) continue;
    for (const std::string& item : rule.users->items()) {
      if (absl::StartsWith(item, "/")) files.push_back(item);
    }
  }
  return files;
}
std::vector<std::string> UserFiles(const rules::SockdConf& conf) {
  return UserFilesOf(conf.rules);
}
std::vector<std::string> UserFiles(const rules::SocksConf& conf) {
  return UserFilesOf(conf.rules);
}
std::vector<std::string> UserFiles(const rules::SockdRoute&) { return {}; }

// Fails closed on a frozen file made before a file it came from was changed
// (docs/frozen_files.md, "Staleness"): FailedPrecondition naming both.
template <typename Conf>
absl::Status CheckNotStale(const std::string& path, const Conf& conf,
                           const rules::ConfigFileChoice& file,
                           const FileKind<Conf>& kind) {
  std::vector<std::string> sources = UserFiles(conf);
  // Unless the configured path names the frozen file itself.
  const bool has_text = path != file.path;
  if (has_text) sources.insert(sources.begin(), path);
  const std::optional<std::string> newer =
      rules::NewerSource(file.path, sources);
  if (!newer.has_value()) return absl::OkStatus();
  const bool is_text = has_text && *newer == path;
  const std::string what_to_do =
      has_text ? absl::StrCat("run ", kind.make_tool, " ", path,
                              " to refreeze it, or remove ", file.path,
                              " to use ", path)
               : absl::StrCat("refreeze it with ", kind.make_tool);
  return absl::FailedPreconditionError(
      absl::StrCat(file.path, " is older than ", *newer,
                   is_text ? "" : ", a user file it froze",
                   ", so its rules may be out of date: ", what_to_do));
}

// Reads the file `ChooseConfigFile` picked for `path`.
template <typename Conf>
absl::StatusOr<ConfigFile<Conf>> ReadChosen(const std::string& path,
                                            const rules::ConfigFileChoice& file,
                                            const FileKind<Conf>& kind) {
  absl::StatusOr<Conf> conf =
      file.frozen ? kind.load_frozen(file.path) : kind.load(path);
  if (!conf.ok()) return conf.status();
  if (file.frozen) {
    if (absl::Status stale = CheckNotStale(path, *conf, file, kind);
        !stale.ok()) {
      return stale;
    }
  }
  return ConfigFile<Conf>{*std::move(conf), file};
}

template <typename Conf>
absl::StatusOr<ConfigFile<Conf>> Read(const std::string& path,
                                      const FileKind<Conf>& kind) {
  return ReadChosen(path, rules::ChooseConfigFile(path, kind.frozen_extension),
                    kind);
}

// Loads one file as ReadChosen does, logging which file, or
// stands in for a missing default one: `embedded` text parsed under the name
// `embedded_name`, or nothing when `embedded` is null. An empty path means no
// file: nothing, and no message.
template <typename Conf>
absl::StatusOr<std::optional<Conf>> LoadOrDefault(
    const std::string& path, bool explicit_path, const FileKind<Conf>& kind,
    const char* embedded, absl::string_view embedded_name,
    absl::string_view what_instead) {
  if (path.empty()) return std::optional<Conf>();
  const rules::ConfigFileChoice file =
      rules::ChooseConfigFile(path, kind.frozen_extension);
  if (explicit_path || file.exists) {
    absl::StatusOr<ConfigFile<Conf>> read = ReadChosen(path, file, kind);
    if (!read.ok()) return read.status();
    if (file.frozen) LOG(INFO) << "using the frozen rules of " << file.path;
    return std::optional<Conf>(std::move(read->conf));
  }
  LOG(INFO) << path << " does not exist; " << what_instead;
  if (embedded == nullptr) return std::optional<Conf>();
  absl::StatusOr<Conf> conf = kind.parse(embedded, embedded_name);
  CHECK(conf.ok()) << embedded_name << ": " << conf.status();
  return std::optional<Conf>(*std::move(conf));
}

absl::StatusOr<std::vector<rules::UpstreamServer>> DefaultServers(
    const ConfigPaths& paths) {
  if (paths.default_servers.empty()) {
    return std::vector<rules::UpstreamServer>();
  }
  absl::StatusOr<std::vector<rules::UpstreamServer>> servers =
      rules::UpstreamServer::ParseList(
          rules::Token{paths.default_servers, 1, 1});
  if (!servers.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        paths.default_servers_origin, ":", servers.status().message()));
  }
  return servers;
}

// --password_file: nothing for an empty path, else the file, which must
// exist (there is no default one to stand in for).
absl::StatusOr<std::optional<rules::PasswordFile>> LoadPasswordFile(
    const std::string& path) {
  if (path.empty()) return std::optional<rules::PasswordFile>();
  RSOCKD_ASSIGN_OR_RETURN(rules::PasswordFile file,
                          rules::PasswordFile::Load(path));
  return std::optional<rules::PasswordFile>(std::move(file));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(
    const ConfigPaths& paths) {
  std::vector<absl::Status> errors;
  const auto check = [&errors](const absl::Status& status) {
    if (!status.ok()) errors.push_back(status);
    return status.ok();
  };

  absl::StatusOr<std::optional<rules::SockdConf>> access = LoadOrDefault(
      paths.sockd_conf, paths.sockd_conf_explicit, kSockdConfKind,
      rules::kEmbeddedSockdConf, "<embedded sockd.conf>",
      "using the embedded default access rules (loopback clients only)");
  if (check(access.status()) && !access->has_value()) {
    check(absl::InvalidArgumentError(
        "--sockd_conf is empty: rsockd needs access rules"));
  }
  absl::StatusOr<std::optional<rules::SocksConf>> routing =
      LoadOrDefault(paths.socks_conf, paths.socks_conf_explicit, kSocksConfKind,
                    rules::kEmbeddedSocksConf, "<embedded socks.conf>",
                    "using the embedded default routing (direct ALL)");
  check(routing.status());
  absl::StatusOr<std::optional<rules::SockdRoute>> interfaces = LoadOrDefault(
      paths.route_file, paths.route_file_explicit, kSockdRouteKind, nullptr, "",
      "the kernel chooses source addresses");
  check(interfaces.status());
  absl::StatusOr<std::vector<rules::UpstreamServer>> servers =
      DefaultServers(paths);
  if (check(servers.status()) && routing.ok() && routing->has_value()) {
    check(rules::CheckDefaultServer(**routing, !servers->empty()));
  }
  absl::StatusOr<std::optional<rules::PasswordFile>> passwords =
      LoadPasswordFile(paths.password_file);
  check(passwords.status());
  if (errors.size() == 1) return errors.front();
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(
        errors, "\n", [](std::string* out, const absl::Status& status) {
          absl::StrAppend(out, status.message());
        }));
  }
  return std::make_shared<const rules::RuleSet>(
      **std::move(access), *std::move(routing), *std::move(interfaces),
      *std::move(servers), *std::move(passwords));
}

absl::StatusOr<ConfigFile<rules::SockdConf>> ReadSockdConf(
    const std::string& path) {
  return Read(path, kSockdConfKind);
}

absl::StatusOr<ConfigFile<rules::SocksConf>> ReadSocksConf(
    const std::string& path) {
  return Read(path, kSocksConfKind);
}

absl::StatusOr<ConfigFile<rules::SockdRoute>> ReadSockdRoute(
    const std::string& path) {
  return Read(path, kSockdRouteKind);
}

std::string FormatRuleSet(const rules::RuleSet& rules) {
  std::string text = absl::StrCat("# ", rules.access().filename, "\n",
                                  rules::FormatSockdConf(rules.access()));
  if (rules.routing().has_value()) {
    absl::StrAppend(&text, "# ", rules.routing()->filename, "\n",
                    rules::FormatSocksConf(*rules.routing()));
  }
  if (rules.interfaces().has_value()) {
    absl::StrAppend(&text, "# ", rules.interfaces()->filename, "\n",
                    rules::FormatSockdRoute(*rules.interfaces()));
  }
  if (rules.passwords().has_value()) {
    absl::StrAppend(&text, "# ", rules.passwords()->filename(), "\n",
                    rules::FormatPasswordFile(*rules.passwords()));
  }
  if (!rules.default_servers().empty()) {
    std::vector<std::string> servers;
    for (const rules::UpstreamServer& server : rules.default_servers()) {
      servers.push_back(server.ToString());
    }
    absl::StrAppend(&text, "# default upstream: ", absl::StrJoin(servers, ","),
                    "\n");
  }
  return text;
}

}  // namespace rsockd
