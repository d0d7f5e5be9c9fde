#!/usr/bin/env bash
# deploy/rsockd.service passes `systemd-analyze verify` without a single
# message, with ExecStart pointing at the deployment build's binary (verify
# checks that the program exists) and MANPATH at docs/man (verify runs
# man(1) for each Documentation= page). Then the example flag file and
# sockd.conf are run through the binary's --check_config. Needs the systemd
# package (systemd-analyze) and man-db.
set -uo pipefail

runfiles="$TEST_SRCDIR/$TEST_WORKSPACE"
binary="$runfiles/deploy/rsockd"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/unit.XXXXXX")
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Runs systemd-analyze verify on unit $1: sets $rc and $messages (empty
# when the unit is clean).
verify() {
  MANPATH="$runfiles/docs/man" SYSTEMD_LOG_COLOR=0 \
    systemd-analyze verify "$1" > "$tmp/messages" 2>&1
  rc=$?
  messages=$(cat "$tmp/messages")
}

command -v systemd-analyze > /dev/null || {
  echo "FAIL: systemd-analyze is missing (Debian package systemd)"
  exit 1
}

sed "s|/usr/sbin/rsockd|$binary|" "$runfiles/deploy/rsockd.service" \
  > "$tmp/rsockd.service"
grep -q "^ExecStart=$binary " "$tmp/rsockd.service" ||
  fail "ExecStart does not run /usr/sbin/rsockd"
verify "$tmp/rsockd.service"
[[ $rc == 0 && -z $messages ]] ||
  fail "systemd-analyze verify: rc $rc: $messages"

# The check must be able to fail: a bad value is reported.
sed 's/^TasksMax=.*/TasksMax=many/' "$tmp/rsockd.service" > "$tmp/bad.service"
verify "$tmp/bad.service"
[[ $messages == *"'many'"* ]] ||
  fail "systemd-analyze verify did not report a bad TasksMax: $messages"

for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
  PrivateTmp=yes "ExecReload=/bin/kill -HUP \$MAINPID" \
  "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID"; do
  grep -qxF "$key" "$runfiles/deploy/rsockd.service" || fail "no $key"
done

# Flags after --flagfile override it: the example file with our sockd.conf.
output=$("$binary" --flagfile="$runfiles/deploy/rsockd.flags" \
  --sockd_conf="$runfiles/deploy/sockd.conf" --check_config 2>&1) ||
  fail "rsockd --check_config with rsockd.flags: $output"
[[ $output == *"permit 127.0.0.0 255.0.0.0"* ]] ||
  fail "unexpected --check_config output: $output"

rm -rf "$tmp"
echo "$failures failures"
((failures == 0))
