#include "rules/upstream_server.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "net/service_names.h"
#include "rsockd/base/status_macros.h"
#include "rules/address_spec.h"
#include "rules/port_spec.h"

namespace rsockd::rules {
namespace {

constexpr uint16_t kFallbackUpstreamPort = 1080;
constexpr absl::string_view kSchemeSeparator = "://";
// What a masked dump prints for the credentials (secrets.h).
constexpr absl::string_view kMaskedCredentials = "***";

// Schemes as written, indexed like UpstreamScheme.
constexpr absl::string_view kSchemeNames[] = {"socks4a", "socks4", "socks5"};

// A token for the part of `token` that starts `offset` bytes in.
Token SubToken(const Token& token, size_t offset,
               size_t length = absl::string_view::npos) {
  return Token{
      std::string(absl::string_view(token.text).substr(offset, length)),
      token.line, token.column + static_cast<int>(offset)};
}

// A byte that may not stand for itself in a user name or password and is
// written %XX: what would end the part, the entry or the token, and the
// bytes a person cannot see. `in_user`: ':' ends the user name.
bool MustEscape(unsigned char c, bool in_user) {
  return c <= ' ' || c == 0x7F || c == '%' || c == '@' || c == ',' ||
         c == '#' || (in_user && c == ':');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes the user name or password in `part` (`what` names it in errors):
// %XX escapes, no raw control byte, 1..255 bytes once decoded. Errors never
// quote the text.
absl::StatusOr<std::string> DecodeCredential(const Token& part,
                                             absl::string_view what) {
  const absl::string_view text = part.text;
  if (text.empty()) return TokenError(part, absl::StrCat("empty ", what));
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '%') {
      const int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return TokenError(SubToken(part, i, 1),
                          absl::StrCat("invalid %-escape in the ", what,
                                       ": write % followed by two hex digits "
                                       "(%25 for '%' itself)"));
      }
      decoded.push_back(static_cast<char>(high << 4 | low));
      i += 2;
      continue;
    }
    if (c < ' ' || c == 0x7F) {
      return TokenError(
          SubToken(part, i, 1),
          absl::StrCat("control byte in the ", what, ": write it as %XX"));
    }
    decoded.push_back(static_cast<char>(c));
  }
  if (decoded.size() > kMaxUpstreamCredentialLength) {
    return TokenError(
        part, absl::StrCat("the ", what, " is ", decoded.size(),
                           " bytes, more than the ",
                           kMaxUpstreamCredentialLength, " SOCKS5 allows"));
  }
  return decoded;
}

// `user:password`, the part of an entry before its '@'.
absl::StatusOr<UpstreamCredentials> ParseCredentials(const Token& userinfo) {
  const size_t colon = userinfo.text.find(':');
  if (colon == std::string::npos) {
    if (userinfo.text == kMaskedCredentials) {
      return TokenError(userinfo,
                        "the credentials were masked (***) by a dump: write "
                        "user:password");
    }
    return TokenError(userinfo, "missing ':' and password after the user name");
  }
  UpstreamCredentials credentials;
  RSOCKD_ASSIGN_OR_RETURN(
      credentials.user,
      DecodeCredential(SubToken(userinfo, 0, colon), "user name"));
  RSOCKD_ASSIGN_OR_RETURN(
      credentials.password,
      DecodeCredential(SubToken(userinfo, colon + 1), "password"));
  return credentials;
}

std::string EncodeCredential(absl::string_view text, bool in_user) {
  std::string encoded;
  for (const char c : text) {
    if (MustEscape(static_cast<unsigned char>(c), in_user)) {
      absl::StrAppend(&encoded, "%",
                      absl::AsciiStrToUpper(absl::StrCat(absl::Hex(
                          static_cast<unsigned char>(c), absl::kZeroPad2))));
    } else {
      encoded.push_back(c);
    }
  }
  return encoded;
}

absl::StatusOr<uint16_t> ParseServerPort(const Token& token) {
  if (token.text.empty()) {
    return TokenError(token, "missing port after ':'");
  }
  RSOCKD_ASSIGN_OR_RETURN(const uint16_t port, PortSpec::ResolvePort(token));
  if (port == 0) return TokenError(token, "port 0 cannot be connected to");
  return port;
}

