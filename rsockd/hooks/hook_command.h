// This file defines `HookContext`, what a hook command line may refer to, and
// the functions that turn a sockd.conf hook into something safe to run
// (docs/hooks.md): `FilterHookValue`, `ExpandHookCommand` and
// `HookEnvironment`.
//
// A hook such as
//
//   deny *=bonnie,clyde 128.12.6.0 255.255.255.0 : /usr/bin/logger 'by %u'
//
// is run by `/bin/sh -c` after `%` substitution. The values substituted come
// from the client (its USERID), its identd and DNS, so every one of them is
// filtered first: what is left cannot close a quoted string, start a command
// or an expansion, or pose as an option.
//
// All functions are pure (apart from reading the process id) and
// thread-safe.

#ifndef RSOCKD_RSOCKD_HOOKS_HOOK_COMMAND_H_
#define RSOCKD_RSOCKD_HOOKS_HOOK_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace rsockd {

// HookContext
//
// The request a hook runs for. Values are raw (unfiltered); the functions
// below filter them. The `%` sequence and environment variable of each field
// are given beside it.
struct HookContext {
  std::string client_host;       // %A SOCKS_CLIENT_HOST: host name, else IP
  std::string client_ip;         // %a SOCKS_CLIENT_ADDR
  std::string command;           // %c SOCKS_COMMAND: "connect" or "bind"
  std::string service;           // %S SOCKS_SERVICE: service name, else port
  uint16_t port = 0;             // %s SOCKS_PORT: destination port
  std::string ident_user;        // %U SOCKS_IDENT_USER: identd's id/"unknown"
  std::string claimed_user;      // %u SOCKS_USER: the request's USERID
  std::string destination_host;  // %Z SOCKS_DEST_HOST: host name, else IP
  std::string destination_ip;    // %z SOCKS_DEST_ADDR
  // %p SOCKS_PID is rsockd's process id, read with getpid().
};

// FilterHookValue()
//
// Returns `value` with every byte other than an ASCII letter, an ASCII digit
// or one of `! @ % - _ = + \ : , . /` replaced by '_', and a leading '-'
// replaced by '_' (so that a value cannot become an option). Bytes are
// filtered one by one: a two-byte UTF-8 character becomes "__". Hooks should
// quote with single quotes: inside double quotes a value ending in the
// allowed '\' escapes the closing quote.
//
//   FilterHookValue("x;touch /tmp/p")  == "x_touch_/tmp/p"
//   FilterHookValue("$(id)")           == "__id_"
//   FilterHookValue("-rf")             == "_rf"
std::string FilterHookValue(absl::string_view value);

// ExpandHookCommand()
//
// Returns `command` with these sequences replaced by the filtered value:
//
//   %A client host name, else IP   %a client IP
//   %c "connect" or "bind"         %p rsockd's pid
//   %S service name, else port     %s destination port
//   %U identd's user id/"unknown"  %u claimed user id
//   %Z destination name, else IP   %z destination IP
//   %% a single '%'
//
// Any other `%x` is dropped (both characters), and so is a lone '%' at the
// end. Substitution is a single pass: a '%' inside a substituted value is
// never expanded again.
//
//   ExpandHookCommand("logger '%U pretends to be %u on %A'", context)
//     == "logger 'unknown pretends to be clyde on host.example'"
std::string ExpandHookCommand(absl::string_view command,
                              const HookContext& context);

// HookEnvironment()
//
// The same values, filtered, as "NAME=value" entries for the hook's
// environment, in this order: SOCKS_CLIENT_HOST, SOCKS_CLIENT_ADDR,
// SOCKS_COMMAND, SOCKS_PID, SOCKS_SERVICE, SOCKS_PORT, SOCKS_IDENT_USER,
// SOCKS_USER, SOCKS_DEST_HOST, SOCKS_DEST_ADDR.
std::vector<std::string> HookEnvironment(const HookContext& context);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_HOOKS_HOOK_COMMAND_H_
