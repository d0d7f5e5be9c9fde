#include "rules/address_spec.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace rsockd::rules {
namespace {

constexpr absl::string_view kAll = "ALL";
// After a one-token spec, this token is read as its (ignored) mask.
constexpr absl::string_view kIgnoredMask = "0.0.0.0";

absl::Status InvalidAddress(const Token& token) {
  return TokenError(
      token,
      absl::StrCat("invalid address ", Quote(token.text),
                   ": expected ALL, a dotted quad with mask, or a CIDR"));
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

absl::StatusOr<AddressSpec> AddressSpec::Parse(TokenCursor* cursor) {
  const Token& token = cursor->Next();
  const absl::string_view text = token.text;

  if (text == kAll) {
    SkipIgnoredMask(cursor);
    return All();
  }

  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    const std::optional<net::IpAddress> address =
        net::IpAddress::Parse(text.substr(0, slash));
    if (!address.has_value()) return InvalidAddress(token);
    const int max = address->size() * 8;
    const std::optional<int> length =
        ParsePrefixLength(text.substr(slash + 1), max);
    if (!length.has_value()) {
      return TokenError(token,
                        absl::StrCat("invalid prefix length in ", Quote(text),
                                     ": expected 0..", max));
    }
    SkipIgnoredMask(cursor);
    return Prefix(*address, *length);
  }

  const std::optional<net::IpAddress> address = net::IpAddress::Parse(text);
  if (!address.has_value()) return InvalidAddress(token);
  if (!address->is_ipv4()) {
    // There is no mask form for IPv6: a bare literal is a single host.
    SkipIgnoredMask(cursor);
    return Prefix(*address, 128);
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
  if (!mask.has_value() || !mask->is_ipv4()) {
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
  }
  return std::string(kAll);
}

}  // namespace rsockd::rules
