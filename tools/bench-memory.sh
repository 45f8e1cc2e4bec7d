#!/usr/bin/env bash
# Memory per replica under many clients sending phone-size photos: the jar with the README's
# capped-memory flags, once with the upload budget (the default: a quarter of the heap) and once
# with it effectively off, each alone on the machine. Reports peak RSS (VmHWM), requests/s and the
# status codes hey saw. Traffic stays on 127.0.0.1; each run is bounded by --seconds.
#
# usage: tools/bench-memory.sh [SECONDS=20] [CLIENTS=64] [IMAGE=/tmp/alexnet-bench-http/phone-4032x3024.jpg]
# JAVA_FLAGS replaces the JVM flags (default: the README's); SETTINGS="budget" runs one setting only.
# JAR picks the jar (default: target/alexnet-service.jar); JAVA_FLAGS=none runs it as plain `java -jar` (no JVM flags, no MALLOC_ARENA_MAX).
# Needs: target/alexnet-service.jar, Debian's hey, and a phone-size JPEG (tools/peers/make_photo.py makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-20}"
CLIENTS="${2:-64}"
IMAGE="${3:-/tmp/alexnet-bench-http/phone-4032x3024.jpg}"
PORT=18090
[[ -f "$IMAGE" ]] || { echo "no image $IMAGE" >&2; exit 1; }
JAR="${JAR:-target/alexnet-service.jar}"
JAVA_FLAGS="${JAVA_FLAGS:--Xmx384m -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -XX:+UseSerialGC}"
for setting in ${SETTINGS:-budget none}; do
  extra=()
  [[ $setting == none ]] && extra=(--alexnet.max-upload-bytes-in-flight=100GB)
  flags="$JAVA_FLAGS" arenas=2
  [[ $flags == none ]] && flags="" arenas=""
  # shellcheck disable=SC2086
  env ${arenas:+MALLOC_ARENA_MAX=$arenas} java $flags -jar "$JAR" --server.port=$PORT "${extra[@]}" > "/tmp/bench-memory-$setting.log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do curl -sf "127.0.0.1:$PORT/actuator/health/readiness" >/dev/null && break; sleep 1; done
  start_rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  for _ in $(seq 5); do curl -s -o /dev/null -H 'Content-Type: image/jpeg' --data-binary @"$IMAGE" "127.0.0.1:$PORT/classify"; done
  out=$(hey -z "${SECONDS_PER_RUN}s" -c "$CLIENTS" -m POST -T image/jpeg -D "$IMAGE" "http://127.0.0.1:$PORT/classify")
  peak=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status)
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  ooms=$(grep -c "OutOfMemoryError" "/tmp/bench-memory-$setting.log" || true)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "== $setting ($JAVA_FLAGS): RSS at start ${start_rss} MiB, peak ${peak} MiB, at end ${rss} MiB; OutOfMemoryError lines in the log: $ooms"
  echo "$out" | grep -E "Requests/sec|Status code distribution" -A0
  echo "$out" | sed -n '/Status code distribution/,/^$/p' | tail -n +2
  echo "$out" | grep -E "^\s+(50|99)% in"
done
