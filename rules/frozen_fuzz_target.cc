#include "rules/frozen_fuzz_target.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rules/frozen_io.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "rules/lexer.h"
#include "rules/secrets.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"

namespace rsockd::rules {
namespace {

// A broken promise: say which and stop, so that the fuzzer keeps the input.
[[noreturn]] void Broken(absl::string_view kind, absl::string_view promise,
                         absl::string_view detail) {
  std::fprintf(stderr, "frozen %.*s: %.*s\n%.*s\n",
               static_cast<int>(kind.size()), kind.data(),
               static_cast<int>(promise.size()), promise.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

bool NamesUserFile(const std::optional<UserList>& users) {
  if (!users.has_value()) return false;
  for (const std::string& item : users->items()) {
    if (item[0] == '/') return true;
  }
  return false;
}

bool NamesUserFile(const SockdRule& rule) { return NamesUserFile(rule.users); }
bool NamesUserFile(const SocksRule& rule) { return NamesUserFile(rule.users); }
bool NamesUserFile(const RouteRule&) { return false; }

// The fields of a rule that a dump keeps: everything but where it was.
SockdRule Placeless(SockdRule rule) {
  rule.line = 0;
  return rule;
}
SocksRule Placeless(SocksRule rule) {
  rule.line = rule.column = 0;
  return rule;
}
RouteRule Placeless(RouteRule rule) {
  rule.line = 0;
  return rule;
}

bool SameSpecialLines(const SockdConf& a, const SockdConf& b) {
  return a.no_identd_command == b.no_identd_command &&
         a.bad_id_command == b.bad_id_command;
}
bool SameSpecialLines(const SocksConf&, const SocksConf&) { return true; }
bool SameSpecialLines(const SockdRoute&, const SockdRoute&) { return true; }

// The version field of a file a reader accepted (so at least a header).
uint16_t FileVersion(absl::string_view file) {
  return static_cast<uint16_t>(static_cast<uint8_t>(file[8]) |
                               static_cast<uint8_t>(file[9]) << 8);
}

// The normalized dump that parses back: secrets shown where there are any.
template <auto Format, typename Rules>
std::string Dump(const Rules& rules) {
  if constexpr (std::is_invocable_v<decltype(Format), const Rules&, Secrets>) {
    return Format(rules, Secrets::kShown);
  } else {
    return Format(rules);
  }
}

// One kind of file: thaw, and check both promises for what was accepted.
template <typename Rules, auto Thaw, auto Freeze, auto Format, auto Parse>
void CheckKind(absl::string_view kind, absl::string_view file,
               FrozenInputOutcome* outcome) {
  const absl::StatusOr<Rules> rules = Thaw(file);
  if (!rules.ok()) {
    if (rules.status().message().empty()) {
      Broken(kind, "an error without a message", "");
    }
    return;
  }
  ++outcome->accepted;
  const absl::StatusOr<std::string> refrozen = Freeze(*rules);
  if (!refrozen.ok()) {
    Broken(kind, "thawed rules could not be frozen again",
           refrozen.status().message());
  }
  if (FileVersion(file) == kFrozenFormatVersion) {
    if (*refrozen != file) {
      Broken(kind, "refreezing changed the bytes", Dump<Format>(*rules));
    }
  } else {
    // An older version is rewritten in the current one, to the same rules.
    const absl::StatusOr<Rules> again = Thaw(*refrozen);
    if (!again.ok() || again->rules != rules->rules) {
      Broken(kind, "refreezing an old version changed the rules",
             Dump<Format>(*rules));
    }
  }
  for (const auto& rule : rules->rules) {
    if (NamesUserFile(rule)) return;
  }
  const std::string text = Dump<Format>(*rules);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.size() > kMaxLineLength) return;
  }
  const absl::StatusOr<Rules> parsed = Parse(text, rules->filename);
  if (!parsed.ok()) {
    Broken(kind, "the dump does not parse",
           absl::StrCat(text, "\n", parsed.status().message()));
  }
  bool same = parsed->rules.size() == rules->rules.size() &&
              SameSpecialLines(*parsed, *rules);
  for (size_t i = 0; same && i < parsed->rules.size(); ++i) {
    same = Placeless(parsed->rules[i]) == Placeless(rules->rules[i]);
  }
  if (!same) Broken(kind, "the dump parses to other rules", text);
  ++outcome->dumps_checked;
}

void CheckFile(absl::string_view file, FrozenInputOutcome* outcome) {
  CheckKind<SockdConf, ThawSockdConf, FreezeSockdConf, FormatSockdConf,
            ParseSockdConf>("sockd.conf", file, outcome);
  CheckKind<SocksConf, ThawSocksConf, FreezeSocksConf, FormatSocksConf,
            ParseSocksConf>("socks.conf", file, outcome);
  CheckKind<SockdRoute, ThawSockdRoute, FreezeSockdRoute, FormatSockdRoute,
            ParseSockdRoute>("sockd.route", file, outcome);
}

}  // namespace

std::string RepairFrozenContainer(absl::string_view data) {
  if (data.size() < kFrozenHeaderSize + kFrozenTrailerSize) {
    return std::string(data);
  }
  // The version and kind fields, little-endian at offsets 8 and 10
  // (frozen_io.h). A version a reader accepts is kept, so that mutations
  // of older files reach their own layout.
  uint16_t version = static_cast<uint16_t>(static_cast<uint8_t>(data[8]) |
                                           static_cast<uint8_t>(data[9]) << 8);
  if (version < kOldestFrozenFormatVersion || version > kFrozenFormatVersion) {
    version = kFrozenFormatVersion;
  }
  const uint16_t kind = static_cast<uint16_t>(
      static_cast<uint8_t>(data[10]) | static_cast<uint8_t>(data[11]) << 8);
  std::string file = SealFrozenRaw(
      version, kind,
      data.substr(kFrozenHeaderSize,
                  data.size() - kFrozenHeaderSize - kFrozenTrailerSize));
  // Keep the input's magic: a damaged one must still be refused.
  file.replace(0, kFrozenMagic.size(), data.data(), kFrozenMagic.size());
  return file;
}

FrozenInputOutcome CheckFrozenInput(absl::string_view data) {
  FrozenInputOutcome outcome;
  CheckFile(data, &outcome);
  const std::string repaired = RepairFrozenContainer(data);
  if (repaired != data) CheckFile(repaired, &outcome);
  return outcome;
}

}  // namespace rsockd::rules

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rsockd::rules::CheckFrozenInput(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
