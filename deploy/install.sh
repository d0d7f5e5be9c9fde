#!/bin/sh
# Installs rsockd from the unpacked deployment archive
# (bazel build //deploy:rsockd_dist; README.md "Building and installing"):
#
#   tar -xzf rsockd-dist.tar.gz && sudo rsockd-dist/install.sh
#
# Binaries go to /usr/sbin, manual pages to /usr/share/man, the systemd unit
# to /etc/systemd/system. The flag file /etc/rsockd/rsockd.flags and
# /etc/sockd.conf are installed only when missing: an existing configuration
# is never overwritten. The system user `rsockd` (the unit's --user) is
# created when missing.
#
# DESTDIR=/some/dir stages the files under that directory instead and
# creates no user (packaging, tests).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dest=${DESTDIR:-}

install -d -m 0755 "$dest/usr/sbin" "$dest/usr/share/man/man5" \
  "$dest/usr/share/man/man8" "$dest/etc/systemd/system" "$dest/etc/rsockd"
for binary in "$here"/sbin/*; do
  install -m 0755 "$binary" "$dest/usr/sbin/"
done
install -m 0644 "$here"/man/man5/*.5 "$dest/usr/share/man/man5/"
install -m 0644 "$here"/man/man8/*.8 "$dest/usr/share/man/man8/"
install -m 0644 "$here/rsockd.service" "$dest/etc/systemd/system/"

# Configuration: world-readable on purpose, because rsockd re-reads it as
# the unprivileged user after a SIGHUP. It holds no secrets.
if [ ! -e "$dest/etc/rsockd/rsockd.flags" ]; then
  install -m 0644 "$here/rsockd.flags" "$dest/etc/rsockd/rsockd.flags"
fi
if [ ! -e "$dest/etc/sockd.conf" ]; then
  install -m 0644 "$here/sockd.conf" "$dest/etc/sockd.conf"
fi

if [ -z "$dest" ] && ! getent passwd rsockd > /dev/null; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin rsockd
fi

# The one runtime package the binaries need besides glibc and libstdc++.
if ldd "$dest/usr/sbin/rsockd" | grep -q "not found"; then
  echo "install.sh: rsockd needs libraries this host lacks:" >&2
  ldd "$dest/usr/sbin/rsockd" | grep "not found" >&2
  echo "install.sh: install them with: apt-get install libunwind8" >&2
  exit 1
fi

if [ -z "$dest" ]; then
  echo "installed; start with: systemctl daemon-reload && systemctl enable --now rsockd"
fi
