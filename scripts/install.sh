#!/usr/bin/env bash
# Installs the built arcbox (jars from arcbox-daemon/target and arcbox-cli/target) under
# $DESTDIR$PREFIX: lib/arcbox/{daemon,cli}/*.jar, bin/arcboxd and bin/arcbox, the systemd unit in
# $DESTDIR$UNITDIR, the default config $DESTDIR$SYSCONFDIR/arcbox/arcboxd.toml (only if absent),
# share/doc/arcbox/README.md and, when $IMAGES names a built image directory, the guest images in
# $DESTDIR$IMAGES_DIR (their manifest rewritten to point there).
#   DESTDIR=  PREFIX=/usr/local  SYSCONFDIR=/etc  UNITDIR=$PREFIX/lib/systemd/system
#   UNIT_PREFIX=$PREFIX (the prefix the unit's ExecStart names)  IMAGES=  IMAGES_DIR=/var/lib/arcbox/images
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
UNIT_PREFIX=${UNIT_PREFIX:-$PREFIX}
IMAGES=${IMAGES:-}
IMAGES_DIR=${IMAGES_DIR:-/var/lib/arcbox/images}

jar() { # the module's main jar
  ls "$root/$1"/target/"$1"-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1
}
for m in arcbox-daemon arcbox-cli; do
  [ -n "$(jar $m)" ] && [ -d "$root/$m/target/lib" ] || { echo "install: $m is not built: run 'make build'" >&2; exit 1; }
done

lib="$DESTDIR$PREFIX/lib/arcbox"
rm -rf "$lib/daemon" "$lib/cli"
install -d "$lib/daemon" "$lib/cli" "$DESTDIR$PREFIX/bin" "$DESTDIR$UNITDIR" "$DESTDIR$SYSCONFDIR/arcbox" \
  "$DESTDIR$PREFIX/share/doc/arcbox"
install -m 0644 "$(jar arcbox-daemon)" "$root"/arcbox-daemon/target/lib/*.jar "$lib/daemon/"
install -m 0644 "$(jar arcbox-cli)" "$root"/arcbox-cli/target/lib/*.jar "$lib/cli/"
install -m 0755 "$root/scripts/find-jdk.sh" "$lib/find-jdk.sh"
install -m 0755 "$root/packaging/arcboxd" "$root/packaging/arcbox" "$DESTDIR$PREFIX/bin/"
sed "s|@PREFIX@|$UNIT_PREFIX|g" "$root/packaging/arcboxd.service" > "$DESTDIR$UNITDIR/arcboxd.service"
chmod 0644 "$DESTDIR$UNITDIR/arcboxd.service"
if [ ! -e "$DESTDIR$SYSCONFDIR/arcbox/arcboxd.toml" ]; then
  install -m 0644 "$root/packaging/arcboxd.toml" "$DESTDIR$SYSCONFDIR/arcbox/arcboxd.toml"
fi
install -m 0644 "$root/README.md" "$DESTDIR$PREFIX/share/doc/arcbox/README.md"

if [ -n "$IMAGES" ]; then
  [ -f "$IMAGES/default.json" ] || { echo "install: no guest images in $IMAGES: run 'make guest'" >&2; exit 1; }
  src=$(readlink -f "$IMAGES")
  dst="$DESTDIR$IMAGES_DIR"
  if [ "$src" != "$(readlink -f "$dst" 2>/dev/null || echo "$dst")" ]; then
    install -d "$dst"
    (cd "$src" && find . -mindepth 1 -maxdepth 1 -type d -print0 | xargs -0 -r -I{} cp -a --reflink=auto {} "$dst/")
    sed "s|$src/|$IMAGES_DIR/|g" "$src/default.json" > "$dst/default.json"
  fi
fi
echo "installed arcbox under ${DESTDIR}${PREFIX} (unit: ${DESTDIR}${UNITDIR}/arcboxd.service)"
