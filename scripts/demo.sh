#!/usr/bin/env bash
# demo.sh: a tour of arcbox in a private network namespace with a temporary data dir: start
# arcboxd, create a sandbox, run `uname -a` in it, print the time to ready, stop it, remove it,
# shut the daemon down, and leave nothing behind. Run as root after 'make build' and 'make guest'.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
images=${1:-/var/lib/arcbox/images}
tag=demo$$
ns=abx-$tag
dir=$(mktemp -d /tmp/arcbox-$tag.XXXXXX)
ram=/dev/shm/arcbox-$tag
sock=$dir/arcbox.sock
pid=

cleanup() {
  set +e
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
  fi
  ip netns del "$ns" 2>/dev/null
  rm -rf "$dir" "$ram"
}
trap cleanup EXIT

arcbox() { "$root/bin/arcbox" --socket "$sock" "$@"; }
now() { date +%s.%N; }

ip netns add "$ns"
ip -n "$ns" link set lo up
cat > "$dir/arcboxd.toml" <<TOML
data_dir = "$dir/data"
images = ["$images"]
[grpc]
unix_socket = "$sock"
[qemu]
ram_dir = "$ram"
TOML

echo "== starting arcboxd in network namespace $ns (data in $dir)"
ip netns exec "$ns" "$root/bin/arcboxd" --config "$dir/arcboxd.toml" >"$dir/arcboxd.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  [ -S "$sock" ] && arcbox system info >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/arcboxd.log"; exit 1; }
  sleep 0.2
done
arcbox system info

echo "== arcbox sandbox create --network none --wait"
t0=$(now)
id=$(arcbox sandbox create --network none --wait --label demo=yes)
t1=$(now)
awk -v id="$id" -v a="$t0" -v b="$t1" 'BEGIN { printf "sandbox %s ready in %.2f s (as the CLI saw it, its JVM start included)\n", id, b - a }'
arcbox sandbox inspect "$id"

echo "== arcbox sandbox run $id -- uname -a"
arcbox sandbox run "$id" -- uname -a

echo "== stop, remove"
arcbox sandbox stop "$id"
arcbox sandbox rm "$id"
arcbox sandbox ls

echo "== shutting arcboxd down"
kill -TERM "$pid"
wait "$pid" || true
pid=
left=$(find "$dir/data/sandboxes" -mindepth 1 2>/dev/null | wc -l)
echo "sandbox files left: $left"
echo "== done"
