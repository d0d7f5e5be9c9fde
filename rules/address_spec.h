// This file defines `AddressSpec`, the address part of a rule: which client
// (source) or destination addresses a line applies to (SPEC §4.2, §4.3).
//
// Accepted forms, as tokens of a rule line:
//
//   ALL                          any address, IPv4 or IPv6
//   128.12.0.0 255.255.0.0       dotted-quad address and dotted-quad mask:
//                                matches when (addr & mask) == (ip & mask);
//                                non-contiguous masks are allowed (orig)
//   128.12.0.0/16                IPv4 CIDR (ext)
//   2001:db8::/32                IPv6 CIDR (ext); a bare IPv6 literal such as
//                                `::1` means a /128
//
// A one-token form may be followed by the token `0.0.0.0`, taken as its
// (ignored) mask, for classic files: `ALL 0.0.0.0`. A dotted quad on its own
// is an error (its mask is missing), so `permit ALL 0.0.0.0 0.0.0.0` is
// rejected rather than read as two specs.
//
// Host names and `.zone` patterns (SPEC §4.3, orig 4.3) are not accepted yet;
// they are reported as invalid addresses.
//
// An IPv4 spec never matches an IPv6 address and vice versa; only `ALL`
// matches both. The address is kept as written (host bits outside the mask
// included), so `ToString()` gives back what the operator wrote, normalized.
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
  };

  // ALL.
  AddressSpec() = default;

  static AddressSpec All() { return AddressSpec(); }
  // Requires two IPv4 addresses.
  static AddressSpec Masked(const net::IpAddress& address,
                            const net::IpAddress& mask);
  // Requires 0 <= prefix_length <= 32 (IPv4) or 128 (IPv6).
  static AddressSpec Prefix(const net::IpAddress& address, int prefix_length);

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
  // The address and mask / prefix length; meaningful for kMasked / kPrefix.
  const net::IpAddress& address() const { return address_; }
  const net::IpAddress& mask() const { return mask_; }
  int prefix_length() const { return prefix_length_; }

  // Matches()
  //
  // Whether `ip` falls within this spec.
  bool Matches(const net::IpAddress& ip) const;

  // ToString()
  //
  // Normalized text that `ParseText` turns back into an equal spec:
  // "ALL", "128.12.0.0 255.255.0.0", "10.0.0.0/8", "2001:db8::/32".
  std::string ToString() const;

  friend bool operator==(const AddressSpec&, const AddressSpec&) = default;

 private:
  Kind kind_ = Kind::kAll;
  net::IpAddress address_;
  net::IpAddress mask_;
  int prefix_length_ = 0;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_ADDRESS_SPEC_H_
