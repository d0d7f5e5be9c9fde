// This file defines the parsed form of socks.conf, the routing rules (
// socks.conf(5)): `UpstreamServer`, `SocksRule`, `SocksConf`, and the parser
// `ParseSocksConf()`.
//
// Grammar of one line (see docs/socks_conf.md for the full reference):
//
//   rule   := "deny"   [ "*=" userlist ] dst_spec [ op port ] [ ":" command ]
//           | "direct" [ "*=" userlist ] dst_spec [ op port ] [ ":" command ]
//           | "sockd"  [ "@=" servers ] [ "*=" userlist ] dst_spec [ op port ]
//                      [ ":" command ]
//   servers := server { "," server }
//   server  := [ scheme "://" ] [ user ":" password "@" ] endpoint
//              (upstream_server.h: socks4a, the default, socks4, socks5)
//
// `@=` and `*=` may come in either order, each at most once. The legacy
// form `sockd@fw1,fw2` is the same as `sockd @=fw1,fw2`. A `sockd` line
// without `@=`, or with an empty list (`sockd @= ALL`), goes to the default
// server (--socks_server, else $SOCKS_SERVER). The destination
// spec is an address spec as in sockd.conf (address_spec.h) and is required;
// classic files write `ALL 0.0.0.0` or `0.0.0.0 0.0.0.0` for "everything".
// A port is a number or a tcp service name; without one, the `socks/tcp`
// entry of /etc/services, else 1080. Credentials of `socks5://` servers are
// masked (`***`) in every dump unless shown is asked for (secrets.h).
//
//   sockd @=10.1.1.1:1080 .lab.corp.example
//   direct .corp.example
//   direct 10.0.0.0 255.0.0.0
//   sockd @=fw1.corp.example,fw2.corp.example ALL
//   sockd @=socks5://rsockd:s3cret@[2001:db8::1]:1080 .v6.example
//
// Parsing is as strict as for sockd.conf, and errors are reported the same
// way: every bad line, `file:line:col: message`, one error rejects the file.
// Lines starting with '#' are comments (the sockd.conf special lines
// `#NO_IDENTD:` and `#BAD_ID:` mean nothing here and are comments too).
//
// All types are regular values, thread-safe to share once built.

#ifndef RSOCKD_RULES_SOCKS_CONF_H_
#define RSOCKD_RULES_SOCKS_CONF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/address_spec.h"
#include "rules/lexer.h"
#include "rules/port_spec.h"
#include "rules/secrets.h"
#include "rules/upstream_server.h"
#include "rules/user_list.h"

namespace rsockd::rules {

// SocksRule
//
// One `deny`, `direct` or `sockd` line.
struct SocksRule {
  enum class Action { kDeny, kDirect, kSockd };

  Action action = Action::kDeny;
  // For `sockd`: the servers to try, in order. Empty (no `@=`, or an empty
  // one): the default server (--socks_server / SOCKS_SERVER). Always empty
  // for the other actions.
  std::vector<UpstreamServer> servers;
  // From `*=`, matched against the USERID rsockd forwards. Absent: every
  // user.
  std::optional<UserList> users;
  AddressSpec destination;
  std::optional<PortSpec> port;
  // The hook command after ':', trimmed; empty when there is none.
  std::string command;
  // Where the keyword is: 1-based line and column, for messages.
  int line = 0;
  int column = 0;

  // Normalized rule text, including ` : command`. With the secrets shown it
  // parses back to an equal rule (apart from `line` and `column`).
  std::string ToString(Secrets secrets = Secrets::kMasked) const;

  friend bool operator==(const SocksRule&, const SocksRule&) = default;
};

// SocksConf
//
// A whole parsed socks.conf.
struct SocksConf {
  // Where the rules came from, for messages.
  std::string filename;
  // In file order: the first matching rule decides
  // (docs/socks_conf.md#decision).
  std::vector<SocksRule> rules;
};

// Largest socks.conf that `LoadSocksConf` reads, in bytes.
inline constexpr size_t kMaxSocksConfSize = 64 << 20;

// The routing used when no socks.conf was named on the command line and the
// default file does not exist (docs/operations.md#configuration-files): `direct
// ALL`, so rsockd is then a classic sockd.
extern const char kEmbeddedSocksConf[];

// ParseSocksConf()
//
// Parses the text of a socks.conf; `filename` is used in error messages and
// kept in the result. On any error, returns InvalidArgument listing every
// error, one per line: "file:line:col: message".
absl::StatusOr<SocksConf> ParseSocksConf(absl::string_view text,
                                         absl::string_view filename);

// LoadSocksConf()
//
// Reads and parses the file at `path` ("cannot read ...: <strerror>" when it
// cannot be read).
absl::StatusOr<SocksConf> LoadSocksConf(const std::string& path);

// FormatSocksConf()
//
// A normalized dump, one `SocksRule::ToString(secrets)` per line. With the
// secrets shown, parsing it gives equal rules (line numbers may differ).
std::string FormatSocksConf(const SocksConf& conf,
                            Secrets secrets = Secrets::kMasked);

// HoldsCredentials()
//
// Whether any server of `conf` carries socks5:// credentials: a file that
// does is a secret (docs/frozen_files.md).
bool HoldsCredentials(const SocksConf& conf);

// CheckDefaultServer()
//
// A `sockd` line without servers (no `@=`, or an empty one) goes to the
// default server; with no default server configured such a line is a config
// error, whose message names both ways to set one (--socks_server and
// $SOCKS_SERVER). Returns InvalidArgument listing every such line
// ("file:line:col: message"), or OK.
absl::Status CheckDefaultServer(const SocksConf& conf, bool have_default);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_SOCKS_CONF_H_
