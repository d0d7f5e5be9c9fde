#include "rules/frozen_specs.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "net/address.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::rules {
namespace {

// Address spec kinds on disk. Fixed numbers, independent of the order of
// AddressSpec::Kind, so that reordering that enum cannot change the format.
enum AddressWire : uint8_t {
  kWireAll = 0,
  kWireMasked = 1,
  kWireIPv4Prefix = 2,
  kWireIPv6Prefix = 3,
  kWireHost = 4,
  kWireZone = 5,
};

// Port operators on disk, indexed by wire value.
constexpr PortSpec::Op kWireOps[] = {
    PortSpec::Op::kEq, PortSpec::Op::kNeq, PortSpec::Op::kLt,
    PortSpec::Op::kGt, PortSpec::Op::kLe,  PortSpec::Op::kGe,
};

// RFC 1123's limit, which the parser enforces (address_spec.h).
constexpr size_t kMaxNameLength = 253;
// Largest file name kept (PATH_MAX).
constexpr size_t kMaxFileNameLength = 4096;
// A list is one token of one line, so it cannot hold more items than this.
constexpr uint32_t kMaxItems = kMaxLineLength / 2 + 1;
// The most lines a text config can have (one byte each, at its size cap).
constexpr uint32_t kMaxLineNumber = (64u << 20) + 1;

net::IpAddress IPv4FromBytes(absl::string_view bytes) {
  uint8_t raw[4];
  std::memcpy(raw, bytes.data(), sizeof(raw));
  return net::IpAddress::FromIPv4Bytes(raw);
}

net::IpAddress IPv6FromBytes(absl::string_view bytes) {
  uint8_t raw[16];
  std::memcpy(raw, bytes.data(), sizeof(raw));
  return net::IpAddress::FromIPv6Bytes(raw);
}

// The parser reads an IPv4-mapped address as the IPv4 one (net/address.h),
// so the freezer never stores one as IPv6: such bytes were not written by it.
absl::Status CheckNotMapped(absl::string_view bytes, size_t offset,
                            absl::string_view what, FrozenReader* reader) {
  uint8_t raw[16];
  std::memcpy(raw, bytes.data(), sizeof(raw));
  if (!net::IpAddress::IsV4Mapped(raw)) return absl::OkStatus();
  return reader->Invalid(offset, what, "an IPv4-mapped address stored as IPv6");
}

absl::string_view AddressBytes(const net::IpAddress& address) {
  return absl::string_view(reinterpret_cast<const char*>(address.bytes()),
                           address.size());
}

}  // namespace

void FreezeAddressSpec(const AddressSpec& spec, FrozenWriter* writer) {
  switch (spec.kind()) {
    case AddressSpec::Kind::kAll:
      writer->U8(kWireAll);
      return;
    case AddressSpec::Kind::kMasked:
      writer->U8(kWireMasked);
      writer->Bytes(AddressBytes(spec.address()));
      writer->Bytes(AddressBytes(spec.mask()));
      return;
    case AddressSpec::Kind::kPrefix:
      writer->U8(spec.address().is_ipv4() ? kWireIPv4Prefix : kWireIPv6Prefix);
      writer->Bytes(AddressBytes(spec.address()));
      writer->U8(static_cast<uint8_t>(spec.prefix_length()));
      return;
    case AddressSpec::Kind::kHost:
      writer->U8(kWireHost);
      writer->String(spec.name());
      return;
    case AddressSpec::Kind::kZone:
      writer->U8(kWireZone);
      writer->String(spec.name());
      return;
  }
}

