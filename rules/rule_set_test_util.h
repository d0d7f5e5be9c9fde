// This file defines helpers for the tests that judge requests with a
// `RuleSet` made from sockd.conf text: `MakeRuleSet()` parses the text into
// one, and `DecidingLine()` gives the line that decided a request.
//
// Example:
//
//   const RuleSet rules = MakeRuleSet("deny ALL eq 23\npermit ALL\n");
//   EXPECT_EQ(DecidingLine(rules.CheckAccess(request)), 2);
//
// Failures are reported with gtest's non-fatal EXPECT, so a test goes on to
// check what it can. Test-only.

#ifndef RSOCKD_RULES_RULE_SET_TEST_UTIL_H_
#define RSOCKD_RULES_RULE_SET_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"

namespace rsockd::rules {

// The access rules of `text`, parsed as the file "t.conf"; no rules (and a
// test failure) when it does not parse.
inline RuleSet MakeRuleSet(absl::string_view text) {
  absl::StatusOr<SockdConf> conf = ParseSockdConf(text, "t.conf");
  EXPECT_TRUE(conf.ok()) << conf.status();
  return RuleSet(conf.ok() ? *std::move(conf) : SockdConf());
}

// The decisive line number, or 0 when no line matched.
inline int DecidingLine(const AccessDecision& decision) {
  return decision.rule == nullptr ? 0 : decision.rule->line;
}

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_SET_TEST_UTIL_H_
