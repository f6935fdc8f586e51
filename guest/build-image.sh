#!/bin/bash
# build-image.sh [IMAGES_DIR] — builds arcbox's guest assets from Debian packages.
#
#   IMAGES_DIR  default ${ARCBOX_IMAGES:-/var/lib/arcbox/images}
#   cache       ${ARCBOX_CACHE:-/var/cache/arcbox} (downloaded kernel .debs)
#
# Every asset lives in a directory named from a hash of its inputs and is published atomically
# (built under IMAGES/.staging-*, then renamed). A published directory is never modified: if it
# exists it is reused, so a second run is a fast no-op.
#
#   kernel-<h16>/{vmlinux,vmlinuz,version,modules/}  h = sha256 of the kernel .deb
#   initramfs-<h16>/initramfs.cpio                   h = sha256(kernel hash, agent sources,
#                                                         module list, compiler, this script)
#   rootfs-<h16>/rootfs.ext4                         h = sha256(busybox binary, this script)
#   default.json                                     paths + sha256 of the three files
#
# The kernel comes from the metapackage linux-image-cloud-amd64 (apt-get download + dpkg-deb -x;
# nothing is installed on the host). The initramfs holds only the static agent as /init and the
# virtio/overlay modules it loads; the rootfs holds busybox-static. Needs root (mknod, ownership).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
IMAGES=${1:-${ARCBOX_IMAGES:-/var/lib/arcbox/images}}
CACHE=${ARCBOX_CACHE:-/var/cache/arcbox}
KERNEL_META=linux-image-cloud-amd64
# Modules the agent loads (dependencies are resolved from modules.dep; ext4 is built in).
MODULES="virtio_mmio virtio_blk virtio_net virtio_console vmw_vsock_virtio_transport virtio_balloon virtio-rng overlay"
ROOTFS_SIZE=64M
BUSYBOX=/bin/busybox

log() { printf '%s\n' "$*"; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- preconditions -------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (device nodes and root-owned files in the images)"
missing=()
for tool in apt-get apt-cache dpkg-deb depmod lz4 cpio mkfs.ext4 musl-gcc make sha256sum flock grep; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install -y --no-install-recommends kmod lz4 cpio e2fsprogs musl-tools make busybox-static)"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install busybox-static (not busybox)"
fi

mkdir -p "$IMAGES" "$CACHE/debs"
IMAGES=$(cd "$IMAGES" && pwd -P)
CACHE=$(cd "$CACHE" && pwd -P)

# One builder at a time per images dir; leftovers of a crashed run are swept under the lock.
exec 9>"$IMAGES/.build.lock"
flock 9
rm -rf "$IMAGES"/.staging-* "$IMAGES"/.default.json.*
STAGES=()
cleanup() { local s; for s in "${STAGES[@]}"; do rm -rf "$s"; done; }
trap cleanup EXIT
stage() { # $1 = asset dir name -> prints a fresh staging dir
  local s; s=$(mktemp -d "$IMAGES/.staging-$1.XXXXXX"); STAGES+=("$s"); printf '%s\n' "$s"
}
publish() { # $1 = staging dir, $2 = final dir (atomic rename; never replaces an existing one)
  chmod 0755 "$1"
  mv -T "$1" "$2" 2>/dev/null || { [ -d "$2" ] || die "cannot publish $2"; rm -rf "$1"; }
}

# ---- 1. kernel -----------------------------------------------------------------------------
resolve_kernel_pkg() {
  apt-cache depends "$KERNEL_META" 2>/dev/null |
    awk '/^ *Depends: linux-image-[0-9]/ { print $2; exit }'
}
pkg=$(resolve_kernel_pkg)
if [ -z "$pkg" ]; then
  log "kernel: $KERNEL_META unknown to apt-cache, running apt-get update"
  apt-get update -qq
  pkg=$(resolve_kernel_pkg)