absl::StatusOr<AddressSpec> ThawAddressSpec(FrozenReader* reader,
                                            absl::string_view what) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t kind, reader->U8(what));
  switch (kind) {
    case kWireAll:
      return AddressSpec::All();
    case kWireMasked: {
      // Any two dotted quads are a valid pair: masks need not be contiguous
      // (orig), and host bits outside the mask are kept as written.
      RSOCKD_ASSIGN_OR_RETURN(const absl::string_view bytes,
                              reader->Bytes(8, what));
      return AddressSpec::Masked(IPv4FromBytes(bytes.substr(0, 4)),
                                 IPv4FromBytes(bytes.substr(4)));
    }
    case kWireIPv4Prefix:
    case kWireIPv6Prefix: {
      const bool ipv4 = kind == kWireIPv4Prefix;
      RSOCKD_ASSIGN_OR_RETURN(const absl::string_view bytes,
                              reader->Bytes(ipv4 ? 4 : 16, what));
      const size_t length_offset = reader->offset();
      RSOCKD_ASSIGN_OR_RETURN(const uint8_t length, reader->U8(what));
      const int max = ipv4 ? 32 : 128;
      // Checked here: AddressSpec::Prefix CHECKs it.
      if (length > max) {
        return reader->Invalid(
            length_offset, what,
            absl::StrCat("prefix length ", length, " is more than ", max));
      }
      if (ipv4) return AddressSpec::Prefix(IPv4FromBytes(bytes), length);
      RSOCKD_RETURN_IF_ERROR(CheckNotMapped(bytes, start + 1, what, reader));
      return AddressSpec::Prefix(IPv6FromBytes(bytes), length);
    }
    case kWireHost:
    case kWireZone: {
      const bool zone = kind == kWireZone;
      const size_t name_offset = reader->offset();
      RSOCKD_ASSIGN_OR_RETURN(const std::string name,
                              reader->String(what, kMaxNameLength));
      // The parser's own checks (RFC 1123, reserved words, not an address),
      // and its normalized form: a name it would have changed (upper case)
      // was not written by the freezer.
      const absl::StatusOr<AddressSpec> parsed =
          AddressSpec::ParseText(zone ? absl::StrCat(".", name) : name);
      const AddressSpec::Kind expected =
          zone ? AddressSpec::Kind::kZone : AddressSpec::Kind::kHost;
      if (!parsed.ok() || parsed->kind() != expected ||
          parsed->name() != name) {
        return reader->Invalid(
            name_offset, what,
            absl::StrCat("invalid ", zone ? "zone " : "host name ", Quote(name),
                         parsed.ok() ? "" : ": ",
                         parsed.ok() ? "" : parsed.status().message()));
      }
      return *parsed;
    }
    default:
      return reader->Invalid(start, what,
                             absl::StrCat("unknown address kind ", kind));
  }
}

void FreezeIpAddress(const net::IpAddress& address, FrozenWriter* writer) {
  writer->U8(address.is_ipv4() ? 4 : 6);
  writer->Bytes(AddressBytes(address));
}

absl::StatusOr<net::IpAddress> ThawIpAddress(FrozenReader* reader,
                                             absl::string_view what) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t family, reader->U8(what));
  if (family != 4 && family != 6) {
    return reader->Invalid(start, what,
                           absl::StrCat("unknown address family ", family));
  }
  RSOCKD_ASSIGN_OR_RETURN(const absl::string_view bytes,
                          reader->Bytes(family == 4 ? 4 : 16, what));
  if (family == 4) return IPv4FromBytes(bytes);
  RSOCKD_RETURN_IF_ERROR(CheckNotMapped(bytes, start + 1, what, reader));
  return IPv6FromBytes(bytes);
}

void FreezePortSpec(const PortSpec& spec, FrozenWriter* writer) {
  uint8_t wire = 0;
  while (kWireOps[wire] != spec.op()) ++wire;
  writer->U8(wire);
  writer->U16(spec.port());
}

absl::StatusOr<PortSpec> ThawPortSpec(FrozenReader* reader) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint8_t op, reader->U8("port operator"));
  if (op >= std::size(kWireOps)) {
    return reader->Invalid(start, "port operator",
                           absl::StrCat("unknown operator ", op));
  }
  RSOCKD_ASSIGN_OR_RETURN(const uint16_t port, reader->U16("port"));
  return PortSpec(kWireOps[op], port);
}

absl::Status FreezeUserList(const UserList& list, FrozenWriter* writer) {
  if (list.users().size() > kMaxFrozenUsers) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a user list names ", list.users().size(), " users, more than the ",
        kMaxFrozenUsers, " a frozen file may hold"));
  }
  writer->U32(static_cast<uint32_t>(list.items().size()));
  for (const std::string& item : list.items()) writer->String(item);
  // Sorted: the set's iteration order differs from run to run, and a frozen
  // file should depend only on the rules.
  std::vector<absl::string_view> users(list.users().begin(),
                                       list.users().end());
  std::sort(users.begin(), users.end());
  writer->U32(static_cast<uint32_t>(users.size()));
  for (absl::string_view user : users) writer->String(user);
  return absl::OkStatus();
}

