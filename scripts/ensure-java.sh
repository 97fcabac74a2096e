#!/usr/bin/env bash
# The Spark engine and its test tier run a local Apache Spark (pyspark), which needs Java 17 or later.
# Install Debian's headless JRE when no suitable java is found. Prints nothing when Java is there.
set -euo pipefail
java_ok() {
  local bin=$1 version
  [ -x "$bin" ] || return 1
  version=$("$bin" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  [ -n "$version" ] && [ "$version" -ge 17 ]
}
for bin in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java || true)" /usr/lib/jvm/java-17-openjdk-*/bin/java; do
  if java_ok "$bin"; then
    exit 0
  fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's openjdk-17-jre-headless for the Spark engine and its tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
  exit 0
fi
cat >&2 <<MSG
The Spark engine and its tests need Java 17 or later, and none was found (looked at \$JAVA_HOME, java on PATH and
/usr/lib/jvm/java-17-openjdk-*). Install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless), or set
JAVA_HOME to a Java 17+ installation.
MSG
exit 1