fi
[ -n "$pkg" ] || die "cannot resolve $KERNEL_META to a versioned linux-image package"
ver=$(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || die "no candidate version for $pkg"
deb="$CACHE/debs/${pkg}_${ver//:/%3a}_amd64.deb"
if [ -f "$deb" ]; then
  log "kernel: using cached $(basename "$deb")"
else
  log "kernel: downloading $pkg $ver"
  dl=$(mktemp -d "$CACHE/debs/.dl.XXXXXX")
  (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null)
  f=$(ls "$dl"/*.deb 2>/dev/null | head -1)
  [ -n "$f" ] || { rm -rf "$dl"; die "apt-get download $pkg=$ver produced no .deb"; }
  mv -f "$f" "$deb"
  rm -rf "$dl"
fi
khash=$(sha "$deb")
KDIR="$IMAGES/kernel-${khash:0:16}"

extract_vmlinux() { # $1 = bzImage, $2 = out; keeps the first decompressed payload that is an ELF
  local img=$1 out=$2 pos magic cmd
  for spec in $'\\x02!L\\x18\tlz4 -d -c' $'\\xfd7zXZ\\x00\txz -dc' $'\\x1f\\x8b\\x08\tgzip -dc' \
              $'\\x28\\xb5\\x2f\\xfd\tzstd -dc'; do
    magic=${spec%%$'\t'*}; cmd=${spec#*$'\t'}
    command -v "${cmd%% *}" >/dev/null || continue
    for pos in $(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null | cut -d: -f1); do
      tail -c+$((pos + 1)) "$img" | $cmd >"$out" 2>/dev/null || true
      if [ "$(head -c4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then return 0; fi
    done
  done
  return 1
}

if [ -d "$KDIR" ]; then
  log "kernel: reusing $KDIR ($(cat "$KDIR/version"))"
else
  S=$(stage "kernel-${khash:0:16}")
  dpkg-deb -x "$deb" "$S/x"
  kver=$(ls "$S/x/lib/modules" | head -1)
  [ -n "$kver" ] && [ -f "$S/x/boot/vmlinuz-$kver" ] || die "unexpected layout in $deb"
  depmod -b "$S/x" "$kver"
  cp "$S/x/boot/vmlinuz-$kver" "$S/vmlinuz"
  extract_vmlinux "$S/vmlinuz" "$S/vmlinux" || die "no ELF payload found in vmlinuz-$kver"
  mv "$S/x/lib/modules/$kver" "$S/modules"
  cp "$S/x/boot/config-$kver" "$S/config" 2>/dev/null || true
  rm -rf "$S/x"
  printf '%s\n' "$kver" >"$S/version"
  (cd "$S" && sha256sum vmlinux vmlinuz >SHA256SUMS)
  publish "$S" "$KDIR"
  log "kernel: built $KDIR ($kver, vmlinux $(stat -c %s "$KDIR/vmlinux") B)"
fi
kver=$(cat "$KDIR/version")
MODDIR="$KDIR/modules"

# ---- 2. initramfs (agent as /init + modules) -------------------------------------------------
AGENT_DIR="$HERE/agent"
agent_sources=$(cd "$AGENT_DIR" && find . -path ./build -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name Makefile \) \
  ! -name 'test_*' -print | LC_ALL=C sort)
ihash=$( {
  printf 'kernel %s\nmodules %s\ncc %s\nscript %s\n' "$khash" "$MODULES" \
    "$(musl-gcc --version 2>/dev/null | head -1)" "$(sha "$SELF")"
  for f in $agent_sources; do printf 'src %s %s\n' "$f" "$(sha "$AGENT_DIR/$f")"; done
} | sha256sum | cut -d' ' -f1)
IDIR="$IMAGES/initramfs-${ihash:0:16}"

resolve_modules() { # prints module paths (relative to MODDIR) in load order
  local -A seen=()
  local order=() m rel
  visit() {
    local r=$1 d
    [ -n "${seen[$r]:-}" ] && return 0
    seen[$r]=1
    for d in $(awk -F: -v m="$r" '$1 == m { print $2; exit }' "$MODDIR/modules.dep"); do visit "$d"; done
    order+=("$r")
  }
  for m in $MODULES; do
    rel=$(grep -E "(^|/)(${m}|${m//-/_}|${m//_/-})\.ko(\.[a-z0-9]+)?:" "$MODDIR/modules.dep" | head -1 | cut -d: -f1)
    [ -n "$rel" ] || die "module $m not found in $MODDIR/modules.dep"
    visit "$rel"
  done
  printf '%s\n' "${order[@]}"
}

if [ -d "$IDIR" ]; then
  log "initramfs: reusing $IDIR"
else
  S=$(stage "initramfs-${ihash:0:16}")
  log "agent: building (musl-gcc -static)"
  make -s -C "$AGENT_DIR" BUILD="$S/agent-build" all >/dev/null
  R="$S/root"
  mkdir -p "$R"/{dev,proc,sys,tmp,run,etc,lib/modules}
  install -m 0755 "$S/agent-build/arcbox-agent" "$R/init"
  agent_size=$(stat -c %s "$R/init")
  rm -rf "$S/agent-build"
  mods=$(resolve_modules)
  : >"$R/etc/modules.list"
  for rel in $mods; do
    case "$rel" in *.ko) ;; *) die "compressed module $rel is not supported";; esac
    mkdir -p "$R/lib/modules/$(dirname "$rel")"
    cp "$MODDIR/$rel" "$R/lib/modules/$rel"
    printf '%s\n' "$rel" >>"$R/etc/modules.list"
  done
  printf '%s\n' "$kver" >"$R/etc/kernel-version"
  mknod -m 0600 "$R/dev/console" c 5 1
  mknod -m 0666 "$R/dev/null" c 1 3
  chmod 1777 "$R/tmp"
  find "$R" -exec touch -h -d @0 {} +
  (cd "$R" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$S/initramfs.cpio"
  rm -rf "$R"
  (cd "$S" && sha256sum initramfs.cpio >SHA256SUMS)
  publish "$S" "$IDIR"
  log "initramfs: built $IDIR ($(stat -c %s "$IDIR/initramfs.cpio") B; agent $agent_size B; $(echo $mods | wc -w) modules)"
fi

# ---- 3. rootfs (busybox-static) ------------------------------------------------------------
rhash=$(printf 'busybox %s\nscript %s\nsize %s\n' "$(sha "$BUSYBOX")" "$(sha "$SELF")" "$ROOTFS_SIZE" | sha256sum | cut -d' ' -f1)
RDIR="$IMAGES/rootfs-${rhash:0:16}"
if [ -d "$RDIR" ]; then
  log "rootfs: reusing $RDIR"
else
  S=$(stage "rootfs-${rhash:0:16}")
  T="$S/tree"
  mkdir -p "$T"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,home,var/tmp,mnt,usr/bin,usr/sbin}
  install -m 0755 "$BUSYBOX" "$T/bin/busybox"
  for p in $("$BUSYBOX" --list-full); do
    [ "$p" = bin/busybox ] && continue
    mkdir -p "$T/$(dirname "$p")"
    [ -e "$T/$p" ] || ln -s /bin/busybox "$T/$p"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$T/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$T/etc/group"
  printf 'arcbox\n' >"$T/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$T/etc/hosts"
  printf '# written by the arcbox agent from arcbox.dns= or NET_CONFIG\n' >"$T/etc/resolv.conf"
  chmod 1777 "$T/tmp" "$T/var/tmp"
  chmod 0700 "$T/root"
  find "$T" -exec touch -h -d @0 {} +
  uuid=$(printf '%s-%s-%s-%s-%s' "${rhash:0:8}" "${rhash:8:4}" "${rhash:12:4}" "${rhash:16:4}" "${rhash:20:12}")
  truncate -s "$ROOTFS_SIZE" "$S/rootfs.ext4"
  E2FSPROGS_FAKE_TIME=1 mkfs.ext4 -q -F -L arcbox-root -U "$uuid" -E "root_owner=0:0,hash_seed=$uuid" \
    -d "$T" "$S/rootfs.ext4"
  rm -rf "$T"
  (cd "$S" && sha256sum rootfs.ext4 >SHA256SUMS)
  publish "$S" "$RDIR"
  log "rootfs: built $RDIR ($(stat -c %s "$RDIR/rootfs.ext4") B)"
fi

# ---- 4. default.json -----------------------------------------------------------------------
sum_of() { awk -v f="$2" '$2 == f || $2 == "*" f { print $1 }' "$1/SHA256SUMS"; }
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
tmp=$(mktemp "$IMAGES/.default.json.XXXXXX")
{
  printf '{"kernel":%s,"kernel_bzimage":%s,"initrd":%s,"rootfs":%s,"kernel_version":%s,' \
    "$(json_str "$KDIR/vmlinux")" "$(json_str "$KDIR/vmlinuz")" "$(json_str "$IDIR/initramfs.cpio")" \
    "$(json_str "$RDIR/rootfs.ext4")" "$(json_str "$kver")"
  printf '"sha256":{"kernel":"%s","initrd":"%s","rootfs":"%s"}}\n' \
    "$(sum_of "$KDIR" vmlinux)" "$(sum_of "$IDIR" initramfs.cpio)" "$(sum_of "$RDIR" rootfs.ext4)"
} >"$tmp"
chmod 0644 "$tmp"
if cmp -s "$tmp" "$IMAGES/default.json"; then
  rm -f "$tmp"
  log "default.json: unchanged"
else
  mv -f "$tmp" "$IMAGES/default.json"
  log "default.json: written"
fi
log "images: $IMAGES/default.json"
