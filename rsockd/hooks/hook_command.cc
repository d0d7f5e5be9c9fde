#include "rsockd/hooks/hook_command.h"

#include <unistd.h>

#include <iterator>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rsockd {
namespace {

// Besides ASCII letters and digits (docs/hooks.md, the classic set). None of
// these starts a command, a redirection, an expansion or a quoted string. The
// one that is not inert is '\': outside single quotes it escapes the next
// character, so a value ending in '\' inside double quotes takes the closing
// quote with it. That can upset how the rest of the hook's own text is
// quoted, but brings no syntax of its own; single-quoted hooks (as in the
// classic examples) are immune.
constexpr absl::string_view kAllowedPunctuation = "!@%-_=+\\:,./";

bool IsAllowed(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         kAllowedPunctuation.find(c) != absl::string_view::npos;
}

// The unfiltered value of `%letter`, or nullopt when `letter` names none.
std::optional<std::string> RawValue(char letter, const HookContext& context) {
  switch (letter) {
    case 'A':
      return context.client_host;
    case 'a':
      return context.client_ip;
    case 'c':
      return context.command;
    case 'p':
      return absl::StrCat(getpid());
    case 'S':
      return context.service;
    case 's':
      return absl::StrCat(context.port);
    case 'U':
      return context.ident_user;
    case 'u':
      return context.claimed_user;
    case 'Z':
      return context.destination_host;
    case 'z':
      return context.destination_ip;
    default:
      return std::nullopt;
  }
}

struct EnvironmentVariable {
  const char* name;
  char letter;  // the `%` sequence with the same value
};

constexpr EnvironmentVariable kEnvironment[] = {
    {"SOCKS_CLIENT_HOST", 'A'}, {"SOCKS_CLIENT_ADDR", 'a'},
    {"SOCKS_COMMAND", 'c'},     {"SOCKS_PID", 'p'},
    {"SOCKS_SERVICE", 'S'},     {"SOCKS_PORT", 's'},
    {"SOCKS_IDENT_USER", 'U'},  {"SOCKS_USER", 'u'},
    {"SOCKS_DEST_HOST", 'Z'},   {"SOCKS_DEST_ADDR", 'z'},
};

}  // namespace

std::string FilterHookValue(absl::string_view value) {
  std::string filtered(value);
  for (char& c : filtered) {
    if (!IsAllowed(c)) c = '_';
  }
  if (!filtered.empty() && filtered[0] == '-') filtered[0] = '_';
  return filtered;
}

std::string ExpandHookCommand(absl::string_view command,
                              const HookContext& context) {
  std::string expanded;
  expanded.reserve(command.size());
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] != '%') {
      expanded.push_back(command[i]);
      continue;
    }
    if (i + 1 == command.size()) break;  // a lone trailing '%' is dropped
    const char letter = command[++i];
    if (letter == '%') {
      expanded.push_back('%');
    } else if (std::optional<std::string> value = RawValue(letter, context)) {
      expanded += FilterHookValue(*value);
    }
    // Any other sequence is dropped, both characters.
  }
  return expanded;
}

std::vector<std::string> HookEnvironment(const HookContext& context) {
  std::vector<std::string> environment;
  environment.reserve(std::size(kEnvironment));
  for (const EnvironmentVariable& variable : kEnvironment) {
    environment.push_back(
        absl::StrCat(variable.name, "=",
                     FilterHookValue(*RawValue(variable.letter, context))));
  }
  return environment;
}

}  // namespace rsockd
