#!/usr/bin/env bash
# Prints the home of a JDK whose major version is at least 25, or fails saying none was found.
# Looks at $JAVA_HOME first, then every JDK under /usr/lib/jvm (Temurin, Debian's openjdk-25).
set -u
major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1; }
for home in ${JAVA_HOME:-} /usr/lib/jvm/*; do
  [ -n "$home" ] && [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
  v=$(major "$home")
  if [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null; then
    readlink -f "$home"
    exit 0
  fi
done
echo "find-jdk: no JDK >= 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*)" >&2
exit 1
