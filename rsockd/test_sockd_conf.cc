// test_sockd_conf: shows which line of sockd.conf decides a made-up request,
// with the same parser and matcher as the server (SPEC §9).
//
//   test_sockd_conf [-i] [-I] [-B] [-x] [-R route] [-C conf] user src_addr
//                   dst_addr {service|port}
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
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/resolver.h"
#include "net/service_names.h"
#include "rsockd/config.h"
#include "rsockd/hook_command.h"
#include "rsockd/hook_runner.h"
#include "rules/name_lookups.h"
#include "rules/port_spec.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"

namespace rsockd {
namespace {

constexpr char kUsage[] =
    "usage: test_sockd_conf [-i] [-I] [-B] [-x] [-R route] [-C conf] user "
    "src_addr dst_addr {service|port}\n"
    "  -i, -I   global ident level lenient / strict (a line's ?= overrides)\n"
    "  -B       a BIND request instead of CONNECT\n"
    "  -x       also run the deciding line's hook command\n"
    "  -C conf  the access rules (default /etc/sockd.conf)\n"
    "  -R route also show the local address sockd.route picks for dst_addr\n"
    "exit status: 1 permitted, 0 denied, 2 usage or configuration error\n";

constexpr absl::Duration kLookupTimeout = absl::Seconds(10);
constexpr absl::Duration kHookTimeout = absl::Seconds(30);

int Usage(absl::string_view problem) {
  if (!problem.empty()) std::cerr << "test_sockd_conf: " << problem << "\n";
  std::cerr << kUsage;
  return 2;
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

// Runs the hook as the server would (same expansion, filtering, executor
// and timeout), and waits for it.
void RunHook(const std::string& command, const rules::AccessRequest& request,
             const std::string& source, const std::string& destination) {
  HookContext context;
  context.client_host = source;
  context.client_ip = request.client.ToString();
  context.command =
      request.command == rules::Command::kBind ? "bind" : "connect";
  context.service = net::ServiceName(request.port);
  context.port = request.port;
  context.ident_user = "unknown";
  context.claimed_user = request.user;
  context.destination_host = destination;
  context.destination_ip =
      request.destination ? request.destination->ToString() : destination;
  const std::string line = ExpandHookCommand(command, context);
  std::cout << "running: " << line << "\n" << std::flush;
  HookRunner hooks(
      {.max_running = 1, .max_pending = 0, .timeout = kHookTimeout});
  hooks.Submit(line, HookEnvironment(context));
  // The runner's destructor would kill the hook: wait for its end first
  // (bounded: the runner kills it at the hook timeout).
  const absl::Time deadline = absl::Now() + kHookTimeout + absl::Seconds(5);
  for (;;) {
    const HookRunner::Counts counts = hooks.counts();
    if (counts.finished + counts.timed_out + counts.failed_to_start > 0) {
      if (counts.timed_out > 0) std::cout << "hook timed out; killed\n";
      return;
    }
    if (absl::Now() > deadline) return;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

// -R: the local address sockd.route picks for the destination.
void ShowSourceAddress(const rules::RuleSet& rules,
                       const rules::AccessRequest& request,
                       net::Resolver& resolver) {
  std::vector<net::IpAddress> targets;
  if (request.destination.has_value()) {
    targets.push_back(*request.destination);
  } else {
    absl::StatusOr<std::vector<net::IpAddress>> resolved = resolver.Resolve(
        request.destination_name, net::Deadline::In(kLookupTimeout));
    if (!resolved.ok()) {
      std::cout << "route: " << request.destination_name
                << " does not resolve here: " << resolved.status().message()
                << "\n";
      return;
    }
    targets = *std::move(resolved);
  }
  for (const net::IpAddress& target : targets) {
    absl::StatusOr<std::optional<net::IpAddress>> source =
        rules.SourceAddressFor(target, request.destination_name);
    std::cout << "route: " << target.ToString() << ": "
              << (source.ok() ? absl::StrCat("from ", (*source)->ToString())
                              : std::string(source.status().message()))
              << "\n";
  }
}

int Main(int argc, char** argv) {
  rules::IdentLevel global_ident = rules::IdentLevel::kOff;
  bool bind = false;
  bool run_hook = false;
  std::string conf_path = "/etc/sockd.conf";
  std::string route_path;
  int option;
  while ((option = getopt(argc, argv, "iIBxC:R:")) != -1) {
    switch (option) {
      case 'i':
        global_ident = rules::IdentLevel::kLenient;
        break;
      case 'I':
        global_ident = rules::IdentLevel::kStrict;
        break;
      case 'B':
        bind = true;
        break;
      case 'x':
        run_hook = true;
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
  if (argc - optind != 4) return Usage("expected user src_addr dst_addr port");
  const std::string user = argv[optind];
  const std::string source = argv[optind + 1];
  const std::string destination = argv[optind + 2];
  const std::string service = argv[optind + 3];

  absl::StatusOr<uint16_t> port =
      rules::PortSpec::ResolvePort(rules::Token{service, 0, 0});
  if (!port.ok()) return Usage(absl::StrCat("bad port or service: ", service));

  absl::StatusOr<std::unique_ptr<net::Resolver>> made =
      net::Resolver::Create({});
  if (!made.ok()) {
    std::cerr << made.status().message() << "\n";
    return 2;
  }
  net::Resolver& resolver = **made;
  rules::AccessRequest request;
  request.command = bind ? rules::Command::kBind : rules::Command::kConnect;
  request.user = user;
  request.port = *port;
  absl::StatusOr<std::vector<net::IpAddress>> client =
      resolver.Resolve(source, net::Deadline::In(kLookupTimeout));
  if (!client.ok()) return Usage(client.status().message());
  request.client = client->front();
  rules::SetDestination(destination, &resolver, kLookupTimeout, &request);
  rules::SetNameLookups(&resolver, kLookupTimeout, /*stop=*/nullptr, &request);

  absl::StatusOr<ConfigFile<rules::SockdConf>> conf = ReadSockdConf(conf_path);
  if (!conf.ok()) {
    std::cerr << conf.status().message() << "\n";
    return 2;
  }
  std::cerr << ToolNotes("test_sockd_conf", *conf);
  std::optional<rules::SockdRoute> route;
  if (!route_path.empty()) {
    absl::StatusOr<ConfigFile<rules::SockdRoute>> read =
        ReadSockdRoute(route_path);
    if (!read.ok()) {
      std::cerr << read.status().message() << "\n";
      return 2;
    }
    std::cerr << ToolNotes("test_sockd_conf", *read);
    route = std::move(read->conf);
  }
  const rules::RuleSet rules(std::move(conf->conf), std::nullopt,
                             std::move(route));
  const rules::AccessDecision decision = rules.CheckAccess(request);

  std::cout << (bind ? "BIND" : "CONNECT") << " from " << user << "@"
            << request.client.ToString() << " to " << destination << " ("
            << net::ServiceName(*port) << "/" << *port << ")\n";
  if (!route_path.empty()) ShowSourceAddress(rules, request, resolver);
  if (decision.rule == nullptr) {
    std::cout << "no line matches: denied\n";
    return 0;
  }
  const rules::SockdRule& rule = *decision.rule;
  std::cout << "line " << rule.line << ": " << rule.ToString() << "\n";
  if (decision.permitted) {
    const rules::IdentLevel level = rule.ident_level.value_or(global_ident);
    std::cout << "permitted; ident " << IdentLevelName(level)
              << (level == rules::IdentLevel::kOff
                      ? ""
                      : " (identd would be asked; a different user id gets "
                        "93)")
              << "\n";
  } else {
    std::cout << "denied\n";
  }
  if (!rule.command.empty()) {
    std::cout << "hook: " << rule.command
              << (run_hook ? "" : " (not run; -x runs it)") << "\n";
    if (run_hook) RunHook(rule.command, request, source, destination);
  }
  return decision.permitted ? 1 : 0;
}

}  // namespace
}  // namespace rsockd

int main(int argc, char** argv) { return rsockd::Main(argc, argv); }
