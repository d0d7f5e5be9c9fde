// This file defines how the parts that the rule files share are stored in a
// frozen file (frozen_io.h): address specs, port tests, user lists (each
// also as an optional field), hook commands, line numbers and columns, the
// source file name, small enumerations (actions, ident levels), and the
// frame of a whole file: file name, rule list, special-line commands. Each
// `Freeze*` appends one part to a FrozenWriter; each `Thaw*` reads one back
// and re-validates it, so that what it returns is always something the text
// parser could have produced from some file: a thawed rule behaves, prints
// and dumps like a parsed one. The frozen_<file> libraries supply only
// their rules' own fields.
//
// Layouts (integers little-endian; strings a u32 length then the bytes):
//
//   address spec   u8 kind, then by kind:
//                    0 ALL            nothing
//                    1 masked         4 address bytes, 4 mask bytes
//                    2 IPv4 prefix    4 address bytes, u8 length 0..32
//                    3 IPv6 prefix    16 address bytes, u8 length 0..128
//                    4 host name      string (lower case, as parsed)
//                    5 zone           string (the domain, without the dot)
//   IP address     u8 family (4 or 6), then 4 or 16 bytes
//   port test      u8 operator (0 eq, 1 neq, 2 lt, 3 gt, 4 le, 5 ge),
//                  u16 port
//   enumeration    u8, the value's index in the kind's wire order
//   user list      u32 item count, the items (strings, as written);
//                  u32 user count, the user ids (strings, in increasing
//                  byte order, no duplicates): the inline ids and those read
//                  from the /file items when the file was frozen
//   optional user  u8 has-list (0 or 1), then a user list when 1
//     list
//   optional port  u8 has-test (0 or 1), then a port test when 1
//     test
//   hook command   string (trimmed, one line; empty: no command)
//   line number    u32, 1-based, increasing through a file
//   column         u32, 1-based, within a line (at most kMaxLineLength)
//   file name      string: the text file the rules were parsed from
//   rule list      u32 rule count, then the rules in file order (each starts
//                  with its line number)
//   rule file      file name, rule list, then the command of each special
//                  line the file keeps (rule_lines.h), in its order
//
// Addresses are stored as written (host bits outside the mask included) and
// names in the parser's normalized form; users in sorted order make the
// encoding canonical: freezing thawed rules gives back the same bytes.
//
// Thread-compatible, like the writer and reader.

#ifndef RSOCKD_RULES_FROZEN_SPECS_H_
#define RSOCKD_RULES_FROZEN_SPECS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "rsockd/base/status_macros.h"
#include "rules/address_spec.h"
#include "rules/frozen_io.h"
#include "rules/lexer.h"
#include "rules/port_spec.h"
#include "rules/rule_lines.h"
#include "rules/user_list.h"

