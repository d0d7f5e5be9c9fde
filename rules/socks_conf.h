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
//   server  := host | ipv4 | ipv6 | host:port | ipv4:port | [ipv6]:port
//
// `@=` and `*=` may come in either order, each at most once. The legacy
// form `sockd@fw1,fw2` is the same as `sockd @=fw1,fw2`. A `sockd` line
// without `@=`, or with an empty list (`sockd @= ALL`), goes to the default
// server (--socks_server, else $SOCKS_SERVER). The destination
// spec is an address spec as in sockd.conf (address_spec.h) and is required;
// classic files write `ALL 0.0.0.0` or `0.0.0.0 0.0.0.0` for "everything".
// A port is a number or a tcp service name; without one, the `socks/tcp`
// entry of /etc/services, else 1080.
//
//   sockd @=10.1.1.1:1080 .lab.corp.example
//   direct .corp.example
//   direct 10.0.0.0 255.0.0.0
//   sockd @=fw1.corp.example,fw2.corp.example ALL
//
// Parsing is as strict as for sockd.conf, and errors are reported the same
// way: every bad line, `file:line:col: message`, one error rejects the file.
// Lines starting with '#' are comments (the sockd.conf special lines
// `#NO_IDENTD:` and `#BAD_ID:` mean nothing here and are comments too).
//
// All types are regular values, thread-safe to share once built.

#ifndef RSOCKD_RULES_SOCKS_CONF_H_
#define RSOCKD_RULES_SOCKS_CONF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/address_spec.h"
#include "rules/lexer.h"
#include "rules/port_spec.h"
#include "rules/user_list.h"

namespace rsockd::rules {

// The port of an upstream server written without one: `socks/tcp` from
// /etc/services, else 1080 (docs/socks_conf.md#upstream-chaining).
uint16_t DefaultUpstreamPort();

// UpstreamServer
//
// One entry of a server list: a host name (kept in lower case) or an IP
// literal, and a port.
struct UpstreamServer {
  std::string host;
  uint16_t port = 0;

  // Parses one entry; `token` holds just that entry and where it starts.
  static absl::StatusOr<UpstreamServer> Parse(const Token& token);

  // Parses a comma-separated list (the text after `@=`, or the value of
  // --socks_server). Errors point at the bad entry; an empty list or entry
  // is an error (the parser takes an empty `@=` itself).
  static absl::StatusOr<std::vector<UpstreamServer>> ParseList(
      const Token& list);

  // "fw1.example:1080", "10.1.1.1:1080", "[2001:db8::1]:1080": always with
  // the port, so a dump does not depend on /etc/services.
  std::string ToString() const;

  friend bool operator==(const UpstreamServer&,
                         const UpstreamServer&) = default;
};

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

  // Normalized rule text, including ` : command`; it parses back to an equal
  // rule (apart from `line` and `column`).
  std::string ToString() const;

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
// A normalized dump, one `SocksRule::ToString()` per line. Parsing it gives
// equal rules (line numbers may differ).
std::string FormatSocksConf(const SocksConf& conf);

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
