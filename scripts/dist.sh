#!/usr/bin/env bash
# Builds target/arcbox-<version>-linux-x86_64.tar.gz from the built jars: bin/ (launchers),
# lib/arcbox/ (jars), lib/systemd/system/arcboxd.service (for /usr/local), etc/arcbox/arcboxd.toml,
# share/doc/arcbox/README.md and README.md. Unpack with
#   tar -xzf arcbox-*.tar.gz -C /usr/local --strip-components=1
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
jar=$(ls "$root"/arcbox-cli/target/arcbox-cli-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1)
[ -n "$jar" ] || { echo "dist: not built yet: run 'make build'" >&2; exit 1; }
version=$(basename "$jar" .jar); version=${version#arcbox-cli-}
name="arcbox-$version-linux-x86_64"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage/$name" PREFIX="" UNIT_PREFIX=/usr/local UNITDIR=/lib/systemd/system SYSCONFDIR=/etc IMAGES= \
  bash "$root/scripts/install.sh" >/dev/null
cp "$root/README.md" "$stage/$name/README.md"
mkdir -p "$root/target"
tar -C "$stage" --owner=0 --group=0 -czf "$root/target/$name.tar.gz" "$name"
echo "$root/target/$name.tar.gz"
