#include "rules/socks_conf.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/address.h"
#include "net/service_names.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rules/rule_fields.h"
#include "rules/rule_lines.h"

namespace rsockd::rules {

const char kEmbeddedSocksConf[] =
    "# Embedded default: no socks.conf was found, so every permitted request\n"
    "# connects directly.\n"
    "direct ALL\n";

namespace {

constexpr absl::string_view kServersField = "@=";
constexpr absl::string_view kUsersField = "*=";
// The legacy keyword form `sockd@fw1,fw2`.
constexpr absl::string_view kLegacySockd = "sockd@";
constexpr uint16_t kFallbackUpstreamPort = 1080;

// A token for the part of `token` that starts `offset` bytes in.
Token SubToken(const Token& token, size_t offset, size_t length) {
  return Token{token.text.substr(offset, length), token.line,
               token.column + static_cast<int>(offset)};
}

absl::StatusOr<uint16_t> ParseServerPort(const Token& token) {
  if (token.text.empty()) {
    return TokenError(token, "missing port after ':'");
  }
  RSOCKD_ASSIGN_OR_RETURN(const uint16_t port, PortSpec::ResolvePort(token));
  if (port == 0) return TokenError(token, "port 0 cannot be connected to");
  return port;
}

// The servers of an `@=` field (or of the legacy `sockd@`). An empty list
// means the default server, as a `sockd` line without `@=` does: nothing.
absl::StatusOr<std::vector<UpstreamServer>> ParseServerField(
    const Token& list) {
  if (list.text.empty()) return std::vector<UpstreamServer>();
  return UpstreamServer::ParseList(list);
}

absl::string_view ActionWord(SocksRule::Action action) {
  switch (action) {
    case SocksRule::Action::kDeny:
      return "deny";
    case SocksRule::Action::kDirect:
      return "direct";
    case SocksRule::Action::kSockd:
      return "sockd";
  }
  return "deny";
}

absl::StatusOr<SocksRule> ParseRule(const Line& line) {
  SocksRule rule;
  rule.line = line.number;
  RSOCKD_RETURN_IF_ERROR(CheckHasKeyword(line, "deny, direct or sockd"));
  TokenCursor cursor(line.tokens);
  const Token& keyword = cursor.Next();
  rule.column = keyword.column;

  RuleFields fields({kServersField, kUsersField});
  if (keyword.text == "deny") {
    rule.action = SocksRule::Action::kDeny;
  } else if (keyword.text == "direct") {
    rule.action = SocksRule::Action::kDirect;
  } else if (keyword.text == "sockd") {
    rule.action = SocksRule::Action::kSockd;
  } else if (absl::StartsWith(keyword.text, kLegacySockd)) {
    rule.action = SocksRule::Action::kSockd;
    fields.Give(kServersField, keyword);
    RSOCKD_ASSIGN_OR_RETURN(
        rule.servers,
        ParseServerField(SubToken(keyword, kLegacySockd.size(),
                                  keyword.text.size() - kLegacySockd.size())));
  } else {
    return TokenError(keyword,
                      absl::StrCat("unknown keyword ", Quote(keyword.text),
                                   ": expected deny, direct or sockd"));
  }

  RSOCKD_RETURN_IF_ERROR(fields.Parse(
      &cursor,
      [&](absl::string_view name, const Token& field,
          const Token& value) -> absl::Status {
        if (name == kUsersField) {
          RSOCKD_ASSIGN_OR_RETURN(rule.users, UserList::Parse(value));
          return absl::OkStatus();
        }
        if (rule.action != SocksRule::Action::kSockd) {
          return TokenError(field, absl::StrCat("a server list is only "
                                                "allowed on sockd lines, not "
                                                "on ",
                                                keyword.text, " lines"));
        }
        RSOCKD_ASSIGN_OR_RETURN(rule.servers, ParseServerField(value));
        return absl::OkStatus();
      }));

  if (cursor.AtEnd()) {
    return TokenError(cursor.Previous(),
                      absl::StrCat("missing destination address after ",
                                   Quote(cursor.Previous().text),
                                   " (write ALL for every destination)"));
  }
  RSOCKD_ASSIGN_OR_RETURN(rule.destination, AddressSpec::Parse(&cursor));

  RSOCKD_ASSIGN_OR_RETURN(
      rule.port, ParsePortTestAndEnd(&cursor, [&](const Token& stray) {
        return fields.IsField(stray)
                   ? RuleFields::Misplaced(stray, "the destination address")
                   : absl::OkStatus();
      }));

  if (line.command.has_value()) rule.command = line.command->text;
  return rule;
}

}  // namespace

uint16_t DefaultUpstreamPort() {
  return net::LookUpTcpService("socks").value_or(kFallbackUpstreamPort);
}

absl::StatusOr<UpstreamServer> UpstreamServer::Parse(const Token& token) {
  const absl::string_view text = token.text;
  if (text.empty()) return TokenError(token, "empty server name");
  if (absl::StrContains(text, "://")) {
    return TokenError(token, absl::StrCat("unsupported server ", Quote(text),
                                          ": rsockd speaks SOCKS4/4A to "
                                          "upstream servers; write host or "
                                          "host:port"));
  }
  UpstreamServer server;
  server.port = 0;
  size_t host_end = text.size();
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
    server.host = ip->ToString();
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return TokenError(
            SubToken(token, close + 1, text.size() - close - 1),
            absl::StrCat("expected ':port' after ']' in ", Quote(text)));
      }
      RSOCKD_ASSIGN_OR_RETURN(
          server.port,
          ParseServerPort(SubToken(token, close + 2, text.size() - close - 2)));
    }
  } else if (const std::optional<net::IpAddress> ip =
                 net::IpAddress::Parse(text);
             ip.has_value()) {
    // A bare IPv4 or IPv6 literal: no port.
    server.host = ip->ToString();
  } else {
    const size_t colon = text.find(':');
    if (colon != absl::string_view::npos) {
      if (text.find(':', colon + 1) != absl::string_view::npos) {
        return TokenError(token, absl::StrCat("invalid server ", Quote(text),
                                              ": write an IPv6 address with "
                                              "a port as [address]:port"));
      }
      host_end = colon;
      RSOCKD_ASSIGN_OR_RETURN(
          server.port,
          ParseServerPort(SubToken(token, colon + 1, text.size() - colon - 1)));
    }
    const Token host = SubToken(token, 0, host_end);
    if (host.text.empty()) return TokenError(token, "missing host before ':'");
    if (const std::optional<net::IpAddress> ip =
            net::IpAddress::Parse(host.text);
        ip.has_value() && ip->is_ipv4()) {
      server.host = ip->ToString();
    } else {
      RSOCKD_RETURN_IF_ERROR(CheckNoLeadingZeros(host, host.text));
      RSOCKD_RETURN_IF_ERROR(CheckHostName(host));
      server.host = absl::AsciiStrToLower(host.text);
    }
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
    RSOCKD_ASSIGN_OR_RETURN(UpstreamServer server,
                            Parse(SubToken(list, start, end - start)));
    servers.push_back(std::move(server));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return servers;
}

