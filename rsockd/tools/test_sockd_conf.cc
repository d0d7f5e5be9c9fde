// test_sockd_conf: shows which line of sockd.conf decides a made-up request,
// with the same parser and matcher as the server, and what the server would
// answer (test_sockd_conf(8)).
//
//   test_sockd_conf [-i | -I] [-B] [-b] [-x] [-R route] [-C conf] user
//                   src_addr dst_addr {service|port}
//
// The flags keep their classic meanings. -i and -I set the global ident
// level (lenient, strict) and simulate a client whose identd does not
// answer; -B simulates an identd that names another user (and asks identd on
// lines without `?=` even without -i or -I, as the classic tool did). A
// line's `?=` sets its level as in the server. Without these flags identd is
// taken to confirm the user. -b asks about a BIND instead of a CONNECT. With
// -R, the route file's choice is shown, and for a BIND a missing line is
// part of the verdict.
//
// Exit status (classic): 1 permitted, 0 denied, 2 usage or configuration
// error. Hooks are described, and run only with -x. Like rsockd, it judges by
// the frozen file beside a configured one when that exists, and says so.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "net/service_names.h"
#include "rsockd/hooks/hook_command.h"
#include "rsockd/hooks/hook_context.h"
#include "rsockd/hooks/hook_runner.h"
#include "rsockd/server/config.h"
#include "rsockd/tools/request_args.h"
#include "rules/name_lookups.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"

namespace rsockd {
namespace {

constexpr char kUsage[] =
    "usage: test_sockd_conf [-i | -I] [-B] [-b] [-x] [-R route] [-C conf] "
    "user src_addr dst_addr {service|port}\n"
    "  -i       ident lenient, identd not answering: permitted, #NO_IDENTD: "
    "runs\n"
    "  -I       ident strict, identd not answering: denied, #NO_IDENTD: runs\n"
    "  -B       identd names another user: denied, #BAD_ID: runs\n"
    "           (a line's ?= sets its ident level, as in rsockd)\n"
    "  -b       a BIND request instead of CONNECT\n"
    "  -x       also run the hooks that would run\n"
    "  -C conf  the access rules (default /etc/sockd.conf)\n"
    "  -R route also judge by this sockd.route: the local address; for a "
    "BIND,\n"
    "           a missing line denies\n"
    "exit status: 1 permitted, 0 denied, 2 usage or configuration error\n";

constexpr absl::Duration kLookupTimeout = absl::Seconds(10);
constexpr absl::Duration kHookTimeout = absl::Seconds(30);

int Usage(absl::string_view problem) {
  return UsageError("test_sockd_conf", problem, kUsage);
}

absl::string_view IdentLevelName(rules::IdentLevel level) {
  switch (level) {
    case rules::IdentLevel::kOff:
      return "off";
    case rules::IdentLevel::kLenient:
      return "lenient";
    case rules::IdentLevel::kStrict:
      return "strict";
  }
  return "off";
}

// What the simulated identd of the client does.
enum class SimulatedIdentd {
  kConfirms,          // answers with the claimed user id
  kDoesNotAnswer,     // -i, -I
  kNamesAnotherUser,  // -B
};

// The request as made up on the command line, and what the server would
// substitute into its hooks.
struct MadeUpRequest {
  rules::AccessRequest access;
  // dst_addr as given: an address, or a name judged as SOCKS4A.
  std::string destination;
  // identd's answer for %U: the claimed user when it confirms, else unknown.
  std::string ident_user = "unknown";
};

// The verdict, and the hooks that would run, in order.
struct Verdict {
  bool permitted = false;
  // For a denial: why, when it is not the deciding line ("cannot verify
  // user-id"), and the SOCKS4 reply.
  std::string reason;
  int reply = 91;
  // What runs, in order: a label ("hook:", "#NO_IDENTD:") and the command.
  std::vector<std::pair<std::string, std::string>> hooks;

