#include "rules/address_spec.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace rsockd::rules {
namespace {

constexpr absl::string_view kAll = "ALL";
// After a one-token spec, this token is read as its (ignored) mask.
constexpr absl::string_view kIgnoredMask = "0.0.0.0";

// RFC 1123 limits: the whole name and each label, in bytes.
constexpr size_t kMaxNameLength = 253;
constexpr size_t kMaxLabelLength = 63;

// Words that are valid host names but surely a mistake where an address is
// expected: `deny all` or `deny eq telnet` would be a `deny` that never
// matches. Compared ignoring case.
constexpr absl::string_view kReservedWords[] = {
    "all", "permit", "deny", "eq", "neq", "lt", "gt", "le", "ge",
};

absl::Status InvalidAddress(const Token& token) {
  if (absl::Status zeros = CheckNoLeadingZeros(token, token.text);
      !zeros.ok()) {
    return zeros;
  }
  return TokenError(token, absl::StrCat("invalid address ", Quote(token.text),
                                        ": expected ALL, a dotted quad with "
                                        "mask, a CIDR, a host name or a "
                                        ".zone"));
}

// The spec for an IPv4-mapped IPv6 prefix (`::ffff:10.0.0.0/104`), whose
// address `ipv4` has already been unmapped (net/address.h): the IPv4 prefix
// of the last 32 bits. nullopt for a prefix shorter than /96, which would
// cover IPv6 addresses too.
std::optional<AddressSpec> MappedPrefix(const net::IpAddress& ipv4,
                                        int prefix_length) {
  if (prefix_length < 96) return std::nullopt;
  return AddressSpec::Prefix(ipv4, prefix_length - 96);
}

absl::Status ShortMappedPrefix(const Token& token) {
  return TokenError(
      token, absl::StrCat("invalid prefix length in ", Quote(token.text),
                          ": an IPv4-mapped address needs /96 or longer "
                          "(rsockd reads ::ffff:a.b.c.d/n as a.b.c.d/n-96; "
                          "write the IPv4 form)"));
}

bool HasLetter(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// Checks `domain` (the host name, or the zone after its leading dot) against
// RFC 1123; errors are located at `token`.
absl::Status CheckName(const Token& token, absl::string_view domain,
                       bool is_zone) {
  auto error = [&token, is_zone](absl::string_view why) {
    return TokenError(
        token, absl::StrCat(is_zone ? "invalid zone " : "invalid host name ",
                            Quote(token.text), ": ", why));
  };
  if (domain.empty()) return error("the domain after the dot is missing");
  if (domain.size() > kMaxNameLength) {
    return error(absl::StrCat("longer than ", kMaxNameLength, " characters"));
  }
  for (char c : domain) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.') {
      return error(absl::StrCat("character ", Quote(absl::string_view(&c, 1)),
                                " is not a letter, digit, hyphen or dot"));
    }
  }
  const std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    const absl::string_view label = labels[i];
    if (label.empty()) {
      return error(i + 1 == labels.size() ? "it ends with a dot"
                                          : "empty label");
    }
    if (label.size() > kMaxLabelLength) {
      return error(absl::StrCat("label ", Quote(label), " is longer than ",
                                kMaxLabelLength, " characters"));
    }
    if (label.front() == '-' || label.back() == '-') {
      return error(absl::StrCat("label ", Quote(label),
                                " starts or ends with a hyphen"));
    }
  }
  bool last_all_digits = true;
  for (char c : labels.back()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      last_all_digits = false;
    }
  }
  if (last_all_digits) return error("the last label is all digits");
  return absl::OkStatus();
}

// A host name or zone token (anything else that is not an address).
absl::StatusOr<AddressSpec> ParseName(const Token& token) {
  const absl::string_view text = token.text;
  // Without a letter it was meant as an address (`128.12.0.256`, `10.1`);
  // with a colon, as an IPv6 address.
  if (!HasLetter(text) || absl::StrContains(text, ':')) {
    return InvalidAddress(token);
  }
  for (absl::string_view word : kReservedWords) {
    if (!absl::EqualsIgnoreCase(text, word)) continue;
    if (word == "all") {
      return TokenError(token, absl::StrCat("invalid address ", Quote(text),
                                            ": write ALL, in capitals, for "
                                            "any address"));
    }
    return TokenError(token, absl::StrCat("invalid address ", Quote(text),
                                          ": a keyword is not a host name"));
  }
  const bool is_zone = text.front() == '.';
  const absl::string_view domain = is_zone ? text.substr(1) : text;
  if (absl::Status status = CheckName(token, domain, is_zone); !status.ok()) {
    return status;
  }
  return is_zone ? AddressSpec::Zone(domain) : AddressSpec::Host(domain);
}

