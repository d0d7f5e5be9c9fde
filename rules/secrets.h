// This file defines `Secrets`, how a normalized dump of the rules prints the
// secrets they hold: the user names and passwords of `socks5://` upstream
// servers (upstream_server.h).
//
// Every dump a person or a log sees masks them as `***`: --check_config,
// test_socks_conf, dump_socksfc, the request log's `via` and the upstream
// fault lines (socks.conf(5), "Credentials"). Only code that must give the
// rules back exactly — the check that a rule fits a line once dumped, the
// frozen reader's re-validation, `dump_socksfc --show_secrets` — asks for
// them shown.

#ifndef RSOCKD_RULES_SECRETS_H_
#define RSOCKD_RULES_SECRETS_H_

namespace rsockd::rules {

enum class Secrets {
  // `socks5://***@fw:1080`: a dump that is safe to print or log; it does not
  // parse back (the parser says the credentials were masked).
  kMasked,
  // `socks5://alice:s3cret@fw:1080`: parses back to the same server.
  kShown,
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_SECRETS_H_
