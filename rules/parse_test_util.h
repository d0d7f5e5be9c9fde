// This file defines helpers for the tests of the rule-file parsers
// (sockd.conf, socks.conf, sockd.route): `ParseErrorOf()` expects a text to
// be rejected and gives the error message, `OnlyRuleOf()` expects it to hold
// exactly one rule and gives that rule. Both take the parser itself
// (`ParseSockdConf` and the like: `absl::StatusOr<Conf>(text, filename)`,
// where `Conf` has a `rules` vector).
//
// Example:
//
//   EXPECT_THAT(ParseErrorOf(ParseSockdConf, "bogus\n", "t.conf"),
//               HasSubstr("t.conf:1:1: unknown keyword"));
//   const SockdRule rule = OnlyRuleOf(ParseSockdConf, "permit ALL", "t.conf");
//
// Failures are reported with gtest's non-fatal EXPECT/ADD_FAILURE, so a test
// goes on to check what it can. Test-only.

#ifndef RSOCKD_RULES_PARSE_TEST_UTIL_H_
#define RSOCKD_RULES_PARSE_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "testing/status_matchers.h"

namespace rsockd::rules {

// A rule-file parser returning `Conf`.
template <typename Conf>
using RuleFileParser = absl::StatusOr<Conf> (*)(absl::string_view text,
                                                absl::string_view filename);

// ParseErrorOf()
//
// The message of the error of parsing `text` as the file `filename`, which
// must be InvalidArgument; "" (and a test failure naming the text) when the
// parse succeeds.
template <typename Conf>
std::string ParseErrorOf(RuleFileParser<Conf> parse, absl::string_view text,
                         absl::string_view filename) {
  absl::StatusOr<Conf> conf = parse(text, filename);
  EXPECT_THAT(conf, ::rsockd::testing::StatusIs(
                        absl::StatusCode::kInvalidArgument, ::testing::_))
      << text;
  return conf.ok() ? "" : std::string(conf.status().message());
}

// OnlyRuleOf()
//
// The one rule that `text` holds, parsed as the file `filename`; a
// default-constructed rule (and a test failure naming the text) when the
// parse fails or gives another number of rules.
template <typename Conf>
typename decltype(Conf::rules)::value_type OnlyRuleOf(
    RuleFileParser<Conf> parse, absl::string_view text,
    absl::string_view filename) {
  absl::StatusOr<Conf> conf = parse(text, filename);
  EXPECT_THAT(conf, ::rsockd::testing::IsOk()) << text;
  if (!conf.ok() || conf->rules.size() != 1) {
    ADD_FAILURE() << "expected one rule from " << text;
    return {};
  }
  return conf->rules[0];
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_PARSE_TEST_UTIL_H_
