#include "rules/sockd_route.h"

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rules/lexer.h"
#include "rules/rule_lines.h"

namespace rsockd::rules {
namespace {

absl::StatusOr<RouteRule> ParseRule(const Line& line) {
  if (line.command.has_value()) {
    return TokenError(Token{":", line.number, line.colon_column},
                      "sockd.route lines take no ':' command");
  }
  RouteRule rule;
  rule.line = line.number;
  TokenCursor cursor(line.tokens);
  const Token& interface = cursor.Next();
  // An IPv6 interface may be bracketed, as in the address specs: `[::1]`.
  absl::string_view text = interface.text;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']' &&
      absl::StrContains(text, ':')) {
    text = text.substr(1, text.size() - 2);
  }
  const std::optional<net::IpAddress> address = net::IpAddress::Parse(text);
  if (!address.has_value()) {
    RSOCKD_RETURN_IF_ERROR(CheckNoLeadingZeros(interface, interface.text));
    return TokenError(
        interface,
        absl::StrCat("invalid interface address ", Quote(interface.text),
                     ": expected a local IPv4 or IPv6 address, or 0.0.0.0 "
                     "or :: to let the kernel choose"));
  }
  rule.interface = *address;
  if (cursor.AtEnd()) {
    return TokenError(
        interface,
        absl::StrCat("missing destination after ", Quote(interface.text),
                     " (write ALL for every destination)"));
  }
  RSOCKD_ASSIGN_OR_RETURN(rule.destination, AddressSpec::Parse(&cursor));
  if (!cursor.AtEnd()) {
    return TokenError(cursor.Peek(),
                      absl::StrCat("unexpected ", Quote(cursor.Peek().text),
                                   " after the destination: a route line is "
                                   "an interface address and one "
                                   "destination"));
  }
  return rule;
}

}  // namespace

std::string RouteRule::ToString() const {
  return absl::StrCat(interface.ToString(), " ", destination.ToString());
}

absl::StatusOr<SockdRoute> ParseSockdRoute(absl::string_view text,
                                           absl::string_view filename) {
  // The sockd.conf special lines are comments here.
  return ParseRuleFile<SockdRoute>(text, filename, ParseRule);
}

absl::StatusOr<SockdRoute> LoadSockdRoute(const std::string& path) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string text,
                          ReadFile(path, kMaxSockdRouteSize));
  return ParseSockdRoute(text, path);
}

std::string FormatSockdRoute(const SockdRoute& route) {
  return FormatRuleFile(route);
}

}  // namespace rsockd::rules