  void Deny(std::string why, int code) {
    permitted = false;
    reason = std::move(why);
    reply = code;
  }
};

// Runs one hook as the server would (same expansion, filtering, executor,
// environment and timeout), and waits for it. Host names for %A and %Z are
// looked up as the server does: the forward-confirmed reverse name, only
// when the command asks for it, else the address; a SOCKS4A name is %Z
// itself.
void RunHook(const std::string& command, const MadeUpRequest& request,
             net::Resolver& resolver) {
  const rules::AccessRequest& access = request.access;
  // %z of a SOCKS4A name: its first address here, else DSTIP 0.0.0.1.
  net::IpAddress destination = *net::IpAddress::Parse("0.0.0.1");
  if (access.destination.has_value()) {
    destination = *access.destination;
  } else if (absl::StatusOr<std::vector<net::IpAddress>> resolved =
                 resolver.Resolve(access.destination_name,
                                  net::Deadline::In(kLookupTimeout));
             resolved.ok()) {
    destination = resolved->front();
  }
  HookContext context = HookContextFor(access, request.ident_user, destination);
  AddHookHostNames(command, access.client, access.destination, &resolver,
                   kLookupTimeout, /*stop=*/nullptr, &context);
  const std::string line = ExpandHookCommand(command, context);
  std::cout << "running: " << line << "\n" << std::flush;
  HookRunner hooks(
      {.max_running = 1, .max_pending = 0, .timeout = kHookTimeout});
  hooks.Submit(line, HookEnvironment(context));
  // The runner's destructor would kill the hook: wait for its end first
  // (bounded: the runner kills it at the hook timeout).
  hooks.WaitUntilIdle(absl::Now() + kHookTimeout + absl::Seconds(5));
  if (hooks.counts().timed_out > 0) std::cout << "hook timed out; killed\n";
}

// Ident (sockd.conf(5), IDENT) as the server applies it after a permit line
// matched, with the simulated identd. Prints the ident line and adds the
// ident hook that runs.
void JudgeIdent(const rules::SockdConf& conf, rules::IdentLevel level,
                SimulatedIdentd identd, MadeUpRequest* request,
                Verdict* verdict) {
  if (level == rules::IdentLevel::kOff) {
    std::cout << "ident off\n";
    return;
  }
  std::cout << "ident " << IdentLevelName(level) << ": ";
  const auto special = [&](absl::string_view prefix,
                           const std::string& command) {
    if (!command.empty()) verdict->hooks.emplace_back(prefix, command);
  };
  switch (identd) {
    case SimulatedIdentd::kConfirms:
      std::cout << "identd confirms " << request->access.user
                << " (-i, -I and -B simulate failures)\n";
      request->ident_user = request->access.user;
      return;
    case SimulatedIdentd::kDoesNotAnswer:
      std::cout << "identd does not answer\n";
      special("#NO_IDENTD:", conf.no_identd_command);
      if (level == rules::IdentLevel::kStrict) {
        verdict->Deny("cannot verify user-id", 92);
      }
      return;
    case SimulatedIdentd::kNamesAnotherUser:
      std::cout << "identd names another user than " << request->access.user
                << "\n";
      special("#BAD_ID:", conf.bad_id_command);
      verdict->Deny("bad user-id", 93);
      return;
  }
}

// The addresses sockd.route is asked about: dst_addr, or the addresses of a
// name (for a BIND only the first, which the server listens for).
absl::StatusOr<std::vector<net::IpAddress>> RouteTargets(
    const MadeUpRequest& request, net::Resolver& resolver) {
  const rules::AccessRequest& access = request.access;
  if (access.destination.has_value()) {
    return std::vector<net::IpAddress>{*access.destination};
  }
  absl::StatusOr<std::vector<net::IpAddress>> resolved =
      resolver.Resolve(request.destination, net::Deadline::In(kLookupTimeout));
  if (!resolved.ok()) return resolved.status();
  if (access.command == rules::Command::kBind) resolved->resize(1);
  return resolved;
}

// -R: the local address sockd.route picks for each target. For a permitted
// BIND, a target no line matches denies the request (sockd.route(5)).
void JudgeRoute(const rules::RuleSet& rules, const MadeUpRequest& request,
                net::Resolver& resolver, Verdict* verdict) {
  const rules::AccessRequest& access = request.access;
  const bool bind = access.command == rules::Command::kBind;
  absl::StatusOr<std::vector<net::IpAddress>> targets =
      RouteTargets(request, resolver);
  if (!targets.ok()) {
    std::cout << "route: " << request.destination
              << " does not resolve here: " << targets.status().message()
              << "\n";
    if (bind && verdict->permitted) {
      verdict->Deny(absl::StrCat(request.destination, " does not resolve here"),
                    91);
    }
    return;
  }
  for (const net::IpAddress& target : *targets) {
    absl::StatusOr<std::optional<net::IpAddress>> source =
        rules.SourceAddressFor({.command = access.command,
                                .address = target,
                                .name = access.destination_name,
                                .reverse_name = rules::ReverseNameLookup(
                                    &resolver, kLookupTimeout,
                                    /*stop=*/nullptr, target)});
    std::cout << "route: " << target.ToString() << ": ";
    if (!source.ok()) {
      std::cout << source.status().message() << "\n";
      if (verdict->permitted) {
        verdict->Deny(std::string(source.status().message()), 91);
      }
    } else if (source->has_value()) {
      std::cout << (bind ? "listen on " : "from ") << (*source)->ToString()
                << "\n";
    } else {
      std::cout << "the kernel chooses\n";
    }
  }
}

int Main(int argc, char** argv) {
  std::optional<rules::IdentLevel> global_ident;
  bool bad_id = false;
  bool bind = false;
  bool run_hooks = false;
  std::string conf_path = "/etc/sockd.conf";
  std::string route_path;
  int option;
  while ((option = getopt(argc, argv, "iIBbxC:R:")) != -1) {
    switch (option) {
      case 'i':
        global_ident = rules::IdentLevel::kLenient;
        break;
      case 'I':
        global_ident = rules::IdentLevel::kStrict;
        break;
      case 'B':
        bad_id = true;
        break;
      case 'b':
        bind = true;
        break;
      case 'x':
        run_hooks = true;
        break;
      case 'C':
        conf_path = optarg;
        break;
      case 'R':
        route_path = optarg;
        break;
      default:
        return Usage("");
    }
  }
  absl::StatusOr<RequestArgs> args =
      ParseRequestArgs(std::vector<std::string>(argv + optind, argv + argc),
                       /*with_source=*/true);
  if (!args.ok()) return Usage(args.status().message());

  // -B alone still asks identd (at the lenient level: a wrong user id is
  // refused at both levels).
  const SimulatedIdentd identd = bad_id ? SimulatedIdentd::kNamesAnotherUser
                                 : global_ident.has_value()
                                     ? SimulatedIdentd::kDoesNotAnswer
                                     : SimulatedIdentd::kConfirms;
  const rules::IdentLevel global_level = global_ident.value_or(
      bad_id ? rules::IdentLevel::kLenient : rules::IdentLevel::kOff);

  absl::StatusOr<std::unique_ptr<net::Resolver>> made =
      net::Resolver::Create({});
  if (!made.ok()) return ToolError(made.status());
  net::Resolver& resolver = **made;
  MadeUpRequest request;
  request.destination = args->destination;
  rules::AccessRequest& access = request.access;
  access.command = bind ? rules::Command::kBind : rules::Command::kConnect;
  access.user = args->user;
  access.port = args->port;
  absl::StatusOr<std::vector<net::IpAddress>> client =
      resolver.Resolve(args->source, net::Deadline::In(kLookupTimeout));
  if (!client.ok()) return Usage(client.status().message());
  access.client = client->front();
  rules::SetDestination(args->destination, &resolver, kLookupTimeout, &access);
  rules::SetNameLookups(&resolver, kLookupTimeout, /*stop=*/nullptr, &access);

  absl::StatusOr<ConfigFile<rules::SockdConf>> conf = ReadSockdConf(conf_path);
  if (!conf.ok()) return ToolError(conf.status());
  std::cerr << ToolNotes("test_sockd_conf", *conf);
  std::optional<rules::SockdRoute> route;
  if (!route_path.empty()) {
    absl::StatusOr<ConfigFile<rules::SockdRoute>> read =
        ReadSockdRoute(route_path);
    if (!read.ok()) return ToolError(read.status());
    std::cerr << ToolNotes("test_sockd_conf", *read);
    route = std::move(read->conf);
  }
  const rules::RuleSet rules(std::move(conf->conf), std::nullopt,
                             std::move(route));
  const rules::AccessDecision decision = rules.CheckAccess(access);

  std::cout << (bind ? "BIND" : "CONNECT") << " from " << args->user << "@"
            << access.client.ToString() << (bind ? " for " : " to ")
            << args->destination << " (" << net::ServiceName(args->port) << "/"
            << args->port << ")\n";
  Verdict verdict;
  if (decision.rule == nullptr) {
    std::cout << "no line matches\n";
  } else {
    const rules::SockdRule& rule = *decision.rule;
    std::cout << "line " << rule.line << ": " << rule.ToString() << "\n";
    verdict.permitted = decision.permitted;
    if (decision.permitted) {
      JudgeIdent(rules.access(), rule.ident_level.value_or(global_level),
                 identd, &request, &verdict);
    }
    // The line's own hook runs, unless ident refused the request.
    const bool ident_refused = decision.permitted && !verdict.permitted;
    if (!rule.command.empty() && !ident_refused) {
      verdict.hooks.emplace_back("hook:", rule.command);
    }
  }
  if (rules.interfaces().has_value()) {
    JudgeRoute(rules, request, resolver, &verdict);
  }
  for (const auto& [label, command] : verdict.hooks) {
    std::cout << label << " " << command
              << (run_hooks ? "" : " (not run; -x runs it)") << "\n";
    if (run_hooks) RunHook(command, request, resolver);
  }
  if (verdict.permitted) {
    std::cout << "permitted (reply 90)\n";
    return 1;
  }
  std::cout << "denied" << (verdict.reason.empty() ? "" : ": ")
            << verdict.reason << " (reply " << verdict.reply << ")\n";
  return 0;
}

}  // namespace
}  // namespace rsockd

int main(int argc, char** argv) { return rsockd::Main(argc, argv); }