namespace rsockd::rules {

// Most user ids in one frozen user list: more than three 16 MiB user files of
// one-letter ids hold.
inline constexpr uint32_t kMaxFrozenUsers = 1 << 24;

void FreezeAddressSpec(const AddressSpec& spec, FrozenWriter* writer);
absl::StatusOr<AddressSpec> ThawAddressSpec(FrozenReader* reader,
                                            absl::string_view what);

void FreezeIpAddress(const net::IpAddress& address, FrozenWriter* writer);
absl::StatusOr<net::IpAddress> ThawIpAddress(FrozenReader* reader,
                                             absl::string_view what);

void FreezePortSpec(const PortSpec& spec, FrozenWriter* writer);
absl::StatusOr<PortSpec> ThawPortSpec(FrozenReader* reader);

// ResourceExhausted for a list of more than kMaxFrozenUsers user ids.
absl::Status FreezeUserList(const UserList& list, FrozenWriter* writer);
absl::StatusOr<UserList> ThawUserList(FrozenReader* reader);

// The `*=` field of a rule, present or not.
absl::Status FreezeOptionalUserList(const std::optional<UserList>& list,
                                    FrozenWriter* writer);
absl::StatusOr<std::optional<UserList>> ThawOptionalUserList(
    FrozenReader* reader);

// The `op port` test of a rule, present or not.
void FreezeOptionalPortSpec(const std::optional<PortSpec>& spec,
                            FrozenWriter* writer);
absl::StatusOr<std::optional<PortSpec>> ThawOptionalPortSpec(
    FrozenReader* reader);

void FreezeCommand(absl::string_view command, FrozenWriter* writer);
absl::StatusOr<std::string> ThawCommand(FrozenReader* reader,
                                        absl::string_view what);

void FreezeLineNumber(int line, FrozenWriter* writer);
// Requires a line after `previous` (0 for the first).
absl::StatusOr<int> ThawLineNumber(FrozenReader* reader, int previous);

void FreezeColumn(int column, FrozenWriter* writer);
absl::StatusOr<int> ThawColumn(FrozenReader* reader);

void FreezeFileName(absl::string_view name, FrozenWriter* writer);
absl::StatusOr<std::string> ThawFileName(FrozenReader* reader);

// FreezeEnum() / ThawEnum()
//
// A value of a small enumeration, stored as its index in `wire`, which
// lists every value in wire order. An index past the end is an error
// "unknown <what> N".
template <typename T, size_t N>
void FreezeEnum(const T& value, const T (&wire)[N], FrozenWriter* writer) {
  writer->U8(static_cast<uint8_t>(std::find(wire, wire + N, value) - wire));
}
template <typename T, size_t N>
absl::StatusOr<T> ThawEnum(FrozenReader* reader, absl::string_view what,
                           const T (&wire)[N]) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t index, reader->U8(what));
  if (index >= N) {
    return reader->Invalid(start, what,
                           absl::StrCat("unknown ", what, " ", index));
  }
  return wire[index];
}

// FreezeRuleEnd() / ThawRuleEnd()
//
// What ends a sockd.conf and a socks.conf rule alike, `dst_spec [op port]
// [: command]`: the destination spec, the optional port test and the hook
// command, from and into `rule.destination`, `rule.port`, `rule.command`.
template <typename Rule>
void FreezeRuleEnd(const Rule& rule, FrozenWriter* writer) {
  FreezeAddressSpec(rule.destination, writer);
  FreezeOptionalPortSpec(rule.port, writer);
  FreezeCommand(rule.command, writer);
}
template <typename Rule>
absl::Status ThawRuleEnd(FrozenReader* reader, Rule* rule) {
  RSOCKD_ASSIGN_OR_RETURN(rule->destination,
                          ThawAddressSpec(reader, "destination"));
  RSOCKD_ASSIGN_OR_RETURN(rule->port, ThawOptionalPortSpec(reader));
  RSOCKD_ASSIGN_OR_RETURN(rule->command, ThawCommand(reader, "hook command"));
  return absl::OkStatus();
}

// FrozenRuleList
//
// The rule list of one file kind: its limits, and how messages name it. With
// `noun` "rule" and `file_kind` "sockd.conf", the fields are "rule count"
// and "rule 3", and too long a list is "N rules are more than the
// <max_rules> a frozen sockd.conf may hold".
struct FrozenRuleList {
  absl::string_view noun;
  absl::string_view file_kind;
  // The size of the smallest frozen rule, for `FrozenReader::Count`.
  size_t min_rule_size = 1;
  uint32_t max_rules = 0;
};

// FreezeRuleList()
//
// Writes the count and then each rule with `freeze_rule`. ResourceExhausted
// for more than `list.max_rules` rules (nothing useful is written then), or
// the first error of `freeze_rule`.
template <typename Rule>
absl::Status FreezeRuleList(
    const std::vector<Rule>& rules, const FrozenRuleList& list,
    absl::FunctionRef<absl::Status(const Rule&, FrozenWriter*)> freeze_rule,
    FrozenWriter* writer) {
  if (rules.size() > list.max_rules) {
    return absl::ResourceExhaustedError(absl::StrCat(
        rules.size(), " ", list.noun, "s are more than the ", list.max_rules,
        " a frozen ", list.file_kind, " may hold"));
  }
  writer->U32(static_cast<uint32_t>(rules.size()));
  for (const Rule& rule : rules) {
    RSOCKD_RETURN_IF_ERROR(freeze_rule(rule, writer));
  }
  return absl::OkStatus();
}