// The endpoint of an entry, after any scheme and credentials: the host and,
// when given, the port (0 when not).
absl::Status ParseEndpoint(const Token& token, UpstreamServer* server) {
  const absl::string_view text = token.text;
  if (text.front() == '[') {
    // [ipv6] or [ipv6]:port
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) {
      return TokenError(token, absl::StrCat("missing ']' in ", Quote(text)));
    }
    const absl::string_view literal = text.substr(1, close - 1);
    const std::optional<net::IpAddress> ip = net::IpAddress::Parse(literal);
    // An IPv6 literal; a mapped one (`[::ffff:10.1.1.1]`) is the IPv4 server.
    if (!ip.has_value() || !absl::StrContains(literal, ':')) {
      return TokenError(token,
                        absl::StrCat("invalid IPv6 address in ", Quote(text)));
    }
    server->host = ip->ToString();
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return TokenError(
            SubToken(token, close + 1),
            absl::StrCat("expected ':port' after ']' in ", Quote(text)));
      }
      RSOCKD_ASSIGN_OR_RETURN(server->port,
                              ParseServerPort(SubToken(token, close + 2)));
    }
    return absl::OkStatus();
  }
  if (const std::optional<net::IpAddress> ip = net::IpAddress::Parse(text);
      ip.has_value()) {
    // A bare IPv4 or IPv6 literal: no port.
    server->host = ip->ToString();
    return absl::OkStatus();
  }
  size_t host_end = text.size();
  const size_t colon = text.find(':');
  if (colon != absl::string_view::npos) {
    if (text.find(':', colon + 1) != absl::string_view::npos) {
      return TokenError(token, absl::StrCat("invalid server ", Quote(text),
                                            ": write an IPv6 address with "
                                            "a port as [address]:port"));
    }
    host_end = colon;
    RSOCKD_ASSIGN_OR_RETURN(server->port,
                            ParseServerPort(SubToken(token, colon + 1)));
  }
  const Token host = SubToken(token, 0, host_end);
  if (host.text.empty()) return TokenError(token, "missing host before ':'");
  if (const std::optional<net::IpAddress> ip = net::IpAddress::Parse(host.text);
      ip.has_value() && ip->is_ipv4()) {
    server->host = ip->ToString();
    return absl::OkStatus();
  }
  RSOCKD_RETURN_IF_ERROR(CheckNoLeadingZeros(host, host.text));
  RSOCKD_RETURN_IF_ERROR(CheckHostName(host));
  server->host = absl::AsciiStrToLower(host.text);
  return absl::OkStatus();
}

// Whether the entry `text` starts with a scheme and has no '@': the first
// half of a `socks5://user:pass@host` that a ',' in the credentials split.
bool SchemeWithoutAt(absl::string_view text) {
  return absl::StrContains(text, kSchemeSeparator) &&
         !absl::StrContains(text, '@');
}

}  // namespace

uint16_t DefaultUpstreamPort() {
  return net::LookUpTcpService("socks").value_or(kFallbackUpstreamPort);
}

absl::string_view UpstreamSchemeName(UpstreamScheme scheme) {
  return kSchemeNames[static_cast<size_t>(scheme)];
}

