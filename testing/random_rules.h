// This file defines generators of random but valid rule-file text, for
// round-trip tests of the parsers, the frozen files and their dumps: a
// seeded generator gives the same text on every run, so a failure names a
// seed that reproduces it.
//
// The text exercises the whole grammar — every address form (with and
// without the ignored `0.0.0.0` mask), ident levels, user lists with inline
// ids and user files, port tests with numbers and service names, hook
// commands with awkward characters, comments, blank lines, tabs and the
// special `#NO_IDENTD:` / `#BAD_ID:` lines — while every line stays one the
// parser accepts.
//
// Thread-compatible: a RandomRules is used from one thread.

#ifndef RSOCKD_TESTING_RANDOM_RULES_H_
#define RSOCKD_TESTING_RANDOM_RULES_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace rsockd::testing {

class RandomRules {
 public:
  // `user_files` are paths of existing user files that `*=` lists may name.
  RandomRules(uint64_t seed, std::vector<std::string> user_files)
      : random_(seed), user_files_(std::move(user_files)) {}

  // A sockd.conf of `lines` lines, some of them comments, blank or special.
  std::string SockdConf(int lines);

  // A socks.conf of `lines` lines: deny, direct and sockd lines (with `@=`
  // lists and the legacy `sockd@` form; servers with and without a scheme,
  // socks5:// ones with and without %-escaped credentials), comments and
  // blank lines.
  std::string SocksConf(int lines);

  // A sockd.route of `lines` lines: an interface address and a destination.
  std::string SockdRoute(int lines);

  // One address spec as a rule would write it ("10.0.0.0 255.0.0.0",
  // ".zone.example", "ALL 0.0.0.0", "2001:db8::/48", ...).
  std::string AddressSpec();

 private:
  // Uniform in 0 .. n-1. (Not std::uniform_int_distribution, whose results
  // differ between standard libraries: a seed must mean the same text.)
  uint64_t Below(uint64_t n) { return random_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

  std::string Quad();
  std::string Name();
  std::string UserList();
  // A socks5:// user name or password as written, escapes included.
  std::string Credential();
  std::string Server();
  std::string ServerList();
  std::string PortTest();
  std::string Command();
  // Blanks between tokens: one or more spaces and tabs.
  std::string Blank();
  // A blank line, a comment, or "" for a rule line.
  std::string NonRuleLine();

  std::mt19937_64 random_;
  std::vector<std::string> user_files_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_RANDOM_RULES_H_