absl::StatusOr<UserList> ThawUserList(FrozenReader* reader) {
  const size_t start = reader->offset();
  // Every string takes at least its 4-byte length.
  RSOCKD_ASSIGN_OR_RETURN(const uint32_t item_count,
                          reader->Count("user list item count", 4, kMaxItems));
  std::vector<std::string> items;
  for (uint32_t i = 0; i < item_count; ++i) {
    RSOCKD_ASSIGN_OR_RETURN(std::string item,
                            reader->String("user list item", kMaxLineLength));
    items.push_back(std::move(item));
  }
  RSOCKD_ASSIGN_OR_RETURN(const uint32_t user_count,
                          reader->Count("user count", 4, kMaxFrozenUsers));
  absl::flat_hash_set<std::string> users;
  std::string previous;
  for (uint32_t i = 0; i < user_count; ++i) {
    const size_t user_offset = reader->offset();
    // A user id is at most a whole user file.
    RSOCKD_ASSIGN_OR_RETURN(std::string user,
                            reader->String("user id", kMaxUserFileSize));
    if (i > 0 && user <= previous) {
      return reader->Invalid(user_offset, "user id",
                             absl::StrCat(Quote(user),
                                          " is not after the previous id in "
                                          "byte order"));
    }
    previous = user;
    users.insert(std::move(user));
  }
  // FromParts accepts only what Parse could have produced, so the list reads
  // back as the one `*=` token it was.
  absl::StatusOr<UserList> list =
      UserList::FromParts(std::move(items), std::move(users));
  if (!list.ok()) {
    return reader->Invalid(start, "user list", list.status().message());
  }
  return list;
}

absl::Status FreezeOptionalUserList(const std::optional<UserList>& list,
                                    FrozenWriter* writer) {
  writer->U8(list.has_value() ? 1 : 0);
  if (!list.has_value()) return absl::OkStatus();
  return FreezeUserList(*list, writer);
}

absl::StatusOr<std::optional<UserList>> ThawOptionalUserList(
    FrozenReader* reader) {
  RSOCKD_ASSIGN_OR_RETURN(const bool has_list, reader->Bool("has user list"));
  if (!has_list) return std::nullopt;
  return ThawUserList(reader);
}

void FreezeOptionalPortSpec(const std::optional<PortSpec>& spec,
                            FrozenWriter* writer) {
  writer->U8(spec.has_value() ? 1 : 0);
  if (spec.has_value()) FreezePortSpec(*spec, writer);
}

absl::StatusOr<std::optional<PortSpec>> ThawOptionalPortSpec(
    FrozenReader* reader) {
  RSOCKD_ASSIGN_OR_RETURN(const bool has_spec, reader->Bool("has port test"));
  if (!has_spec) return std::nullopt;
  return ThawPortSpec(reader);
}

void FreezeCommand(absl::string_view command, FrozenWriter* writer) {
  writer->String(command);
}

absl::StatusOr<std::string> ThawCommand(FrozenReader* reader,
                                        absl::string_view what) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(std::string command,
                          reader->String(what, kMaxLineLength));
  // The lexer's view of ": " (the hook separator) followed by the text: it
  // gives the text back unchanged only when it is a trimmed command, as the
  // lexer makes them. A newline would end the line.
  const absl::StatusOr<Line> line = LexLine(absl::StrCat(": ", command), 1);
  if (command.find('\n') != std::string::npos || !line.ok() ||
      !line->command.has_value() || line->command->text != command) {
    return reader->Invalid(
        start, what,
        absl::StrCat(Quote(command),
                     " is not a hook command as the parser reads one "
                     "(untrimmed, or more than one line)"));
  }
  return command;
}

void FreezeLineNumber(int line, FrozenWriter* writer) {
  writer->U32(static_cast<uint32_t>(line));
}

absl::StatusOr<int> ThawLineNumber(FrozenReader* reader, int previous) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint32_t line, reader->U32("line number"));
  if (line <= static_cast<uint32_t>(previous) || line > kMaxLineNumber) {
    return reader->Invalid(
        start, "line number",
        absl::StrCat(line, " is not between the previous line (", previous,
                     ") and ", kMaxLineNumber));
  }
  return static_cast<int>(line);
}

void FreezeColumn(int column, FrozenWriter* writer) {
  writer->U32(static_cast<uint32_t>(column));
}

absl::StatusOr<int> ThawColumn(FrozenReader* reader) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(const uint32_t column, reader->U32("column"));
  if (column < 1 || column > kMaxLineLength) {
    return reader->Invalid(start, "column",
                           absl::StrCat(column, " is not within a line"));
  }
  return static_cast<int>(column);
}

void FreezeFileName(absl::string_view name, FrozenWriter* writer) {
  writer->String(name);
}

absl::StatusOr<std::string> ThawFileName(FrozenReader* reader) {
  const size_t start = reader->offset();
  RSOCKD_ASSIGN_OR_RETURN(std::string name,
                          reader->String("file name", kMaxFileNameLength));
  // It is printed in log lines: a newline could forge one.
  if (name.empty() || name.find('\n') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return reader->Invalid(start, "file name",
                           absl::StrCat(Quote(name), " is not a file name"));
  }
  return name;
}

}  // namespace rsockd::rules