void SkipIgnoredMask(TokenCursor* cursor) {
  if (!cursor->AtEnd() && cursor->Peek().text == kIgnoredMask) cursor->Next();
}

// Parses the "n" of "a.b.c.d/n": decimal digits only, at most `max`.
std::optional<int> ParsePrefixLength(absl::string_view text, int max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int value = 0;
  if (!absl::SimpleAtoi(text, &value) || value > max) return std::nullopt;
  return value;
}

}  // namespace

AddressSpec AddressSpec::Masked(const net::IpAddress& address,
                                const net::IpAddress& mask) {
  CHECK(address.is_ipv4() && mask.is_ipv4());
  AddressSpec spec;
  spec.kind_ = Kind::kMasked;
  spec.address_ = address;
  spec.mask_ = mask;
  return spec;
}

AddressSpec AddressSpec::Prefix(const net::IpAddress& address,
                                int prefix_length) {
  CHECK(prefix_length >= 0 && prefix_length <= address.size() * 8);
  AddressSpec spec;
  spec.kind_ = Kind::kPrefix;
  spec.address_ = address;
  spec.prefix_length_ = prefix_length;
  return spec;
}

AddressSpec AddressSpec::Host(absl::string_view name) {
  DCHECK(!name.empty());
  AddressSpec spec;
  spec.kind_ = Kind::kHost;
  spec.name_ = absl::AsciiStrToLower(name);
  return spec;
}

AddressSpec AddressSpec::Zone(absl::string_view domain) {
  DCHECK(!domain.empty() && domain.front() != '.');
  AddressSpec spec;
  spec.kind_ = Kind::kZone;
  spec.name_ = absl::AsciiStrToLower(domain);
  return spec;
}

absl::StatusOr<AddressSpec> AddressSpec::Parse(TokenCursor* cursor) {
  const Token& token = cursor->Next();
  absl::string_view text = token.text;

  if (text == kAll) {
    SkipIgnoredMask(cursor);
    return All();
  }

  // `[2001:db8::]/32` and `[::1]`, as URLs write IPv6 addresses: the same
  // specs without the brackets. Only an IPv6 literal may be bracketed.
  std::string unbracketed;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos ||
        !absl::StrContains(text.substr(1, close), ':') ||
        (close + 1 < text.size() && text[close + 1] != '/')) {
      return InvalidAddress(token);
    }
    unbracketed =
        absl::StrCat(text.substr(1, close - 1), text.substr(close + 1));
    text = unbracketed;
  }

  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    const absl::string_view address_text = text.substr(0, slash);
    const std::optional<net::IpAddress> address =
        net::IpAddress::Parse(address_text);
    if (!address.has_value()) return InvalidAddress(token);
    // Written as IPv6, read as IPv4: an IPv4-mapped address.
    const bool mapped =
        address->is_ipv4() && absl::StrContains(address_text, ':');
    const int max = mapped ? 128 : address->size() * 8;
    const std::optional<int> length =
        ParsePrefixLength(text.substr(slash + 1), max);
    if (!length.has_value()) {
      return TokenError(
          token, absl::StrCat("invalid prefix length in ", Quote(token.text),
                              ": expected 0..", max));
    }
    std::optional<AddressSpec> spec =
        mapped ? MappedPrefix(*address, *length) : Prefix(*address, *length);
    if (!spec.has_value()) return ShortMappedPrefix(token);
    SkipIgnoredMask(cursor);
    return *std::move(spec);
  }

  const std::optional<net::IpAddress> address = net::IpAddress::Parse(text);
  if (!address.has_value()) {
    absl::StatusOr<AddressSpec> name = ParseName(token);
    if (name.ok()) SkipIgnoredMask(cursor);
    return name;
  }
  if (absl::StrContains(text, ':')) {
    // There is no mask form for IPv6: a bare literal is a single host (an
    // IPv4-mapped one, the IPv4 host).
    SkipIgnoredMask(cursor);
    return Prefix(*address, address->size() * 8);
  }
  if (cursor->AtEnd()) {
    return TokenError(token,
                      absl::StrCat("missing mask after address ", Quote(text),
                                   ": expected a dotted quad such as "
                                   "255.255.255.0"));
  }
  const Token& mask_token = cursor->Next();
  const std::optional<net::IpAddress> mask =
      net::IpAddress::Parse(mask_token.text);
  if (absl::Status zeros = CheckNoLeadingZeros(mask_token, mask_token.text);
      !zeros.ok()) {
    return zeros;
  }
  if (!mask.has_value() || !mask->is_ipv4() ||
      absl::StrContains(mask_token.text, ':')) {
    return TokenError(mask_token,
                      absl::StrCat("invalid mask ", Quote(mask_token.text),
                                   ": expected a dotted quad such as "
                                   "255.255.255.0"));
  }
  return Masked(*address, *mask);
}

