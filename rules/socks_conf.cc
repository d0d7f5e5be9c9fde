#include "rules/socks_conf.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// A token for the part of `token` that starts `offset` bytes in.
Token SubToken(const Token& token, size_t offset, size_t length) {
  return Token{token.text.substr(offset, length), token.line,
               token.column + static_cast<int>(offset)};
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

std::string SocksRule::ToString(Secrets secrets) const {
  std::string text(ActionWord(action));
  if (!servers.empty()) {
    absl::StrAppend(&text, " @=",
                    absl::StrJoin(servers, ",",
                                  [secrets](std::string* out,
                                            const UpstreamServer& server) {
                                    out->append(server.ToString(secrets));
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

std::string FormatSocksConf(const SocksConf& conf, Secrets secrets) {
  return FormatRuleFile(conf, {}, secrets);
}

bool HoldsCredentials(const SocksConf& conf) {
  for (const SocksRule& rule : conf.rules) {
    for (const UpstreamServer& server : rule.servers) {
      if (server.credentials.has_value()) return true;
    }
  }
  return false;
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