std::string UpstreamServer::ToString() const {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

std::string SocksRule::ToString() const {
  std::string text(ActionWord(action));
  if (!servers.empty()) {
    absl::StrAppend(
        &text, " @=",
        absl::StrJoin(servers, ",",
                      [](std::string* out, const UpstreamServer& server) {
                        out->append(server.ToString());
                      }));
  }
  if (users.has_value()) absl::StrAppend(&text, " ", users->ToString());
  absl::StrAppend(&text, " ", destination.ToString());
  if (port.has_value()) absl::StrAppend(&text, " ", port->ToString());
  if (!command.empty()) absl::StrAppend(&text, " : ", command);
  return text;
}

absl::StatusOr<SocksConf> ParseSocksConf(absl::string_view text,
                                         absl::string_view filename) {
  // The sockd.conf special lines are comments here.
  return ParseRuleFile<SocksConf>(text, filename, ParseRule);
}

absl::StatusOr<SocksConf> LoadSocksConf(const std::string& path) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string text,
                          ReadFile(path, kMaxSocksConfSize));
  return ParseSocksConf(text, path);
}

std::string FormatSocksConf(const SocksConf& conf) {
  return FormatRuleFile(conf);
}

absl::Status CheckDefaultServer(const SocksConf& conf, bool have_default) {
  if (have_default) return absl::OkStatus();
  std::vector<std::string> errors;
  for (const SocksRule& rule : conf.rules) {
    if (rule.action != SocksRule::Action::kSockd || !rule.servers.empty()) {
      continue;
    }
    errors.push_back(absl::StrCat(
        conf.filename, ":", rule.line, ":", rule.column,
        ": sockd line without servers (no @= list, or an empty one) and no "
        "default server: set one with --socks_server or the SOCKS_SERVER "
        "environment variable, or list servers after @="));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

}  // namespace rsockd::rules
