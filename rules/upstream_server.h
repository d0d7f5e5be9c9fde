// This file defines `UpstreamServer`, one entry of a socks.conf server list
// (`sockd @=...`) or of the default server list (--socks_server,
// $SOCKS_SERVER): which SOCKS server rsockd goes through, which protocol it
// speaks to it, and the credentials it gives it.
//
// Grammar of an entry (socks.conf(5), "Server entries"):
//
//   server    := [ scheme "://" ] [ user ":" password "@" ] endpoint
//   scheme    := "socks4a" | "socks4" | "socks5"      (any case)
//   endpoint  := host [ ":" port ] | ipv4 [ ":" port ] | ipv6
//              | "[" ipv6 "]" [ ":" port ]
//
//   fw1.example.org                      SOCKS4A, port socks/tcp (1080)
//   socks4a://fw1.example.org:1081       the same protocol, spelled out
//   socks4://10.1.1.1                    SOCKS4: names resolved here first
//   socks5://[2001:db8::1]:1080          SOCKS5, no authentication (00)
//   socks5://alice:s%40cret@fw1:1080     SOCKS5, RFC 1929 as alice/s@cret
//
// - A bare entry is `socks4a://` (names go upstream unresolved), the
//   classic behaviour. `socks4://` is for upstreams without SOCKS4A (a
//   classic 4.2 sockd): names are resolved here and the address is sent.
// - `user:password@` only with `socks5://`: SOCKS4 has no password, and its
//   user id is the client's. Both parts must be 1..255 bytes once decoded
//   (RFC 1929). As in a URI's userinfo (RFC 3986), `%XX` (two hex digits)
//   stands for any byte, and must be used for the bytes that would end the
//   part or the entry: `%` itself, `@`, `,`, `#`, blanks and control bytes,
//   and `:` in the user name (the first `:` ends it; later ones belong to the
//   password). Other bytes, UTF-8 included, may be written as they are.
// - The host name is kept in lower case; IP literals are normalized; an
//   IPv4-mapped IPv6 literal (`[::ffff:10.1.1.1]`) is the IPv4 server.
// - Without a port: the `socks/tcp` entry of /etc/services, else 1080.
//
// Errors are InvalidArgument, "line:col: message", located at the bad part
// of the entry. No error message ever quotes a user name or password.
//
// Credentials live only in the rule snapshot: every `ToString()` a log or a
// dump prints masks them as `***` (secrets.h).
//
// All types are regular values, thread-safe to share once built.

#ifndef RSOCKD_RULES_UPSTREAM_SERVER_H_
#define RSOCKD_RULES_UPSTREAM_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/lexer.h"
#include "rules/secrets.h"

namespace rsockd::rules {

// The port of an upstream server written without one: `socks/tcp` from
// /etc/services, else 1080.
uint16_t DefaultUpstreamPort();

// UpstreamScheme
//
// The protocol rsockd speaks to an upstream server.
enum class UpstreamScheme {
  // SOCKS4, and SOCKS4A for a request by name: the name goes upstream
  // unresolved. The default for an entry without a scheme.
  kSocks4a,
  // SOCKS4 only: a name is resolved here and its (IPv4) address sent.
  kSocks4,
  // SOCKS5 (RFC 1928): a name goes upstream as ATYP 3; with credentials,
  // RFC 1929 username/password authentication, else method 00.
  kSocks5,
};

// "socks4a", "socks4", "socks5": the scheme as an entry writes it.
absl::string_view UpstreamSchemeName(UpstreamScheme scheme);

// The longest user name and password of RFC 1929, in bytes.
inline constexpr size_t kMaxUpstreamCredentialLength = 255;

// UpstreamCredentials
//
// What rsockd authenticates with to a `socks5://` server (RFC 1929): the
// decoded bytes, each 1..kMaxUpstreamCredentialLength long.
struct UpstreamCredentials {
  std::string user;
  std::string password;

  friend bool operator==(const UpstreamCredentials&,
                         const UpstreamCredentials&) = default;
};

// UpstreamServer
//
// One entry of a server list: a host name (lower case) or an IP literal,
// a port, the scheme, and for `socks5://` optional credentials.
struct UpstreamServer {
  std::string host;
  uint16_t port = 0;
  UpstreamScheme scheme = UpstreamScheme::kSocks4a;
  // Only with kSocks5; nullopt: no authentication (method 00).
  std::optional<UpstreamCredentials> credentials = std::nullopt;

  // Parses one entry; `token` holds just that entry and where it starts.
  static absl::StatusOr<UpstreamServer> Parse(const Token& token);

  // Parses a comma-separated list (the text after `@=`, or the value of
  // --socks_server). Errors point at the bad entry; an empty list or entry
  // is an error (the socks.conf parser takes an empty `@=` itself).
  static absl::StatusOr<std::vector<UpstreamServer>> ParseList(
      const Token& list);

  // The normalized entry, always with the port so that a dump does not
  // depend on /etc/services, and with the scheme unless it is the default:
  // "fw1.example:1080", "[2001:db8::1]:1080", "socks4://10.1.1.1:1080",
  // "socks5://***@fw1.example:1080" (masked) or
  // "socks5://alice:s%40cret@fw1.example:1080" (shown, which parses back to
  // an equal server).
  std::string ToString(Secrets secrets = Secrets::kMasked) const;

  friend bool operator==(const UpstreamServer&,
                         const UpstreamServer&) = default;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_UPSTREAM_SERVER_H_
