// test_socks_conf: shows which line of socks.conf decides a made-up request
// and what rsockd would do with it — refuse, connect directly, or go through
// which upstream servers, in order — with the same parser and matcher as the
// server (docs/frozen_files.md).
//
//   test_socks_conf [-C conf] user dst_addr {service|port}
//
// A `sockd` line without servers (no `@=`, or an empty one) names the
// default server, taken from $SOCKS_SERVER as rsockd would without
// --socks_server. dst_addr may be a
// name: it is judged as a SOCKS4A request for it.
//
// Like rsockd, it judges by socks.fc beside the configured file when that
// exists, and says so.
//
// Exit status: 1 the request would go somewhere (direct or sockd), 0 it
// would be refused, 2 usage or configuration error — the same sense as
// test_sockd_conf's.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/resolver.h"
#include "net/service_names.h"
#include "rsockd/server/config.h"
#include "rules/lexer.h"
#include "rules/name_lookups.h"
#include "rules/port_spec.h"
#include "rules/rule_set.h"
#include "rules/socks_conf.h"

namespace rsockd {
namespace {

constexpr char kUsage[] =
    "usage: test_socks_conf [-C conf] user dst_addr {service|port}\n"
    "  -C conf  the routing rules (default /etc/socks.conf)\n"
    "  $SOCKS_SERVER  the default server for sockd lines without servers\n"
    "exit status: 1 direct or through servers, 0 refused, 2 usage or "
    "configuration error\n";

constexpr absl::Duration kLookupTimeout = absl::Seconds(10);

int Usage(absl::string_view problem) {
  if (!problem.empty()) std::cerr << "test_socks_conf: " << problem << "\n";
  std::cerr << kUsage;
  return 2;
}

int Main(int argc, char** argv) {
  std::string conf_path = "/etc/socks.conf";
  int option;
  while ((option = getopt(argc, argv, "C:")) != -1) {
    switch (option) {
      case 'C':
        conf_path = optarg;
        break;
      default:
        return Usage("");
    }
  }
  if (argc - optind != 3) return Usage("expected user dst_addr port");
  const std::string user = argv[optind];
  const std::string destination = argv[optind + 1];
  const std::string service = argv[optind + 2];
  absl::StatusOr<uint16_t> port =
      rules::PortSpec::ResolvePort(rules::Token{service, 0, 0});
  if (!port.ok()) return Usage(absl::StrCat("bad port or service: ", service));

  absl::StatusOr<ConfigFile<rules::SocksConf>> read = ReadSocksConf(conf_path);
  if (!read.ok()) {
    std::cerr << read.status().message() << "\n";
    return 2;
  }
  std::cerr << ToolNotes("test_socks_conf", *read);
  rules::SocksConf& conf = read->conf;
  std::vector<rules::UpstreamServer> default_servers;
  if (const char* env = std::getenv("SOCKS_SERVER");
      env != nullptr && *env != '\0') {
    absl::StatusOr<std::vector<rules::UpstreamServer>> servers =
        rules::UpstreamServer::ParseList(rules::Token{env, 1, 1});
    if (!servers.ok()) {
      std::cerr << "SOCKS_SERVER:" << servers.status().message() << "\n";
      return 2;
    }
    default_servers = *std::move(servers);
  }
  if (absl::Status status =
          rules::CheckDefaultServer(conf, !default_servers.empty());
      !status.ok()) {
    std::cerr << status.message() << "\n";
    return 2;
  }
  const rules::RuleSet rules(rules::SockdConf{}, std::move(conf), std::nullopt,
                             std::move(default_servers));

  absl::StatusOr<std::unique_ptr<net::Resolver>> made =
      net::Resolver::Create({});
  if (!made.ok()) {
    std::cerr << made.status().message() << "\n";
    return 2;
  }
  net::Resolver& resolver = **made;
  rules::AccessRequest request;
  request.user = user;
  request.port = *port;
  rules::SetDestination(destination, &resolver, kLookupTimeout, &request);
  rules::SetNameLookups(&resolver, kLookupTimeout, /*stop=*/nullptr, &request);
  const rules::RoutingDecision decision = rules.Route(request);

  std::cout << "CONNECT for " << user << " to " << destination << " ("
            << net::ServiceName(*port) << "/" << *port << ")\n";
  if (decision.rule != nullptr) {
    std::cout << "line " << decision.rule->line << ": "
              << decision.rule->ToString() << "\n";
  } else if (decision.action == rules::SocksRule::Action::kDirect) {
    std::cout << "always direct (this host)\n";
  } else {
    std::cout << "no line matches\n";
  }
  switch (decision.action) {
    case rules::SocksRule::Action::kDeny:
      std::cout << "refused\n";
      return 0;
    case rules::SocksRule::Action::kDirect:
      std::cout << "direct\n";
      return 1;
    case rules::SocksRule::Action::kSockd:
      std::cout << "through, in order:";
      for (const rules::UpstreamServer& server : decision.servers) {
        std::cout << " " << server.ToString();
      }
      std::cout << "\n";
      return 1;
  }
  return 2;
}

}  // namespace
}  // namespace rsockd

int main(int argc, char** argv) { return rsockd::Main(argc, argv); }
