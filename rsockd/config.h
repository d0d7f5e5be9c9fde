// This file defines `LoadRuleSet`, which builds a rule snapshot from the
// configured files, with the SPEC §1 rule for missing files:
//
//   - a path given on the command line must exist (else an error);
//   - the default path (/etc/sockd.conf) may be missing, and then the
//     embedded default (`permit 127.0.0.0 255.0.0.0`: loopback clients
//     only, never an open relay) is used, and that is logged.
//
// Used at startup and on every SIGHUP, so a reload judges files exactly as a
// fresh start would.

#ifndef RSOCKD_RSOCKD_CONFIG_H_
#define RSOCKD_RSOCKD_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rules/rule_set.h"

namespace rsockd {

struct ConfigPaths {
  std::string sockd_conf;
  // True when the path came from the command line (or flagfile) rather than
  // being the built-in default.
  bool sockd_conf_explicit = false;
};

// Parses every configured file. Errors list every problem found, one per
// line, as `file:line:col: message`.
absl::StatusOr<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(
    const ConfigPaths& paths);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_CONFIG_H_
