# Sourced by the scripts in bin/: finds a JDK >= 25 and exports JAVA_HOME.
# Order: $JAVA_HOME if it is new enough, then every JDK under /usr/lib/jvm and /opt, newest first.

jfuser_java_major() {  # prints the feature version of the java binary $1, or 0
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2; exit}')
  case "$v" in ''|*[!0-9]*) echo 0 ;; *) echo "$v" ;; esac
}

jfuser_find_jdk() {
  local need=25 candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/*jdk* /opt/java/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    if [ "$(jfuser_java_major "$candidate/bin/java")" -ge "$need" ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "jfuser: no JDK $need or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/*, /opt)." >&2
  echo "jfuser: install one, e.g. 'apt-get install temurin-25-jdk' or 'apt-get install openjdk-25-jdk', or set JAVA_HOME." >&2
  return 1
}
