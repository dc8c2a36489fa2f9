#!/usr/bin/env bash
# jmglu bundle: a self-contained copy of jmglu for machines without a JDK or Maven.
# Run by `./jmglu bundle` after the build (JAVA_HOME is the JDK 25 the launcher found). Writes
#   dist/jmglu-bundle/   runtime/ (jlinked Java 25), lib/*.jar (every module and library), jmglu (launcher)
#   dist/jmglu-bundle.tgz
# The launcher's "inside a bundle" branch (runtime/bin/java present, no pom.xml) runs
# jmglu.cli.Main with lib/* on the class path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${JAVA_HOME:?bundle.sh needs JAVA_HOME (a JDK 25); run it through ./jmglu bundle}"
DIST="$ROOT/dist"
OUT="$DIST/jmglu-bundle"
LIB="$ROOT/app/target/lib"
[ -d "$LIB" ] || { echo "bundle: $LIB is missing; build first (./jmglu bundle builds)" >&2; exit 1; }

rm -rf "$OUT" "$DIST/jmglu-bundle.tgz"
mkdir -p "$OUT/lib"
cp "$LIB"/*.jar "$OUT/lib/"
APP_JAR=$(ls "$ROOT"/app/target/app-*.jar 2>/dev/null | grep -v -e sources -e tests | head -n1 || true)
if [ -n "$APP_JAR" ]; then
  cp "$APP_JAR" "$OUT/lib/"
else # no jar yet: pack the compiled classes
  "$JAVA_HOME/bin/jar" --create --file "$OUT/lib/app.jar" -C "$ROOT/app/target/classes" .
fi

# modules: the fixed set plus what jdeps finds the jars need
BASE="java.base,jdk.incubator.vector,java.logging,jdk.unsupported"
FOUND=$(for j in "$OUT"/lib/*.jar; do   # one jar at a time: a modular jar's missing requires stop a joint run
  "$JAVA_HOME/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps --class-path "$OUT/lib/*" "$j" 2>/dev/null | tail -n1
done | tr ',' '\n' | sort -u | paste -sd, -)
# keep only modules the JDK has (modular library jars name their own requires too)
JDK_MODS=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//')
KEEP=$(echo "$FOUND" | tr ',' '\n' | grep -Fx -f <(echo "$JDK_MODS") | paste -sd, - || true)
MODS="$BASE${KEEP:+,$KEEP}"
echo "bundle: jlink modules $MODS" >&2
# --compress=zip-0: the tarball's gzip packs the uncompressed modules image better than jlink's
# per-resource zip (47 MB → 41 MB .tgz); then the native libraries' symbol tables go too (→ 40 MB):
# libjvm.so ships "not stripped" even after --strip-native-debug-symbols.
"$JAVA_HOME/bin/jlink" --add-modules "$MODS" --strip-debug --no-man-pages --no-header-files \
  $(command -v objcopy >/dev/null && echo --strip-native-debug-symbols=exclude-debuginfo-files) \
  --compress=zip-0 --output "$OUT/runtime"
if command -v strip >/dev/null; then
  find "$OUT/runtime" -name '*.so' -exec strip --strip-unneeded {} \;
fi

cp "$ROOT/jmglu" "$OUT/jmglu"
chmod +x "$OUT/jmglu"
tar -czf "$DIST/jmglu-bundle.tgz" -C "$DIST" jmglu-bundle
echo "bundle: $OUT ($(du -sh "$OUT" | cut -f1)), $DIST/jmglu-bundle.tgz ($(du -h "$DIST/jmglu-bundle.tgz" | cut -f1))"
