#include "rules/frozen_sockd_conf.h"

#include "absl/strings/str_cat.h"
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

// Ident levels on disk; 0 is "no ?= field".
constexpr uint8_t kWireNoIdentLevel = 0;

uint8_t IdentLevelWire(const std::optional<IdentLevel>& level) {
  if (!level.has_value()) return kWireNoIdentLevel;
  switch (*level) {
    case IdentLevel::kOff:
      return 1;
    case IdentLevel::kLenient:
      return 2;
    case IdentLevel::kStrict:
      return 3;
  }
  return kWireNoIdentLevel;
}

absl::Status FreezeRule(const SockdRule& rule, FrozenWriter* writer) {
  FreezeLineNumber(rule.line, writer);
  writer->U8(rule.action == SockdRule::Action::kPermit ? 0 : 1);
  writer->U8(IdentLevelWire(rule.ident_level));
  RSOCKD_RETURN_IF_ERROR(FreezeOptionalUserList(rule.users, writer));
  FreezeAddressSpec(rule.source, writer);
  FreezeAddressSpec(rule.destination, writer);
  FreezeOptionalPortSpec(rule.port, writer);
  FreezeCommand(rule.command, writer);
  return absl::OkStatus();
}

absl::StatusOr<SockdRule> ThawRule(FrozenReader* reader, int previous_line) {
  SockdRule rule;
  RSOCKD_ASSIGN_OR_RETURN(rule.line, ThawLineNumber(reader, previous_line));
  const size_t action_offset = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t action, reader->U8("action"));
  if (action > 1) {
    return reader->Invalid(action_offset, "action",
                           absl::StrCat("unknown action ", action));
  }
  rule.action =
      action == 0 ? SockdRule::Action::kPermit : SockdRule::Action::kDeny;
  const size_t ident_offset = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t ident, reader->U8("ident level"));
  switch (ident) {
    case kWireNoIdentLevel:
      break;
    case 1:
      rule.ident_level = IdentLevel::kOff;
      break;
    case 2:
      rule.ident_level = IdentLevel::kLenient;
      break;
    case 3:
      rule.ident_level = IdentLevel::kStrict;
      break;
    default:
      return reader->Invalid(ident_offset, "ident level",
                             absl::StrCat("unknown ident level ", ident));
  }
  RSOCKD_ASSIGN_OR_RETURN(rule.users, ThawOptionalUserList(reader));
  RSOCKD_ASSIGN_OR_RETURN(rule.source, ThawAddressSpec(reader, "source"));
  RSOCKD_ASSIGN_OR_RETURN(rule.destination,
                          ThawAddressSpec(reader, "destination"));
  RSOCKD_ASSIGN_OR_RETURN(rule.port, ThawOptionalPortSpec(reader));
  RSOCKD_ASSIGN_OR_RETURN(rule.command, ThawCommand(reader, "hook command"));
  return rule;
}

}  // namespace

absl::StatusOr<std::string> FreezeSockdConf(const SockdConf& conf) {
  FrozenWriter writer;
  FreezeFileName(conf.filename, &writer);
  RSOCKD_RETURN_IF_ERROR(
      FreezeRuleList<SockdRule>(conf.rules, kRuleList, FreezeRule, &writer));
  FreezeCommand(conf.no_identd_command, &writer);
  FreezeCommand(conf.bad_id_command, &writer);
  return SealFrozen(FrozenKind::kSockdConf, writer.payload());
}

absl::StatusOr<SockdConf> ThawSockdConf(absl::string_view file) {
  RSOCKD_ASSIGN_OR_RETURN(const absl::string_view payload,
                          UnsealFrozen(file, FrozenKind::kSockdConf));
  FrozenReader reader(payload);
  SockdConf conf;
  RSOCKD_ASSIGN_OR_RETURN(conf.filename, ThawFileName(&reader));
  RSOCKD_ASSIGN_OR_RETURN(
      conf.rules, ThawRuleList<SockdRule>(&reader, kRuleList, ThawRule));
  RSOCKD_ASSIGN_OR_RETURN(conf.no_identd_command,
                          ThawCommand(&reader, "#NO_IDENTD: command"));
  RSOCKD_ASSIGN_OR_RETURN(conf.bad_id_command,
                          ThawCommand(&reader, "#BAD_ID: command"));
  RSOCKD_RETURN_IF_ERROR(reader.ExpectEnd());
  return conf;
}

absl::StatusOr<SockdConf> LoadFrozenSockdConf(const std::string& path) {
  return LoadFrozenFile<SockdConf>(path, ThawSockdConf);
}

}  // namespace rsockd::rules