absl::StatusOr<UpstreamServer> UpstreamServer::Parse(const Token& token) {
  if (token.text.empty()) return TokenError(token, "empty server name");
  UpstreamServer server;
  Token rest = token;
  if (const size_t separator =
          absl::string_view(token.text).find(kSchemeSeparator);
      separator != absl::string_view::npos) {
    const std::string name = absl::AsciiStrToLower(
        absl::string_view(token.text).substr(0, separator));
    bool known = false;
    for (size_t i = 0; i < std::size(kSchemeNames); ++i) {
      if (name == kSchemeNames[i]) {
        server.scheme = static_cast<UpstreamScheme>(i);
        known = true;
      }
    }
    if (!known) {
      // Quoted only when it looks like a scheme (RFC 3986), not like the
      // `user:pa` of an entry that lacks its scheme.
      const bool scheme_like =
          std::all_of(name.begin(), name.end(), [](char c) {
            return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
          });
      return TokenError(
          token, absl::StrCat("unknown scheme",
                              scheme_like ? absl::StrCat(" ", Quote(name)) : "",
                              ": write socks4a://, socks4:// or socks5://"));
    }
    rest = SubToken(token, separator + kSchemeSeparator.size());
    if (rest.text.empty()) {
      return TokenError(
          rest, absl::StrCat("missing server after ",
                             Quote(token.text.substr(
                                 0, separator + kSchemeSeparator.size()))));
    }
  }
  if (const size_t at = rest.text.find('@'); at != std::string::npos) {
    const Token userinfo = SubToken(rest, 0, at);
    if (rest.text.find('@', at + 1) != std::string::npos) {
      return TokenError(userinfo,
                        "'@' in a user name or password must be written %40");
    }
    if (server.scheme != UpstreamScheme::kSocks5) {
      return TokenError(userinfo,
                        "a user name and password are only for socks5:// "
                        "servers (SOCKS4 has no password; it forwards the "
                        "client's user id)");
    }
    RSOCKD_ASSIGN_OR_RETURN(server.credentials, ParseCredentials(userinfo));
    rest = SubToken(rest, at + 1);
    if (rest.text.empty()) {
      return TokenError(rest, "missing server after '@'");
    }
  }
  if (absl::Status endpoint = ParseEndpoint(rest, &server); !endpoint.ok()) {
    if (server.scheme != UpstreamScheme::kSocks5 ||
        server.credentials.has_value()) {
      return endpoint;
    }
    // Most likely `socks5://user:pa#ss@fw` cut at the '#' that starts a
    // comment: the error must not quote the password as a host or port.
    return TokenError(rest,
                      "invalid server after socks5:// (in a user name or "
                      "password, write '#' as %23 and ',' as %2C)");
  }
  if (server.port == 0) server.port = DefaultUpstreamPort();
  return server;
}

absl::StatusOr<std::vector<UpstreamServer>> UpstreamServer::ParseList(
    const Token& list) {
  if (list.text.empty()) return TokenError(list, "empty server list");
  std::vector<UpstreamServer> servers;
  size_t start = 0;
  while (true) {
    const size_t comma = list.text.find(',', start);
    const size_t end = comma == std::string::npos ? list.text.size() : comma;
    const Token entry = SubToken(list, start, end - start);
    if (comma != std::string::npos && SchemeWithoutAt(entry.text)) {
      // Checked before the entry is parsed, whose errors could quote a
      // piece of the password as a host or port.
      const size_t next_end = list.text.find(',', comma + 1);
      const absl::string_view next = absl::string_view(list.text).substr(
          comma + 1,
          next_end == std::string::npos ? next_end : next_end - comma - 1);
      if (absl::StrContains(next, '@') &&
          !absl::StrContains(next, kSchemeSeparator)) {
        return TokenError(entry,
                          "',' in a user name or password must be written "
                          "%2C");
      }
    }
    RSOCKD_ASSIGN_OR_RETURN(UpstreamServer server, Parse(entry));
    servers.push_back(std::move(server));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return servers;
}

std::string UpstreamServer::ToString(Secrets secrets) const {
  std::string text;
  if (scheme != UpstreamScheme::kSocks4a) {
    absl::StrAppend(&text, UpstreamSchemeName(scheme), kSchemeSeparator);
  }
  if (credentials.has_value()) {
    if (secrets == Secrets::kShown) {
      absl::StrAppend(&text, EncodeCredential(credentials->user, true), ":",
                      EncodeCredential(credentials->password, false), "@");
    } else {
      absl::StrAppend(&text, kMaskedCredentials, "@");
    }
  }
  if (absl::StrContains(host, ':')) {
    absl::StrAppend(&text, "[", host, "]:", port);
  } else {
    absl::StrAppend(&text, host, ":", port);
  }
  return text;
}

}  // namespace rsockd::rules
