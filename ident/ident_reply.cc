#include "ident/ident_reply.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rsockd::ident {
namespace {

// How much of a bad reply an error message quotes.
constexpr size_t kMaxQuotedBytes = 80;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimBlanks(absl::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// The reply quoted for an error message: C-escaped (identd bytes are
// untrusted and end up in logs) and truncated.
std::string Quote(absl::string_view line) {
  if (line.size() <= kMaxQuotedBytes) {
    return absl::StrCat("\"", absl::CHexEscape(line), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(line.substr(0, kMaxQuotedBytes)),
                      "\"...");
}

absl::Status Malformed(absl::string_view why, absl::string_view line) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed reply (", why, "): ", Quote(line)));
}

// A port number: 1 to 5 decimal digits, at most 65535.
bool ParsePort(absl::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

// An RFC 1413 token (opsys, charset, error type): non-empty, no blanks.
bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (IsBlank(c)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> ParseIdentReply(absl::string_view line,
                                            uint16_t client_port,
                                            uint16_t server_port) {
  const absl::string_view original = line;
  if (absl::EndsWith(line, "\n")) line.remove_suffix(1);
  if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
  // CR, LF or NUL inside the line cannot come from a well-behaved identd and
  // must never reach a log line or a hook command as part of a user id.
  for (char c : line) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return Malformed("control character inside the line", original);
    }
  }

  // At most four fields: the user id keeps any further colons.
  const std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::MaxSplits(':', 3));
  if (fields.size() < 3) return Malformed("too few fields", original);

  const std::vector<absl::string_view> ports = absl::StrSplit(fields[0], ',');
  uint16_t reply_client_port = 0;
  uint16_t reply_server_port = 0;
  if (ports.size() != 2 ||
      !ParsePort(TrimBlanks(ports[0]), &reply_client_port) ||
      !ParsePort(TrimBlanks(ports[1]), &reply_server_port)) {
    return Malformed("bad port pair", original);
  }
  if (reply_client_port != client_port || reply_server_port != server_port) {
    return absl::InvalidArgumentError(
        absl::StrCat("ports ", reply_client_port, ",", reply_server_port,
                     " do not match ", client_port, ",", server_port));
  }

  const absl::string_view type = TrimBlanks(fields[1]);
  if (absl::EqualsIgnoreCase(type, "ERROR")) {
    // "ERROR : <error-type>"; a fourth field would be junk after it.
    const absl::string_view error = TrimBlanks(fields[2]);
    if (fields.size() != 3 || !IsToken(error)) {
      return Malformed("bad ERROR reply", original);
    }
    return absl::NotFoundError(
        absl::StrCat("identd replied ERROR : ", absl::CHexEscape(error)));
  }
  if (!absl::EqualsIgnoreCase(type, "USERID")) {
    return Malformed("reply type is neither USERID nor ERROR", original);
  }
  if (fields.size() != 4) return Malformed("missing user id field", original);

  const std::vector<absl::string_view> opsys =
      absl::StrSplit(fields[2], absl::MaxSplits(',', 1));
  if (!IsToken(TrimBlanks(opsys[0]))) {
    return Malformed("bad operating system token", original);
  }
  if (opsys.size() == 2 && !IsToken(TrimBlanks(opsys[1]))) {
    return Malformed("bad character set token", original);
  }

  const absl::string_view id = TrimBlanks(fields[3]);
  if (id.empty()) return absl::InvalidArgumentError("empty user id");
  return std::string(id);
}

}  // namespace rsockd::ident
