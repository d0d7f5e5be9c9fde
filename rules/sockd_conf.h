// This file defines the parsed form of sockd.conf, the access rules
// (sockd.conf(5)): `SockdRule`, `SockdConf`, and the parser `ParseSockdConf()`.
//
// Grammar of one line (see docs/sockd_conf.md for the full reference):
//
//   rule  := ("permit"|"deny") [ "?=" ("I"|"i"|"n"|"") ] [ "*=" userlist ]
//            src_spec [ dst_spec ] [ op port ] [ ":" command ]
//
// `?=` and `*=` may come in either order, each at most once, before the
// source spec. After the source spec, a destination spec is present when a
// token remains that is not an operator word. Address specs are described in
// address_spec.h, the port test in port_spec.h, user lists in user_list.h.
// Lines starting with `#NO_IDENTD:` or `#BAD_ID:` give the hook commands for
// ident failures (docs/ident.md; docs/hooks.md); the first of each kind counts.
//
//   deny   *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger '%u'
//   permit *=ylee 128.12.6.4 255.255.255.255 137.12.0.0 255.255.0.0
//   deny   128.12.0.0 255.255.0.0 eq telnet
//   permit 128.12.0.0/16
//   #NO_IDENTD: /usr/bin/logger 'please run identd on %A'
//
// Parsing is strict (docs/sockd_conf.md#grammar, fix): every malformed line is
// an error and one error rejects the whole file, because a silently dropped
// `deny` line would open access. All the errors of a file are reported
// together, one per line of the status message, each `file:line:col: message`.
// For each bad line only its first error is reported: later tokens of a line
// that is already wrong would likely be misread.
//
// All types are regular values, thread-safe to share once built.

#ifndef RSOCKD_RULES_SOCKD_CONF_H_
#define RSOCKD_RULES_SOCKD_CONF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/address_spec.h"
#include "rules/lexer.h"
#include "rules/port_spec.h"
#include "rules/rule_lines.h"
#include "rules/user_list.h"

namespace rsockd::rules {

// The ident (RFC 1413) level of docs/ident.md. The numeric values are the
// classic ones (`-i` 1, `-I` 2).
enum class IdentLevel { kOff = 0, kLenient = 1, kStrict = 2 };

// SockdRule
//
// One `permit` or `deny` line.
struct SockdRule {
  enum class Action { kPermit, kDeny };

  Action action = Action::kDeny;
  // From `?=`: I strict, i lenient, n or empty off. Absent: the global level.
  std::optional<IdentLevel> ident_level;
  // From `*=`. Absent: every user (like an empty list).
  std::optional<UserList> users;
  AddressSpec source;
  // ALL when the line has no destination spec.
  AddressSpec destination;
  std::optional<PortSpec> port;
  // The hook command after ':', trimmed; empty when there is none.
  std::string command;
  // 1-based line number in the file it came from.
  int line = 0;

  // Normalized rule text, including ` : command` when there is a command,
  // e.g. "deny *=bonnie,clyde 128.12.6.0 255.255.255.0 : logger %u". It
  // parses back to an equal rule (apart from `line`).
  std::string ToString() const;

  friend bool operator==(const SockdRule&, const SockdRule&) = default;
};

// SockdConf
//
// A whole parsed sockd.conf.
struct SockdConf {
  // Where the rules came from, for messages.
  std::string filename;
  // In file order: the first matching rule decides
  // (docs/sockd_conf.md#matching).
  std::vector<SockdRule> rules;
  // The command of the first `#NO_IDENTD:` / `#BAD_ID:` line; empty when
  // there is none.
  std::string no_identd_command;
  std::string bad_id_command;
};

// The special lines of sockd.conf (rule_lines.h), in the order a dump writes
// them and a frozen file stores them.
inline constexpr SpecialLine<SockdConf> kSockdConfSpecialLines[] = {
    {Line::Kind::kNoIdentd, "#NO_IDENTD:", &SockdConf::no_identd_command},
    {Line::Kind::kBadId, "#BAD_ID:", &SockdConf::bad_id_command},
};

// Largest sockd.conf that `LoadSockdConf` reads, in bytes.
inline constexpr size_t kMaxSockdConfSize = 64 << 20;

// The access rules used when no sockd.conf was named on the command line and
// the default file does not exist (sockd.conf(5)): loopback clients only,
// 127.0.0.0/8 and ::1, so a fresh install is never an open relay.
extern const char kEmbeddedSockdConf[];

// ParseSockdConf()
//
// Parses the text of a sockd.conf; `filename` is used in error messages and
// kept in the result. On any error, returns InvalidArgument listing every
// error, one per line: "file:line:col: message".
absl::StatusOr<SockdConf> ParseSockdConf(absl::string_view text,
                                         absl::string_view filename);

// LoadSockdConf()
//
// Reads and parses the file at `path`. A file that cannot be read gives an
// errno-derived error naming the path ("cannot read /etc/sockd.conf: No such
// file or directory"); a parse error is as for `ParseSockdConf`.
absl::StatusOr<SockdConf> LoadSockdConf(const std::string& path);

// FormatSockdConf()
//
// A normalized dump: one rule per line (`SockdRule::ToString()`), then the
// `#NO_IDENTD:` and `#BAD_ID:` lines if set. Parsing it gives equal rules
// and special commands (line numbers may differ).
std::string FormatSockdConf(const SockdConf& conf);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_SOCKD_CONF_H_
