// This file defines the frozen form of sockd.conf (docs/frozen_files.md): a
// binary file, conventionally `sockd.fc` beside `sockd.conf`, holding the
// parsed access rules so that they can be loaded without the text, the user
// files or the services database.
//
// The container (magic, version, kind 1, length, CRC-32C) is described in
// frozen_io.h, the shared parts in frozen_specs.h. The payload:
//
//   file name        the sockd.conf it was frozen from, so that log lines
//                    ("refused -- ... [/etc/sockd.conf:4]") still name it
//   u32 rule count
//   per rule:
//     line number    its line in that file
//     u8 action      0 permit, 1 deny
//     u8 ident level 0 none (no ?=), 1 off (?=n), 2 lenient (?=i),
//                    3 strict (?=I)
//     u8 has users   0/1, then the user list when 1 (*=)
//     address spec   source
//     address spec   destination (ALL when the line had none)
//     u8 has port    0/1, then the port test when 1
//     hook command   (empty: none)
//   hook command     of the first #NO_IDENTD: line (empty: none)
//   hook command     of the first #BAD_ID: line (empty: none)
//
// Thawing re-validates every value (see frozen_specs.h) and refuses a
// payload with bytes left over. Functions are thread-safe (pure, apart from
// reading the file).

#ifndef RSOCKD_RULES_FROZEN_SOCKD_CONF_H_
#define RSOCKD_RULES_FROZEN_SOCKD_CONF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/sockd_conf.h"

namespace rsockd::rules {

// The frozen file's extension, which replaces the text file's
// (docs/frozen_files.md): /etc/sockd.conf -> /etc/sockd.fc.
inline constexpr absl::string_view kFrozenSockdConfExtension = ".fc";

// Most rules in a frozen sockd.conf; more than a text file at its size cap
// can sensibly hold, and a bound on what a hostile count can allocate.
inline constexpr uint32_t kMaxFrozenSockdRules = 1 << 22;

// FreezeSockdConf()
//
// The whole frozen file for `conf`. ResourceExhausted when it exceeds a
// limit of the format (rules, users, file size).
absl::StatusOr<std::string> FreezeSockdConf(const SockdConf& conf);

// ThawSockdConf()
//
// Reads a whole frozen file. The errors are those of UnsealFrozen()
// (frozen_io.h), and DataLoss naming the rule and the byte offset of a
// truncated or invalid field: "rule 3: byte 120: destination: invalid host
// name ...".
absl::StatusOr<SockdConf> ThawSockdConf(absl::string_view file);

// LoadFrozenSockdConf()
//
// Reads the file at `path` (at most kMaxFrozenFileSize bytes) and thaws it.
// Every error message starts with the path: "/etc/sockd.fc: checksum
// mismatch ...".
absl::StatusOr<SockdConf> LoadFrozenSockdConf(const std::string& path);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_SOCKD_CONF_H_