absl::StatusOr<AddressSpec> AddressSpec::ParseText(absl::string_view text) {
  absl::StatusOr<Line> line = LexLine(text, 1);
  if (!line.ok()) return line.status();
  if (line->tokens.empty()) {
    return TokenError(Token{"", 1, 1}, "missing address");
  }
  if (line->command.has_value()) {
    return TokenError(*line->command, "unexpected ':' in an address");
  }
  TokenCursor cursor(line->tokens);
  absl::StatusOr<AddressSpec> spec = Parse(&cursor);
  if (spec.ok() && !cursor.AtEnd()) {
    return TokenError(cursor.Peek(),
                      absl::StrCat("unexpected ", Quote(cursor.Peek().text),
                                   " after the address"));
  }
  return spec;
}

bool AddressSpec::Matches(const net::IpAddress& ip) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kMasked:
      if (!ip.is_ipv4()) return false;
      return ((address_.ipv4_host_order() ^ ip.ipv4_host_order()) &
              mask_.ipv4_host_order()) == 0;
    case Kind::kPrefix:
      return address_.MatchesPrefix(ip, prefix_length_);
    case Kind::kHost:
    case Kind::kZone:
      return false;
  }
  return false;
}

bool AddressSpec::MatchesName(absl::string_view name) const {
  if (absl::EndsWith(name, ".")) name.remove_suffix(1);
  if (name.empty()) return false;
  switch (kind_) {
    case Kind::kHost:
      return absl::EqualsIgnoreCase(name, name_);
    case Kind::kZone:
      if (name.size() == name_.size())
        return absl::EqualsIgnoreCase(name, name_);
      // Below the zone: "<something>." then the domain.
      return name.size() > name_.size() + 1 &&
             name[name.size() - name_.size() - 1] == '.' &&
             absl::EqualsIgnoreCase(name.substr(name.size() - name_.size()),
                                    name_);
    case Kind::kAll:
    case Kind::kMasked:
    case Kind::kPrefix:
      return false;
  }
  return false;
}

std::string AddressSpec::ToString() const {
  switch (kind_) {
    case Kind::kAll:
      return std::string(kAll);
    case Kind::kMasked:
      return absl::StrCat(address_.ToString(), " ", mask_.ToString());
    case Kind::kPrefix:
      return absl::StrCat(address_.ToString(), "/", prefix_length_);
    case Kind::kHost:
      return name_;
    case Kind::kZone:
      return absl::StrCat(".", name_);
  }
  return std::string(kAll);
}

absl::Status CheckNoLeadingZeros(const Token& token, absl::string_view text) {
  if (!net::IpAddress::HasLeadingZero(text)) return absl::OkStatus();
  return TokenError(
      token, absl::StrCat("invalid address ", Quote(text),
                          ": a part with a leading zero, which classic SOCKS "
                          "read as octal; write it without the zero"));
}

absl::Status CheckHostName(const Token& token) {
  return CheckName(token, token.text, /*is_zone=*/false);
}

}  // namespace rsockd::rules
