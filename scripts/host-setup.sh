#!/usr/bin/env bash
# host-setup.sh: make this Debian 12/13 host ready to build, test and run arcbox. Idempotent:
# installs only what is missing and says what it installs. Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "host-setup: arcbox needs root (it creates VMs, TAP devices and nftables rules); run as root, e.g. 'sudo make test'" >&2
  exit 1
fi
if [ -r /etc/os-release ]; then
  . /etc/os-release
  case "${ID:-}:${VERSION_ID:-}" in
    debian:12|debian:13) ;;
    *) echo "host-setup: note: tested on Debian 12 and 13, this is ${PRETTY_NAME:-unknown}" >&2 ;;
  esac
fi

# Debian packages: QEMU (the VMM here), guest image tools, agent toolchain, networking.
packages=(qemu-system-x86 qemu-utils busybox-static musl-tools gcc libc6-dev make e2fsprogs cpio kmod
          lz4 xz-utils binutils util-linux coreutils iproute2 nftables procps socat ca-certificates curl unzip
          tmux openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

updated=0
apt_update() {
  if [ "$updated" -eq 0 ]; then
    echo "host-setup: apt-get update"
    apt-get update -qq
    updated=1
  fi
}

if [ "${#missing[@]}" -gt 0 ]; then
  apt_update
  echo "host-setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! "$here/find-jdk.sh" >/dev/null 2>&1; then
  apt_update
  if apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
    echo "host-setup: installing openjdk-25-jdk-headless"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-25-jdk-headless >/dev/null
  else
    echo "host-setup: arcbox needs a JDK >= 25 and apt offers none here (openjdk-25-jdk-headless is in Debian 13);" >&2
    echo "            install one under /usr/lib/jvm (e.g. Temurin 25) or set JAVA_HOME, then run this again" >&2
    exit 1
  fi
fi

# The unprivileged user QEMU drops to ([qemu] user = "auto"): a system user, no login, no home.
if ! getent passwd arcbox-vmm >/dev/null; then
  echo "host-setup: creating system user arcbox-vmm (QEMU runs as it)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin arcbox-vmm
fi

if [ ! -e /dev/kvm ] || [ -e /sys/module/kvm_pvm ] || ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
  echo "host-setup: no usable hardware virtualization: guests run under QEMU's software CPU (TCG), slower but complete"
fi
echo "host-setup: ready (JDK $("$here/find-jdk.sh"))"
