#!/usr/bin/env bash
# Every manual page formats without a single groff warning (-ww, tables
# through tbl), every `.so` link names a page that exists, and whatis(1)'s
# parser (lexgrog) reads every NAME section. Needs groff-base and man-db.
set -uo pipefail

cd "$TEST_SRCDIR/$TEST_WORKSPACE/docs/man" || exit 1
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# groff's warnings on stderr; groff exits 0 even when it warns.
groff_warnings() {
  groff -ww -man -t -Tutf8 -z "$1" 2>&1
}

# The check itself must be able to fail: a page with an unknown request.
broken=$(mktemp)
printf '.TH BROKEN 8\n.SH NAME\nbroken \\- x\n.NOSUCHMACRO\n' > "$broken"
if [[ -z $(groff_warnings "$broken") ]]; then
  fail "groff -ww did not warn about an undefined macro; the check is blind"
fi
rm -f "$broken"

expected=(man5/sockd.conf.5 man5/socks.conf.5 man5/sockd.route.5
  man8/rsockd.8 man8/test_sockd_conf.8 man8/test_socks_conf.8
  man8/make_sockdfc.8 man8/make_socksfc.8 man8/make_sockdfr.8
  man8/dump_sockdfc.8 man8/dump_socksfc.8 man8/dump_sockdfr.8)
for page in "${expected[@]}"; do
  [[ -f $page ]] || fail "$page is missing"
done

checked=0
for page in man5/*.5 man8/*.8; do
  checked=$((checked + 1))
  first=$(head -n 1 "$page")
  if [[ $first == .so\ * ]]; then
    target=${first#.so }
    [[ -f $target ]] || fail "$page: .so target $target does not exist"
  fi
  warnings=$(groff_warnings "$page")
  [[ -z $warnings ]] || fail "$page: groff warns: $warnings"
  lexgrog "$page" > /dev/null 2>&1 || fail "$page: lexgrog cannot parse NAME"
done

echo "$checked pages checked, $failures failures"
((checked >= ${#expected[@]} && failures == 0))
