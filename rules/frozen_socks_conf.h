// This file defines the frozen form of socks.conf, the routing rules
// (socks.conf(5); docs/frozen_files.md): a binary file, conventionally
// `socks.fc` beside `socks.conf`.
//
// The container (magic, version, kind 2, length, CRC-32C) is described in
// frozen_io.h, the shared parts in frozen_specs.h. The payload:
//
//   file name        the socks.conf it was frozen from, for log lines
//   u32 rule count
//   per rule:
//     line number    its line in that file
//     u32 column     of its keyword, for messages (1-based)
//     u8 action      0 deny, 1 direct, 2 sockd
//     u32 server count, then per server (sockd only; none: the default
//                    server): string host, u16 port
//     u8 has users   0/1, then the user list when 1 (*=)
//     address spec   destination
//     u8 has port    0/1, then the port test when 1
//     hook command   (empty: none)
//
// Servers are stored as parsed (a lower-case host name or a normalized IP
// literal, and the port resolved when the file was frozen) and re-validated
// by the parser's own server syntax. Thawing re-validates every value and
// refuses a payload with bytes left over. Thread-safe.

#ifndef RSOCKD_RULES_FROZEN_SOCKS_CONF_H_
#define RSOCKD_RULES_FROZEN_SOCKS_CONF_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/socks_conf.h"

namespace rsockd::rules {

// The frozen file's extension: /etc/socks.conf -> /etc/socks.fc.
inline constexpr absl::string_view kFrozenSocksConfExtension = ".fc";

// Most rules in a frozen socks.conf (as for sockd.conf).
inline constexpr uint32_t kMaxFrozenSocksRules = 1 << 22;

// The whole frozen file for `conf`; ResourceExhausted beyond the format's
// limits.
absl::StatusOr<std::string> FreezeSocksConf(const SocksConf& conf);

// Reads a whole frozen file; errors as for ThawSockdConf.
absl::StatusOr<SocksConf> ThawSocksConf(absl::string_view file);

// Reads the file at `path` and thaws it; errors start with the path.
absl::StatusOr<SocksConf> LoadFrozenSocksConf(const std::string& path);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_SOCKS_CONF_H_
