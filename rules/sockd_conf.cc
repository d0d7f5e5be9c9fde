#include "rules/sockd_conf.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rules/lexer.h"
#include "rules/rule_fields.h"
#include "rules/rule_lines.h"

namespace rsockd::rules {

const char kEmbeddedSockdConf[] =
    "# Embedded default: no sockd.conf was found, so only loopback clients\n"
    "# are served (rsockd is never an open relay). An IPv4 rule never covers\n"
    "# ::1, so IPv6 loopback has its own line.\n"
    "permit 127.0.0.0 255.0.0.0\n"
    "permit ::1/128\n";

namespace {

constexpr absl::string_view kIdentField = "?=";
constexpr absl::string_view kUsersField = "*=";

absl::string_view IdentLevelField(IdentLevel level) {
  switch (level) {
    case IdentLevel::kOff:
      return "?=n";
    case IdentLevel::kLenient:
      return "?=i";
    case IdentLevel::kStrict:
      return "?=I";
  }
  return "?=n";
}

absl::StatusOr<IdentLevel> ParseIdentLevel(const Token& token) {
  const absl::string_view value = absl::string_view(token.text).substr(2);
  if (value == "I") return IdentLevel::kStrict;
  if (value == "i") return IdentLevel::kLenient;
  if (value == "n" || value.empty()) return IdentLevel::kOff;
  return TokenError(token,
                    absl::StrCat("unknown ident level ", Quote(token.text),
                                 ": expected ?=I (strict), ?=i "
                                 "(lenient), ?=n or ?= (off)"));
}

// The error for a `?=` or `*=` token found after the source spec.
absl::Status MisplacedField(const Token& token, const RuleFields& fields) {
  RSOCKD_RETURN_IF_ERROR(fields.CheckNotGiven(token));
  return RuleFields::Misplaced(token, "the source address");
}

absl::StatusOr<SockdRule> ParseRule(const Line& line) {
  SockdRule rule;
  rule.line = line.number;
  RSOCKD_RETURN_IF_ERROR(CheckHasKeyword(line, "permit or deny"));
  TokenCursor cursor(line.tokens);
  const Token& keyword = cursor.Next();
  if (keyword.text == "permit") {
    rule.action = SockdRule::Action::kPermit;
  } else if (keyword.text == "deny") {
    rule.action = SockdRule::Action::kDeny;
  } else {
    return TokenError(keyword,
                      absl::StrCat("unknown keyword ", Quote(keyword.text),
                                   ": expected permit or deny"));
  }

  RuleFields fields({kIdentField, kUsersField});
  RSOCKD_RETURN_IF_ERROR(fields.Parse(
      &cursor,
      [&](absl::string_view name, const Token& field,
          const Token& value) -> absl::Status {
        if (name == kIdentField) {
          RSOCKD_ASSIGN_OR_RETURN(rule.ident_level, ParseIdentLevel(field));
        } else {
          RSOCKD_ASSIGN_OR_RETURN(rule.users, UserList::Parse(value));
        }
        return absl::OkStatus();
      }));

  if (cursor.AtEnd()) {
    return TokenError(cursor.Previous(), "missing source address after " +
                                             Quote(cursor.Previous().text));
  }
  RSOCKD_ASSIGN_OR_RETURN(rule.source, AddressSpec::Parse(&cursor));

  if (!cursor.AtEnd() && !PortSpec::IsOperator(cursor.Peek().text)) {
    if (fields.IsField(cursor.Peek())) {
      return MisplacedField(cursor.Peek(), fields);
    }
    RSOCKD_ASSIGN_OR_RETURN(rule.destination, AddressSpec::Parse(&cursor));
  }

  RSOCKD_ASSIGN_OR_RETURN(
      rule.port, ParsePortTestAndEnd(&cursor, [&](const Token& stray) {
        return fields.IsField(stray) ? MisplacedField(stray, fields)
                                     : absl::OkStatus();
      }));

  if (line.command.has_value()) rule.command = line.command->text;
  return rule;
}

}  // namespace

std::string SockdRule::ToString() const {
  std::string text(action == Action::kPermit ? "permit" : "deny");
  if (ident_level.has_value()) {
    absl::StrAppend(&text, " ", IdentLevelField(*ident_level));
  }
  if (users.has_value()) absl::StrAppend(&text, " ", users->ToString());
  absl::StrAppend(&text, " ", source.ToString());
  if (!destination.is_all()) {
    // After a one-token source, a token "0.0.0.0" would be read as the
    // source's ignored mask; write that mask so that a destination starting
    // with 0.0.0.0 stays a destination.
    if (source.kind() != AddressSpec::Kind::kMasked &&
        destination.kind() == AddressSpec::Kind::kMasked &&
        destination.address().IsUnspecified()) {
      absl::StrAppend(&text, " 0.0.0.0");
    }
    absl::StrAppend(&text, " ", destination.ToString());
  }
  if (port.has_value()) absl::StrAppend(&text, " ", port->ToString());
  if (!command.empty()) absl::StrAppend(&text, " : ", command);
  return text;
}

absl::StatusOr<SockdConf> ParseSockdConf(absl::string_view text,
                                         absl::string_view filename) {
  return ParseRuleFile<SockdConf>(text, filename, ParseRule,
                                  kSockdConfSpecialLines);
}

absl::StatusOr<SockdConf> LoadSockdConf(const std::string& path) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string text,
                          ReadFile(path, kMaxSockdConfSize));
  return ParseSockdConf(text, path);
}

std::string FormatSockdConf(const SockdConf& conf) {
  return FormatRuleFile(conf, kSockdConfSpecialLines);
}

}  // namespace rsockd::rules