// ThawRuleList()
//
// Reads the count and then each rule with `thaw_rule`, which gets the line
// number of the rule before (0 for the first) to check that lines increase
// and returns a rule with its `line` set; a rule must also pass
// CheckNormalizedLength, as a parsed one does. An error in a rule gets the
// context "<noun> N" (1-based), "rule 3".
template <typename Rule>
absl::StatusOr<std::vector<Rule>> ThawRuleList(
    FrozenReader* reader, const FrozenRuleList& list,
    absl::FunctionRef<absl::StatusOr<Rule>(FrozenReader*, int previous_line)>
        thaw_rule) {
  RSOCKD_ASSIGN_OR_RETURN(const uint32_t count,
                          reader->Count(absl::StrCat(list.noun, " count"),
                                        list.min_rule_size, list.max_rules));
  std::vector<Rule> rules;
  int previous_line = 0;
  for (uint32_t i = 0; i < count; ++i) {
    absl::StatusOr<Rule> rule = thaw_rule(reader, previous_line);
    if (rule.ok()) {
      if (absl::Status length = CheckNormalizedLength(*rule); !length.ok()) {
        rule = std::move(length);
      }
    }
    if (!rule.ok()) {
      return AddFrozenContext(rule.status(),
                              absl::StrCat(list.noun, " ", i + 1));
    }
    previous_line = rule->line;
    rules.push_back(*std::move(rule));
  }
  return rules;
}

// FreezeRuleFile()
//
// The whole frozen file of kind `kind` for `conf`: its file name, its rules
// (FreezeRuleList with `list` and `freeze_rule`), the commands of
// `special_lines`. Errors as for FreezeRuleList and SealFrozen.
template <typename Conf>
absl::StatusOr<std::string> FreezeRuleFile(
    const Conf& conf, FrozenKind kind, const FrozenRuleList& list,
    absl::FunctionRef<absl::Status(const RuleOf<Conf>&, FrozenWriter*)>
        freeze_rule,
    absl::Span<const SpecialLine<std::type_identity_t<Conf>>> special_lines =
        {}) {
  FrozenWriter writer;
  FreezeFileName(conf.filename, &writer);
  RSOCKD_RETURN_IF_ERROR(
      FreezeRuleList<RuleOf<Conf>>(conf.rules, list, freeze_rule, &writer));
  for (const SpecialLine<Conf>& special : special_lines) {
    FreezeCommand(conf.*special.command, &writer);
  }
  return SealFrozen(kind, writer.payload());
}

// ThawRuleFile()
//
// The file `Conf` that FreezeRuleFile froze into `file`, checked as
// UnsealFrozen, ThawRuleList and ThawCommand check it, with nothing left
// over. `Conf` is named by the caller: `ThawRuleFile<SockdConf>(...)`.
template <typename Conf>
absl::StatusOr<Conf> ThawRuleFile(
    absl::string_view file, FrozenKind kind, const FrozenRuleList& list,
    absl::FunctionRef<absl::StatusOr<RuleOf<Conf>>(FrozenReader*,
                                                   int previous_line)>
        thaw_rule,
    absl::Span<const SpecialLine<Conf>> special_lines = {}) {
  RSOCKD_ASSIGN_OR_RETURN(FrozenReader reader, OpenFrozen(file, kind));
  Conf conf;
  RSOCKD_ASSIGN_OR_RETURN(conf.filename, ThawFileName(&reader));
  RSOCKD_ASSIGN_OR_RETURN(conf.rules,
                          ThawRuleList<RuleOf<Conf>>(&reader, list, thaw_rule));
  for (const SpecialLine<Conf>& special : special_lines) {
    RSOCKD_ASSIGN_OR_RETURN(
        conf.*special.command,
        ThawCommand(&reader, absl::StrCat(special.prefix, " command")));
  }
  RSOCKD_RETURN_IF_ERROR(reader.ExpectEnd());
  return conf;
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_SPECS_H_
