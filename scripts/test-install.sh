#!/usr/bin/env bash
# `make install` and `make dist` checked: installs the built jars into a temporary DESTDIR, checks
# the tree, the unit and the config, runs the installed `arcbox --version`, checks that a second
# install keeps an edited config, then builds the tarball and runs `arcbox --version` from it
# unpacked. Leaves nothing behind. Usage: test-install.sh [IMAGES]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
images=${1:-}
tmp=$(mktemp -d /tmp/arcbox-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
checks=0
ok() { checks=$((checks + 1)); }

dest="$tmp/dest"
DESTDIR="$dest" PREFIX=/usr/local IMAGES="$images" bash "$root/scripts/install.sh" >/dev/null
p="$dest/usr/local"
for f in bin/arcboxd bin/arcbox lib/arcbox/find-jdk.sh; do [ -x "$p/$f" ] || fail "$f missing or not executable"; ok; done
ls "$p"/lib/arcbox/daemon/arcbox-daemon-*.jar >/dev/null 2>&1 || fail "daemon jar missing"; ok
ls "$p"/lib/arcbox/cli/arcbox-cli-*.jar >/dev/null 2>&1 || fail "cli jar missing"; ok
[ "$(ls "$p"/lib/arcbox/daemon | wc -l)" -gt 10 ] || fail "daemon libraries missing"; ok
[ -f "$p/share/doc/arcbox/README.md" ] || fail "README missing"; ok
unit="$p/lib/systemd/system/arcboxd.service"
for line in "ExecStart=/usr/local/bin/arcboxd --config /etc/arcbox/arcboxd.toml" "KillMode=process" "Delegate=yes" \
    "Restart=on-failure" "RuntimeDirectory=arcbox" "StateDirectory=arcbox"; do
  grep -qxF "$line" "$unit" || fail "unit lacks '$line'"; ok
done
! grep -q "@PREFIX@" "$unit" || fail "unit still has @PREFIX@"; ok
conf="$dest/etc/arcbox/arcboxd.toml"
[ -f "$conf" ] || fail "default config missing"; ok
if [ -n "$images" ]; then
  manifest="$dest/var/lib/arcbox/images/default.json"
  [ -f "$manifest" ] || fail "images not installed"; ok
  kernel=$(grep -o '"kernel":"[^"]*"' "$manifest" | head -1 | cut -d'"' -f4)
  case "$kernel" in /var/lib/arcbox/images/*) ok ;; *) fail "manifest points to $kernel" ;; esac
  [ -f "$dest$kernel" ] || fail "kernel $kernel not installed"; ok
fi
version=$("$p/bin/arcbox" --version) || fail "installed arcbox --version failed"
[ -n "$version" ] || fail "installed arcbox --version printed nothing"; ok
echo "# edited" >> "$conf"
DESTDIR="$dest" PREFIX=/usr/local bash "$root/scripts/install.sh" >/dev/null
grep -q "^# edited" "$conf" || fail "a second install replaced the existing config"; ok

tarball=$(bash "$root/scripts/dist.sh")
case "$(basename "$tarball")" in arcbox-*-linux-x86_64.tar.gz) ok ;; *) fail "tarball named $tarball" ;; esac
mkdir "$tmp/unpacked"
tar -xzf "$tarball" -C "$tmp/unpacked" --strip-components=1
for f in bin/arcboxd bin/arcbox lib/systemd/system/arcboxd.service etc/arcbox/arcboxd.toml README.md; do
  [ -e "$tmp/unpacked/$f" ] || fail "tarball lacks $f"; ok
done
grep -qxF "ExecStart=/usr/local/bin/arcboxd --config /etc/arcbox/arcboxd.toml" "$tmp/unpacked/lib/systemd/system/arcboxd.service" \
  || fail "tarball unit ExecStart"; ok
[ "$("$tmp/unpacked/bin/arcbox" --version)" = "$version" ] || fail "unpacked arcbox --version differs"; ok
rm -f "$tarball"
echo "test-install: $checks checks passed (installed arcbox --version: $version)"
