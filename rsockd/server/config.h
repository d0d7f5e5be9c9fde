// This file defines `LoadRuleSet`, which builds the rule snapshot
// (docs/architecture.md#data-path) from the three configured rule files and
// the SOCKS5 password file, with the rule for missing rule files
// (docs/operations.md#configuration-files):
//
//   - a path given on the command line (or flagfile) must exist, else it is
//     an error;
//   - a default path that does not exist is replaced, and that is logged:
//     /etc/sockd.conf by the embedded `permit 127.0.0.0 255.0.0.0` and
//     `permit ::1/128` (loopback clients only, never an open relay),
//     /etc/socks.conf by the embedded `direct ALL`, and /etc/sockd.route by
//     nothing (the kernel chooses the source address);
//   - an empty path means no file: no socks.conf routes everything directly,
//     no sockd.route lets the kernel choose; sockd.conf cannot be empty.
//
// Frozen files (docs/frozen_files.md): when `X.fc` (`X.fr` for the route
// file) exists beside a configured `X.conf`, it is loaded instead, whether or
// not the text file exists. A frozen file that cannot be read or is corrupt
// is an error like a text file that does not parse: never a silent fallback
// to the text. So is a stale one — older than its text file, or than a
// `/file` user list it froze — whose rules may lack what the operator has
// since added (a `deny`): rsockd fails closed, the error names both files.
//
// The default upstream server (--socks_server, else $SOCKS_SERVER) is part of
// the snapshot too, and a `sockd` line without `@=` needs one. So is the
// password file (--password_file, rules/password_file.h), which has no
// default: an empty path means none, and a path given must exist.
//
// Used at startup, by --check_config and on every SIGHUP, so a reload judges
// files exactly as a fresh start would. All the files are parsed every time
// and every error of each is reported: a snapshot is all or nothing.

#ifndef RSOCKD_RSOCKD_SERVER_CONFIG_H_
#define RSOCKD_RSOCKD_SERVER_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "rules/frozen_path.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"

namespace rsockd {

struct ConfigPaths {
  std::string sockd_conf;
  // True when the path came from the command line (or flagfile) rather than
  // being the built-in default.
  bool sockd_conf_explicit = false;
  std::string socks_conf;
  bool socks_conf_explicit = false;
  std::string route_file;
  bool route_file_explicit = false;
  // The default upstream server list ("fw1:1080,fw2"), and where it came
  // from for messages ("--socks_server", "SOCKS_SERVER"); empty for none.
  std::string default_servers;
  std::string default_servers_origin;
  // The SOCKS5 users and their password hashes; empty for none.
  std::string password_file;
};

// Parses every configured file. Errors list every problem found, one per
// line, as `file:line:col: message`.
absl::StatusOr<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(
    const ConfigPaths& paths);

// One configuration file as rsockd reads it: `path`, or the frozen file
// beside it when that exists (the rule above), for the tools that must judge
// by the rules the server would use.
template <typename Conf>
struct ConfigFile {
  Conf conf;
  // Which file was read.
  rules::ConfigFileChoice file;
};
// What a tool tells its user on stderr before its answer about `read`: the
// frozen file it judged by; empty for a text file.
template <typename Conf>
std::string ToolNotes(absl::string_view tool, const ConfigFile<Conf>& read) {
  if (!read.file.frozen) return "";
  return absl::StrCat(tool, ": using the frozen rules of ", read.file.path,
                      "\n");
}

absl::StatusOr<ConfigFile<rules::SockdConf>> ReadSockdConf(
    const std::string& path);
absl::StatusOr<ConfigFile<rules::SocksConf>> ReadSocksConf(
    const std::string& path);
absl::StatusOr<ConfigFile<rules::SockdRoute>> ReadSockdRoute(
    const std::string& path);

// The normalized text of every file of `rules`, each after a "# <file>"
// header line, as --check_config prints it. The password file is listed as
// "user:***" lines: its hashes are never printed.
std::string FormatRuleSet(const rules::RuleSet& rules);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_CONFIG_H_
