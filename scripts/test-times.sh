#!/usr/bin/env bash
# Prints each JUnit test class's time from the surefire reports, slowest first.
set -u
cd "$(dirname "$0")/.."
for f in */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml; do
  [ -e "$f" ] || continue
  head -c 4000 "$f" | tr '\n' ' ' | grep -o '<testsuite [^>]*>' | head -1 |
    sed -E 's/.* name="([^"]*)".* time="([^"]*)".*/\2 \1/; t; s/.* time="([^"]*)".* name="([^"]*)".*/\1 \2/'
done | sort -rn | awk '{ printf "%9.1f  %s\n", $1, $2 }'
