#!/usr/bin/env bash
# Prints one closing line over every JUnit report of the tree: "java: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
tests=0 failed=0 skipped=0
for f in */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml; do
  [ -e "$f" ] || continue
  head=$(head -c 4000 "$f" | tr '\n' ' ' | grep -o '<testsuite [^>]*>' | head -1)
  num() { printf '%s' "$head" | sed -nE "s/.* $1=\"([0-9]+)\".*/\1/p"; }
  t=$(num tests); e=$(num errors); fl=$(num failures); s=$(num skipped)
  tests=$((tests + ${t:-0})); failed=$((failed + ${e:-0} + ${fl:-0})); skipped=$((skipped + ${s:-0}))
done
echo "java: $((tests - failed - skipped)) passed, $failed failed, $skipped skipped"
