#!/usr/bin/env bash
# The deployment archive installs with its install.sh: every file lands where
# README.md says, with its mode; an existing configuration is kept on a
# second run; the installed binary and example configuration work.
set -uo pipefail

archive="$TEST_SRCDIR/$TEST_WORKSPACE/deploy/rsockd-dist.tar.gz"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/install.XXXXXX")
root="$tmp/root"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# expect_mode MODE FILE
expect_mode() {
  local mode
  mode=$(stat -c %a "$root$2" 2> /dev/null) || {
    fail "$2 was not installed"
    return
  }
  [[ $mode == "$1" ]] || fail "$2 has mode $mode, expected $1"
}

tar -xzf "$archive" -C "$tmp" || fail "cannot unpack $archive"
DESTDIR="$root" "$tmp/rsockd-dist/install.sh" > "$tmp/out" 2>&1 ||
  fail "install.sh failed: $(cat "$tmp/out")"

expect_mode 755 /usr/sbin/rsockd
expect_mode 755 /usr/sbin/test_sockd_conf
expect_mode 755 /usr/sbin/test_socks_conf
for tool in make_sockdfc make_socksfc make_sockdfr dump_sockdfc dump_socksfc \
  dump_sockdfr; do
  expect_mode 755 "/usr/sbin/$tool"
done
expect_mode 644 /etc/systemd/system/rsockd.service
expect_mode 644 /etc/rsockd/rsockd.flags
expect_mode 644 /etc/sockd.conf
for page in man5/sockd.conf.5 man5/socks.conf.5 man5/sockd.route.5 \
  man8/rsockd.8 man8/test_sockd_conf.8 man8/test_socks_conf.8 \
  man8/make_sockdfc.8 man8/dump_sockdfc.8; do
  expect_mode 644 "/usr/share/man/$page"
done

"$root/usr/sbin/rsockd" -ver > "$tmp/ver" 2>&1 || fail "rsockd -ver failed"
"$root/usr/sbin/rsockd" --check_config --sockd_conf="$root/etc/sockd.conf" \
  > "$tmp/check" 2>&1 || fail "the installed sockd.conf does not parse"
# The installed tools freeze the example configuration, and the dump of the
# frozen file is the same configuration.
"$root/usr/sbin/make_sockdfc" "$root/etc/sockd.conf" "$tmp/sockd.fc" \
  > "$tmp/make" 2>&1 || fail "make_sockdfc failed: $(cat "$tmp/make")"
"$root/usr/sbin/dump_sockdfc" "$tmp/sockd.fc" > "$tmp/dump" 2>&1 ||
  fail "dump_sockdfc failed: $(cat "$tmp/dump")"
grep -q "^permit " "$tmp/dump" || fail "dump_sockdfc printed no rule"

# A second run keeps the administrator's configuration.
echo "permit 10.0.0.0/8" > "$root/etc/sockd.conf"
echo "--port=1081" >> "$root/etc/rsockd/rsockd.flags"
DESTDIR="$root" "$tmp/rsockd-dist/install.sh" > "$tmp/out" 2>&1 ||
  fail "second install.sh run failed: $(cat "$tmp/out")"
[[ $(cat "$root/etc/sockd.conf") == "permit 10.0.0.0/8" ]] ||
  fail "install.sh overwrote /etc/sockd.conf"
grep -qx -- "--port=1081" "$root/etc/rsockd/rsockd.flags" ||
  fail "install.sh overwrote /etc/rsockd/rsockd.flags"

rm -rf "$tmp"
echo "$failures failures"
((failures == 0))
