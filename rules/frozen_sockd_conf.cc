#include "rules/frozen_sockd_conf.h"

#include <optional>

#include "rsockd/base/status_macros.h"
#include "rules/frozen_io.h"
#include "rules/frozen_specs.h"

namespace rsockd::rules {
namespace {

constexpr FrozenRuleList kRuleList{
    .noun = "rule",
    .file_kind = "sockd.conf",
    // The smallest frozen rule: line, action, ident, has-users, two one-byte
    // address specs, has-port, empty command.
    .min_rule_size = 4 + 1 + 1 + 1 + 1 + 1 + 1 + 4,
    .max_rules = kMaxFrozenSockdRules,
};

// Actions and ident levels on disk, indexed by wire value; ident level 0 is
// "no ?= field".
constexpr SockdRule::Action kWireActions[] = {
    SockdRule::Action::kPermit,
    SockdRule::Action::kDeny,
};
constexpr std::optional<IdentLevel> kWireIdentLevels[] = {
    std::nullopt,
    IdentLevel::kOff,
    IdentLevel::kLenient,
    IdentLevel::kStrict,
};

absl::Status FreezeRule(const SockdRule& rule, FrozenWriter* writer) {
  FreezeLineNumber(rule.line, writer);
  FreezeEnum(rule.action, kWireActions, writer);
  FreezeEnum(rule.ident_level, kWireIdentLevels, writer);
  RSOCKD_RETURN_IF_ERROR(FreezeOptionalUserList(rule.users, writer));
  FreezeAddressSpec(rule.source, writer);
  FreezeRuleEnd(rule, writer);
  return absl::OkStatus();
}

absl::StatusOr<SockdRule> ThawRule(FrozenReader* reader, int previous_line) {
  SockdRule rule;
  RSOCKD_ASSIGN_OR_RETURN(rule.line, ThawLineNumber(reader, previous_line));
  RSOCKD_ASSIGN_OR_RETURN(rule.action,
                          ThawEnum(reader, "action", kWireActions));
  RSOCKD_ASSIGN_OR_RETURN(rule.ident_level,
                          ThawEnum(reader, "ident level", kWireIdentLevels));
  RSOCKD_ASSIGN_OR_RETURN(rule.users, ThawOptionalUserList(reader));
  RSOCKD_ASSIGN_OR_RETURN(rule.source, ThawAddressSpec(reader, "source"));
  RSOCKD_RETURN_IF_ERROR(ThawRuleEnd(reader, &rule));
  return rule;
}

}  // namespace

absl::StatusOr<std::string> FreezeSockdConf(const SockdConf& conf) {
  return FreezeRuleFile(conf, FrozenKind::kSockdConf, kRuleList, FreezeRule,
                        kSockdConfSpecialLines);
}

absl::StatusOr<SockdConf> ThawSockdConf(absl::string_view file) {
  return ThawRuleFile<SockdConf>(file, FrozenKind::kSockdConf, kRuleList,
                                 ThawRule, kSockdConfSpecialLines);
}

absl::StatusOr<SockdConf> LoadFrozenSockdConf(const std::string& path) {
  return LoadFrozenFile<SockdConf>(path, ThawSockdConf);
}

}  // namespace rsockd::rules
