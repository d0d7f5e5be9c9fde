// This file defines `AddressSpec`, the address part of a rule: which client
// (source) or destination addresses a line applies to
// (docs/sockd_conf.md#grammar; docs/sockd_conf.md#address-specs).
//
// Accepted forms, as tokens of a rule line:
//
//   ALL                          any address, IPv4 or IPv6
//   128.12.0.0 255.255.0.0       dotted-quad address and dotted-quad mask:
//                                matches when (addr & mask) == (ip & mask);
//                                non-contiguous masks are allowed (orig)
//   128.12.0.0/16                IPv4 CIDR (ext)
//   2001:db8::/32                IPv6 CIDR (ext); a bare IPv6 literal such as
//                                `::1` means a /128; either may be bracketed,
//                                `[2001:db8::]/32`, `[::1]`
//   ::ffff:10.0.0.0/104          IPv4-mapped IPv6: the IPv4 spec 10.0.0.0/8
//                                (net/address.h: mapped addresses are IPv4)
//   www.example.org              host name (orig 4.3): that name, compared
//                                case-insensitively
//   .example.org                 zone (orig 4.3): example.org itself and every
//                                name below it (a.b.example.org), but not
//                                badexample.org
//
// A one-token form may be followed by the token `0.0.0.0`, taken as its
// (ignored) mask, for classic files: `ALL 0.0.0.0`, `.lab.example 0.0.0.0`.
// A dotted quad on its own is an error (its mask is missing), so
// `permit ALL 0.0.0.0 0.0.0.0` is rejected rather than read as two specs.
//
// Host names and zones are checked strictly (RFC 1123): labels of letters,
// digits and hyphens (not first or last), 1..63 bytes each, separated by
// dots, 253 bytes at most, no trailing dot, and the last label not all
// digits (so `128.12.0.256` is a bad address, not a name). The keywords `all`
// (in any case but `ALL`), `permit`, `deny` and the port operators are not
// accepted as host names: `deny all` or `deny eq telnet` would otherwise be a
// `deny` that never matches. Names are kept in lower case.
//
// An IPv4 spec never matches an IPv6 address and vice versa; only `ALL`
// matches both. Mapped addresses are IPv4 everywhere, so `::/0` does not
// match them and `127.0.0.0/8` does. A dotted quad with a leading zero in a
// part (`010.0.0.1`) is an error (`CheckNoLeadingZeros`). A name or zone never
// matches an address: the caller looks up a name (SOCKS4A name or
// forward-confirmed reverse name, see rule_set.h) and asks `MatchesName()`. The
// address is kept as written (host bits outside the mask included), so
// `ToString()` gives back what the operator wrote, normalized.
//
// AddressSpec is a small regular value: copyable, comparable, thread-safe to
// share once built.

#ifndef RSOCKD_RULES_ADDRESS_SPEC_H_
#define RSOCKD_RULES_ADDRESS_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/address.h"
#include "rules/lexer.h"

namespace rsockd::rules {

class AddressSpec {
 public:
  enum class Kind {
    kAll,     // ALL
    kMasked,  // IPv4 address and mask
    kPrefix,  // IPv4 or IPv6 address and prefix length
    kHost,    // host name
    kZone,    // .zone: the domain and everything below it
  };

  // ALL.
  AddressSpec() = default;

  static AddressSpec All() { return AddressSpec(); }
  // Requires two IPv4 addresses.
  static AddressSpec Masked(const net::IpAddress& address,
                            const net::IpAddress& mask);
  // Requires 0 <= prefix_length <= 32 (IPv4) or 128 (IPv6).
  static AddressSpec Prefix(const net::IpAddress& address, int prefix_length);
  // Require a name that `Parse` accepts (for Zone: without the leading dot);
  // it is stored in lower case.
  static AddressSpec Host(absl::string_view name);
  static AddressSpec Zone(absl::string_view domain);

  // Parse()
  //
  // Reads one spec at `cursor` (one or two tokens) and moves past it. On
  // error the message is "line:col: ..." (see lexer.h). Requires
  // !cursor->AtEnd().
  static absl::StatusOr<AddressSpec> Parse(TokenCursor* cursor);

  // Parses a spec from text such as "10.0.0.0 255.0.0.0" (for tools and
  // tests); the whole text must be one spec. Errors are located as if the
  // text were line 1.
  static absl::StatusOr<AddressSpec> ParseText(absl::string_view text);

  Kind kind() const { return kind_; }
  bool is_all() const { return kind_ == Kind::kAll; }
  // True for a host name or a zone: matching needs a name, not an address.
  bool is_name() const { return kind_ == Kind::kHost || kind_ == Kind::kZone; }
  // The address and mask / prefix length; meaningful for kMasked / kPrefix.
  const net::IpAddress& address() const { return address_; }
  const net::IpAddress& mask() const { return mask_; }
  int prefix_length() const { return prefix_length_; }
  // The host name, or the zone's domain without the leading dot, in lower
  // case; empty for the address kinds.
  const std::string& name() const { return name_; }

  // Matches()
  //
  // Whether `ip` falls within this spec. Always false for a name or zone.
  bool Matches(const net::IpAddress& ip) const;

  // MatchesName()
  //
  // Whether the host name `name` is matched by this name or zone spec,
  // ignoring case and one trailing dot: `.example.org` matches
  // "example.org" and "A.b.Example.org.", not "badexample.org". Always
  // false for the address kinds, and for an empty `name`.
  bool MatchesName(absl::string_view name) const;

  // ToString()
  //
  // Normalized text that `ParseText` turns back into an equal spec:
  // "ALL", "128.12.0.0 255.255.0.0", "10.0.0.0/8", "2001:db8::/32",
  // "www.example.org", ".example.org".
  std::string ToString() const;

  friend bool operator==(const AddressSpec&, const AddressSpec&) = default;

 private:
  Kind kind_ = Kind::kAll;
  net::IpAddress address_;
  net::IpAddress mask_;
  int prefix_length_ = 0;
  std::string name_;
};

// CheckNoLeadingZeros()
//
// An error located at `token` when `text` is a dotted quad with a leading
// zero in a part (`010.0.0.1`): classic SOCKS read such a part as octal, and
// reading it as decimal would quietly change what a rule means
// (sockd.conf(5), "Addresses"). OK otherwise, whether or not `text` is an
// address.
absl::Status CheckNoLeadingZeros(const Token& token, absl::string_view text);

// CheckHostName()
//
// Checks `token.text` as a host name by the RFC 1123 rules above (the same
// check a host-name spec gets), for other parts of the rule files that name
// hosts, such as socks.conf server lists. Errors are located at `token`.
absl::Status CheckHostName(const Token& token);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_ADDRESS_SPEC_H_
