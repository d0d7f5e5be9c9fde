// Benchmarks of RuleSet::CheckAccess: the cost of one access check against
// generated rule sets of 10, 1,000 and 10,000 lines where only the last line
// matches, so every line is tried.
//
//   bazel run -c opt //rules:rule_set_benchmark
//
// Variants:
//   BM_Addresses  lines with address specs only (mask pairs and CIDRs,
//                 source and destination) that miss on the source;
//   BM_UserLists  every line's source matches and each has a `*=` list that
//                 does not hold the user, so the user list is tested on
//                 every line;
//   BM_Zones      destination `.zone` lines against a SOCKS4A name (string
//                 comparisons; no lookup, the name is the request's).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"

namespace rsockd::rules {
namespace {

net::IpAddress Ip(const char* text) { return *net::IpAddress::Parse(text); }

SockdConf ParseOrDie(const std::string& text) {
  absl::StatusOr<SockdConf> conf = ParseSockdConf(text, "bench.conf");
  if (!conf.ok()) {
    std::cerr << conf.status() << "\n";
    std::abort();
  }
  return *std::move(conf);
}

// Runs CheckAccess(request) against `rules`, requiring that the last line
// decides.
void Check(benchmark::State& state, const RuleSet& rules,
           const AccessRequest& request) {
  const size_t last = rules.access().rules.size();
  const AccessDecision decision = rules.CheckAccess(request);
  if (decision.rule == nullptr ||
      decision.rule->line != static_cast<int>(last)) {
    state.SkipWithError("the last line did not decide");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(rules.CheckAccess(request));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["lines"] = static_cast<double>(last);
}

// The request every address and user-list benchmark checks: only the last
// line of each generated rule set matches it.
AccessRequest JaneRequest() {
  AccessRequest request;
  request.client = Ip("192.168.1.10");
  request.user = "jane";
  request.destination = Ip("203.0.113.80");
  request.port = 80;
  return request;
}

void BM_Addresses(benchmark::State& state) {
  const int lines = static_cast<int>(state.range(0));
  std::string text;
  for (int i = 0; i + 1 < lines; ++i) {
    // Alternate the two IPv4 forms; none matches client 192.168.1.10.
    if (i % 2 == 0) {
      absl::StrAppend(&text, "deny 10.", i / 256 % 256, ".", i % 256,
                      ".0 255.255.255.0 172.16.0.0 255.240.0.0\n");
    } else {
      absl::StrAppend(&text, "permit 10.", i / 256 % 256, ".", i % 256,
                      ".0/24 198.51.100.0/24 eq 443\n");
    }
  }
  absl::StrAppend(&text, "permit 192.168.0.0 255.255.0.0 203.0.113.0/24\n");
  const RuleSet rules(ParseOrDie(text));

  Check(state, rules, JaneRequest());
}
BENCHMARK(BM_Addresses)->Arg(10)->Arg(1000)->Arg(10000);

void BM_UserLists(benchmark::State& state) {
  const int lines = static_cast<int>(state.range(0));
  std::string text;
  for (int i = 0; i + 1 < lines; ++i) {
    absl::StrAppend(&text, "deny *=user", i, ",admin", i,
                    " 192.168.0.0/16 ALL\n");
  }
  absl::StrAppend(&text, "permit *=jane,joe 192.168.0.0/16 ALL\n");
  const RuleSet rules(ParseOrDie(text));

  Check(state, rules, JaneRequest());
}
BENCHMARK(BM_UserLists)->Arg(10)->Arg(1000)->Arg(10000);

void BM_Zones(benchmark::State& state) {
  const int lines = static_cast<int>(state.range(0));
  std::string text;
  for (int i = 0; i + 1 < lines; ++i) {
    absl::StrAppend(&text, "deny ALL .zone", i, ".example.org\n");
  }
  absl::StrAppend(&text, "permit ALL .target.example.org\n");
  const RuleSet rules(ParseOrDie(text));

  AccessRequest request;
  request.client = Ip("192.168.1.10");
  request.destination_name = "www.Target.example.org";
  request.port = 80;
  Check(state, rules, request);
}
BENCHMARK(BM_Zones)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace rsockd::rules
