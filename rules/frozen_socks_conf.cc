#include "rules/frozen_socks_conf.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"
#include "rules/frozen_io.h"
#include "rules/frozen_specs.h"
#include "rules/lexer.h"
#include "rules/secrets.h"
#include "rules/upstream_server.h"

namespace rsockd::rules {
namespace {

constexpr FrozenRuleList kRuleList{
    .noun = "rule",
    .file_kind = "socks.conf",
    // Line, column, action, server count, has-users, one-byte destination,
    // has-port, empty command.
    .min_rule_size = 4 + 4 + 1 + 4 + 1 + 1 + 1 + 4,
    .max_rules = kMaxFrozenSocksRules,
};
// The first format version whose servers carry a scheme and credentials;
// before it every server is socks4a:// without credentials.
constexpr uint16_t kSchemesVersion = 2;
// A host string (its length) and a port; from kSchemesVersion on also a
// scheme and a has-credentials flag.
constexpr size_t kMinServerSize = 4 + 2;
// A server list is one token of one line.
constexpr uint32_t kMaxServers = kMaxLineLength / 2 + 1;
// The longest server entry: "[" IPv6 "]:" port, or a host name and port.
constexpr size_t kMaxServerHostLength = 253;

// Actions on disk, indexed by wire value.
constexpr SocksRule::Action kWireActions[] = {
    SocksRule::Action::kDeny,
    SocksRule::Action::kDirect,
    SocksRule::Action::kSockd,
};
// Schemes on disk, indexed by wire value.
constexpr UpstreamScheme kWireSchemes[] = {
    UpstreamScheme::kSocks4a,
    UpstreamScheme::kSocks4,
    UpstreamScheme::kSocks5,
};

void FreezeServer(const UpstreamServer& server, FrozenWriter* writer) {
  FreezeEnum(server.scheme, kWireSchemes, writer);
  writer->String(server.host);
  writer->U16(server.port);
  writer->U8(server.credentials.has_value() ? 1 : 0);
  if (server.credentials.has_value()) {
    writer->String(server.credentials->user);
    writer->String(server.credentials->password);
  }
}

absl::Status FreezeRule(const SocksRule& rule, FrozenWriter* writer) {
  FreezeLineNumber(rule.line, writer);
  FreezeColumn(rule.column, writer);
  FreezeEnum(rule.action, kWireActions, writer);
  writer->U32(static_cast<uint32_t>(rule.servers.size()));
  for (const UpstreamServer& server : rule.servers) {
    FreezeServer(server, writer);
  }
  RSOCKD_RETURN_IF_ERROR(FreezeOptionalUserList(rule.users, writer));
  FreezeRuleEnd(rule, writer);
  return absl::OkStatus();
}

// One server in the layout of the reader's version, checked by the
// parser's own syntax: its normalized text, credentials shown, must parse
// back to exactly it (host form, lower case, port 1..65535, credentials
// only for socks5://, 1..255 bytes each). Messages show it masked.
absl::StatusOr<UpstreamServer> ThawServer(FrozenReader* reader) {
  const size_t start = reader->offset();
  const bool schemes = reader->version() >= kSchemesVersion;
  UpstreamServer server;
  if (schemes) {
    RSOCKD_ASSIGN_OR_RETURN(server.scheme,
                            ThawEnum(reader, "server scheme", kWireSchemes));
  }
  RSOCKD_ASSIGN_OR_RETURN(server.host,
                          reader->String("server host", kMaxServerHostLength));
  RSOCKD_ASSIGN_OR_RETURN(server.port, reader->U16("server port"));
  if (schemes) {
    RSOCKD_ASSIGN_OR_RETURN(const bool has_credentials,
                            reader->Bool("server has credentials"));
    if (has_credentials) {
      UpstreamCredentials credentials;
      RSOCKD_ASSIGN_OR_RETURN(
          credentials.user,
          reader->String("server user", kMaxUpstreamCredentialLength));
      RSOCKD_ASSIGN_OR_RETURN(
          credentials.password,
          reader->String("server password", kMaxUpstreamCredentialLength));
      server.credentials = std::move(credentials);
    }
  }
  const absl::StatusOr<UpstreamServer> parsed =
      UpstreamServer::Parse(Token{server.ToString(Secrets::kShown), 1, 1});
  if (!parsed.ok() || !(*parsed == server)) {
    return reader->Invalid(start, "server",
                           absl::StrCat(Quote(server.ToString()),
                                        " is not a server as the "
                                        "parser reads one"));
  }
  return server;
}

absl::StatusOr<SocksRule> ThawRule(FrozenReader* reader, int previous_line) {
  SocksRule rule;
  RSOCKD_ASSIGN_OR_RETURN(rule.line, ThawLineNumber(reader, previous_line));
  RSOCKD_ASSIGN_OR_RETURN(rule.column, ThawColumn(reader));
  RSOCKD_ASSIGN_OR_RETURN(rule.action,
                          ThawEnum(reader, "action", kWireActions));
  const size_t servers_offset = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(
      const uint32_t servers,
      reader->Count("server count", kMinServerSize, kMaxServers));
  if (servers > 0 && rule.action != SocksRule::Action::kSockd) {
    return reader->Invalid(servers_offset, "server count",
                           "servers on a line that is not a sockd line");
  }
  for (uint32_t i = 0; i < servers; ++i) {
    RSOCKD_ASSIGN_OR_RETURN(UpstreamServer server, ThawServer(reader));
    rule.servers.push_back(std::move(server));
  }
  RSOCKD_ASSIGN_OR_RETURN(rule.users, ThawOptionalUserList(reader));
  RSOCKD_RETURN_IF_ERROR(ThawRuleEnd(reader, &rule));
  return rule;
}

}  // namespace

absl::StatusOr<std::string> FreezeSocksConf(const SocksConf& conf) {
  return FreezeRuleFile(conf, FrozenKind::kSocksConf, kRuleList, FreezeRule);
}

absl::StatusOr<SocksConf> ThawSocksConf(absl::string_view file) {
  return ThawRuleFile<SocksConf>(file, FrozenKind::kSocksConf, kRuleList,
                                 ThawRule);
}

absl::StatusOr<SocksConf> LoadFrozenSocksConf(const std::string& path) {
  return LoadFrozenFile<SocksConf>(path, ThawSocksConf);
}

}  // namespace rsockd::rules
